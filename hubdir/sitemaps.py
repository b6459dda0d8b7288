import contextlib

from django.contrib.sitemaps import Sitemap
from django.core.paginator import InvalidPage
from django.http import Http404
from django.template import loader
from django.urls import reverse

from core.downloads import Busy, cached_download
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


# A section is made once for every address the site answers at (ALLOWED_HOSTS may name several),
# with this reserved origin (RFC 6761) in its links, which each request replaces with its own.
SITEMAP_ORIGIN = "https://sitemap-origin.invalid"


class _Origin:
    domain = SITEMAP_ORIGIN.removeprefix("https://")


def section_file(section, page):
    """The XML of one page of a section, with SITEMAP_ORIGIN in its links: made once per data
    version and then read from a file (core/downloads.py), so that any number of crawlers cost one
    rendering per change. Raises Http404 for a page that does not exist and Busy while another
    request makes it."""

    def generate():
        try:
            urls = SITEMAPS[section]().get_urls(page=page, site=_Origin, protocol="https")
        except InvalidPage as error:
            raise Http404(f"No page {page} of the {section} sitemap.") from error
        return [loader.render_to_string("sitemap.xml", {"urlset": urls}).encode()]

    body = cached_download("sitemap", f"{section}|{page}", generate)
    if hasattr(body, "read"):
        with body:
            return body.read()
    return b"".join(body)


def warm_up():
    """Make every section's pages for the current data before a crawler asks."""
    for section, sitemap in SITEMAPS.items():
        for page in sitemap().paginator.page_range:
            # Busy: another process of this server is making it.
            with contextlib.suppress(Busy):
                section_file(section, page)
