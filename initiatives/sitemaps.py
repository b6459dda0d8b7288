from django.contrib.sitemaps import Sitemap

from .models import Initiative


class InitiativeSitemap(Sitemap):
    """Published initiatives only: the sitemap must never reveal a draft."""

    changefreq = "monthly"
    priority = 0.7

    def items(self):
        return Initiative.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, initiative):
        return initiative.updated_at
