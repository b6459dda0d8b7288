"""The API and the public list page give the same organisations, in the same order, for the same query."""

import pytest

from organisations.models import Organisation
from tests.factories import InitiativeFactory, MembershipFactory, OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    medtech = SectorFactory(name="Medtech", slug="medtech")
    digital = SectorFactory(name="Digital health", slug="digital-health")
    nexus = InitiativeFactory(name="Nexus", slug="nexus")
    kinds = [Organisation.Type.COMPANY, Organisation.Type.NHS, Organisation.Type.UNIVERSITY]
    for n in range(45):
        organisation = OrganisationFactory(
            name=f"{['Alpha', 'Beta', 'Gamma'][n % 3]} Health {n:02d}",
            summary="Surgical devices for hospitals." if n % 2 else "Patient records software.",
            sectors=[medtech] if n % 2 else [digital],
            organisation_type=kinds[n % 3],
            founded_year=None if n % 7 == 0 else 1980 + n,
            employees_band=["micro", "small", "medium", "large"][n % 4],
            headquartered_in_leeds=n % 5 != 0,
        )
        if n % 4 == 0:
            MembershipFactory(organisation=organisation, initiative=nexus)
    OrganisationFactory(name="Alpha Draft", status="draft", sectors=[medtech])


COMBINATIONS = [
    {},
    {"sector": "medtech"},
    {"sector": ["medtech", "digital-health"], "sort": "-founded"},
    {"type": "nhs"},
    {"type": ["company", "university"], "size": "small"},
    {"founded_min": "1990", "founded_max": "2010"},
    {"founded_min": "2000", "sort": "founded"},
    {"q": "surgical"},
    {"q": "alpha", "sort": "name"},
    {"q": "records", "sector": "digital-health"},
    {"initiative": "nexus", "hq_leeds": "1"},
    {"sort": "recent"},
    {"sort": "-founded", "page": "2"},
    {"page": "3"},
]


@pytest.mark.parametrize("params", COMBINATIONS, ids=lambda params: repr(params))
def test_the_api_and_the_page_agree(client, directory, params):
    page = client.get("/organisations/", params)
    api = client.get("/api/organisations/", params)

    assert page.status_code == 200
    assert api.status_code == 200
    body = api.json()
    assert body["count"] == page.context["paginator"].count
    assert [row["slug"] for row in body["results"]] == [o.slug for o in page.context["organisations"]]
    assert body["count"] > 0
