"""Publishing: the one rule for what the public may see, shared by every publishable model."""

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class PublishingQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: the one place that decides it."""
        return self.filter(status=Status.PUBLISHED)


class NaturalKeyManager(models.Manager):
    """Rows addressed by slug in fixtures and CSV files."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)
