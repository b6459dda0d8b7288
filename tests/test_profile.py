import datetime
import json
import re

import pytest

from initiatives.models import Membership
from organisations.models import Organisation, Status
from tests.factories import (
    CareSettingFactory,
    ContactFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def json_ld(page):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


@pytest.fixture
def organisation():
    organisation = OrganisationFactory(
        name="Acme Health",
        alternative_names="AH; Acme",
        organisation_type=Organisation.Type.COMPANY,
        summary="Makes clinical software.",
        description="A longer description.",
        website="https://acme.example.org",
        email="hello@acme.example.org",
        phone="0113 000 0000",
        address_line="1 Park Row",
        town="Leeds",
        postcode="LS1 5AB",
        companies_house_number="01234567",
        ods_code="ABC12",
        founded_year=2010,
        employees_band="small",
        headquartered_in_leeds=True,
        last_verified_on=datetime.date(2025, 3, 14),
        source_url="https://example.org/acme-source",
        sectors=[SectorFactory(name="Digital health", slug="digital-health")],
    )
    organisation.care_settings.set([CareSettingFactory(name="Hospital", slug="hospital")])
    organisation.regulatory_marks.set([RegulatoryMarkFactory(name="DTAC assessed", slug="dtac-assessed")])
    return organisation


def test_the_profile_shows_every_public_field(client, organisation):
    page = text(client.get("/organisations/acme-health/"))
    for value in [
        "Acme Health",
        "AH, Acme",
        "Makes clinical software.",
        "A longer description.",
        "hello@acme.example.org",
        "0113 000 0000",
        "1 Park Row",
        "LS1 5AB",
        "2010",
        "Small (10–49)",
        "ABC12",
        "Digital health",
        "Hospital",
        "DTAC assessed",
        "Checked",
        "March 2025",
        "https://example.org/acme-source",
    ]:
        assert value in page, value


def test_the_website_link_opens_safely(client, organisation):
    page = text(client.get("/organisations/acme-health/"))
    link = re.search(r'<a href="https://acme.example.org"[^>]*>', page).group()
    assert "noopener" in link


def test_the_companies_house_number_links_to_the_register(client, organisation):
    page = text(client.get("/organisations/acme-health/"))
    assert 'href="https://find-and-update.company-information.service.gov.uk/company/01234567"' in page


def test_only_public_contacts_appear_and_never_internal_notes(client, organisation):
    ContactFactory(
        organisation=organisation,
        name="Priya Public",
        job_title="Head of Partnerships",
        is_public=True,
        consent_recorded_on=datetime.date(2025, 1, 1),
        internal_notes="Prefers phone calls",
    )
    ContactFactory(organisation=organisation, name="Peter Private", email="peter@acme.example.org")
    page = text(client.get("/organisations/acme-health/"))
    assert "Priya Public" in page and "Head of Partnerships" in page
    assert "Peter Private" not in page and "peter@acme.example.org" not in page
    assert "Prefers phone calls" not in page


def test_parent_and_children_are_shown_when_published(client):
    parent = OrganisationFactory(name="University of Leeds")
    child = OrganisationFactory(name="LIDA", parent=parent)
    OrganisationFactory(name="Draft Institute", parent=parent, status=Status.DRAFT)
    page = text(client.get(parent.get_absolute_url()))
    assert "LIDA" in page and "Draft Institute" not in page
    child_page = text(client.get(child.get_absolute_url()))
    assert 'href="/organisations/university-of-leeds/"' in child_page


def test_an_unpublished_parent_is_not_shown(client):
    parent = OrganisationFactory(name="Secret Parent", status=Status.DRAFT)
    child = OrganisationFactory(name="Child", parent=parent)
    assert "Secret Parent" not in text(client.get(child.get_absolute_url()))


def test_initiatives_are_listed_with_role_and_since(client, organisation):
    MembershipFactory(
        organisation=organisation,
        initiative=InitiativeFactory(name="Nexus"),
        role=Membership.Role.RESIDENT,
        since=datetime.date(2021, 6, 1),
    )
    MembershipFactory(
        organisation=organisation, initiative=InitiativeFactory(name="Draft Hub", status=Status.DRAFT)
    )
    page = text(client.get("/organisations/acme-health/"))
    assert "Nexus" in page and "resident" in page and "since June 2021" in page
    assert "Draft Hub" not in page


def test_the_json_ld_is_an_organization_built_from_public_fields(client, organisation):
    data = json_ld(text(client.get("/organisations/acme-health/")))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Organization"
    assert data["name"] == "Acme Health"
    assert data["url"] == "http://testserver/organisations/acme-health/"
    assert data["foundingDate"] == "2010"
    assert data["address"]["postalCode"] == "LS1 5AB"
    assert data["identifier"]["value"] == "01234567"


@pytest.mark.parametrize(
    ("organisation_type", "schema_type"),
    [
        (Organisation.Type.NHS, "MedicalOrganization"),
        (Organisation.Type.UNIVERSITY, "CollegeOrUniversity"),
        (Organisation.Type.PUBLIC_BODY, "GovernmentOrganization"),
        (Organisation.Type.CHARITY, "Organization"),
    ],
)
def test_the_json_ld_type_follows_the_organisation_type(client, organisation_type, schema_type):
    organisation = OrganisationFactory(organisation_type=organisation_type)
    assert json_ld(text(client.get(organisation.get_absolute_url())))["@type"] == schema_type


def test_the_json_ld_cannot_be_broken_out_of(client):
    organisation = OrganisationFactory(name="Evil </script><script>alert(1)</script>", summary="<b>&</b>")
    page = text(client.get(organisation.get_absolute_url()))
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in block and ">" not in block
    assert json.loads(block)["name"] == organisation.name
    assert "<script>alert(1)" not in page


def test_opengraph_and_canonical_tags(client, organisation):
    page = text(client.get("/organisations/acme-health/"))
    assert '<link rel="canonical" href="http://testserver/organisations/acme-health/">' in page
    assert '<meta property="og:title" content="Acme Health">' in page
    assert '<meta property="og:url" content="http://testserver/organisations/acme-health/">' in page
    assert '<meta property="og:description" content="Makes clinical software.">' in page


def test_there_is_a_way_to_suggest_an_update(client, organisation):
    page = text(client.get("/organisations/acme-health/"))
    assert "suggest an update" in page.lower()


def test_an_old_slug_redirects_permanently_to_the_current_one(client, organisation):
    organisation.slug = "acme-health-ltd"
    organisation.save()
    response = client.get("/organisations/acme-health/")
    assert response.status_code == 301
    assert response["Location"] == "/organisations/acme-health-ltd/"


def test_a_merged_entry_redirects_to_its_published_successor(client):
    successor = OrganisationFactory(name="NHS England")
    OrganisationFactory(name="NHS Digital", status=Status.ARCHIVED, merged_into=successor)
    response = client.get("/organisations/nhs-digital/")
    assert response.status_code == 301
    assert response["Location"] == "/organisations/nhs-england/"


def test_a_merged_entry_with_an_unpublished_successor_is_not_found(client):
    successor = OrganisationFactory(name="Draft Successor", status=Status.DRAFT)
    OrganisationFactory(name="Gone", status=Status.ARCHIVED, merged_into=successor)
    assert client.get("/organisations/gone/").status_code == 404


@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
def test_unpublished_entries_are_not_found(client, status):
    OrganisationFactory(name="Hidden", status=status)
    assert client.get("/organisations/hidden/").status_code == 404


def test_an_unknown_slug_is_not_found(client):
    assert client.get("/organisations/no-such-organisation/").status_code == 404


# --- Credible entries -----------------------------------------------------------------------------


def facts(page):
    """The key facts list as (term, value) pairs, tags stripped."""
    block = page[page.index('<dl class="facts">') : page.index("</dl>", page.index('<dl class="facts">'))]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block, re.S)
    return [(re.sub(r"<[^>]+>", "", t).strip(), re.sub(r"<[^>]+>", " ", d).strip()) for t, d in pairs]


