"""Crawl the public site the way a visitor or a scraper would and look for anything private.

Starting from / and /sitemap.xml it follows every same-site link (HTML, API JSON, feed, CSV); none of
the private values seeded below may appear anywhere, while the public ones must (so the crawl is known
to have reached them).
"""

import datetime
import json
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from initiatives.models import Membership
from organisations.models import Sector, Status, Submission

from .factories import ContactFactory, InitiativeFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

PRIVATE = [
    "Zelda Privatecontact",
    "zelda.private@hidden.example",
    "0113 496 0999",
    "INTERNAL-NOTE-MARKER",
    "Draftonly Widgets",
    "Archivedonly Systems",
    "Draftinitiative Hub",
    "Pendingsubmission Labs",
    "submitter.secret@hidden.example",
    "Initiative Secretperson",
]
PUBLIC = ["Pat Publiccontact", "Crawlable Health Ltd", "Crawl Hub"]
SKIP_PREFIXES = ("/admin/", "/static/", "/media/")
MAX_PAGES = 1500
MAX_VARIANTS_PER_PATH = 40


@pytest.fixture
def directory():
    sector = Sector.objects.create(name="Medtech", slug="medtech")
    public = OrganisationFactory(name="Crawlable Health Ltd", sectors=[sector], founded_year=2015)
    hub = InitiativeFactory(name="Crawl Hub")
    MembershipFactory(organisation=public, initiative=hub, role=Membership.Role.RESIDENT)
    ContactFactory(
        organisation=public,
        name="Pat Publiccontact",
        is_public=True,
        consent_recorded_on=datetime.date(2026, 1, 10),
        internal_notes="INTERNAL-NOTE-MARKER",
    )
    ContactFactory(
        organisation=public,
        name="Zelda Privatecontact",
        email="zelda.private@hidden.example",
        phone="0113 496 0999",
        is_public=False,
        internal_notes="INTERNAL-NOTE-MARKER",
    )
    ContactFactory(organisation=None, initiative=hub, name="Initiative Secretperson", is_public=False)
    draft = OrganisationFactory(name="Draftonly Widgets", status=Status.DRAFT, sectors=[sector])
    MembershipFactory(organisation=draft, initiative=hub)
    archived = OrganisationFactory(name="Archivedonly Systems", status=Status.ARCHIVED, sectors=[sector])
    MembershipFactory(organisation=archived, initiative=hub)
    MembershipFactory(
        organisation=public, initiative=InitiativeFactory(name="Draftinitiative Hub", status=Status.DRAFT)
    )
    Submission.objects.create(
        kind=Submission.Kind.NEW,
        proposed={"name": "Pendingsubmission Labs"},
        submitter_email="submitter.secret@hidden.example",
        message="please add",
    )
    Submission.objects.create(
        kind=Submission.Kind.UPDATE,
        organisation=public,
        proposed={"summary": "Pendingsubmission Labs"},
        submitter_email="submitter.secret@hidden.example",
    )


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in {"href", "src", "action"} and value and tag != "form":
                self.links.append(value)


def links_in(response, url):
    content_type = response.get("Content-Type", "")
    body = response.getvalue().decode("utf-8", "replace") if response.streaming else response.content.decode()
    found = []
    if "html" in content_type:
        parser = LinkParser()
        parser.feed(body)
        found = parser.links
    elif "json" in content_type:
        found = re.findall(r'"(https?://testserver/[^"]*|/[^"\s]*)"', body)
    elif "xml" in content_type or "atom" in content_type:
        found = re.findall(r"<loc>([^<]+)</loc>|href=\"([^\"]+)\"", body)
        found = [a or b for a, b in found]
    return body, [urljoin(url, link) for link in found]


def crawl(client):
    queue = deque(
        [
            "/",
            "/sitemap.xml",
            "/api/",
            "/api/organisations/",
            "/api/initiatives/",
            "/feeds/organisations.atom",
            "/organisations/export.csv",
            "/stats/",
        ]
    )
    seen, variants, pages = set(), Counter(), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc not in {"", "testserver"} or parts.path.startswith(SKIP_PREFIXES):
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if local in seen or (parts.query and variants[parts.path] >= MAX_VARIANTS_PER_PATH):
            continue
        seen.add(local)
        variants[parts.path] += 1
        response = client.get(local)
        if response.status_code in {301, 302}:
            queue.append(urljoin(local, response["Location"]))
            continue
        assert response.status_code < 500, local
        body, links = links_in(response, "http://testserver" + local)
        pages[local] = body
        queue.extend(links)
    return pages


def test_no_private_value_appears_anywhere_public(client, directory):
    pages = crawl(client)
    everything = "\n".join(pages.values())
    assert len(pages) > 10
    for value in PUBLIC:
        assert value in everything, f"the crawl never reached {value!r}"
    for value in PRIVATE:
        leaks = [url for url, body in pages.items() if value in body or json.dumps(value)[1:-1] in body]
        assert not leaks, f"{value!r} appears on {leaks[:5]}"
