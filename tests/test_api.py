import datetime

import pytest
from django.utils import timezone

from organisations.models import Organisation, Status
from tests.factories import (
    CareSettingFactory,
    ContactFactory,
    InitiativeFactory,
    KeyFigureFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/organisations/"


@pytest.fixture
def medtech():
    return SectorFactory(name="Medtech", slug="medtech")


@pytest.fixture
def digital():
    return SectorFactory(name="Digital health", slug="digital-health")


def slugs(response):
    return [row["slug"] for row in response.json()["results"]]


def test_the_list_has_count_next_previous_results_facets_and_removed(client, medtech):
    OrganisationFactory.create_batch(3, sectors=[medtech])

    body = client.get(LIST).json()

    assert set(body) == {"count", "next", "previous", "results", "facets", "removed"}
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert body["removed"] == []


def test_it_lists_only_published_organisations(client):
    published = OrganisationFactory(name="Published Ltd")
    OrganisationFactory(name="Draft Ltd", status=Status.DRAFT)
    OrganisationFactory(name="Archived Ltd", status=Status.ARCHIVED)

    assert slugs(client.get(LIST)) == [published.slug]


def test_facets_have_value_label_and_count_for_every_filter(client, medtech, digital):
    OrganisationFactory.create_batch(2, sectors=[medtech])
    OrganisationFactory(sectors=[digital], organisation_type=Organisation.Type.NHS)

    facets = client.get(LIST, {"type": "company"}).json()["facets"]

    assert {"sector", "initiative", "care_setting", "regulatory", "type", "size", "local_authority"} <= set(
        facets
    )
    assert {"value": "medtech", "label": "Medtech", "count": 2} in facets["sector"]
    # A facet counts with the *other* filters: the type facet ignores type=company.
    assert {"value": "nhs", "label": "NHS body", "count": 1} in facets["type"]
    for options in facets.values():
        for option in options:
            assert set(option) == {"value", "label", "count"}


def test_it_pages_twenty_at_a_time_and_caps_page_size_at_a_hundred(client):
    OrganisationFactory.create_batch(105)

    first = client.get(LIST).json()
    assert len(first["results"]) == 20
    assert first["next"].endswith("page=2")

    big = client.get(LIST, {"page_size": 500}).json()
    assert len(big["results"]) == 100

    last = client.get(LIST, {"page_size": 50, "page": 3}).json()
    assert len(last["results"]) == 5
    assert last["next"] is None


def test_a_page_beyond_the_last_is_a_json_404(client):
    OrganisationFactory.create_batch(3)

    response = client.get(LIST, {"page": 2})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("founded_min", "abc"),
        ("founded_max", "20000"),
        ("sort", "bogus"),
        ("type", "spaceship"),
        ("sector", "no-such-sector"),
        ("district", "not a district"),
        ("hq_leeds", "maybe"),
        ("page", "abc"),
        ("page", "0"),
        ("page_size", "-3"),
        ("modified_after", "last tuesday"),
        ("modified_after", "2025-13-45"),
        ("q", "x" * 500),
    ],
)
def test_a_malformed_value_is_a_400_naming_the_parameter(client, medtech, parameter, value):
    OrganisationFactory(sectors=[medtech])

    response = client.get(LIST, {parameter: value})

    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == parameter
    assert parameter in body["detail"]


def test_it_filters_searches_and_sorts_like_the_page(client, medtech, digital):
    old = OrganisationFactory(name="Alpha Devices", sectors=[medtech], founded_year=1990)
    new = OrganisationFactory(name="Beta Devices", sectors=[medtech], founded_year=2015)
    OrganisationFactory(name="Gamma Records", sectors=[digital], founded_year=2005)

    assert slugs(client.get(LIST, {"sector": "medtech", "sort": "-founded"})) == [new.slug, old.slug]
    assert slugs(client.get(LIST, {"founded_min": 2000, "founded_max": 2010})) == [
        Organisation.objects.get(name="Gamma Records").slug
    ]
    assert set(slugs(client.get(LIST, {"sector": ["medtech", "digital-health"]}))) == {
        old.slug,
        new.slug,
        Organisation.objects.get(name="Gamma Records").slug,
    }
    assert slugs(client.get(LIST, {"q": "Devices", "sort": "name"})) == [old.slug, new.slug]


