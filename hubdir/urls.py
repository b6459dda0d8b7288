from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import index as sitemap_index
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.generic import TemplateView

from hubdir import views
from hubdir.feeds import NewOrganisationsFeed
from hubdir.health import healthz
from hubdir.media import serve_media
from hubdir.sitemaps import SITEMAPS
from hubdir.stats import StatsView

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
    path("api/", include("hubdir.api.urls")),
    path("stats/", StatsView.as_view(), name="stats"),
    # An index of per-section sitemaps, paged, so that no file passes the 50,000-URL limit.
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("healthz", healthz, name="healthz"),
    path("feeds/organisations.atom", NewOrganisationsFeed(), name="feed-organisations"),
    # Before organisations.urls: /organisations/<slug>/suggest-update/ is the more specific route.
    path("", include("organisations.suggest_urls")),
    path("", include("organisations.urls")),
    path("", include("initiatives.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.+)$", serve_media, name="media")]

handler404 = "hubdir.views.page_not_found"
handler500 = "hubdir.views.server_error"
