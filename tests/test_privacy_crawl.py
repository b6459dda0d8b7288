"""Crawl the public site the way a visitor or a scraper would and look for anything unpublished or
private: drafts and archived entries of every publishable model, private and unpublished contacts,
unpublished key figures, memberships that touch them, pending suggestions, register candidates and
unpublished entries' logos.

Starting from the home page, the sitemap, the API, the feed, the CSV export and searches for each
private marker, the crawl follows every same-site link (HTML, API JSON, feed, sitemaps, CSV) and every
image; none of the private values may appear anywhere, while the public ones must (so the crawl is
known to have reached them).
"""

import datetime
import io
import json
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from core.images import store_image
from initiatives.models import Initiative, Membership
from organisations.models import Candidate, Organisation, Sector, Status, Submission
from tests.factories import (
    ContactFactory,
    InitiativeFactory,
    KeyFigureFactory,
    MembershipFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

PRIVATE = [
    # Organisations: a draft, an archived one (public once), one renamed after it was archived.
    "Draftonly Widgets",
    "draftonly-widgets",
    "Archivedonly Systems",
    "Renamedwhilearchived",
    # Initiatives: a draft and an archived one.
    "Draftinitiative Hub",
    "Archivedinitiative Hub",
    # People: private, waiting for a Publisher, or at an unpublished organisation or initiative.
    "Zelda Privatecontact",
    "zelda.private@hidden.example",
    "0113 496 0999",
    "INTERNAL-NOTE-MARKER",
    "Wendy Waitingcontact",
    "Dora Draftorgcontact",
    "Initiative Secretperson",
    "Hubert Drafthubcontact",
    # Key figures: a draft, an archived one, one of a draft initiative.
    "Draftfigure label",
    "Archivedfigure label",
    "Hiddenhubfigure label",
    # Suggestions and register candidates.
    "Pendingsubmission Labs",
    "submitter.secret@hidden.example",
    "Candidateonly Holdings",
]
PUBLIC = ["Pat Publiccontact", "Crawlable Health Ltd", "Crawl Hub", "Publicfigure label"]
SEEDS = [
    "/",
    "/sitemap.xml",
    "/api/",
    "/api/organisations/",
    "/api/organisations/?modified_after=2000-01-01",
    "/api/initiatives/",
    "/api/key-figures/",
    "/feeds/organisations.atom",
    "/organisations/export.csv",
    "/stats/",
    "/about/",
    # A search for each private marker, on the page and in the API.
    *(f"/organisations/?q={quote(value)}" for value in PRIVATE[::2]),
    *(f"/api/organisations/?q={quote(value)}" for value in PRIVATE[1::2]),
]
SKIP_PREFIXES = ("/admin/", "/static/")
MAX_PAGES = 1500
MAX_VARIANTS_PER_PATH = 40
CONSENT = datetime.date(2026, 1, 10)


def png():
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "teal").save(out, "PNG")
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


def save(obj, **changes):
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.save()


def public_entries():
    sector = Sector.objects.create(name="Medtech", slug="medtech")
    public = OrganisationFactory(name="Crawlable Health Ltd", sectors=[sector], founded_year=2015)
    hub = InitiativeFactory(name="Crawl Hub")
    MembershipFactory(organisation=public, initiative=hub, role=Membership.Role.RESIDENT)
    ContactFactory(
        organisation=public,
        name="Pat Publiccontact",
        is_public=True,
        consent_recorded_on=CONSENT,
        internal_notes="INTERNAL-NOTE-MARKER",
    )
    KeyFigureFactory(initiative=hub, label="Publicfigure label")
    # Enough published entries for the API and the list to have a second page.
    for _ in range(24):
        MembershipFactory(organisation=OrganisationFactory(sectors=[sector]), initiative=hub)
    store_image(public, Organisation.image_spec, png())
    store_image(hub, Initiative.image_spec, png())
    return sector, public, hub


def unpublished_entries(sector, public, hub):
    draft = OrganisationFactory(name="Draftonly Widgets", slug="draftonly-widgets", status=Status.DRAFT)
    draft.sectors.set([sector])
    MembershipFactory(organisation=draft, initiative=hub)
    hub.hosts.add(draft)
    save(OrganisationFactory(sectors=[sector]), parent=draft)
    archived = OrganisationFactory(name="Archivedonly Systems", sectors=[sector])
    MembershipFactory(organisation=archived, initiative=hub)
    save(archived, status=Status.ARCHIVED)
    renamed = OrganisationFactory(name="Once Public Ltd", slug="once-public")
    save(renamed, status=Status.ARCHIVED)
    save(renamed, name="Renamedwhilearchived", slug="renamedwhilearchived")
    draft_hub = InitiativeFactory(name="Draftinitiative Hub", status=Status.DRAFT)
    MembershipFactory(organisation=public, initiative=draft_hub)
    archived_hub = InitiativeFactory(name="Archivedinitiative Hub")
    MembershipFactory(organisation=public, initiative=archived_hub)
    save(archived_hub, status=Status.ARCHIVED)
    return draft, archived, draft_hub, archived_hub


