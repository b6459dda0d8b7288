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
        "14 March 2025",
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
