"""Search on the pages: the initiatives and sectors that match, shown above the results; a search
that finds nothing is never a dead end; the header's search box and its type-ahead endpoint."""

import re

import pytest

from organisations.models import Synonym
from tests.factories import InitiativeFactory, MembershipFactory, OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db


def page(client, **params):
    response = client.get("/organisations/", params)
    assert response.status_code == 200
    return response.content.decode()


# --- Initiatives and sectors above the results ----------------------------------------------------


def test_matching_initiatives_and_sectors_show_above_the_results_with_a_line_and_a_link(client):
    incubator = InitiativeFactory(
        name="Health Innovation Leeds Incubator", slug="hil-incubator", summary="Support for start-ups."
    )
    SectorFactory(name="Digital health", slug="digital-health", description="Software for care.")
    OrganisationFactory(name="Incubated Ltd", summary="Grew up in an incubator.")

    html = page(client, q="incubator")

    group = html[html.index('class="search-groups"') :]
    assert group.index(f'href="/initiatives/{incubator.slug}/"') < html.index(
        '<ol class="results'
    ) - html.index('class="search-groups"')
    assert "Health Innovation Leeds Incubator</a>" in group
    assert "Support for start-ups." in group
    assert "Digital health" not in group


def test_a_sector_named_through_the_thesaurus_is_shown(client):
    Synonym.objects.create(term="EPR", equivalents="electronic health records")
    sector = SectorFactory(name="Electronic health records", slug="electronic-health-records")
    OrganisationFactory(name="Record Co", sectors=[sector])

    html = page(client, q="EPR")

    assert 'href="/sectors/electronic-health-records/">Electronic health records</a>' in html


def test_an_unpublished_initiative_is_never_shown(client):
    InitiativeFactory(name="Secret Incubator", status="draft")

    assert "Secret Incubator" not in page(client, q="incubator")


# --- No dead ends --------------------------------------------------------------------------------


def test_a_search_that_finds_nothing_offers_in_order_a_correction_some_words_topics_and_a_suggestion(
    client, monkeypatch
):
    monkeypatch.setattr("organisations.views.did_you_mean", lambda query: "imaging pathology")
    OrganisationFactory(name="Slide Co", summary="Pathology for hospitals.")
    InitiativeFactory(name="Northern Pathology Imaging Co-operative", summary="Digitises pathology slides.")

    html = page(client, q="imagign pathology")

    positions = [
        html.index("Did you mean"),
        html.index("Organisations that match some of the words"),
        html.index("Northern Pathology Imaging Co-operative"),
        html.index('class="empty__suggest"'),
    ]
    assert positions == sorted(positions)
    assert "A word may be misspelt." in html
    assert re.search(r'href="/organisations/\?q=imagign\+OR\+pathology">All organisations', html)
    assert "Slide Co" in html


def test_spelling_is_mentioned_only_with_a_correction(client, monkeypatch):
    monkeypatch.setattr("organisations.views.did_you_mean", lambda query: None)
    OrganisationFactory(name="Dementia Care Ltd", summary="Memory clinics.")

    html = page(client, q="dementia robots")

    assert "0 organisations" in html
    assert "misspelt" not in html.lower()
    assert "spelling" not in html.lower()
    assert "Dementia Care Ltd" in html  # it matches one of the two words
    assert 'class="empty__suggest"' in html


def test_what_matches_some_of_the_words_keeps_the_filters(client):
    sector = SectorFactory(name="Imaging", slug="imaging")
    OrganisationFactory(name="Scan Co", summary="Imaging for hospitals.", sectors=[sector])
    OrganisationFactory(name="Scan Elsewhere", summary="Imaging for hospitals.")

    html = page(client, q="imaging zzqx", sector="imaging")

    assert "Scan Co" in html
    assert "Scan Elsewhere" not in html


def test_an_empty_search_never_shows_an_empty_filter_column(client):
    OrganisationFactory(name="Scan Co")

    html = page(client, q="zzqx")

    assert 'class="directory__filters"' not in html
    assert 'class="empty__suggest"' in html


# --- The header search box -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/organisations/", "/initiatives/", "/about/"])
def test_every_page_has_a_plain_search_form_in_its_header(client, path):
    html = client.get(path).content.decode()
    header = html[html.index('<header class="site-header">') : html.index("</header>")]

    assert '<form class="site-search" role="search" method="get" action="/organisations/">' in header
    assert 'name="q"' in header
    assert 'data-typeahead="/search/suggestions.json"' in header
    assert '<label class="visually-hidden" for="site-search-q">' in header


def suggestions(client, q):
    response = client.get("/search/suggestions.json", {"q": q})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


def test_type_ahead_suggests_organisations_initiatives_and_sectors(client):
    organisation = OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust", town="Leeds")
    OrganisationFactory(name="Bradford Teaching Hospitals", town="Bradford")
    InitiativeFactory(name="Leeds Academic Health Partnership", slug="lahp", kind="network")
    SectorFactory(name="Healthcare services", slug="healthcare-services")

    found = suggestions(client, "leeds te")
    assert found == [
        {
            "kind": "organisation",
            "label": organisation.name,
            "detail": "Leeds",
            "url": organisation.get_absolute_url(),
        }
    ]
    kinds = {(r["kind"], r["label"]) for r in suggestions(client, "lee")}
    assert ("initiative", "Leeds Academic Health Partnership") in kinds
    assert ("sector", "Healthcare services") in {(r["kind"], r["label"]) for r in suggestions(client, "heal")}


def test_type_ahead_finds_a_word_inside_a_name(client):
    OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust")

    assert [r["label"] for r in suggestions(client, "teach")] == ["Leeds Teaching Hospitals NHS Trust"]


@pytest.mark.parametrize("q", ["le", "leeds te", "teach", "zzqx"])
def test_type_ahead_runs_a_handful_of_queries_whatever_is_typed(client, q, django_assert_max_num_queries):
    for n in range(30):
        OrganisationFactory(name=f"Leeds Teaching Unit {n}")
    # On PostgreSQL the request's statement timeout and the data version; the lexicon; names that
    # start with the text, the vocabulary's completions of the last word, names with a word that
    # starts with it.
    with django_assert_max_num_queries(6):
        suggestions(client, q)


def test_type_ahead_waits_for_two_characters_and_survives_anything(client):
    OrganisationFactory(name="Leeds Hospital")

    assert suggestions(client, "l") == []
    for q in ["\x00", "%", "'; DROP TABLE x; --", "x" * 5000, "le\u202e", "<script>"]:
        suggestions(client, q)


def test_type_ahead_never_suggests_what_is_not_published(client):
    OrganisationFactory(name="Leeds Draft", status="draft")
    InitiativeFactory(name="Leeds Hidden Hub", status="draft")
    member = OrganisationFactory(name="Leeds Public")
    MembershipFactory(organisation=member)

    assert [r["label"] for r in suggestions(client, "leeds")] == ["Leeds Public"]


def test_crawlers_are_kept_out_of_the_type_ahead(client):
    assert "Disallow: /search/" in client.get("/robots.txt").content.decode().splitlines()
