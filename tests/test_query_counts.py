"""Pages run a fixed number of SQL queries, whatever the data, the page size or the filters."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from initiatives.models import Membership
from organisations import facet_index
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

# The views themselves are measured: the page cache would answer a repeated page without them.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_page_cache")]


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


# A page of organisation cards, whatever its size.
CARDS = ["the page of organisations", "their sectors", "their memberships of published initiatives"]
REFERENCE_OPTIONS = "the options of the four reference facets, in one union"
LEXICON = "the thesaurus, initiatives' names and sectors a query is read against, in one union"
VOCABULARY = "whether the query's words are known, and the closest known words (PostgreSQL)"
DATA_VERSION = "the data version, read once per request"
# The in-process facet index (organisations/facet_index.py), built by the first request of a data
# version: these tests start with none.
FACET_INDEX = [
    "the published organisations' filter columns, in name order",
    "the organisations of each sector, grouped",
    "the organisations of each care setting, grouped",
    "the organisations of each regulatory mark, grouped",
    "the members of each initiative, grouped",
]
SEARCH_IDS = "the ids of every match, best first (the index applies the filters)"
# On PostgreSQL the search reads the narrow table of published rows through its GIN index and
# hashes its ranks: it turns sequential scans and sorts off for that one statement, then puts the
# settings back (organisations/search/postgresql.py, SEARCH_SETTINGS).
SEARCH = {
    "sqlite": [SEARCH_IDS],
    "postgresql": ["the planner's settings for the search", SEARCH_IDS, "the settings as they were"],
}
# The results' count, the facets and the page's ids come from the index; then the page is read.
LIST_QUERIES = [DATA_VERSION, *FACET_INDEX, REFERENCE_OPTIONS, *CARDS]
# With a reference filter in use its options are read first, to check the values asked for.
# Nothing matches: no page to read.
ALL_FILTERS_QUERIES = [REFERENCE_OPTIONS, DATA_VERSION, *FACET_INDEX]
# Nothing matches: no cards; "Did you mean" reads the vocabulary.
NO_MATCH_QUERIES = {
    "sqlite": [
        DATA_VERSION,
        LEXICON,
        *FACET_INDEX,
        *SEARCH["sqlite"],
        REFERENCE_OPTIONS,
        "the vocabulary: every published name, alternative name, sector and summary",
    ],
    "postgresql": [
        DATA_VERSION,
        LEXICON,
        *FACET_INDEX,
        *SEARCH["postgresql"],
        REFERENCE_OPTIONS,
        "the closest vocabulary words to the unknown ones",
    ],
}
PROFILE_QUERIES = [
    "the organisation, with its parent and successor (without their search columns)",
    "its sectors, care settings and regulatory marks, in one union",
    "its published children",
    "its public contacts",
    "the published initiatives it runs or hosts",
    "its memberships of the other published initiatives",
]
# The API counts and reads its page in SQL (kept under the data version); its facets come from
# the index.
API_LIST_QUERIES = [
    DATA_VERSION,
    "the number of results",
    "the page of organisations, with their parents",
    "their sectors",
    "their care settings",
    "their regulatory marks",
    "their memberships of published initiatives",
    *FACET_INDEX,
    REFERENCE_OPTIONS,
]
API_DETAIL_QUERIES = [
    "the organisation, with its parent",
    "its sectors",
    "its care settings",
    "its regulatory marks",
    "its memberships of published initiatives",
    "its public contacts",
]


STATEMENT_TIMEOUT = "the statement timeout of a public read (PostgreSQL), set first in every request"


def assert_queries(captured, expected):
    """Exactly the queries named in `expected`, one line each; on a mismatch, show what ran."""
    if connection.vendor == "postgresql":
        expected = [STATEMENT_TIMEOUT, *expected]
    ran = [query["sql"][:200] for query in captured.captured_queries]
    assert len(ran) == len(expected), "\n".join(ran)


def get_counting(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, captured


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=2",
        "page=999",
        "q=acme",
        "q=acme&sort=-founded&page=2",
        "sector=nope&page=-3&founded_min=abc",
    ],
)
def test_the_list_page_runs_the_same_queries_for_any_page_search_or_ignored_filter(client, many, query):
    _response, captured = get_counting(client, f"/organisations/?{query}")
    expected = LIST_QUERIES
    if "q=" in query:
        # A query is read once, then searched once, before the results and facets are counted.
        read = [LEXICON, VOCABULARY] if connection.vendor == "postgresql" else [LEXICON]
        search = SEARCH[connection.vendor]
        expected = [DATA_VERSION, *read, *FACET_INDEX, *search, *expected[len(FACET_INDEX) + 1 :]]
    if "sector=nope" in query:
        # The options are read first, to check the sector asked for, and then serve the facets.
        expected = [REFERENCE_OPTIONS, *(name for name in expected if name != REFERENCE_OPTIONS)]
    assert_queries(captured, expected)


def test_the_list_page_with_every_filter_counts_each_facet_on_its_own(client, many):
    query = (
        "sector=sector-1&sector=sector-2&initiative=initiative-1&care_setting=setting-1"
        "&regulatory=mark-1&type=company&size=small&size=large&local_authority=leeds"
        "&district=LS1&district=LS2&hq_leeds=1&founded_min=1950&founded_max=2020&sort=recent"
    )
    response, captured = get_counting(client, f"/organisations/?{query}")
    assert response.context["paginator"].count == 0
    assert_queries(captured, ALL_FILTERS_QUERIES)


def test_a_search_that_matches_nothing_reads_the_vocabulary_once(client, many):
    _response, captured = get_counting(client, "/organisations/?q=nothing-matches-this-at-all")
    assert_queries(captured, NO_MATCH_QUERIES[connection.vendor])


@pytest.mark.parametrize("query", ["per_page=100", "per_page=50&view=table", "per_page=20&view=cards"])
def test_the_list_page_query_count_does_not_grow_with_the_page_size_or_the_view(client, many, query):
    response, captured = get_counting(client, f"/organisations/?{query}")
    assert len(response.context["organisations"]) == min(61, int(query.split("&")[0].split("=")[1]))
    assert_queries(captured, LIST_QUERIES)


def test_a_profile_runs_the_same_queries_for_any_organisation(client, many):
    parent = Organisation.objects.get(name="Parent Body")
    for organisation in [many[0], parent]:
        _response, captured = get_counting(client, organisation.get_absolute_url())
        assert_queries(captured, PROFILE_QUERIES)


@pytest.mark.parametrize("query", ["", "view=table&per_page=100&sort=-founded&page=2"])
def test_a_sector_page_runs_a_fixed_number_of_queries(client, many, query):
    _response, captured = get_counting(client, f"/sectors/sector-3/?{query}")
    expected = ["the sector", DATA_VERSION, "the number of its published organisations", *CARDS]
    assert_queries(captured, expected)


def test_the_home_and_initiative_pages_run_a_fixed_number_of_queries(client, many):
    _response, captured = get_counting(client, "/")
    expected = [
        DATA_VERSION,
        "the numbers of published organisations and of companies, in one aggregate",
        "published initiatives with their member counts",
        "sectors in use, with their counts",
        "the first public key figures",
        # A short list of names, type, place and date: no sectors or memberships to fetch.
        "the newest entries, companies first",
    ]
    assert_queries(captured, expected)
    _response, captured = get_counting(client, "/initiatives/")
    assert_queries(captured, ["published initiatives with their member counts", "their published hosts"])
    _response, captured = get_counting(client, "/initiatives/initiative-1/")
    assert_queries(
        captured,
        [
            "the initiative",
            "its published hosts",
            "its memberships of published organisations",
            "its key figures",
            "its public contacts",
        ],
    )


def test_the_api_list_runs_a_fixed_number_of_queries_for_any_page_size(client, many):
    for size in (5, 61):
        cache.clear()  # counts are kept under the data version
        facet_index.forget()
        response, captured = get_counting(client, f"/api/organisations/?page_size={size}")
        assert len(response.json()["results"]) == size
        assert_queries(captured, API_LIST_QUERIES)


def test_the_api_detail_runs_a_fixed_number_of_queries(client, many):
    _response, captured = get_counting(client, f"/api/organisations/{many[0].slug}/")
    assert_queries(captured, API_DETAIL_QUERIES)