def test_the_legal_name_is_shown_once_as_registered_as_and_the_heading_uses_the_name(client):
    OrganisationFactory(name="Radar Healthcare", legal_name="Smartgate Solutions Ltd")
    page = text(client.get("/organisations/radar-healthcare/"))

    assert '<h1 class="profile__name">Radar Healthcare</h1>' in page
    assert "Registered as Smartgate Solutions Ltd" in page
    body = page[page.index("<main") :]
    assert body.count("Smartgate Solutions Ltd") == 1
    assert json_ld(page)["legalName"] == "Smartgate Solutions Ltd"
    assert "<title>Radar Healthcare — " in page


def test_no_legal_name_means_no_registered_as_line(client, organisation):
    page = text(client.get("/organisations/acme-health/"))
    assert "Registered as" not in page
    assert "legalName" not in json_ld(page)


def test_a_place_is_said_once(client, organisation):
    page = text(client.get("/organisations/acme-health/"))

    assert ("Based in", "1 Park Row Leeds LS1 5AB") in facts(page)
    assert [term for term, _value in facts(page)].count("Local authority") == 0
    assert "Headquarters" not in [term for term, _value in facts(page)]
    body = page[page.index("<main") :]
    assert body.count(">Leeds<") == 0


def test_a_local_authority_the_town_does_not_name_is_shown(client):
    OrganisationFactory(
        name="Locala", town="Batley", local_authority="kirklees", headquartered_in_leeds=False
    )
    pairs = facts(text(client.get("/organisations/locala/")))
    assert ("Address", "Batley") in pairs
    assert ("Local authority", "Kirklees") in pairs
    assert "Headquarters" not in dict(pairs)


