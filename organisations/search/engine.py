"""`search(queryset, q)`: the engine of the queryset's database, best first.

A query is first read into a plan (`prepare`): against the thesaurus and the initiatives' names
(one small read, kept under the data version) and, on PostgreSQL, the vocabulary, to find
misspelt words (one more). The plan is then compiled by the engine into constants, so the search
itself is one statement, however often it is reused (the facets reuse it). Callers that search
more than once for one request (the FilterSet) prepare the plan once and pass it.
"""

from django.db import connections
from django.db.models import BooleanField, F, Q, Value

from . import postgresql, sqlite
from .plan import Plan, plan_query
from .ranking import name_bonus

ENGINES = {"postgresql": postgresql.search, "sqlite": sqlite.search}


def prepare(q, *, using="default"):
    """The plan for `q`, read against the lexicon (and the vocabulary on PostgreSQL)."""
    plan = plan_query(q)
    if plan.positive and connections[using].vendor == "postgresql":
        postgresql.check_vocabulary(plan)
    return plan


def search(queryset, q):
    """`queryset` narrowed to the matches for `q` (a string, or a plan from `prepare`), annotated
    with `search_rank` (higher is better).

    Ordered best first; a later `order_by()` replaces that order. An empty query leaves the
    queryset unchanged; a query with no searchable words (only punctuation, stop words or
    exclusions) matches nothing. The SQL only ever sees user input as bound parameters.
    """
    if isinstance(q, Plan):
        plan = q
    elif not str(q or "").strip():
        return queryset
    else:
        plan = prepare(q, using=queryset.db)
    if not plan.parsed.text:
        # Only control characters: no search, but callers may still sort by `search_rank`.
        return queryset.annotate(search_rank=Value(0.0))
    if plan.empty:
        # A false condition rather than .none(): the SQL of .none() cannot be printed (facets do).
        return queryset.filter(Value(False, output_field=BooleanField())).annotate(search_rank=Value(0.0))
    engine = ENGINES.get(connections[queryset.db].vendor, fallback_search)
    # The narrow table of published rows stores only the lower-cased name.
    by_name = "name_lower" if getattr(queryset.model, "STORED_NAMES", False) else "name"
    return engine(queryset, plan).order_by(F("search_rank").desc(), by_name, "pk")


def fallback_search(queryset, plan):
    """Other databases: every word of each group somewhere in the text, no ranking beyond names."""
    groups = []
    for group in plan.groups:
        condition = Q()
        for term in group:
            either = Q()
            for word in term.words():
                either |= (
                    Q(name__icontains=word)
                    | Q(legal_name__icontains=word)
                    | Q(alternative_names__icontains=word)
                    | Q(sector_names__icontains=word)
                    | Q(summary__icontains=word)
                    | Q(description__icontains=word)
                )
            condition &= either
        groups.append(condition)
    found = Q()
    for condition in groups:
        found |= condition
    return queryset.filter(found).annotate(search_rank=name_bonus(plan.parsed) + Value(0.0))
