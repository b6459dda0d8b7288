"""The cold phases' queries (bench/queries.py): many, distinct, of every kind, and the same both sides."""

import importlib.util
from pathlib import Path

import pytest

# bench/ is a folder of scripts, not a package: load the module from its file.
_spec = importlib.util.spec_from_file_location(
    "bench_queries", Path(__file__).resolve().parent.parent / "bench" / "queries.py"
)
queries = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(queries)

SIZE = 10_000


@pytest.fixture
def vocabulary():
    """Document frequencies spread like the seeded text's: common, middle and rare words."""
    frequencies = {}
    for index in range(30):
        frequencies[f"common{chr(97 + index % 26)}word{index}"] = SIZE // 5
        frequencies[f"middle{chr(97 + index % 26)}word{index}"] = SIZE // 100
        frequencies[f"rare{chr(97 + index % 26)}word{index}"] = 3
    frequencies["the"] = SIZE
    return frequencies


@pytest.fixture
def options():
    return queries.Options(
        sizes=[("small", "small"), ("micro", "micro")],
        types=[("charity", "charity"), ("company", "company")],
        sectors=[("medtech", "Medtech"), ("imaging", "Imaging")],
        authorities=[("leeds", "leeds"), ("york", "york")],
        districts=[("LS1", "LS1"), ("LS6", "LS6")],
    )


def test_it_counts_each_word_once_per_text():
    counts = queries.document_frequencies(["Care care, CARE!", "care home", None])
    assert counts["care"] == 2
    assert counts["home"] == 1


def test_it_asks_at_least_42_distinct_searches(vocabulary, options):
    searches = queries.cold_searches(vocabulary, SIZE, options)
    assert len(searches) >= 42
    assert len({q.ours for q in searches}) == len(searches)


def test_it_asks_every_kind_the_issue_names(vocabulary, options):
    kinds = {q.kind for q in queries.cold_searches(vocabulary, SIZE, options)}
    assert kinds == {"common", "mid", "rare", "no match", "misspelt", "two words", "filtered"}


def test_its_no_match_and_misspelt_words_are_not_in_the_vocabulary(vocabulary, options):
    for query in queries.cold_searches(vocabulary, SIZE, options):
        if query.kind in {"no match", "misspelt"}:
            assert dict(query.ours)["q"] not in vocabulary


def test_it_never_asks_the_excluded_words_or_stopwords(vocabulary, options):
    excluded = {"commonaword0"}
    words = {
        word
        for query in queries.cold_searches(vocabulary, SIZE, options, exclude=excluded)
        for word in dict(query.ours)["q"].split()
    }
    assert not words & (excluded | queries.STOPWORDS)


def test_it_asks_datasette_the_same_words_and_filters(vocabulary, options):
    for query in queries.cold_searches(vocabulary, SIZE, options):
        ours, theirs = dict(query.ours), dict(query.theirs)
        assert ours["q"] == theirs["_search"]
        if "size" in ours:
            assert theirs["employees_band"] == ours["size"]
        if "sector" in ours:
            assert theirs["sectors__arraycontains"] == dict(options.sectors)[ours["sector"]]


def test_it_chooses_the_same_queries_for_the_same_vocabulary(vocabulary, options):
    assert queries.cold_searches(vocabulary, SIZE, options) == queries.cold_searches(
        vocabulary, SIZE, options
    )


def test_it_browses_at_least_20_distinct_combinations_without_a_search(options):
    browses = queries.cold_browses(options)
    assert len(browses) >= 20
    assert len({q.ours for q in browses}) == len(browses)
    assert all("q" not in dict(q.ours) and 1 <= len(q.ours) <= 3 for q in browses)


def test_it_never_browses_a_local_authority_with_a_postcode_district(options):
    for query in queries.cold_browses(options):
        assert not {"local_authority", "district"} <= set(dict(query.ours))
