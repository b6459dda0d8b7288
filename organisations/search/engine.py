"""`search(queryset, q)`: the engine of the queryset's database, lazily, best first."""

from django.db import connections
from django.db.models import BooleanField, F, Q, Value

from . import postgresql, sqlite
from .query import parse_query
from .ranking import name_bonus

ENGINES = {"postgresql": postgresql.search, "sqlite": sqlite.search}


def search(queryset, q):
    """`queryset` narrowed to the matches for `q`, annotated with `search_rank` (higher is better).

    Ordered best first; a later `order_by()` replaces that order. An empty query leaves the
    queryset unchanged; a query with no searchable words (only punctuation, only exclusions)
    matches nothing. No query runs until the queryset is evaluated, so the FilterSet may call it
    once per facet; the SQL only ever sees user input as bound parameters.
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
    engine = ENGINES.get(connections[queryset.db].vendor, fallback_search)
    return engine(queryset, parsed).order_by(F("search_rank").desc(), "name", "pk")


def fallback_search(queryset, parsed):
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
    return queryset.annotate(search_rank=name_bonus(parsed) + Value(0.0))
