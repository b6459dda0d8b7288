"""Merged and closed organisations: findable with a clear banner, but out of counts and the default list."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict

from initiatives.models import Initiative
from organisations.filters import OrganisationFilter
from organisations.models import Lifecycle, Organisation, Status
from tests.factories import InitiativeFactory, MembershipFactory, OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def listed_slugs(query=""):
    return set(OrganisationFilter(QueryDict(query)).qs.values_list("slug", flat=True))


@pytest.fixture
def nhs():
    medtech = SectorFactory(name="Digital health", slug="digital-health")
    england = OrganisationFactory(name="NHS England", sectors=[medtech])
    digital = OrganisationFactory(
        name="NHS Digital",
        summary="National NHS data body.",
        lifecycle=Lifecycle.MERGED,
        merged_into=england,
        sectors=[medtech],
    )
    closed = OrganisationFactory(
        name="Gone Labs", lifecycle=Lifecycle.CLOSED, ended_year=2019, sectors=[medtech]
    )
    return england, digital, closed


def test_the_default_list_leaves_former_organisations_out(nhs):
    assert listed_slugs() == {"nhs-england"}
    assert listed_slugs("sector=digital-health") == {"nhs-england"}


def test_the_former_filter_shows_them(nhs):
    assert listed_slugs("former=1") == {"nhs-england", "nhs-digital", "gone-labs"}
    assert listed_slugs("former=1&sector=digital-health") == {"nhs-england", "nhs-digital", "gone-labs"}


def test_a_search_finds_them(nhs):
    assert "nhs-digital" in listed_slugs("q=NHS Digital")


def test_the_list_page_labels_a_former_organisation_on_its_card(client, nhs):
    page = text(client.get("/organisations/", {"former": "1"}))
    card = page[page.index(">NHS Digital</a>") : page.index("</article>", page.index(">NHS Digital</a>"))]
    assert '<li class="card__former">Merged into NHS England</li>' in card
    assert "Closed in 2019" in page
    assert "Including merged and closed organisations" in page


def test_the_api_follows_the_same_rule(client, nhs):
    default = {row["slug"] for row in client.get("/api/organisations/").json()["results"]}
    with_former = {
        row["slug"] for row in client.get("/api/organisations/", {"former": "1"}).json()["results"]
    }
    assert default == {"nhs-england"}
    assert with_former == {"nhs-england", "nhs-digital", "gone-labs"}
    assert client.get("/api/organisations/", {"former": "yes"}).status_code == 400


def test_the_api_describes_a_merged_organisation(client, nhs):
    body = client.get("/api/organisations/nhs-digital/").json()
    assert body["lifecycle"] == "merged"
    assert body["successor"]["slug"] == "nhs-england"
    assert body["ended_year"] is None


def test_the_profile_stays_with_a_banner_linking_the_successor(client, nhs):
    response = client.get("/organisations/nhs-digital/")
    assert response.status_code == 200
    page = text(response)
    banner = page[page.index("notice--former") : page.index("</div>", page.index("notice--former"))]
    assert '<strong>Merged into <a href="/organisations/nhs-england/">NHS England</a>.</strong>' in banner
    # No year is invented where none is recorded.
    assert " in 20" not in banner


def test_the_banner_names_an_unlisted_successor_and_a_recorded_year(client):
    OrganisationFactory(
        name="Old Trust", lifecycle=Lifecycle.MERGED, successor_text="New Trust", ended_year=2021
    )
    page = text(client.get("/organisations/old-trust/"))
    assert "<strong>Merged into New Trust in 2021.</strong>" in page


def test_json_ld_carries_the_dissolution_date_only_where_known(client, nhs):
    def json_ld(slug):
        page = text(client.get(f"/organisations/{slug}/"))
        return re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)

    assert '"dissolutionDate": "2019"' in json_ld("gone-labs")
    assert "dissolutionDate" not in json_ld("nhs-digital")
    assert "dissolutionDate" not in json_ld("nhs-england")


def test_an_archived_duplicate_still_redirects_to_the_entry_that_replaced_it(client):
    kept = OrganisationFactory(name="Pharmacy2U")
    OrganisationFactory(name="Pharmacy 2U", status=Status.ARCHIVED, merged_into=kept)
    response = client.get("/organisations/pharmacy-2u/")
    assert response.status_code == 301
    assert response["Location"] == "/organisations/pharmacy2u/"


def test_counts_and_statistics_leave_them_out(client, nhs):
    home = text(client.get("/"))
    assert '<span class="headline-counts__value">1</span> organisation</a>' in home
    stats = client.get("/stats/").context
    assert stats["totals"]["organisations"] == 1
    sector_chart = next(chart for chart in stats["charts"] if chart["key"] == "sector")
    assert [(row["label"], row["count"]) for row in sector_chart["rows"]] == [("Digital health", 1)]
    sector_page = text(client.get("/sectors/digital-health/"))
    assert "NHS England" in sector_page and "NHS Digital" not in sector_page


def test_initiatives_count_only_current_members(client, nhs):
    england, digital, _closed = nhs
    initiative = InitiativeFactory(name="Data Network")
    MembershipFactory(organisation=england, initiative=initiative)
    MembershipFactory(organisation=digital, initiative=initiative)
    assert Initiative.objects.with_member_count().get(pk=initiative.pk).member_count == 1
    page = text(client.get("/initiatives/data-network/"))
    assert "NHS England" in page and "NHS Digital" not in page


def test_a_former_organisation_is_published_and_in_the_sitemap(client, nhs):
    sitemap = text(client.get("/sitemap-organisations.xml"))
    assert "/organisations/nhs-digital/" in sitemap


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"successor_text": "Somebody"}, "successor_text", "Only a merged organisation has a successor"),
        ({"ended_year": 2020}, "ended_year", "A current organisation has not ended"),
        (
            {"lifecycle": Lifecycle.CLOSED, "ended_year": 1999, "founded_year": 2005},
            "ended_year",
            "before the year it was founded",
        ),
        (
            {"lifecycle": Lifecycle.MERGED, "successor_text": "Somebody", "merged_into": "target"},
            "successor_text",
            "leave this empty",
        ),
        ({"lifecycle": Lifecycle.CLOSED, "merged_into": "target"}, "merged_into", "did not merge"),
        ({"merged_into": "target"}, "lifecycle", "set the lifecycle to merged"),
    ],
)
def test_inconsistent_lifecycles_get_a_clear_message(fields, field, message):
    target = OrganisationFactory(name="Target")
    values = {key: target if value == "target" else value for key, value in fields.items()}
    organisation = OrganisationFactory.build(name="Checked", **values)
    with pytest.raises(ValidationError) as error:
        organisation.full_clean()
    assert message in " ".join(error.value.message_dict[field])


def test_the_database_refuses_a_successor_or_an_end_for_a_current_organisation():
    organisation = OrganisationFactory(name="Current One")
    for field, value in (("successor_text", "Other"), ("ended_year", 2020)):
        setattr(organisation, field, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            Organisation.objects.filter(pk=organisation.pk).update(**{field: value})
        setattr(organisation, field, "" if field == "successor_text" else None)
