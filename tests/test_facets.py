import pytest
from django.db import connection
from django.http import QueryDict

from organisations.facets import FACETS, _facet_counts, _per_facet_counts, facet_counts, split_top
from organisations.filters import OrganisationFilter
from organisations.models import Organisation, Status
from tests.factories import (
    CareSettingFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def facets_for(query):
    return facet_counts(OrganisationFilter(QueryDict(query)))


def by_value(options):
    return {option["value"]: option for option in options}


@pytest.fixture
def directory():
    medtech = SectorFactory(name="Medtech", slug="medtech")
    genomics = SectorFactory(name="Genomics", slug="genomics")
    SectorFactory(name="Imaging", slug="imaging")
    nexus = InitiativeFactory(name="Nexus", slug="nexus")
    a = OrganisationFactory(name="A", sectors=[medtech], postcode="LS1 4AP")
    OrganisationFactory(name="B", sectors=[medtech, genomics], organisation_type=Organisation.Type.NHS)
    c = OrganisationFactory(name="C", sectors=[genomics], postcode="LS2 9JT", employees_band="small")
    OrganisationFactory(name="Draft", sectors=[medtech], status=Status.DRAFT, postcode="LS6 1PF")
    MembershipFactory(organisation=a, initiative=nexus)
    MembershipFactory(organisation=c, initiative=nexus)


def test_every_facet_is_returned_in_the_contract_shape(directory):
    facets = facets_for("")
    assert list(facets) == list(FACETS)
    for options in facets.values():
        for option in options:
            assert set(option) == {"value", "label", "count", "selected"}


def test_counts_without_filters_cover_published_organisations_only(directory):
    facets = facets_for("")
    sectors = by_value(facets["sector"])
    assert sectors["medtech"]["count"] == 2
    assert sectors["genomics"]["count"] == 2
    assert by_value(facets["initiative"])["nexus"]["count"] == 2
    assert by_value(facets["type"])["company"]["count"] == 2
    assert by_value(facets["type"])["nhs"]["count"] == 1
    assert "LS6" not in by_value(facets["district"])


def test_a_facet_counts_with_every_other_filter_but_not_its_own(directory):
    facets = facets_for("sector=medtech&type=company")
    sectors = by_value(facets["sector"])
    # Sector counts apply type=company but not sector=medtech.
    assert sectors["medtech"]["count"] == 1
    assert sectors["genomics"]["count"] == 1
    assert sectors["medtech"]["selected"] is True
    # Type counts apply sector=medtech but not type=company.
    types = by_value(facets["type"])
    assert types["company"]["count"] == 1
    assert types["nhs"]["count"] == 1
    assert types["company"]["selected"] is True
    assert by_value(facets["initiative"])["nexus"]["count"] == 1


def test_options_with_no_results_are_kept_with_a_zero_count(directory):
    facets = facets_for("")
    assert by_value(facets["sector"])["imaging"]["count"] == 0
    assert by_value(facets["type"])["charity"]["count"] == 0
    district = by_value(facets_for("type=nhs")["district"])
    assert district["LS1"]["count"] == 0


def test_a_selected_district_is_listed_even_without_organisations(directory):
    district = by_value(facets_for("district=ls99")["district"])
    assert district["LS99"] == {"value": "LS99", "label": "LS99", "count": 0, "selected": True}


def test_reference_options_are_ordered_by_count(directory):
    values = [o["value"] for o in facets_for("type=company")["sector"]]
    assert values == ["genomics", "medtech", "imaging"]


def test_a_search_narrows_the_counts(directory):
    OrganisationFactory(name="Zebrafish Genomics", sectors=[SectorFactory(slug="genomics")])
    sectors = by_value(facets_for("q=zebrafish")["sector"])
    assert sectors["genomics"]["count"] == 1
    assert sectors["medtech"]["count"] == 0


def test_the_query_count_does_not_grow_with_options(directory, django_assert_max_num_queries):
    for n in range(30):
        SectorFactory(name=f"Extra sector {n}", slug=f"extra-{n}")
    filterset = OrganisationFilter(QueryDict("sector=medtech&type=company&district=LS1&q=a"))
    list(filterset.qs)
    # On PostgreSQL, two of them set the planner's settings for the search and put them back
    # (organisations/search/postgresql.py, fetch_through_index).
    with django_assert_max_num_queries(11 if connection.vendor == "postgresql" else 9):
        facet_counts(filterset)


def test_large_facets_show_the_top_ten_and_keep_selected_options_visible():
    options = [{"value": str(n), "label": str(n), "count": 20 - n, "selected": n == 15} for n in range(20)]
    shown, more = split_top(options)
    assert [o["value"] for o in shown] == [str(n) for n in range(10)] + ["15"]
    assert len(more) == 9
    assert split_top(options[:11]) == (options[:11], [])


# --- PostgreSQL: one shared statement for the facets whose own filter is not in use --------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the shared facet statement runs on PostgreSQL"
)