def test_the_detail_shows_public_fields_and_only_public_contacts(client):
    organisation = OrganisationFactory(email="hello@example.org", phone="0113 000 0000")
    ContactFactory(
        organisation=organisation,
        name="Public Person",
        email="public@example.org",
        is_public=True,
        consent_recorded_on=datetime.date(2025, 1, 1),
    )
    ContactFactory(
        organisation=organisation,
        name="Private Person",
        email="private@example.org",
        internal_notes="Do not share this",
    )

    response = client.get(f"{LIST}{organisation.slug}/")

    assert response.status_code == 200
    body = response.json()
    assert body["contacts"] == [
        {"name": "Public Person", "job_title": "Director", "email": "public@example.org", "phone": ""}
    ]
    text = response.content.decode()
    assert "Private Person" not in text and "private@example.org" not in text
    assert "Do not share" not in text
    for internal in ("status", "is_demo", "internal_notes", "merged_into", "sector_names"):
        assert internal not in body
    assert body["email"] == "hello@example.org"


def test_an_unknown_or_unpublished_slug_is_a_json_404(client):
    draft = OrganisationFactory(status=Status.DRAFT)

    for slug in ("no-such-organisation", draft.slug):
        response = client.get(f"{LIST}{slug}/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert list(response.json()) == ["detail"]


def test_any_other_api_address_answers_json_404(client):
    response = client.get("/api/no-such-thing/at/all/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unpublished_parents_and_initiatives_are_left_out_of_an_organisation(client):
    draft_parent = OrganisationFactory(status=Status.DRAFT)
    child = OrganisationFactory(parent=draft_parent)
    MembershipFactory(organisation=child, initiative=InitiativeFactory(status=Status.DRAFT))
    shown = MembershipFactory(organisation=child, initiative=InitiativeFactory(name="Nexus"))

    body = client.get(f"{LIST}{child.slug}/").json()

    assert body["parent"] is None
    assert [m["initiative"]["slug"] for m in body["initiatives"]] == [shown.initiative.slug]


def test_initiatives_list_their_published_hosts_and_members(client):
    host = OrganisationFactory(name="University of Leeds")
    initiative = InitiativeFactory(name="Nexus")
    initiative.hosts.add(host, OrganisationFactory(status=Status.DRAFT))
    member = MembershipFactory(initiative=initiative, role="resident").organisation
    MembershipFactory(initiative=initiative, organisation=OrganisationFactory(status=Status.ARCHIVED))
    InitiativeFactory(status=Status.DRAFT)

    body = client.get("/api/initiatives/").json()

    assert body["count"] == 1
    (row,) = body["results"]
    assert [h["slug"] for h in row["hosts"]] == [host.slug]
    assert [(m["organisation"]["slug"], m["role"]) for m in row["members"]] == [(member.slug, "resident")]
    assert client.get(f"/api/initiatives/{initiative.slug}/").json()["slug"] == initiative.slug


def test_reference_lists_count_published_organisations(client, medtech):
    care = CareSettingFactory(name="Hospital", slug="hospital")
    mark = RegulatoryMarkFactory(name="UKCA class I", slug="ukca-class-i")
    organisation = OrganisationFactory(sectors=[medtech])
    organisation.care_settings.add(care)
    organisation.regulatory_marks.add(mark)
    OrganisationFactory(sectors=[medtech], status=Status.DRAFT)

    sectors = client.get("/api/sectors/").json()
    assert [(s["slug"], s["organisation_count"]) for s in sectors] == [("medtech", 1)]
    assert sectors[0]["organisations_url"].endswith("/api/organisations/?sector=medtech")
    assert client.get("/api/care-settings/").json()[0]["organisation_count"] == 1
    assert client.get("/api/regulatory-marks/").json()[0]["slug"] == "ukca-class-i"
    assert client.get("/api/sectors/medtech/").json()["name"] == "Medtech"


def test_key_figures_come_with_their_sources(client):
    KeyFigureFactory(label="health tech companies", value="250+", source_name="Savills", slug="companies")

    (figure,) = client.get("/api/key-figures/").json()

    assert figure["value"] == "250+"
    assert figure["source_name"] == "Savills"
    assert figure["source_url"] == "https://example.org/source"


def test_modified_after_lists_updates_and_removals_since_then(client):
    unchanged = OrganisationFactory(name="Unchanged")
    to_archive = OrganisationFactory(name="To Archive")
    to_delete = OrganisationFactory(name="To Delete")
    archived_before = OrganisationFactory(name="Archived Before")
    archived_before.status = Status.ARCHIVED
    archived_before.save()
    since = timezone.now()

    updated = OrganisationFactory(name="Added Later")
    to_archive.status = Status.ARCHIVED
    to_archive.save()
    deleted_slug = to_delete.slug
    to_delete.delete()
    OrganisationFactory(name="Still A Draft", status=Status.DRAFT)

    body = client.get(LIST, {"modified_after": since.isoformat()}).json()

    assert slugs_of(body) == [updated.slug]
    removed = {row["slug"] for row in body["removed"]}
    assert removed == {to_archive.slug, deleted_slug}
    assert all(set(row) == {"slug", "removed_at"} for row in body["removed"])
    assert unchanged.slug not in removed


def slugs_of(body):
    return [row["slug"] for row in body["results"]]


def test_modified_after_is_inclusive_and_takes_a_date(client):
    organisation = OrganisationFactory()
    exact = organisation.updated_at

    assert slugs(client.get(LIST, {"modified_after": exact.isoformat()})) == [organisation.slug]
    today = timezone.localdate(exact).isoformat()
    assert slugs(client.get(LIST, {"modified_after": today})) == [organisation.slug]
    tomorrow = (timezone.localdate(exact) + datetime.timedelta(days=1)).isoformat()
    assert slugs(client.get(LIST, {"modified_after": tomorrow})) == []


def test_an_unencoded_plus_in_the_offset_still_parses(client):
    organisation = OrganisationFactory()

    response = client.get(f"{LIST}?modified_after=2000-01-01T00:00:00+01:00")

    assert response.status_code == 200
    assert slugs(response) == [organisation.slug]


def test_the_api_is_read_only(client):
    organisation = OrganisationFactory()

    assert client.post(LIST, {"name": "New"}).status_code == 405
    assert client.put(f"{LIST}{organisation.slug}/", {}).status_code == 405
    assert client.delete(f"{LIST}{organisation.slug}/").status_code == 405
    assert client.head(LIST).status_code == 200
    assert client.options(LIST).status_code == 200


def test_reads_are_not_throttled(client):
    OrganisationFactory()

    statuses = {client.get(LIST).status_code for _ in range(60)}

    assert statuses == {200}


def test_the_list_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries, medtech):
    initiative = InitiativeFactory()
    for organisation in OrganisationFactory.create_batch(30, sectors=[medtech]):
        MembershipFactory(organisation=organisation, initiative=initiative)
        organisation.care_settings.add(CareSettingFactory(slug="hospital", name="Hospital"))

    with django_assert_max_num_queries(16):
        response = client.get(LIST, {"sector": "medtech", "page_size": 30})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 30


def test_the_detail_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries, medtech):
    organisation = OrganisationFactory(sectors=[medtech])
    for _ in range(5):
        MembershipFactory(organisation=organisation)
        ContactFactory(
            organisation=organisation, is_public=True, consent_recorded_on=datetime.date(2025, 1, 1)
        )

    with django_assert_max_num_queries(8):
        assert client.get(f"{LIST}{organisation.slug}/").status_code == 200


def test_the_schema_describes_facets_removed_and_the_licence(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    paginated = schema["components"]["schemas"]["PaginatedOrganisationList"]
    assert {"facets", "removed", "count", "next", "previous", "results"} <= set(paginated["properties"])
    facet_item = paginated["properties"]["facets"]["additionalProperties"]["items"]
    assert set(facet_item["properties"]) == {"value", "label", "count"}
    parameters = {p["name"] for p in schema["paths"]["/api/organisations/"]["get"]["parameters"]}
    assert {
        "q",
        "sector",
        "initiative",
        "care_setting",
        "regulatory",
        "type",
        "size",
        "local_authority",
        "district",
        "hq_leeds",
        "founded_min",
        "founded_max",
        "sort",
        "page",
        "page_size",
        "modified_after",
    } <= parameters
    assert "Licence" in schema["info"]["description"]
    assert schema["info"]["license"]["name"]


def test_the_docs_load_their_assets_locally_and_run_no_inline_script(client):
    page = client.get("/api/docs/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert "<script>" not in html and "<style>" not in html
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