def private_people_and_figures(public, hub, draft, draft_hub):
    ContactFactory(
        organisation=public,
        name="Zelda Privatecontact",
        email="zelda.private@hidden.example",
        phone="0113 496 0999",
        internal_notes="INTERNAL-NOTE-MARKER",
    )
    ContactFactory(
        organisation=public,
        name="Wendy Waitingcontact",
        is_public=True,
        consent_recorded_on=CONSENT,
        status=Status.DRAFT,
    )
    ContactFactory(
        organisation=draft, name="Dora Draftorgcontact", is_public=True, consent_recorded_on=CONSENT
    )
    ContactFactory(organisation=None, initiative=hub, name="Initiative Secretperson")
    ContactFactory(
        organisation=None,
        initiative=draft_hub,
        name="Hubert Drafthubcontact",
        is_public=True,
        consent_recorded_on=CONSENT,
    )
    KeyFigureFactory(initiative=hub, label="Draftfigure label", status=Status.DRAFT)
    KeyFigureFactory(label="Archivedfigure label", status=Status.ARCHIVED)
    KeyFigureFactory(initiative=draft_hub, label="Hiddenhubfigure label")


def suggestions_and_candidates(public):
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
    now = timezone.now()
    Candidate.objects.create(
        register="companies_house",
        register_id="12345678",
        name="Candidateonly Holdings",
        first_seen_at=now,
        last_seen_at=now,
    )


@pytest.fixture
def directory():
    """{"hidden_images": [URLs of unpublished entries' logos]}, with every private marker seeded."""
    sector, public, hub = public_entries()
    draft, archived, draft_hub, archived_hub = unpublished_entries(sector, public, hub)
    private_people_and_figures(public, hub, draft, draft_hub)
    suggestions_and_candidates(public)
    hidden = []
    for obj in (draft, archived, draft_hub, archived_hub):
        store_image(obj, type(obj).image_spec, png())
        hidden += [getattr(obj, name).url for name in type(obj).image_spec.fields]
    return {"hidden_images": hidden}


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in {"href", "src", "action", "content"} and value and tag != "form":
                self.links.append(value)


def links_in(response, url):
    content_type = response.get("Content-Type", "")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if content_type.startswith("image/"):
        return "", []
    body = raw.decode("utf-8", "replace")
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
    """{local URL: body} for every page reached; images are fetched and must be served."""
    queue = deque(SEEDS)
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
        if local.startswith("/media/"):
            assert response.status_code == 200, f"a linked image is not served: {local}"
        body, links = links_in(response, "http://testserver" + local)
        pages[local] = body
        queue.extend(links)
    return pages


def test_nothing_unpublished_or_private_appears_anywhere_public(client, directory):
    pages = crawl(client)
    everything = "\n".join(pages.values())

    assert len(pages) > 40
    assert "/api/organisations/?page=2" in pages
    assert any(path.startswith("/media/logos/thumbs/") for path in pages)
    assert any(path.startswith("/media/initiative-logos/") for path in pages)
    for value in PUBLIC:
        assert value in everything, f"the crawl never reached {value!r}"
    for value in PRIVATE:
        leaks = [
            url
            for url, body in pages.items()
            if (value in body or json.dumps(value)[1:-1] in body) and not searched_for(url, value)
        ]
        assert not leaks, f"{value!r} appears on {leaks[:5]}"


def searched_for(url, value):
    """A search page shows the words the visitor typed: that is not a leak."""
    return value in parse_qs(urlsplit(url).query).get("q", [])


def test_unpublished_entries_images_are_never_linked_nor_served(client, directory):
    pages = crawl(client)

    for url in directory["hidden_images"]:
        assert url not in pages
        assert not any(url in body for body in pages.values()), url
        assert client.get(url).status_code == 404, url


def test_unpublished_entries_own_addresses_answer_404(client, directory):
    for path in [
        "/organisations/draftonly-widgets/",
        "/organisations/archivedonly-systems/",
        "/organisations/renamedwhilearchived/",
        "/organisations/once-public/",
        "/initiatives/draftinitiative-hub/",
        "/initiatives/archivedinitiative-hub/",
        "/api/organisations/draftonly-widgets/",
        "/api/organisations/archivedonly-systems/",
        "/api/initiatives/draftinitiative-hub/",
        "/api/initiatives/archivedinitiative-hub/",
    ]:
        assert client.get(path).status_code == 404, path


def test_the_change_feed_lists_only_what_was_public_with_a_slug_and_when(client, directory):
    body = client.get("/api/organisations/", {"modified_after": "2000-01-01"}).json()

    assert sorted(row["slug"] for row in body["removed"]) == ["archivedonly-systems", "once-public"]
    assert all(set(row) == {"slug", "removed_at"} for row in body["removed"])


def test_the_csv_lists_exactly_the_published_organisations(client, directory):
    response = client.get("/organisations/export.csv")
    csv = b"".join(response.streaming_content) if response.streaming else response.content

    assert csv.decode("utf-8-sig").count("\n") == 1 + Organisation.objects.published().count() == 27
