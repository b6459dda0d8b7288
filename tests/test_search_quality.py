"""Search quality over the real Leeds fixtures: the judged cases in tests/data/search_cases.yaml
(organisations/search/quality.py). Each case must find what it expects within its bound, and the
suite as a whole must reach its success@3 target on this engine: CI runs this file in both its
PostgreSQL and its SQLite passes."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from organisations.models import Organisation
from organisations.search import search
from organisations.search.quality import TARGETS, evaluate, load_cases, measures

CASES = load_cases()

needs_typo_tolerance = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="typo tolerance needs PostgreSQL (pg_trgm)"
)


def _case_params():
    for case in CASES:
        marks = [pytest.mark.postgres_only, needs_typo_tolerance] if case.typo else []
        yield pytest.param(case, id=case.label, marks=marks)


CASE_PARAMS = list(_case_params())


@pytest.fixture(scope="module")
def leeds_fixtures(django_db_setup, django_db_blocker):
    """The real fixtures, loaded once for the module in a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_initial_data", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def leeds_directory(leeds_fixtures, db):
    """Each test runs in a savepoint inside the module's transaction."""


def test_the_suite_covers_every_kind_of_query():
    kinds = {case.kind for case in CASES}
    assert len(CASES) >= 120
    assert {
        "name",
        "acronym",
        "legal name",
        "former name",
        "alternative name",
        "product",
        "topic",
        "synonym",
        "place",
        "initiative",
        "misspelling",
        "stem",
        "prefix",
        "multi-word",
        "quoted phrase",
        "exclusion",
        "or",
        "with filters",
    } <= kinds


def test_the_suite_holds_the_queries_visitors_were_failing_on():
    queries = {case.query for case in CASES}

    assert {
        "AI",
        "LS1",
        "NICE",
        "digital pathology",
        "EPR",
        "artificial intelligence",
        "dementia",
        "remote monitoring",
        "wearables",
        "incubator",
        "Leeds General Infirmary",
        "med tech",
        "spinout",
    } <= queries


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_each_case_finds_what_it_expects_within_its_bound(leeds_directory, case):
    organisation = Organisation.objects.published()
    missing = [slug for slug in case.expected if not organisation.filter(slug=slug).exists()]
    assert missing == [], "the fixtures lack the case's organisations"

    result = evaluate(case)

    assert result.passed, (result.ranks(), result.organisations[:5], result.initiatives)


def test_the_suite_reaches_its_success_at_three_target(leeds_directory):
    found = measures([evaluate(case) for case in CASES])

    assert found["success@3"] >= TARGETS[connection.vendor], found


@pytest.mark.parametrize("case", [c for c in CASE_PARAMS if c.values[0].filters])
def test_a_filter_after_the_search_gives_the_same_results(leeds_directory, case):
    before = search(Organisation.objects.published().filter(**case.filters), case.query)
    after = search(Organisation.objects.all(), case.query).filter(status="published", **case.filters)

    assert list(after.values_list("slug", flat=True)) == list(before.values_list("slug", flat=True))
