"""Published pages only: the sitemap must never reveal a draft or archived entry."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse

from initiatives.models import Initiative
from organisations.models import Organisation, Sector


class OrganisationSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8
    limit = 10_000

    def items(self):
        return Organisation.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, organisation):
        return organisation.updated_at


class InitiativeSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.7

    def items(self):
        return Initiative.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, initiative):
        return initiative.updated_at


class SectorSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        published_member = Organisation.objects.published().filter(sectors=OuterRef("pk"))
        return Sector.objects.filter(Exists(published_member)).only("slug").order_by("pk")


class StaticSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5
    url_names = [
        "home",
        "organisations:organisation-list",
        "initiatives:initiative-list",
        "stats",
        "about",
        "privacy",
        "accessibility",
        "api:docs",
    ]

    def items(self):
        # Pages come and go with other parts of the site; a renamed one must not break the sitemap.
        available = []
        for name in self.url_names:
            try:
                reverse(name)
            except NoReverseMatch:
                continue
            available.append(name)
        return available

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "static": StaticSitemap,
    "organisations": OrganisationSitemap,
    "initiatives": InitiativeSitemap,
    "sectors": SectorSitemap,
}
