"""Nothing private leaves through the open-data outputs: every API endpoint and page, CSV, feed, sitemap."""

import datetime
import json
import re

import pytest

from initiatives.models import KeyFigure
from organisations.models import Status, Submission
from tests.factories import (
    ContactFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

SECRETS = [
    "Private Pat",
    "pat.private@example.org",
    "07700 900123",
    "INTERNAL-NOTE-7f3a",
    "Draft Dynamics",
    "draft-dynamics",
    "Archived Analytics",
    "archived-analytics",
    "Hidden Hub",
    "hidden-hub",
    "submitter@example.org",
    "Initiative Insider",
]


@pytest.fixture
def directory():
    medtech = SectorFactory(name="Medtech", slug="medtech")
    nexus = InitiativeFactory(name="Nexus", slug="nexus")
    hidden = InitiativeFactory(name="Hidden Hub", slug="hidden-hub", status=Status.DRAFT)
    draft = OrganisationFactory(
        name="Draft Dynamics", slug="draft-dynamics", status=Status.DRAFT, sectors=[medtech]
    )
    archived = OrganisationFactory(name="Archived Analytics", slug="archived-analytics", sectors=[medtech])
    archived.status = Status.ARCHIVED
    archived.save()
    nexus.hosts.add(draft)
    MembershipFactory(organisation=draft, initiative=nexus)
    MembershipFactory(organisation=archived, initiative=nexus)
    for n in range(25):
        organisation = OrganisationFactory(sectors=[medtech], parent=draft if n == 0 else None)
        MembershipFactory(organisation=organisation, initiative=nexus)
        if n == 1:
            MembershipFactory(organisation=organisation, initiative=hidden)
            ContactFactory(
                organisation=organisation,
                name="Private Pat",
                email="pat.private@example.org",
                phone="07700 900123",
                internal_notes="INTERNAL-NOTE-7f3a",
            )
            ContactFactory(
                organisation=organisation,
                name="Public Paula",
                is_public=True,
                consent_recorded_on=datetime.date(2025, 1, 1),
                internal_notes="INTERNAL-NOTE-7f3a",
            )
    ContactFactory(organisation=None, initiative=nexus, name="Initiative Insider")
    Submission.objects.create(
        kind=Submission.Kind.NEW, proposed={"name": "New Co"}, submitter_email="submitter@example.org"
    )
    KeyFigure.objects.create(
        label="members",
        value="10",
        source_name="Test",
        source_url="https://example.org",
        slug="members",
        initiative=hidden,
    )


def crawl_api(client):
    """Every API URL reachable from /api/: each endpoint, each page of each list, each detail link."""
    seen, queue, bodies = set(), ["http://testserver/api/"], []
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, url
        bodies.append(response.content.decode())
        queue.extend(link for link in links(response.json()) if link.startswith("http://testserver/api/"))
    return seen, bodies


def links(data):
    """Every string in a JSON document: the crawl keeps those that are API addresses."""
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        for item in data:
            yield from links(item)
    elif isinstance(data, str):
        yield data


def assert_clean(text, where):
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} appears in {where}"


def test_no_private_field_or_unpublished_entry_appears_in_any_api_response(client, directory):
    seen, bodies = crawl_api(client)

    assert "http://testserver/api/organisations/?page=2" in seen
    assert any("/api/organisations/test-organisation-" in url for url in seen)
    assert any(url.endswith("/api/initiatives/nexus/") for url in seen)
    for body in bodies:
        assert_clean(body, "the API")
    assert any("Public Paula" in body for body in bodies)


def test_removed_entries_give_only_a_slug_and_when(client, directory):
    body = client.get("/api/organisations/", {"modified_after": "2000-01-01"}).json()

    assert [row["slug"] for row in body["removed"]] == ["archived-analytics"]
    assert set(body["removed"][0]) == {"slug", "removed_at"}
    # The draft that was never published is not even named as removed.
    assert "draft-dynamics" not in json.dumps(body)


def test_no_private_field_or_unpublished_entry_appears_in_the_csv_feed_or_sitemap(client, directory):
    csv = b"".join(client.get("/organisations/export.csv").streaming_content).decode("utf-8-sig")
    feed = client.get("/feeds/organisations.atom").content.decode()
    index = client.get("/sitemap.xml").content.decode()
    sections = re.findall(r"<loc>http://testserver([^<]+)</loc>", index)
    sitemap = index + "".join(client.get(section).content.decode() for section in sections)

    assert csv.count("\n") == 26
    for text, where in ((csv, "the CSV"), (feed, "the feed"), (sitemap, "the sitemap")):
        assert_clean(text, where)
