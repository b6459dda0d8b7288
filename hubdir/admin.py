from django.conf import settings
from django.contrib.admin import AdminSite
from django_otp.admin import OTPAdminAuthenticationForm


class DirectoryAdminSite(AdminSite):
    """The back office. With DJANGO_2FA on, signing in also asks for a one-time code from a
    registered device, and a session that has not given one is treated as signed out."""

    site_header = "Leeds Health Tech Directory"
    site_title = "Leeds Health Tech Directory back office"
    index_title = "Back office"

    @property
    def login_form(self):
        return OTPAdminAuthenticationForm if settings.TWO_FACTOR_ADMIN else None

    @property
    def login_template(self):
        return "otp/admin111/login.html" if settings.TWO_FACTOR_ADMIN else None

    def has_permission(self, request):
        allowed = super().has_permission(request)
        if settings.TWO_FACTOR_ADMIN:
            return allowed and request.user.is_verified()
        return allowed
