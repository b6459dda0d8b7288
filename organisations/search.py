"""Full-text search over organisations (ARCHITECTURE.md §6): the one entry point for pages, CSV and API.

PostgreSQL: a weighted tsvector kept by a trigger (name and alternative names A, sector names B,
summary C, description D), English stemming, `websearch_to_tsquery` syntax ("phrases", -exclusion,
OR), prefix matching on the last word, and typo tolerance twice over: misspelt names through a
trigram index on the name, misspelt words through the vocabulary of published entries.

SQLite: an FTS5 table kept by triggers, every word matched as a prefix, ranked by bm25. No typo
tolerance there.

Both engines: `search()` stays lazy (no query runs until the queryset is evaluated), so the
FilterSet may call it once per facet; the SQL only ever sees user input as bound parameters.
"""

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection, connections, transaction
from django.db.models import (
    BooleanField,
    Count,
    F,
    FloatField,
    Func,
    Max,
    Q,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

MAX_QUERY_LENGTH = 200
# Words a search is built from: letters and digits only, so nothing reaches a query syntax.
WORD_RE = re.compile(r"[^\W_]+")
# A quoted phrase (the closing quote may be missing), or a run of non-space characters.
CLAUSE_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')

# Ranks are on a 0–1 scale on both engines; these bonuses put exact names first.
EXACT_NAME_BONUS = 2.0
NAME_START_BONUS = 1.0
# ts_rank weights for D, C, B, A.
POSTGRESQL_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# bm25 weights for the FTS5 columns: name, alternative_names, sector_names, summary, description.
FTS5_WEIGHTS = "10.0, 10.0, 4.0, 2.0, 1.0"
# Trigram similarity a vocabulary word needs to replace an unknown word.
CORRECTION_SIMILARITY = 0.45
VOCABULARY_CACHE_KEY = "organisations:search-vocabulary"


# --- Parsing ------------------------------------------------------------------------------------


@dataclass
class Clause:
    words: list  # lower-cased letters-and-digits words
    phrase: bool = False
    negated: bool = False
    or_before: bool = False


@dataclass
class ParsedQuery:
    text: str  # the cleaned query, as PostgreSQL's websearch syntax reads it
    clauses: list = field(default_factory=list)

    @property
    def positive(self):
        return [c for c in self.clauses if not c.negated]

    @property
    def negated(self):
        return [c for c in self.clauses if c.negated]

    @property
    def plain_words(self):
        """Words outside phrases and exclusions: the ones typo tolerance may correct."""
        return [w for c in self.positive if not c.phrase for w in c.words]

    @property
    def has_syntax(self):
        return any(c.phrase or c.negated or c.or_before for c in self.clauses)


def clean_query(q):
    """The query without control characters (NUL included), whitespace collapsed, capped in length."""
    text = str(q or "")[: MAX_QUERY_LENGTH * 4]
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_LENGTH:
        text = text[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] or text[:MAX_QUERY_LENGTH]
    return text


def parse_query(q):
    text = clean_query(q)
    clauses, or_pending = [], False
    for match in CLAUSE_RE.finditer(text):
        negated_phrase, phrase, chunk = match.groups()
        if chunk is not None:
            if chunk.lower() == "or" and clauses:
                or_pending = True
                continue
            negated = chunk.startswith("-") and len(chunk) > 1
            words = [w.lower() for w in WORD_RE.findall(chunk)]
            is_phrase = False
        else:
            negated = bool(negated_phrase)
            words = [w.lower() for w in WORD_RE.findall(phrase)]
            is_phrase = True
        if words:
            clauses.append(Clause(words, phrase=is_phrase, negated=negated, or_before=or_pending))
            or_pending = False
    return ParsedQuery(text=text, clauses=clauses)


# --- Search ---------------------------------------------------------------------------------------


def search(queryset, q):
    """`queryset` narrowed to the matches for `q`, annotated with `search_rank` (higher is better).

    Ordered best first; a later `order_by()` replaces that order. An empty query leaves the
    queryset unchanged; a query with no searchable words (only punctuation, only exclusions)
    matches nothing.
    """
    if not str(q or "").strip():
        return queryset
    parsed = parse_query(q)
    if not parsed.text:
        # Only control characters: no search, but callers may still sort by `search_rank`.
        return queryset.annotate(search_rank=Value(0.0))
    if not parsed.positive:
        # A false condition rather than .none(): the SQL of .none() cannot be printed (facets do).
        return queryset.filter(Value(False, output_field=BooleanField())).annotate(search_rank=Value(0.0))
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        queryset = _postgresql_search(queryset, parsed)
    elif vendor == "sqlite":
        queryset = _sqlite_search(queryset, parsed)
    else:
        queryset = _fallback_search(queryset, parsed)
    return queryset.order_by(F("search_rank").desc(), "name", "pk")


def _name_bonus(parsed):
    """Exact names, acronyms and alternative names first ("LTHT", "EMIS")."""
    text = parsed.text.strip('"').lower()
    if parsed.has_syntax or not text:
        return Value(0.0)
    return NameBonus(text)


class NameBonus(Func):
    """EXACT_NAME_BONUS for the name, a bracketed part of it ("(DHSC)") or one of the
    semicolon-separated alternative names; NAME_START_BONUS when the name starts with the query.
    String positions rather than LIKE, so the query needs no escaping and each row costs little."""

    output_field = FloatField()
    position = "strpos"

    def __init__(self, text):
        self.text = text
        super().__init__(F("name"), F("alternative_names"))

    def as_sql(self, compiler, connection, **extra):
        (name, name_params), (alternatives, alternative_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        position, text = self.position, self.text
        sql = (
            f"(CASE WHEN lower({name}) = %s OR {position}(lower({name}), %s) > 0 "
            f"OR {position}(';' || replace(lower({alternatives}), '; ', ';') || ';', %s) > 0 "
            f"THEN {EXACT_NAME_BONUS} "
            f"WHEN {position}(lower({name}), %s) = 1 OR {position}(lower({name}), %s) = 1 "
            f"THEN {NAME_START_BONUS} ELSE 0.0 END)"
        )
        params = (
            *name_params,
            text,
            *name_params,
            f"({text})",
            *alternative_params,
            f";{text};",
            *name_params,
            f"{text} ",
            *name_params,
            f"{text},",
        )
        return sql, params

    def as_sqlite(self, compiler, connection, **extra):
        self.position = "instr"
        return self.as_sql(compiler, connection, **extra)


def _names_text():
    # The same expression as the org_name_trgm_gin index (migration 0002_search), so it is used.
    return Func(
        F("name"),
        F("alternative_names"),
        template="(%(expressions)s)",
        arg_joiner=" || ' ' || ",
        output_field=TextField(),
    )


WEBSEARCH = "websearch_to_tsquery('pg_catalog.english', %s)"
CORRECTED_WEBSEARCH = (
    # Unknown words (neither in the vocabulary nor the start of a word in it) become the closest
    # vocabulary word; exclusions are appended unchanged. NULL when no word changed. Uncorrelated,
    # so PostgreSQL evaluates it once per query (an InitPlan).
    "(SELECT CASE WHEN bool_or(c.word <> c.typed) THEN websearch_to_tsquery('pg_catalog.english', "
    "string_agg(c.word, ' ' ORDER BY c.ord) || %s) END FROM ("
    "SELECT w.ord, w.word AS typed, CASE WHEN length(w.word) < 4 OR EXISTS ("
    "SELECT 1 FROM organisations_search_term e WHERE e.word LIKE w.word || '%%'"
    ") THEN w.word ELSE coalesce((SELECT t.word FROM organisations_search_term t "
    "WHERE t.word %% w.word AND similarity(t.word, w.word) >= %s "
    "ORDER BY t.word <-> w.word, t.word LIMIT 1), w.word) END AS word "
    "FROM unnest(%s::text[]) WITH ORDINALITY AS w(word, ord)) AS c)"
)
# How much a match through a corrected word counts against a match of the words as typed.
CORRECTED_RANK_FACTOR = 0.8


def _postgresql_tsqueries(parsed):
    """(typed, prefix, corrected) tsquery SQL expressions: the query as typed in websearch syntax;
    the same with its last word as a prefix (None when the last word is a phrase or an exclusion);
    the same with misspelt words corrected (None when no correction applies; NULL in SQL when no
    word needed one)."""
    typed = RawSQL(WEBSEARCH, [parsed.text])  # noqa: S611 — input only as parameters
    prefix = corrected = None
    last = parsed.clauses[-1]
    if not last.negated and not last.phrase:
        # "leeds radi" also means 'leed' & 'radi':*; the rest of the query keeps its own syntax.
        prefix_sql, params = "to_tsquery('pg_catalog.english', %s)", [f"'{last.words[-1]}':*"]
        if len(last.words) > 1:
            prefix_sql = f"({WEBSEARCH} && {prefix_sql})"
            params.insert(0, " ".join(last.words[:-1]))
        rest = " ".join(_clause_text(c) for c in parsed.clauses[:-1])
        if rest:
            prefix_sql = f"({WEBSEARCH} {'||' if last.or_before else '&&'} {prefix_sql})"
            params.insert(0, rest)
        prefix = RawSQL(prefix_sql, params)  # noqa: S611 — input only as parameters
    if parsed.plain_words and not any(c.phrase or c.or_before for c in parsed.clauses):
        exclusions = "".join(f" {_clause_text(c)}" for c in parsed.negated)
        params = [exclusions, CORRECTION_SIMILARITY, parsed.plain_words]
        corrected = RawSQL(CORRECTED_WEBSEARCH, params)  # noqa: S611 — input only as parameters
    return typed, prefix, corrected


def _clause_text(clause):
    text = " ".join(clause.words)
    if clause.phrase:
        text = f'"{text}"'
    if clause.negated:
        text = f"-{text}"
    if clause.or_before:
        text = f"or {text}"
    return text


def _postgresql_search(queryset, parsed):
    typed, prefix, corrected = _postgresql_tsqueries(parsed)
    either = (
        [typed]
        + ([prefix] if prefix else [])
        + ([Func(corrected, typed, function="coalesce")] if corrected else [])
    )
    condition = Q(
        Func(
            F("search_vector"),
            Func(*either, template="(%(expressions)s)", arg_joiner=" || "),
            template="%(expressions)s",
            arg_joiner=" @@ ",
            output_field=BooleanField(),
        )
    )
    # Ranked on what was asked for: ts_rank of a query with an exclusion is near zero. The prefix
    # query also matches the words as typed; GREATEST skips the NULL of "nothing corrected".
    wanted = ParsedQuery(" ".join(_clause_text(c) for c in parsed.positive), parsed.positive)
    typed, prefix, corrected = _postgresql_tsqueries(wanted) if parsed.negated else (typed, prefix, corrected)
    ranks = [TsRank(F("search_vector"), prefix or typed)]
    if corrected:
        ranks.append(TsRank(F("search_vector"), corrected, factor=CORRECTED_RANK_FACTOR))
    rank = Func(*ranks, function="GREATEST", output_field=FloatField()) if len(ranks) > 1 else ranks[0]
    # Short words have too few trigrams to be told apart: "ltht" would fetch thousands of candidates.
    trigram_words = " ".join(w for w in parsed.plain_words if len(w) >= 5)
    if trigram_words and not parsed.has_syntax:
        # A misspelt name ("Pharmacey2u", "Tunstal") matches through the trigram index on the names.
        # Strict word similarity compares whole words, so "radi" does not find "Radar". It is only
        # computed for rows the full-text query missed (it costs more than ts_rank).
        condition |= Q(_search_names__trigram_strict_word_similar=trigram_words)
        similarity = Func(
            Value(trigram_words),
            F("_search_names"),
            function="strict_word_similarity",
            output_field=FloatField(),
        )
        rank = Func(Func(rank, Value(0.0), function="NULLIF"), 0.5 * similarity, function="COALESCE")
    else:
        rank = Func(rank, Value(0.0), function="COALESCE")
    return (
        queryset.alias(_search_names=_names_text())
        .filter(condition)
        .annotate(search_rank=rank + _name_bonus(parsed))
    )


class TsRank(Func):
    """ts_rank with the field weights (name A … description D), times `factor`; NULL for a NULL query."""

    output_field = FloatField()

    def __init__(self, vector, tsquery, *, factor=1.0):
        self.factor = float(factor)
        super().__init__(vector, tsquery)

    def as_sql(self, compiler, connection, **extra):
        (vector, vector_params), (tsquery, tsquery_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        sql = f"(%s * ts_rank(%s::real[], {vector}, {tsquery}))"
        return sql, (self.factor, POSTGRESQL_WEIGHTS, *vector_params, *tsquery_params)


def fts5_match_expression(parsed):
    """An FTS5 MATCH string built only from quoted words, so user input is never FTS syntax.

    Every word is a prefix ("radi" finds radiology); a quoted phrase is matched as a phrase.
    """
    expression = ""
    for clause in parsed.positive:
        quoted = '"' + " ".join(clause.words) + '"'
        if not clause.phrase:
            quoted += "*"
        if expression:
            expression += " OR " if clause.or_before else " AND "
        expression += quoted
    expression = f"({expression})"
    for clause in parsed.negated:
        expression += ' NOT "' + " ".join(clause.words) + '"' + ("" if clause.phrase else "*")
    return expression


class Fts5Rank(Func):
    """bm25 of one organisation for a MATCH expression, scaled to 0–1 (higher is better).

    The MATCH runs once per query: the ranks of every match come from one subquery, which SQLite
    materialises and indexes by rowid, and each row looks its own up there. A subquery with
    `MATCH %s AND rowid = <pk>` would run the MATCH again for every row, and a prefix word makes
    FTS5 merge the postings of every word with that prefix each time (100 s for 50,000 matches).
    OFFSET keeps SQLite from flattening the subquery into the lookup (which would bring that
    per-row MATCH back); LIMIT keeps it from pushing the lookup's condition down into it.
    """

    output_field = FloatField()

    def __init__(self, match, **extra):
        self.match = match
        super().__init__(F("pk"), **extra)

    def as_sql(self, compiler, connection, **extra):
        pk_sql, pk_params = compiler.compile(self.get_source_expressions()[0])
        bm25 = f"bm25(organisations_organisation_fts, {FTS5_WEIGHTS})"
        sql = (
            "(SELECT fts_ranks.score FROM ("  # noqa: S608 — the query is a bound parameter
            f"SELECT rowid AS organisation_id, -{bm25} / (1.0 - {bm25}) AS score "
            "FROM organisations_organisation_fts WHERE organisations_organisation_fts MATCH %s "
            f"LIMIT -1 OFFSET 0) AS fts_ranks WHERE fts_ranks.organisation_id = {pk_sql})"
        )
        return sql, (self.match, *pk_params)


def _sqlite_search(queryset, parsed):
    match = fts5_match_expression(parsed)
    matching_ids = RawSQL(  # noqa: S611 — the query is a bound parameter
        "SELECT rowid FROM organisations_organisation_fts WHERE organisations_organisation_fts MATCH %s",
        [match],
    )
    return queryset.filter(pk__in=matching_ids).annotate(
        search_rank=Coalesced(Fts5Rank(match)) + _name_bonus(parsed)
    )


class Coalesced(Func):
    function = "COALESCE"
    output_field = FloatField()

    def __init__(self, expression, **extra):
        super().__init__(expression, Value(0.0), **extra)


def _fallback_search(queryset, parsed):
    """Other databases: every word somewhere in the text, no ranking beyond exact names."""
    for clause in parsed.positive:
        for word in clause.words:
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(alternative_names__icontains=word)
                | Q(sector_names__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
            )
    return queryset.annotate(search_rank=_name_bonus(parsed) + Value(0.0))


# --- Highlighting -----------------------------------------------------------------------------

_SUFFIXES = ("ations", "ation", "ies", "ing", "ics", "ical", "ic", "es", "ed", "ly", "s", "y")


def _stem(word):
    """A light stemmer, enough to show "pharmacies" in "pharmacy" and "orthopaedic" in "orthopaedics"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _word_matches(word, query_words):
    word = word.lower()
    stem = _stem(word)
    for query_word in query_words:
        if word.startswith(query_word) or word.startswith(_stem(query_word)) or stem == _stem(query_word):
            return True
        if (
            len(word) >= 5
            and len(query_word) >= 5
            and difflib.SequenceMatcher(None, word, query_word).ratio() >= 0.8
        ):
            return True
    return False


def highlight(text, q):
    """`text` HTML-escaped, with the words `q` searched for wrapped in <mark>; a SafeString."""
    text = str(text or "")
    query_words = [w for c in parse_query(q).positive for w in c.words]
    if not query_words:
        return mark_safe(escape(text))  # noqa: S308 — escaped just now
    pieces, position = [], 0
    for match in WORD_RE.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        word = escape(match.group())
        pieces.append(f"<mark>{word}</mark>" if _word_matches(match.group(), query_words) else word)
        position = match.end()
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 — every piece is escaped


# --- Did you mean ---------------------------------------------------------------------------------


def did_you_mean(q):
    """A corrected query from the vocabulary of published entries, or None when none is better.

    Only offered when the corrected query finds something.
    """
    from .models import Organisation

    parsed = parse_query(q)
    words = [w for w in parsed.plain_words if not w.isdigit()]
    if not words:
        return None
    if connection.vendor == "postgresql":
        corrections = _postgresql_corrections(words)
    else:
        corrections = _vocabulary_corrections(words)
    corrections = {word: better for word, better in corrections.items() if better and better != word}
    if not corrections:
        return None
    corrected = " ".join(
        _clause_text(
            Clause(
                [corrections.get(w, w) for w in c.words] if not c.negated and not c.phrase else c.words,
                phrase=c.phrase,
                negated=c.negated,
                or_before=c.or_before,
            )
        )
        for c in parsed.clauses
    )
    if corrected == parsed.text.lower() or not search(Organisation.objects.published(), corrected).exists():
        return None
    return corrected


def _postgresql_corrections(words):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT w.word, (
                SELECT t.word FROM organisations_search_term t
                WHERE t.word %% w.word AND similarity(t.word, w.word) >= %s
                ORDER BY t.word <-> w.word, t.word LIMIT 1)
            FROM unnest(%s::text[]) AS w(word)
            WHERE NOT EXISTS (SELECT 1 FROM organisations_search_term e WHERE e.word = w.word)
            """,
            [CORRECTION_SIMILARITY, words],
        )
        return dict(cursor.fetchall())


def _vocabulary_corrections(words):
    vocabulary = published_vocabulary()
    corrections = {}
    for word in words:
        if word in vocabulary or len(word) < 3:
            continue
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.75)
        corrections[word] = close[0] if close else None
    return corrections


def vocabulary_cache_key(*version):
    """A key for the vocabulary at `version`, hashed: a timestamp's spaces and colons would not
    be valid in a memcached key."""
    digest = hashlib.blake2b("|".join(map(str, version)).encode(), digest_size=16).hexdigest()
    return f"{VOCABULARY_CACHE_KEY}:{digest}"


def published_vocabulary():
    """Every word of published names, alternative names, sector names and summaries (cached)."""
    from .models import Organisation

    published = Organisation.objects.published()
    # Any publish, unpublish, edit or deletion changes one of these, and so the cache key. Each is
    # read from an index: the latest edit of any organisation (not only of published ones) so that
    # SQLite need not read 100,000 rows for it.
    fingerprint = published.order_by().aggregate(n=Count("pk"), top=Max("pk"))
    last = Organisation.objects.order_by().aggregate(last=Max("updated_at"))["last"]
    key = vocabulary_cache_key(fingerprint["n"], fingerprint["top"], last)
    vocabulary = cache.get(key)
    if vocabulary is None:
        vocabulary = set()
        for row in published.order_by().values_list("name", "alternative_names", "sector_names", "summary"):
            vocabulary.update(w.lower() for w in WORD_RE.findall(" ".join(row)) if len(w) >= 2)
        vocabulary = sorted(vocabulary)
        cache.set(key, vocabulary, 3600)
    return vocabulary


# --- Rebuilding -----------------------------------------------------------------------------------

SECTOR_NAMES_SQL = {
    "postgresql": """
        UPDATE organisations_organisation AS o SET sector_names = s.names
        FROM (
            SELECT o2.id, coalesce(string_agg(sec.name, ' ' ORDER BY sec.name), '') AS names
            FROM organisations_organisation o2
            LEFT JOIN organisations_organisation_sectors os ON os.organisation_id = o2.id
            LEFT JOIN organisations_sector sec ON sec.id = os.sector_id
            GROUP BY o2.id
        ) AS s
        WHERE s.id = o.id AND o.sector_names IS DISTINCT FROM s.names
    """,
    "sqlite": """
        UPDATE organisations_organisation SET sector_names = coalesce((
            SELECT group_concat(name, ' ') FROM (
                SELECT sec.name FROM organisations_organisation_sectors os
                JOIN organisations_sector sec ON sec.id = os.sector_id
                WHERE os.organisation_id = organisations_organisation.id
                ORDER BY sec.name)), '')
        WHERE sector_names IS NOT coalesce((
            SELECT group_concat(name, ' ') FROM (
                SELECT sec.name FROM organisations_organisation_sectors os
                JOIN organisations_sector sec ON sec.id = os.sector_id
                WHERE os.organisation_id = organisations_organisation.id
                ORDER BY sec.name)), '')
    """,
}

REBUILD_SQL = {
    "postgresql": [
        # Only rows whose vector is stale: rewriting all 100,000 after a seed took 20–38 s.
        """
        UPDATE organisations_organisation SET search_vector = organisations_search_document(
            name, alternative_names, sector_names, summary, description)
        WHERE search_vector IS DISTINCT FROM organisations_search_document(
            name, alternative_names, sector_names, summary, description)
        """,
        "DELETE FROM organisations_search_term",
        """
        INSERT INTO organisations_search_term (word)
        SELECT DISTINCT w.word FROM organisations_organisation AS o,
            organisations_search_words(o.name, o.alternative_names, o.sector_names, o.summary) AS w(word)
        WHERE o.status = 'published'
        ON CONFLICT (word) DO NOTHING
        """,
        "ANALYZE organisations_search_term",
        # Bulk loads leave the planner's statistics stale, and it then skips the GIN indexes.
        "ANALYZE organisations_organisation",
    ],
    "sqlite": [
        "INSERT INTO organisations_organisation_fts (organisations_organisation_fts) VALUES ('rebuild')"
    ],
}

# The FTS5 triggers of migration 0002_search, recreated when missing: SQLite drops a table's
# triggers when a later migration rebuilds the table to alter it.
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER IF NOT EXISTS organisations_organisation_fts_insert
    AFTER INSERT ON organisations_organisation
    BEGIN
        INSERT INTO organisations_organisation_fts (rowid, name, alternative_names, sector_names, summary, description)
        VALUES (new.id, new.name, new.alternative_names, new.sector_names, new.summary, new.description);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS organisations_organisation_fts_delete
    AFTER DELETE ON organisations_organisation
    BEGIN
        INSERT INTO organisations_organisation_fts (organisations_organisation_fts, rowid, name, alternative_names, sector_names, summary, description)
        VALUES ('delete', old.id, old.name, old.alternative_names, old.sector_names, old.summary,
                old.description);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS organisations_organisation_fts_update
    AFTER UPDATE OF name, alternative_names, sector_names, summary, description ON organisations_organisation
    BEGIN
        INSERT INTO organisations_organisation_fts (organisations_organisation_fts, rowid, name, alternative_names, sector_names, summary, description)
        VALUES ('delete', old.id, old.name, old.alternative_names, old.sector_names, old.summary,
                old.description);
        INSERT INTO organisations_organisation_fts (rowid, name, alternative_names, sector_names, summary, description)
        VALUES (new.id, new.name, new.alternative_names, new.sector_names, new.summary, new.description);
    END
    """,
]


def ensure_sqlite_triggers():
    """Recreate the FTS5 triggers if a table rebuild dropped them; True when any was missing."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            ["organisations_organisation_fts_%"],
        )
        present = cursor.fetchone()[0]
        for sql in SQLITE_TRIGGERS:
            cursor.execute(sql)
    return present < len(SQLITE_TRIGGERS)


def rebuild_index():
    """Refresh every organisation's sector names, the search index and the vocabulary.

    Run after `loaddata` and bulk imports. Returns the number of rows whose sector names changed.
    """
    vendor = connection.vendor
    with transaction.atomic():
        if vendor == "sqlite":
            ensure_sqlite_triggers()
        changed = 0
        with connection.cursor() as cursor:
            if vendor in SECTOR_NAMES_SQL:
                cursor.execute(SECTOR_NAMES_SQL[vendor])
                changed = cursor.rowcount
            for sql in REBUILD_SQL.get(vendor, []):
                cursor.execute(sql)
    return changed
