"""PostgreSQL: a plan (plan.py) as one tsquery over the weighted vector (names A, sectors and other
topics B, summary C, description and place D), built from Django's SearchQuery pieces: stems for
ordinary words, the upper-case exact lexemes for acronyms and short words, tsquery_phrase for
words that go together. Every piece is a constant, so PostgreSQL folds the whole query into one
value and reads matches from the GIN index.

Typo tolerance for words no published entry uses: the closest vocabulary word (SearchTerm, by
trigrams, a small table with its own trigram index) is searched as well, through the same GIN
lookup, and among the matches the names most like the misspelt words rank first. Common words
never start a similarity scan, and no condition is ever evaluated row by row.
"""

from contextlib import suppress
from functools import reduce
from operator import and_, or_

from django.apps import apps
from django.contrib.postgres.search import (
    SearchQuery,
    SearchQueryCombinable,
    SearchQueryField,
    SearchVectorField,
    TrigramDistance,
    TrigramSimilarity,
    TrigramStrictWordSimilarity,
)
from django.db import DatabaseError
from django.db.models import BooleanField, F, Func, Q, TextField, Value

from core.dataversion import cached

from . import ddl
from .ranking import member_bonus, name_bonus, relevance

# Trigram similarity a vocabulary word needs to replace an unknown word.
CORRECTION_SIMILARITY = 0.45
# Shorter words have too few trigrams to be told apart: "ltht" would fetch thousands of candidates.
TRIGRAM_MIN_LENGTH = 5
# Words shorter than this are never corrected.
CORRECTION_MIN_LENGTH = 4


