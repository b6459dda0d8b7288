"""How results are shown on the directory and sector pages (ARCHITECTURE.md §5): cards or a table
(`view`), 20, 50 or 100 a page (`per_page`), sortable table columns, the filters in the order
visitors need them, the phone's "Filters (n)" panel and a link to share the results."""

import re

import pytest

from organisations.models import Organisation
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


@pytest.fixture
def medtech():
    sector = SectorFactory(name="Medtech", slug="medtech")
    for n in range(120):
        OrganisationFactory(name=f"Org {n:03}", sectors=[sector], founded_year=1950 + n % 70)
    return sector


@pytest.mark.parametrize(("per_page", "shown"), [("20", 20), ("50", 50), ("100", 100)])
def test_a_page_shows_20_50_or_100_results_and_page_links_keep_the_choice(client, medtech, per_page, shown):
    response = client.get(f"/organisations/?per_page={per_page}")
    assert len(response.context["organisations"]) == shown
    assert f'href="?per_page={per_page}&amp;page=2#results"' in text(response)
    assert f'<option value="{per_page}" selected>' in text(response)


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("view=grid", "View “grid” was ignored: results show as cards or as a table."),
        ("per_page=7", "Results per page “7” was ignored: a page shows 20, 50 or 100 results."),
        ("per_page=abc", "Results per page “abc” was ignored"),
        ("per_page=99999999999999999999", "Results per page “99999999999999999999” was ignored"),
        ("view=%3Cscript%3E", "View “&lt;script&gt;” was ignored"),
    ],
)
def test_a_bad_view_or_page_size_is_ignored_with_a_notice_never_an_error(client, medtech, query, notice):
    response = client.get(f"/organisations/?{query}")
    assert response.status_code == 200
    page = text(response)
    assert notice in page
    assert "<script>" not in page
    # The defaults apply, and the bad value is not carried into any link.
    assert len(response.context["organisations"]) == 20
    assert 'class="results results--grid"' in page
    assert query.split("=")[1] not in response.context["page_query"].urlencode()


def test_the_sector_page_ignores_a_bad_page_size_with_a_notice(client, medtech):
    response = client.get("/sectors/medtech/?per_page=1000&view=list")
    assert response.status_code == 200
    assert "Results per page “1000” was ignored" in text(response)
    assert "View “list” was ignored" in text(response)
    assert len(response.context["organisations"]) == 20


def test_the_table_view_shows_name_type_place_sectors_founded_date_added_and_website(client):
    OrganisationFactory(
        name="Acme Devices",
        organisation_type=Organisation.Type.UNIVERSITY,
        town="Horsforth",
        postcode="LS18 4AP",
        founded_year=1999,
        website="https://www.acme.example.org/about",
        sectors=[SectorFactory(name="Medtech", slug="medtech")],
    )
    page = text(client.get("/organisations/?view=table"))
    table = page[page.index('<table class="results-table">') : page.index("</table>")]
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table, re.S)
    assert [re.sub(r"<[^>]+>", "", header).strip() for header in headers] == [
        "Name",
        "Type",
        "Place",
        "Sectors",
        "Founded",
        "Added",
        "Website",
    ]
    assert '<a href="/organisations/acme-devices/">Acme Devices</a>' in table
    assert "<td>University</td>" in table and "Horsforth, LS18" in table and ">1999</td>" in table
    assert '<a href="/sectors/medtech/">Medtech</a>' in table
    assert ">acme.example.org</a>" in table
    # The table scrolls inside its own box on a phone, and a keyboard can reach it to scroll it.
    assert (
        '<div class="table-scroll" role="region" aria-labelledby="results-table-caption" tabindex="0">'
        in page
    )
    assert 'class="results results--grid"' not in page


def test_table_headers_sort_by_their_column_and_a_second_press_reverses_it(client, medtech):
    page = text(client.get("/organisations/?sector=medtech&view=table"))
    # Sorted by name by default, which the name header says; the others offer their sort.
    assert re.search(
        r'<th scope="col" aria-sort="ascending"><a href="\?sector=medtech&amp;view=table&amp;sort=name#results">Name',
        page,
    )
    assert 'href="?sector=medtech&amp;view=table&amp;sort=-founded#results">Founded' in page
    assert 'href="?sector=medtech&amp;view=table&amp;sort=recent#results">Added' in page

    response = client.get("/organisations/?sector=medtech&view=table&sort=-founded&page=3")
    page = text(response)
    founded = [o.founded_year for o in response.context["organisations"]]
    assert founded == sorted(founded, reverse=True)
    # Pressing Founded again sorts oldest first, from the first page.
    assert re.search(
        r'aria-sort="descending"><a href="\?sector=medtech&amp;sort=founded&amp;view=table#results">Founded',
        page,
    )
    assert 'aria-sort="ascending"' not in page


def test_the_view_and_page_size_are_kept_in_links_but_left_out_of_chips_and_the_csv(client, medtech):
    response = client.get("/organisations/?sector=medtech&view=table&per_page=50&sort=-founded")
    page = text(response)
    assert [chip["label"] for chip in response.context["chips"]] == ["Sector: Medtech"]
    # Removing the filter keeps how the results are shown.
    assert 'href="/organisations/?sort=-founded&amp;view=table&amp;per_page=50"' in page
    assert (
        'href="?sector=medtech&amp;sort=-founded&amp;view=table&amp;per_page=50&amp;page=2#results"' in page
    )
    # The export is the same list whatever the page shows.
    assert 'href="/organisations/export.csv?sector=medtech&amp;sort=-founded"' in page
    # The cards/table switch keeps everything else and starts again at the first page.
    assert 'href="/organisations/?sector=medtech&amp;sort=-founded&amp;per_page=50#results">' in page
    # The form carries the view along when a filter changes.
    assert '<input type="hidden" name="view" value="table">' in page


