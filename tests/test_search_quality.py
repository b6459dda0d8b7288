"""Search quality over the real Leeds fixtures: each case in tests/data/search_cases.yaml must find
its organisation within the top 3 (ARCHITECTURE.md §6)."""

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection, transaction

from organisations.models import Organisation
from organisations.search import search

CASES = yaml.safe_load((Path(__file__).parent / "data" / "search_cases.yaml").read_text())

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="typo tolerance needs PostgreSQL (pg_trgm)"
)


def _case_params():
    for case in CASES:
        marks = [pytest.mark.postgres_only, postgres_only] if case.get("postgres_only") else []
        yield pytest.param(case, id=f"{case['kind']}: {case['query']}", marks=marks)


CASE_PARAMS = list(_case_params())


@pytest.fixture(scope="module")
def leeds_fixtures(django_db_setup, django_db_blocker):
    """The real fixtures, loaded once for the module in a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command(
                "loaddata", "sectors", "care_settings", "regulatory_marks", "organisations", verbosity=0
            )
            call_command("rebuild_search_index", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def leeds_directory(leeds_fixtures, db):
    """Each test runs in a savepoint inside the module's transaction."""


def test_the_suite_covers_every_kind_of_query():
    kinds = {case["kind"] for case in CASES}
    assert len(CASES) >= 25
    assert {
        "name",
        "acronym",
        "alternative name",
        "product",
        "misspelling",
        "stem",
        "prefix",
        "multi-word",
        "quoted phrase",
        "exclusion",
        "with filters",
    } <= kinds


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_the_expected_organisation_is_in_the_top_three(leeds_directory, case):
    queryset = Organisation.objects.published().filter(**case.get("filters", {}))
    assert Organisation.objects.filter(slug=case["expected"]).exists(), "the fixture lacks the case"

    results = list(search(queryset, case["query"]).values_list("slug", flat=True))

    assert case["expected"] in results[:3], results[:5]
    assert not set(case.get("absent", ())) & set(results)


@pytest.mark.parametrize("case", [c for c in CASE_PARAMS if c.values[0].get("filters")])
def test_a_filter_after_the_search_gives_the_same_results(leeds_directory, case):
    filters = case.get("filters", {})
    before = search(Organisation.objects.published().filter(**filters), case["query"])
    after = search(Organisation.objects.all(), case["query"]).filter(status="published", **filters)

    assert list(after.values_list("slug", flat=True)) == list(before.values_list("slug", flat=True))
