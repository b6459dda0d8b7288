"""SQLite: an FTS5 table kept by triggers (organisations/search/ddl.py), every word matched as a
prefix, ranked by bm25 with the columns weighted as on PostgreSQL. No typo tolerance.

The ORM cannot say MATCH, so the two FTS5 reads are SQL, with the query only ever a bound
parameter built from quoted words."""

from django.db.models import F, FloatField, Func, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from . import ddl
from .ranking import name_bonus

# bm25 weights for the FTS5 columns, in their order.
FTS5_WEIGHTS = ddl.DOCUMENT.fts5_weights()

MATCHING_IDS = f"SELECT rowid FROM {ddl.FTS_TABLE} WHERE {ddl.FTS_TABLE} MATCH %s"  # noqa: S608


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
        bm25 = f"bm25({ddl.FTS_TABLE}, {FTS5_WEIGHTS})"
        sql = (
            "(SELECT fts_ranks.score FROM ("  # noqa: S608 — the query is a bound parameter
            f"SELECT rowid AS organisation_id, -{bm25} / (1.0 - {bm25}) AS score "
            f"FROM {ddl.FTS_TABLE} WHERE {ddl.FTS_TABLE} MATCH %s "
            f"LIMIT -1 OFFSET 0) AS fts_ranks WHERE fts_ranks.organisation_id = {pk_sql})"
        )
        return sql, (self.match, *pk_params)


def search(queryset, parsed):
    match = fts5_match_expression(parsed)
    matching_ids = RawSQL(MATCHING_IDS, [match])  # noqa: S611 — the query is a bound parameter
    rank = Coalesce(Fts5Rank(match), Value(0.0), output_field=FloatField())
    return queryset.filter(pk__in=matching_ids).annotate(search_rank=rank + name_bonus(parsed))
