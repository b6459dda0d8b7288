"""The in-process facet index (organisations/facet_index.py) gives the same facet counts, result
counts and pages, in the same order, as the FilterSet's SQL, on both databases."""

import pytest
from django.db import connection
from django.http import QueryDict

from core.dataversion import read_once
from organisations import facet_index
from organisations.facets import _per_facet_counts, facet_counts
from organisations.filters import OrganisationFilter
from organisations.models import Lifecycle, Organisation, Status
from tests import test_facets
from tests.factories import MembershipFactory, OrganisationFactory, SectorFactory
from tests.test_facets import COMBINATIONS

pytestmark = pytest.mark.django_db

# Forty organisations spread over every facet, some not published (the facet tests' fixture).
varied_directory = test_facets.varied_directory

# The facet-equivalence cases, and each sort and the filters they leave out.
CASES = [
    *COMBINATIONS,
    "sort=recent",
    "sort=-founded&type=company",
    "sort=founded&size=small",
    "q=health&sort=recent",
    "q=care&sort=-founded",
    "q=health&sort=name&hq_leeds=1",
    "former=1",
    "q=organisation",
    "founded_min=2005&founded_max=2012&sort=founded",
    "founded_max=1995",
    "initiative=nexus&initiative=acc&sort=recent",
    "sector=retired&sector=robotics&local_authority=bradford",
    "district=LS1&district=BD1&district=LS11",
]


def sql_ids(query):
    return list(OrganisationFilter(QueryDict(query)).qs.values_list("pk", flat=True))


def indexed(query):
    results = OrganisationFilter(QueryDict(query)).indexed_results
    assert results is not None
    return results


@pytest.fixture
def with_former(varied_directory):
    merged = Organisation.objects.published().order_by("pk")[3]
    merged.lifecycle = Lifecycle.MERGED
    merged.merged_into = Organisation.objects.published().order_by("pk")[4]
    merged.save()
    closed = Organisation.objects.published().order_by("pk")[5]
    closed.lifecycle = Lifecycle.CLOSED
    closed.ended_year = 2020
    closed.save()


@pytest.mark.parametrize("query", CASES)
def test_the_index_counts_every_facet_as_the_per_facet_queries_do(with_former, query):
    assert facet_counts(OrganisationFilter(QueryDict(query))) == _per_facet_counts(
        OrganisationFilter(QueryDict(query))
    )


@pytest.mark.parametrize("query", CASES)
def test_the_index_gives_the_same_results_in_the_same_order_as_the_sql(with_former, query):
    expected = sql_ids(query)
    results = indexed(query)
    assert results.count == len(expected)
    assert results.ids(0, len(expected) + 5) == expected
    # Any page: a slice of the whole list.
    assert results.ids(3, 7) == expected[3:7]
    assert results.ids(len(expected), len(expected) + 20) == []


def test_the_cases_compare_lists_that_are_not_empty(with_former):
    assert len(sql_ids("q=health")) > 5
    assert len(sql_ids("sort=recent")) > 20
    assert 0 < len(sql_ids("former=1")) - len(sql_ids("")) < 5
    assert len(sql_ids("q=health&sort=recent")) > 5


def test_a_page_reads_its_count_and_ids_from_the_index(client, with_former):
    response = client.get("/organisations/?sort=recent&page=2")
    expected = sql_ids("sort=recent")
    assert len(expected) > 20
    assert response.context["paginator"].count == len(expected)
    assert [o.pk for o in response.context["page_obj"]] == expected[20:40]


def test_a_second_filter_combination_reads_only_its_page(client, varied_directory, django_assert_num_queries):
    client.get("/organisations/?type=company")
    # The data version, the page of organisations, their sectors and their memberships.
    with django_assert_num_queries(4 + (connection.vendor == "postgresql")):  # the statement timeout
        response = client.get("/organisations/?size=small&local_authority=leeds")
    assert response.context["paginator"].count == len(sql_ids("size=small&local_authority=leeds"))


def test_the_same_words_with_other_filters_search_once(
    client, varied_directory, django_assert_max_num_queries
):
    client.get("/organisations/?q=health")
    with django_assert_max_num_queries(5):  # the version, the page and its two relations, the timeout
        response = client.get("/organisations/?q=health&type=company")
    assert response.context["paginator"].count == len(sql_ids("q=health&type=company"))


def test_the_index_follows_publishing_a_new_organisation_and_a_new_sector(db):
    medtech = SectorFactory(name="Medtech", slug="medtech")
    OrganisationFactory(name="Alpha", sectors=[medtech])
    assert indexed("sector=medtech").count == 1

    OrganisationFactory(name="Beta", sectors=[medtech])
    draft = OrganisationFactory(name="Gamma", sectors=[medtech], status=Status.DRAFT)
    assert indexed("sector=medtech").count == 2

    draft.status = Status.PUBLISHED
    draft.save()
    MembershipFactory(organisation=draft)
    assert indexed("sector=medtech").count == 3
    assert indexed("sector=medtech").ids(0, 10) == sql_ids("sector=medtech")


def test_the_index_is_built_once_per_data_version(varied_directory, django_assert_num_queries):
    with read_once():
        facet_index.current_index()
    facet_index.forget()
    # Another process loads it from the shared cache: only the data version is read.
    with read_once(), django_assert_num_queries(1):
        index = facet_index.current_index()
    assert index.size == Organisation.objects.published().count()


def test_a_warm_up_leaves_the_index_of_the_current_data_made(varied_directory, django_assert_num_queries):
    facet_index.forget()
    facet_index.warm_up()
    # The first request after a start reads only the data version.
    with read_once(), django_assert_num_queries(1):
        index = facet_index.current_index()
    assert index.size == Organisation.objects.published().count()


def test_a_warm_up_without_a_database_leaves_the_index_to_the_first_request(monkeypatch, caplog):
    def unreachable(using="default"):
        raise facet_index.DatabaseError("connection refused")

    monkeypatch.setattr(facet_index, "current_index", unreachable)
    facet_index.warm_up()
    assert "The facet index was not built at start: connection refused" in caplog.text


def test_a_filterset_over_another_queryset_is_counted_in_sql(varied_directory):
    filterset = OrganisationFilter(QueryDict("type=company"), queryset=Organisation.objects.all())
    assert filterset.indexed_results is None
    assert facet_counts(filterset) == _per_facet_counts(
        OrganisationFilter(QueryDict("type=company"), queryset=Organisation.objects.all())
    )


def test_bitsets_hold_exactly_the_positions_given():
    for size in (0, 1, 9, 300, 5000):
        for positions in ([], [0], list(range(0, size, 3)), list(range(size))):
            positions = [p for p in positions if p < size]
            bits = facet_index.bits_of(positions, size)
            assert bits.bit_count() == len(positions)
            assert facet_index.positions_of(bits, size) == positions
            assert facet_index.positions_of(bits, size, 2, 3) == positions[2:5]
