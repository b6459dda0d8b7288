from django.conf import settings
from django.contrib.admin import AdminSite
from django_otp.admin import OTPAdminAuthenticationForm

# The curators' apps, first and in this order; their models in the order of everyday work.
CURATION_ORDER = {
    "organisations": [
        "Organisation",
        "Submission",
        "Contact",
        "Sector",
        "CareSetting",
        "RegulatoryMark",
        "OrganisationSlugRedirect",
    ],
    "initiatives": ["Initiative", "Membership", "KeyFigure"],
}
# Sign-in lockouts and two-factor devices: one section at the end, out of the curators' way.
SECURITY_APPS = ("axes", "otp_totp", "otp_static")


class DirectoryAdminSite(AdminSite):
    """The back office. With DJANGO_2FA on, signing in also asks for a one-time code from a
    registered device, and a session that has not given one is treated as signed out."""

    site_header = "Leeds Health Tech Directory: back office"
    site_title = "Directory back office"
    index_title = "Curate the directory"

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

    def get_app_list(self, request, app_label=None):
        """The curators' apps first, the people who sign in next, and the security apps grouped last."""
        apps = super().get_app_list(request, app_label)
        if app_label:
            return apps
        curation = [app for label in CURATION_ORDER for app in apps if app["app_label"] == label]
        for app in curation:
            order = CURATION_ORDER[app["app_label"]]
            app["models"].sort(
                key=lambda model: (
                    order.index(model["object_name"]) if model["object_name"] in order else len(order)
                )
            )
        security = [app for app in apps if app["app_label"] in SECURITY_APPS]
        others = [app for app in apps if app not in curation and app not in security]
        if security:
            grouped = {
                **security[0],
                "name": "Security: sign-in lockouts and two-factor devices",
                "app_label": "security",
                "models": [
                    {**model, "name": f"{model['name']} ({app['name']})"}
                    for app in security
                    for model in app["models"]
                ],
            }
            others.append(grouped)
        return curation + others
