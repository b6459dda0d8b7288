from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: publishing status, slugs, validators, data-version caching, client IP,
    health and media. It has no models and imports no other app of the project."""

    name = "core"
