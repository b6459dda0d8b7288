import datetime
import re
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from organisations.models import Status
from tests.factories import InitiativeFactory, OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db


def locations(client, url="/sitemap.xml"):
    """Every page URL the sitemap lists, following the index to each section's pages."""
    response = client.get(url)
    assert response.status_code == 200
    found = re.findall(r"<loc>([^<]+)</loc>", response.content.decode())
    if "<sitemapindex" not in response.content.decode():
        return found
    return [
        page for section in found for page in locations(client, section.removeprefix("http://testserver"))
    ]


def test_the_sitemap_lists_published_pages_only(client):
    medtech = SectorFactory(name="Medtech", slug="medtech")
    SectorFactory(name="Genomics", slug="genomics")
    only_drafts = SectorFactory(name="Imaging", slug="imaging")
    published = OrganisationFactory(sectors=[medtech])
    draft = OrganisationFactory(status=Status.DRAFT, sectors=[only_drafts])
    archived = OrganisationFactory(status=Status.ARCHIVED)
    initiative = InitiativeFactory()
    draft_initiative = InitiativeFactory(status=Status.DRAFT)

    urls = locations(client)

    assert f"http://testserver/organisations/{published.slug}/" in urls
    assert f"http://testserver/initiatives/{initiative.slug}/" in urls
    assert "http://testserver/sectors/medtech/" in urls
    for hidden in (
        draft.slug,
        archived.slug,
        draft_initiative.slug,
        "/sectors/genomics/",
        "/sectors/imaging/",
    ):
        assert not any(hidden in url for url in urls)
    for page in (
        "/",
        "/organisations/",
        "/initiatives/",
        "/stats/",
        "/about/",
        "/privacy/",
        "/accessibility/",
    ):
        assert f"http://testserver{page}" in urls
    for url in urls:
        assert client.get(url.removeprefix("http://testserver")).status_code == 200, url


def test_the_sitemap_index_pages_large_sections(client, monkeypatch):
    from organisations.sitemaps import OrganisationSitemap

    monkeypatch.setattr(OrganisationSitemap, "limit", 2)
    organisations = OrganisationFactory.create_batch(5)
    index = client.get("/sitemap.xml").content.decode()
    assert "/sitemap-organisations.xml?p=3" in index
    urls = locations(client)
    assert {f"http://testserver/organisations/{o.slug}/" for o in organisations} <= set(urls)


def test_robots_allows_crawling_keeps_out_of_admin_and_points_to_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_healthz_answers_ok_when_the_database_does(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_down(client):
    with mock.patch("core.health.connection.cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert "refused" not in response.content.decode()


def test_the_feed_lists_newly_published_organisations_newest_first(client):
    now = timezone.now()
    older = OrganisationFactory(name="Older Ltd")
    newer = OrganisationFactory(name="Newer Ltd", summary="<script>alert(1)</script> & more")
    OrganisationFactory(name="Draft Ltd", status=Status.DRAFT)
    OrganisationFactory(name="Archived Ltd", status=Status.ARCHIVED)
    for organisation, days_ago in ((older, 5), (newer, 1)):
        organisation.published_at = now - datetime.timedelta(days=days_ago)
        organisation.save()

    response = client.get("/feeds/organisations.atom")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = response.content.decode()
    assert re.findall(r"<entry><title>([^<]+)</title>", feed) == ["Newer Ltd", "Older Ltd"]
    assert "Draft Ltd" not in feed and "Archived Ltd" not in feed
    # Escaped once for HTML and once for XML: a feed reader shows the text, never runs it.
    assert "&amp;lt;script&amp;gt;" in feed
    assert "<script>" not in feed
