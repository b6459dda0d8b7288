from django.contrib.admin.apps import AdminConfig


class DirectoryAdminConfig(AdminConfig):
    """Django's admin, served by the directory's own site (titles, optional two-factor sign-in)."""

    default_site = "hubdir.admin.DirectoryAdminSite"
