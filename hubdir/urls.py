from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from hubdir import views
from hubdir.media import serve_media

if settings.TWO_FACTOR_ADMIN:
    from django_otp.admin import OTPAdminSite

    # Every staff sign-in then asks for a one-time code from a registered device.
    admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("privacy/", views.PrivacyView.as_view(), name="privacy"),
    path("accessibility/", views.AccessibilityView.as_view(), name="accessibility"),
    path("admin/", admin.site.urls),
    path("", include("organisations.urls")),
    path("", include("initiatives.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.+)$", serve_media, name="media")]

handler404 = "hubdir.views.page_not_found"
handler500 = "hubdir.views.server_error"
