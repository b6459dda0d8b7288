"""Pages run a fixed number of SQL queries, whatever the data, the page size or the filters."""

import datetime

import pytest

from initiatives.models import Membership
from organisations import views
from organisations.models import Organisation
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

LIST_MAX_QUERIES = 15
PROFILE_MAX_QUERIES = 10


@pytest.fixture
def many():
    """60 organisations, each in several sectors, care settings, marks and initiatives."""
    sectors = [SectorFactory(name=f"Sector {n}", slug=f"sector-{n}") for n in range(15)]
    settings = [CareSettingFactory(name=f"Setting {n}", slug=f"setting-{n}") for n in range(6)]
    marks = [RegulatoryMarkFactory(name=f"Mark {n}", slug=f"mark-{n}") for n in range(10)]
    initiatives = [InitiativeFactory(name=f"Initiative {n}") for n in range(8)]
    parent = OrganisationFactory(name="Parent Body")
    organisations = []
    for n in range(60):
        organisation = OrganisationFactory(
            name=f"Acme {n}",
            parent=parent,
            postcode=f"LS{n % 12 + 1} 4AP",
            founded_year=1950 + n,
            employees_band=["micro", "small", "medium", "large"][n % 4],
            sectors=sectors[n % 5 : n % 5 + 4],
        )
        organisation.care_settings.set(settings[n % 3 : n % 3 + 3])
        organisation.regulatory_marks.set(marks[n % 4 : n % 4 + 3])
        for initiative in initiatives[n % 4 : n % 4 + 3]:
            MembershipFactory(organisation=organisation, initiative=initiative, role=Membership.Role.RESIDENT)
        for c in range(3):
            ContactFactory(
                organisation=organisation,
                is_public=c != 0,
                consent_recorded_on=datetime.date(2025, 1, 1) if c else None,
            )
        organisations.append(organisation)
    for n in range(12):
        KeyFigureFactory(initiative=initiatives[n % 8])
    return organisations


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=2",
        "page=999",
        "q=acme",
        "q=acme&sort=-founded&page=2",
        "sector=sector-1&sector=sector-2&initiative=initiative-1&care_setting=setting-1"
        "&regulatory=mark-1&type=company&size=small&size=large&local_authority=leeds"
        "&district=LS1&district=LS2&hq_leeds=1&founded_min=1950&founded_max=2020&sort=recent",
        "q=nothing-matches-this-at-all",
        "sector=nope&page=-3&founded_min=abc",
    ],
)
def test_the_list_page_runs_a_fixed_number_of_queries(client, many, query, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(f"/organisations/?{query}")
    assert response.status_code == 200


def test_the_list_page_query_count_does_not_grow_with_the_page_size(
    client, many, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(views.OrganisationListView, "paginate_by", 100)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get("/organisations/")
    assert len(response.context["organisations"]) == 61


def test_a_profile_runs_a_fixed_number_of_queries(client, many, django_assert_max_num_queries):
    parent = Organisation.objects.get(name="Parent Body")
    for organisation in [many[0], parent]:
        with django_assert_max_num_queries(PROFILE_MAX_QUERIES):
            response = client.get(organisation.get_absolute_url())
        assert response.status_code == 200


def test_a_sector_page_runs_a_fixed_number_of_queries(client, many, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        assert client.get("/sectors/sector-3/").status_code == 200


def test_the_home_and_initiative_pages_run_a_fixed_number_of_queries(
    client, many, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get("/initiatives/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/initiatives/initiative-1/").status_code == 200
