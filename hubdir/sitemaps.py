from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from initiatives.sitemaps import InitiativeSitemap
from organisations.sitemaps import OrganisationSitemap, SectorSitemap


class StaticSitemap(Sitemap):
    """The site-wide pages and the lists."""

    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return [
            "home",
            "organisations:organisation-list",
            "initiatives:initiative-list",
            "stats",
            "about",
            "privacy",
            "accessibility",
            "api:docs",
        ]

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "static": StaticSitemap,
    "organisations": OrganisationSitemap,
    "initiatives": InitiativeSitemap,
    "sectors": SectorSitemap,
}