class Lexeme(SearchQueryCombinable, Func):
    """A whole word as written: the upper-case lexeme the document keeps beside the stems."""

    config = None
    output_field = SearchQueryField()

    def __init__(self, word, weights="", *, prefix=False):
        suffix = ("*" if prefix else "") + weights
        super().__init__(Value(word), Value(f":{suffix}" if suffix else ""))

    def as_sql(self, compiler, connection, **extra):
        (word, word_params), (suffix, suffix_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        return f"(quote_literal(upper({word})) || {suffix})::tsquery", (*word_params, *suffix_params)


class Phrase(SearchQueryCombinable, Func):
    """`left` followed by `right`, `distance` words on (stop words between them count)."""

    config = None
    function = "tsquery_phrase"
    output_field = SearchQueryField()

    def __init__(self, left, right, distance):
        super().__init__(left, right, Value(distance))


class Not(SearchQueryCombinable, Func):
    config = None
    template = "(!!%(expressions)s)"
    output_field = SearchQueryField()


class QueryOr(SearchQueryCombinable, Func):
    """`left || right`, where either may be NULL."""

    config = None
    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = SearchQueryField()


class Matches(Func):
    """vector @@ query (the lookup `search_vector=` would wrap a query that is not a SearchQuery in
    plainto_tsquery)."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()

    def __init__(self, query):
        super().__init__(F("search_vector"), query)


def matches(query):
    return Q(Matches(query))


def stem(word, weights=""):
    suffix = ":*" if word.prefix else (":" if weights else "")
    return SearchQuery(f"{word.text}{suffix}{weights}", config=ddl.CONFIG, search_type="raw")


def alternative_query(alternative, weights=""):
    """The words of one alternative, as a phrase when there are several; None for stop words only.
    A stop word inside a phrase is matched as written (the stems leave it out), so that "start-up"
    is not just "start"."""
    if not alternative.searched:
        return None
    query = None
    for word in alternative.words:
        leaf = (
            Lexeme(word.text, weights, prefix=word.prefix) if word.exact or word.stop else stem(word, weights)
        )
        query = leaf if query is None else Phrase(query, leaf, 1)
    return query


def term_query(term, weights=""):
    queries = [q for q in (alternative_query(a, weights) for a in term.alternatives) if q is not None]
    return reduce(or_, queries) if queries else None


def all_of(terms, weights=""):
    return reduce(and_, [q for q in (term_query(t, weights) for t in terms) if q is not None])


def plan_query(plan, weights="", *, exclusions=True):
    """The plan's groups OR-ed, each the AND of its terms, minus the excluded terms."""
    groups = []
    for group in plan.groups:
        queries = [q for q in (term_query(t, weights) for t in group) if q is not None]
        if queries:
            groups.append(reduce(and_, queries))
    if not groups:
        return None
    query = reduce(or_, groups)
    excluded = [q for q in (term_query(t) for t in plan.negated) if q is not None]
    if exclusions and excluded:
        query = query & Not(reduce(or_, excluded))
    return query


def organisations_with(queryset, query):
    return queryset.model.objects.filter(matches(query)).values("pk")


def members_of(queryset, initiatives):
    membership = queryset.model.membership_model()
    return membership.objects.filter(initiative_id__in=initiatives).values("organisation_id")


def condition(queryset, plan, corrected):
    """Where the plan matches: one GIN lookup, or, when a term names an initiative, a union per
    such term of the organisations its words match and the initiative's members."""
    if not plan.initiatives:
        query = plan_query(plan)
        if corrected:
            query = query | plan_query(corrected)
        return matches(query)
    groups = []
    for group in plan.groups:
        parts = []
        text_terms = [t for t in group if not t.initiatives]
        if text_terms:
            parts.append(matches(reduce(and_, [term_query(t) for t in text_terms])))
        for term in group:
            if term.initiatives:
                text = organisations_with(queryset, term_query(term))
                parts.append(Q(pk__in=text.union(members_of(queryset, term.initiatives), all=True)))
        groups.append(reduce(and_, parts))
    found = reduce(or_, groups)
    excluded = [q for q in (term_query(t) for t in plan.negated) if q is not None]
    if excluded:
        found &= ~matches(reduce(or_, excluded))
    return found


def search(queryset, plan):
    corrected = plan.corrected()
    found = condition(queryset, plan, corrected)

    def within(weights, terms=None):
        if terms is None:
            query = plan_query(plan, weights, exclusions=False)
            if corrected:
                query = QueryOr(query, plan_query(corrected, weights, exclusions=False))
            return matches(query)
        query = all_of(terms, weights)
        fixed = [corrected.terms[plan.terms.index(t)] for t in terms if t in plan.terms] if corrected else []
        if fixed and len(fixed) == len(terms):
            query = QueryOr(query, all_of(fixed, weights))
        return matches(query)

    rank = (
        relevance(plan, within)
        + name_bonus(plan.parsed, queryset.model)
        + member_bonus(queryset, plan.initiatives)
    )
    trigram_words = " ".join(w for w in plan.unknown if len(w) >= TRIGRAM_MIN_LENGTH)
    if trigram_words and not plan.parsed.has_syntax:
        # Among the matches (the query's words and their corrections), names that look like the
        # misspelt words rank higher. Strict word similarity compares whole words, so "radi" does
        # not favour "Radar". The similarity is only a rank, never a condition of its own: as a
        # condition beside the full-text one it was evaluated on every row.
        rank += Value(0.5) * TrigramStrictWordSimilarity(trigram_words, "_search_names")
    return queryset.alias(_search_names=names_text(queryset.model)).filter(found).annotate(search_rank=rank)


# The planner's settings for a search statement (fetch_through_index), and why.
# - Expecting more than a few thousand matches, the planner scans the whole table: it prices the
#   tsquery's evaluation on each row at next to nothing, when that is most of the statement's cost.
#   At 100,000 organisations "orthopaedics" (seven alternatives from the thesaurus, one a phrase)
#   took 98 ms of the backend's time scanning and 33 ms through the GIN index; "health", matching
#   60% of the rows, 173 and 162 ms.
# - Grouping the matches by rank (facet_index.search_ids), it expects as many ranks as matches and
#   sorts them all (on disk past work_mem) where a hash of the dozen ranks there are does:
#   "health" 181 → 148 ms.
SEARCH_SETTINGS = {"enable_seqscan": "off", "enable_sort": "off"}


def fetch_through_index(connection, sql, params):
    """Every row of a search statement, run with SEARCH_SETTINGS; the settings are then put back
    as they were."""
    names = list(SEARCH_SETTINGS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(
                f"current_setting('{name}'), set_config('{name}', '{value}', false)"
                for name, value in SEARCH_SETTINGS.items()
            )
        )
        previous = cursor.fetchone()[::2]
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            # After a statement that failed inside a transaction, this fails too; the transaction's
            # rollback restores the settings.
            with suppress(DatabaseError):
                cursor.execute(
                    "SELECT " + ", ".join(f"set_config('{name}', %s, false)" for name in names),
                    list(previous),
                )


def names_starting(queryset, words):
    """Organisations with name words that start with the typed words (type-ahead), through the
    index of the names' words. The last word is first completed from the vocabulary: whole words
    have statistics the planner can trust, where a prefix's guessed count could send it scanning
    the table for a rare one."""
    *before, last = words
    completions = list(
        search_terms()
        .filter(word__startswith=last)
        .order_by("word")
        .values_list("word", flat=True)[:COMPLETIONS]
    )
    if not completions:
        return queryset.none()
    query = " & ".join([*map(quoted, before), "(" + " | ".join(map(quoted, completions)) + ")"])
    names = Func(
        *(F(column) for column in ddl.DOCUMENT.names),
        template="to_tsvector('pg_catalog.simple', %(expressions)s)",
        arg_joiner=" || ' ' || ",
        output_field=SearchVectorField(),
    )
    return queryset.alias(_names_words=names).filter(
        _names_words=SearchQuery(query, config="pg_catalog.simple", search_type="raw")
    )


def quoted(word):
    """A lexeme in to_tsquery's syntax, whatever characters the vocabulary's word holds."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


# How many vocabulary words a typed prefix may stand for in the type-ahead.
COMPLETIONS = 30


def names_text(model=None):
    """The names (name, legal name, alternative names) joined by spaces: the same expression as the trigram index on the names
    (organisations/search/ddl.py), so that the index is used; or the column holding it on a model
    that stores it (the narrow table of published rows)."""
    if getattr(model, "STORED_NAMES", False):
        return F("names")
    return Func(
        *(F(column) for column in ddl.DOCUMENT.names),
        template="(%(expressions)s)",
        arg_joiner=" || ' ' || ",
        output_field=TextField(),
    )


# --- The vocabulary -----------------------------------------------------------------------------


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


def correctable_words(plan):
    """Ordinary words of the plan typo tolerance may correct: not acronyms, short words, phrases,
    thesaurus terms or initiative names."""
    if any(c.phrase or c.or_before for c in plan.parsed.clauses):
        return []
    words = []
    for term in plan.positive:
        if term.concept or term.initiatives or term.sectors or len(term.alternatives[0].words) > 1:
            continue
        word = term.alternatives[0].words[0]
        if not word.exact and len(word.text) >= CORRECTION_MIN_LENGTH:
            words.append(word.text)
    return list(dict.fromkeys(words))


def check_vocabulary(plan):
    """Fill in the plan's unknown words (no published word starts with them) and their
    corrections: one query, kept under the data version."""
    words = correctable_words(plan)
    if words:
        plan.unknown, plan.corrections = cached(
            VOCABULARY_CACHE_PREFIX, " ".join(words), lambda: read_vocabulary(words)
        )
    return plan


VOCABULARY_CACHE_PREFIX = "organisations:search-words"


def read_vocabulary(words):
    """([unknown words], {unknown word: closest vocabulary word}) for `words`, in one query."""
    parts = []
    for word in words:
        typed = Value(word, output_field=TextField())
        known = search_terms().filter(word__startswith=word).annotate(typed=typed, known=Value(True))
        closest = closest_term(word).annotate(typed=typed, known=Value(False))
        parts += [
            known.values_list("typed", "known", "word")[:1],
            closest.values_list("typed", "known", "word")[:1],
        ]
    rows = list(parts[0].union(*parts[1:], all=True))
    known = {typed for typed, is_known, _word in rows if is_known}
    unknown = [w for w in words if w not in known]
    corrections = {
        typed: word for typed, is_known, word in rows if not is_known and typed in unknown and word != typed
    }
    return unknown, corrections
