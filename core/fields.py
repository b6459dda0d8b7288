from django.db import models


class WebAddressField(models.URLField):
    """A web address. Forms read one typed without a scheme ("example.org") as https, as Django 6
    will by default."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})

    def deconstruct(self):
        # A plain URLField to migrations: the difference is only in forms.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs
