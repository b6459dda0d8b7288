"""Published pages only: the sitemap must never reveal a draft or archived entry."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef

from .models import Organisation, Sector


class OrganisationSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8
    limit = 10_000

    def items(self):
        return Organisation.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, organisation):
        return organisation.updated_at


class SectorSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        published_member = Organisation.objects.published().filter(sectors=OuterRef("pk"))
        return Sector.objects.filter(Exists(published_member)).only("slug").order_by("pk")
