from django.contrib.admin.apps import AdminConfig

# Importing it registers the project's system check (who runs the directory, for check --deploy).
from hubdir import operator  # noqa: F401


class DirectoryAdminConfig(AdminConfig):
    """Django's admin, served by the directory's own site (titles, optional two-factor sign-in)."""

    default_site = "hubdir.admin.DirectoryAdminSite"
