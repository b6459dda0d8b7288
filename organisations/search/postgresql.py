"""PostgreSQL: a weighted tsvector kept by a trigger (names A, sector names B, summary C,
description D), English stemming, websearch syntax ("phrases", -exclusion, OR), prefix matching
on the last word, and typo tolerance twice over: misspelt names through the trigram index on the
names, misspelt words through the vocabulary of published entries (SearchTerm)."""

from django.apps import apps
from django.contrib.postgres.search import (
    SearchQuery,
    SearchQueryCombinable,
    SearchQueryField,
    SearchRank,
    TrigramDistance,
    TrigramSimilarity,
    TrigramStrictWordSimilarity,
)
from django.db.models import Case, Exists, F, FloatField, Func, Q, Subquery, TextField, Value, When
from django.db.models.functions import Coalesce, Greatest, NullIf

from . import ddl
from .ranking import name_bonus

# Trigram similarity a vocabulary word needs to replace an unknown word.
CORRECTION_SIMILARITY = 0.45
# How much a match through a corrected word counts against a match of the words as typed.
CORRECTED_RANK_FACTOR = 0.8
# Shorter words have too few trigrams to be told apart: "ltht" would fetch thousands of candidates.
TRIGRAM_MIN_LENGTH = 5
# Words shorter than this are never corrected.
CORRECTION_MIN_LENGTH = 4


def websearch(text):
    return SearchQuery(text, config=ddl.CONFIG, search_type="websearch")


class Once(Func):
    """A scalar subquery of an expression that reads no row: PostgreSQL evaluates it once per
    query (an InitPlan) rather than once per row it ranks."""

    template = "(SELECT %(expressions)s)"


class QueryOrTyped(SearchQueryCombinable, Coalesce):
    """The corrected query, or the query as typed when no word needed correcting (NULL)."""

    config = None
    output_field = SearchQueryField()


def names_text():
    """name || ' ' || alternative_names: the same expression as the trigram index on the names
    (organisations/search/ddl.py), so that the index is used."""
    return Func(
        *(F(column) for column in ddl.DOCUMENT.names),
        template="(%(expressions)s)",
        arg_joiner=" || ' ' || ",
        output_field=TextField(),
    )


def search_terms():
    return apps.get_model("organisations", "SearchTerm").objects


def closest_term(word):
    """Vocabulary words close enough to `word` by trigrams, the closest first."""
    return (
        search_terms()
        .annotate(similarity=TrigramSimilarity("word", word))
        .filter(word__trigram_similar=word, similarity__gte=CORRECTION_SIMILARITY)
        .order_by(TrigramDistance("word", word), "word")
    )


def corrected_word(word):
    """`word` itself when it is short or starts a vocabulary word, else the closest one."""
    if len(word) < CORRECTION_MIN_LENGTH:
        return Value(word)
    known = Exists(search_terms().filter(word__startswith=word))
    closest = Coalesce(Subquery(closest_term(word).values("word")[:1]), Value(word), output_field=TextField())
    return Case(When(known, then=Value(word)), default=closest, output_field=TextField())


def corrected_query(parsed):
    """The query with unknown words replaced by the closest vocabulary words, exclusions kept;
    NULL when no word changed, so that the typed query alone decides."""
    exclusions = [c.text() for c in parsed.negated]
    typed = " ".join([*parsed.plain_words, *exclusions])
    corrected = Func(
        Value(" "),
        *(corrected_word(word) for word in parsed.plain_words),
        *(Value(text) for text in exclusions),
        function="concat_ws",
        output_field=TextField(),
    )
    return Once(websearch(NullIf(corrected, Value(typed))), output_field=SearchQueryField())


def tsqueries(parsed):
    """(typed, prefix, corrected): the query as typed in websearch syntax; the same with its last
    word as a prefix (None when the last word is a phrase or an exclusion); the same with
    misspelt words corrected (None when no correction applies; NULL when no word needed one)."""
    typed = websearch(parsed.text)
    prefix = corrected = None
    last = parsed.clauses[-1]
    if not last.negated and not last.phrase:
        # "leeds radi" also means 'leed' & 'radi':*; the rest of the query keeps its own syntax.
        prefix = SearchQuery(f"'{last.words[-1]}':*", config=ddl.CONFIG, search_type="raw")
        if len(last.words) > 1:
            prefix = websearch(" ".join(last.words[:-1])) & prefix
        rest = " ".join(c.text() for c in parsed.clauses[:-1])
        if rest:
            prefix = (websearch(rest) | prefix) if last.or_before else (websearch(rest) & prefix)
    if parsed.plain_words and not any(c.phrase or c.or_before for c in parsed.clauses):
        corrected = corrected_query(parsed)
    return typed, prefix, corrected


def rank(vector, query, factor=None):
    ranked = SearchRank(vector, query, weights=ddl.POSTGRESQL_WEIGHTS)
    return Value(factor) * ranked if factor else ranked


def search(queryset, parsed):
    typed, prefix, corrected = tsqueries(parsed)
    either = typed
    if prefix:
        either = either | prefix
    if corrected:
        either = either | QueryOrTyped(corrected, typed)
    condition = Q(search_vector=either)
    # Ranked on what was asked for: ts_rank of a query with an exclusion is near zero. The prefix
    # query also matches the words as typed; GREATEST skips the NULL of "nothing corrected".
    if parsed.negated:
        typed, prefix, corrected = tsqueries(parsed.without_exclusions())
    ranks = [rank(F("search_vector"), prefix or typed)]
    if corrected:
        ranks.append(rank(F("search_vector"), corrected, factor=CORRECTED_RANK_FACTOR))
    text_rank = Greatest(*ranks, output_field=FloatField()) if len(ranks) > 1 else ranks[0]
    trigram_words = " ".join(w for w in parsed.plain_words if len(w) >= TRIGRAM_MIN_LENGTH)
    if trigram_words and not parsed.has_syntax:
        # A misspelt name ("Pharmacey2u", "Tunstal") matches through the trigram index on the names.
        # Strict word similarity compares whole words, so "radi" does not find "Radar". It is only
        # computed for rows the full-text query missed (it costs more than ts_rank).
        condition |= Q(_search_names__trigram_strict_word_similar=trigram_words)
        similarity = TrigramStrictWordSimilarity(trigram_words, "_search_names")
        text_rank = Coalesce(
            NullIf(text_rank, Value(0.0)), Value(0.5) * similarity, output_field=FloatField()
        )
    else:
        text_rank = Coalesce(text_rank, Value(0.0), output_field=FloatField())
    return (
        queryset.alias(_search_names=names_text())
        .filter(condition)
        .annotate(search_rank=text_rank + name_bonus(parsed))
    )