def test_headquarters_in_leeds_is_said_when_the_address_does_not_say_leeds(client):
    OrganisationFactory(
        name="West Yorkshire Combined Authority",
        town="West Yorkshire",
        local_authority="other",
        headquartered_in_leeds=True,
    )
    pairs = facts(text(client.get("/organisations/west-yorkshire-combined-authority/")))
    assert ("Address", "West Yorkshire") in pairs
    assert ("Headquarters", "Leeds") in pairs
    # "Other" says nothing a visitor can use.
    assert "Local authority" not in dict(pairs)


def test_empty_fields_leave_no_placeholder(client):
    OrganisationFactory(
        name="Bare Minimum", summary="", town="", local_authority="", website="", last_verified_on=None
    )
    page = text(client.get("/organisations/bare-minimum/"))
    pairs = facts(page)

    assert pairs == []
    for placeholder in ("Not yet checked", "Last checked", "Not known", "None", "—"):
        assert placeholder not in page[page.index("<main") : page.index("</main>")], placeholder


def test_the_check_is_shown_as_month_and_year(client, organisation):
    page = text(client.get("/organisations/acme-health/"))
    assert ("Checked", "March 2025") in facts(page)
    assert '<time datetime="2025-03">' in page
    assert "14 March" not in page


def test_the_organisation_page_lists_what_it_runs_hosts_and_belongs_to_once_each(client):
    university = OrganisationFactory(name="University of Leeds")
    nexus = InitiativeFactory(name="Nexus", operator=university)
    hub = InitiativeFactory(name="Health Tech Hub")
    hub.hosts.add(university)
    MembershipFactory(organisation=university, initiative=hub, role=Membership.Role.PARTNER)
    MembershipFactory(organisation=university, initiative=nexus, role=Membership.Role.PARTNER)
    network = InitiativeFactory(name="Academic Network")
    MembershipFactory(organisation=university, initiative=network)
    InitiativeFactory(name="Hidden Draft", operator=university, status=Status.DRAFT)

    page = text(client.get("/organisations/university-of-leeds/"))
    section = page[
        page.index('id="initiatives-heading"') : page.index("</section>", page.index("initiatives-heading"))
    ]

    assert section.index("<h3>Runs</h3>") < section.index("Nexus") < section.index("<h3>Hosts</h3>")
    assert section.index("<h3>Hosts</h3>") < section.index("Health Tech Hub") < section.index("Takes part in")
    assert section.index("Takes part in") < section.index("Academic Network")
    for name in ("Nexus", "Health Tech Hub", "Academic Network"):
        assert section.count(f">{name}</a>") == 1, name
    assert "Hidden Draft" not in page


def test_the_initiative_page_links_the_organisation_that_runs_it(client):
    nexus_organisation = OrganisationFactory(name="Nexus Leeds")
    InitiativeFactory(name="Nexus", operator=nexus_organisation)
    page = text(client.get("/initiatives/nexus/"))
    assert '<dt>Run by</dt><dd><a href="/organisations/nexus-leeds/">Nexus Leeds</a></dd>' in page

    nexus_organisation.status = Status.DRAFT
    nexus_organisation.save()
    assert "Run by" not in text(client.get("/initiatives/nexus/"))


def test_a_card_shows_no_empty_town_and_no_empty_tag_list(client):
    OrganisationFactory(name="Quiet Entry", town="", summary="")
    page = text(client.get("/organisations/"))
    card = page[page.index("Quiet Entry") : page.index("</article>", page.index("Quiet Entry"))]
    assert "card__town" not in card
    assert "card__summary" not in card
    assert 'class="tags"' not in card


def test_an_initiative_without_members_has_no_empty_members_section(client):
    InitiativeFactory(name="Quiet Hub")
    page = text(client.get("/initiatives/quiet-hub/"))
    assert "members-heading" not in page
    assert "No organisations in the directory" not in page
    listing = text(client.get("/initiatives/"))
    card = listing[listing.index("Quiet Hub") :]
    assert "0 organisations" not in card


def test_the_header_block_shows_the_website_and_key_facts(client, organisation):
    page = text(client.get("/organisations/acme-health/"))
    header = page[
        page.index('<header class="profile__header">') : page.index(
            "</header>", page.index("profile__header")
        )
    ]
    keyfacts = {
        term: re.sub(r"<[^>]+>", "", value).strip()
        for term, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", header, re.S)
    }
    assert keyfacts == {
        "Place": "Leeds, LS1",
        "Founded": "2010",
        "Size": "Small (10–49) employees",
        "Website": "acme.example.org",
    }
    assert (
        '<a href="https://acme.example.org" class="profile__website-link" rel="noopener noreferrer external">'
        in header
    )
    # Said once: the side column keeps the rest.
    assert "Founded" not in dict(facts(page)) and "Website" not in dict(facts(page))


def test_the_profile_reads_no_search_columns_of_any_organisation(client, organisation):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    child = OrganisationFactory(parent=organisation)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(organisation.get_absolute_url()).status_code == 200
        assert client.get(child.get_absolute_url()).status_code == 200
    for query in captured.captured_queries:
        for column in ("search_vector", "sector_names", "topic_names"):
            assert column not in query["sql"], query["sql"]