COMBINATIONS = [
    "",
    "q=health",
    "q=health&sector=medtech",
    "q=health&type=company&district=LS1",
    "q=care&type=company&type=charity&size=small",
    "initiative=nexus",
    "q=care&initiative=nexus&local_authority=leeds",
    "sector=medtech&sector=genomics&care_setting=home&regulatory=ce-mark",
    "sector=retired",
    "district=LS99",
    "district=LS11&hq_leeds=1&founded_min=2000",
    "q=zzzqqxx",
    "q=the+and+of",
    "q=-health",
    'q="health care"',
    "q=health+or+robotics",
    "q=heal",
    "q=robotics&sort=name",
    "type=company&size=micro&local_authority=leeds&district=LS1&sector=medtech&initiative=nexus"
    "&care_setting=home&regulatory=ce-mark",
]


@pytest.fixture
def varied_directory():
    """Forty organisations spread over every facet, some of them not published."""
    sectors = [
        SectorFactory(name="Medtech", slug="medtech"),
        SectorFactory(name="Genomics", slug="genomics"),
        SectorFactory(name="Robotics", slug="robotics"),
        SectorFactory(name="Retired", slug="retired", is_active=False),
    ]
    settings = [
        CareSettingFactory(name="Home", slug="home"),
        CareSettingFactory(name="Hospital", slug="hospital"),
    ]
    marks = [
        RegulatoryMarkFactory(name="CE mark", slug="ce-mark"),
        RegulatoryMarkFactory(name="DTAC", slug="dtac"),
    ]
    initiatives = [
        InitiativeFactory(name="Nexus", slug="nexus"),
        InitiativeFactory(name="Accelerator", slug="acc"),
    ]
    InitiativeFactory(name="Draft hub", slug="draft-hub", status=Status.DRAFT)
    words = ["Health", "Care", "Health Care", "Robotics", "Bio"]
    postcodes = ["LS1 4AP", "LS2 9JT", "LS11 5DR", "BD1 1HY", ""]
    types = [Organisation.Type.COMPANY, Organisation.Type.CHARITY, Organisation.Type.NHS]
    for n in range(40):
        organisation = OrganisationFactory(
            name=f"{words[n % 5]} Organisation {n}",
            organisation_type=types[n % 3],
            employees_band=["micro", "small", "", "large"][n % 4],
            local_authority=["leeds", "bradford", ""][n % 3],
            postcode=postcodes[n % 7 % 5],
            headquartered_in_leeds=n % 2 == 0,
            founded_year=1990 + n,
            status=Status.PUBLISHED if n % 9 else Status.DRAFT,
            sectors=[sectors[n % 4]] + ([sectors[(n + 1) % 4]] if n % 3 == 0 else []),
        )
        organisation.care_settings.set(settings[: n % 3])
        organisation.regulatory_marks.set(marks[n % 2 : n % 2 + 1] if n % 5 else [])
        for initiative in initiatives[: n % 3]:
            MembershipFactory(organisation=organisation, initiative=initiative)


@on_postgresql
@pytest.mark.parametrize("query", COMBINATIONS)
def test_it_counts_every_facet_as_the_per_facet_queries_do(varied_directory, query):
    shared = _facet_counts(OrganisationFilter(QueryDict(query)))
    per_facet = _per_facet_counts(OrganisationFilter(QueryDict(query)))
    assert shared == per_facet


@on_postgresql
def test_it_compares_counts_that_are_not_all_zero(varied_directory):
    counts = _facet_counts(OrganisationFilter(QueryDict("q=health")))
    assert by_value(counts["sector"])["medtech"]["count"] > 0
    assert by_value(counts["initiative"])["nexus"]["count"] > 0
    assert by_value(counts["district"])["LS1"]["count"] > 0
    assert by_value(counts["type"])["charity"]["count"] > 0


@on_postgresql
def test_it_counts_the_facets_without_a_filter_of_their_own_in_one_statement(
    varied_directory, django_assert_num_queries
):
    filterset = OrganisationFilter(QueryDict("q=health&hq_leeds=1"))
    filterset.reference_options  # noqa: B018 — the options' one query, shared with the page
    filterset.search_plan  # noqa: B018 — the query, read once for the page
    with django_assert_num_queries(1):
        _facet_counts(filterset)


@on_postgresql
def test_it_counts_each_facet_with_a_filter_of_its_own_in_its_own_query(
    varied_directory, django_assert_num_queries
):
    filterset = OrganisationFilter(QueryDict("q=health&type=company&sector=medtech"))
    filterset.reference_options  # noqa: B018
    filterset.search_plan  # noqa: B018
    # The shared statement for six facets, then one query each for type and sector.
    with django_assert_num_queries(3):
        _facet_counts(filterset)