def test_sector_pages_offer_the_same_cards_table_page_size_and_sort(client, medtech):
    response = client.get("/sectors/medtech/?view=table&per_page=50&sort=-founded")
    page = text(response)
    assert len(response.context["organisations"]) == 50
    assert '<table class="results-table">' in page
    founded = [o.founded_year for o in response.context["organisations"]]
    assert founded == sorted(founded, reverse=True)
    assert 'href="?sort=-founded&amp;view=table&amp;per_page=50&amp;page=2#results"' in page
    assert '<option value="-founded" selected>' in page
    assert 'value="relevance"' not in page
    assert 'href="/organisations/export.csv?sector=medtech"' in page

    cards = text(client.get("/sectors/medtech/"))
    assert 'class="results results--grid"' in cards and "Org 000" in cards


def test_cards_show_name_type_place_summary_sectors_and_website_host(client):
    OrganisationFactory(
        name="Acme Devices",
        organisation_type=Organisation.Type.CHARITY,
        summary="Makes devices.",
        town="Otley",
        postcode="LS21 1AB",
        website="https://www.acme.example.org/",
        sectors=[SectorFactory(name="Medtech", slug="medtech")],
    )
    page = text(client.get("/organisations/"))
    card = page[page.index('<article class="card">') : page.index("</article>")]
    assert '<li class="card__type">Charity</li>' in card
    assert "Otley, LS21" in card
    assert '<p class="card__summary">Makes devices.</p>' in card
    assert '<a class="tag" href="/sectors/medtech/">Medtech</a>' in card
    assert (
        'href="https://www.acme.example.org/" rel="noopener noreferrer external">acme.example.org</a>' in card
    )


def test_the_filters_come_in_the_order_visitors_need_them(client):
    sector = SectorFactory(name="Medtech", slug="medtech")
    mark = RegulatoryMarkFactory(name="UKCA class I", slug="ukca-class-i")
    organisation = OrganisationFactory(
        sectors=[sector], employees_band="small", postcode="LS1 4AP", founded_year=2001
    )
    organisation.regulatory_marks.set([mark])
    organisation.care_settings.create(name="Hospital", slug="hospital")
    MembershipFactory(organisation=organisation, initiative=InitiativeFactory(name="Nexus"))
    page = text(client.get("/organisations/"))
    order = re.findall(r'data-facet="([a-z_]+)"', page)
    assert order == [
        "type",
        "sector",
        "initiative",
        "local_authority",
        "district",
        "hq_leeds",
        "size",
        "founded",
        "care_setting",
        "regulatory",
    ]
    # The first two start open; the rest open on a press, or when a choice in them is made.
    assert re.findall(r'<details class="facet" data-facet="([a-z_]+)" open>', page) == ["type", "sector"]
    page = text(client.get("/organisations/?regulatory=ukca-class-i"))
    assert re.findall(r'<details class="facet" data-facet="([a-z_]+)" open>', page) == [
        "type",
        "sector",
        "regulatory",
    ]
    assert 'Regulatory mark <span class="facet__selected">(1 selected)</span>' in page


def test_the_phone_filter_button_counts_active_filters_and_shows_the_result_count(client, medtech):
    page = text(client.get("/organisations/?sector=medtech&type=company"))
    assert re.search(
        r'<summary class="filters-panel__toggle"><span id="filters-heading">Filters</span> '
        r'<span class="filters-panel__count">\(2<span class="visually-hidden"> active</span>\)</span></summary>',
        page,
    )
    # The panel's footer applies the filters and lands on the results.
    assert re.search(
        r'<button class="button filters__apply" type="submit" formaction="/organisations/#results" '
        r"data-show-results>Show 120 results</button>",
        page,
    )
    assert 'id="results"' in page and 'data-result-count="120"' in page


def test_the_list_offers_a_link_to_these_results_with_a_copy_button_for_scripts(client, medtech):
    page = text(client.get("/organisations/?sector=medtech&per_page=50&page=2&view=grid"))
    share = page[page.index('<div class="share">') :]
    link = "http://testserver/organisations/?sector=medtech&amp;per_page=50"
    # The page number is not part of "these results", and nor is a value that was ignored.
    assert f'<a class="share__url" href="{link}">{link}</a>' in share
    assert f'data-copy-url="{link}" hidden>Copy link to these results</button>' in share


def test_no_facet_says_no_matches(client):
    OrganisationFactory(sectors=[SectorFactory(name="Medtech", slug="medtech")])
    page = text(client.get("/organisations/"))
    assert "No matches" not in page
    assert 'data-facet="initiative"' not in page and 'data-facet="regulatory"' not in page


def test_the_api_and_the_csv_export_ignore_the_view_and_page_size(client, medtech):
    api = client.get("/api/organisations/?view=table&per_page=100&sector=medtech")
    assert api.status_code == 200 and api.json()["count"] == 120
    assert len(api.json()["results"]) != 100
    export = client.get("/organisations/export.csv?view=table&per_page=7&sector=medtech")
    assert export.status_code == 200
    assert len(b"".join(export.streaming_content).decode("utf-8-sig").strip().splitlines()) == 121
