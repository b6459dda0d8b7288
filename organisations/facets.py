"""Facet counts for the directory's filters (ARCHITECTURE.md §5).

Each facet counts over the organisations that match every *other* active filter, so that ticking
one more sector shows how many the choice would add. On SQLite: one grouped query per facet,
whatever the number of options, plus the one shared query for the reference options.

On PostgreSQL every facet whose own filter is not in use counts over the same set (the fully
filtered list), so those facets share one statement that evaluates the search and filters once
(a materialised CTE of the matching ids) and groups it per facet; a facet whose own filter is in
use keeps its own query. At 100,000 organisations a common word was re-searched eight times
before (docs/performance.md).
"""

import re

from django.db import connections
from django.db.models import Count, Q

from core.dataversion import cached

from .filters import REFERENCE_FACETS
from .models import Organisation

FACETS = ("sector", "initiative", "care_setting", "regulatory", "type", "size", "local_authority", "district")

# Facets whose options come from a model's choices: (facet, model field, choices).
CHOICE_FACETS = (
    ("type", "organisation_type", Organisation.Type.choices),
    ("size", "employees_band", Organisation.EmployeesBand.choices),
    ("local_authority", "local_authority", Organisation.LocalAuthority.choices),
)

CHOICE_FIELDS = {facet: field for facet, field, _choices in CHOICE_FACETS}

# Through tables for the reference facets: (model, column pointing at the option).
REFERENCE_LINKS = {
    "sector": (Organisation.sectors.through, "sector_id"),
    "care_setting": (Organisation.care_settings.through, "caresetting_id"),
    "regulatory": (Organisation.regulatory_marks.through, "regulatorymark_id"),
    "initiative": (Organisation.membership_model(), "initiative_id"),
}

# The condition a link table's rows meet when their organisation is in the shared statement's CTE.
# A semi-join: PostgreSQL cannot know the CTE's ids are unique, and a plain join made it expect
# millions of rows and spend more time compiling the query (JIT) than running it.
IN_MATCHES = "IN (SELECT id FROM facet_matches)"

TOP_OPTIONS = 10

# Writes change the version and so the key: the expiry only frees space.
FACET_CACHE_SECONDS = 60 * 60


def facet_counts(filterset):
    """{facet: [{"value", "label", "count", "selected"}, …]}.

    Reference facets and districts are ordered by count, then label (their top 10 are shown
    first); the short choice facets keep their natural order.

    Counted from the in-process index (facet_index.py) for the public list; a FilterSet over
    another queryset counts in SQL, cached per filtered query under the data version.
    """
    indexed = filterset.indexed_results
    if indexed is not None:
        return _options(filterset, indexed.facet_counts())
    return _sql_facet_counts(filterset)


def _sql_facet_counts(filterset):
    """The counts in SQL: at 100,000 organisations they cost more than the page."""
    query = str(filterset.queryset_without().query)
    return cached("facets", query, lambda: _facet_counts(filterset), timeout=FACET_CACHE_SECONDS)


def _facet_counts(filterset):
    postgresql = connections[filterset.queryset.db].vendor == "postgresql"
    counts = _shared_counts(filterset) if postgresql else {}
    for facet in FACETS:
        if facet not in counts:
            counts[facet] = _own_counts(filterset, facet)
    return _options(filterset, counts)


def _per_facet_counts(filterset):
    """One query per facet: the SQLite path, and what the shared PostgreSQL statement must equal."""
    return _options(filterset, {facet: _own_counts(filterset, facet) for facet in FACETS})


def _options(filterset, counts):
    facets = {}
    for facet in REFERENCE_FACETS:
        facets[facet] = _reference_facet(filterset, facet, counts[facet])
    for facet, _field, choices in CHOICE_FACETS:
        facets[facet] = _choice_facet(filterset, facet, choices, counts[facet])
    facets["district"] = _district_facet(filterset, counts["district"])
    return {facet: facets[facet] for facet in FACETS}


def _selected(filterset, facet):
    return set(filterset.cleaned(facet) or ())


# --- Counting ---------------------------------------------------------------------------------


def _own_counts(filterset, facet):
    """{option key: count} for `facet` over every active filter but its own, in one grouped query."""
    matching = filterset.queryset_without(facet).values("pk")
    if facet in REFERENCE_LINKS:
        model, column = REFERENCE_LINKS[facet]
        rows = model.objects.filter(organisation_id__in=matching).order_by().values_list(column)
        return dict(rows.annotate(n=Count("pk")))
    if facet == "district":
        # Every district the public list holds is an option; the count applies the other filters.
        rows = filterset.queryset.exclude(postcode_district="").order_by().values_list("postcode_district")
        return dict(rows.annotate(n=Count("pk", filter=Q(pk__in=matching))))
    rows = Organisation.objects.filter(pk__in=matching).order_by().values_list(CHOICE_FIELDS[facet])
    return dict(rows.annotate(n=Count("pk")))


def _shared_counts(filterset):
    """{facet: {option key: count}} for every facet whose own filter is not in use, in one statement.

    Those facets all count over the full filtered list, so it is computed once, as a CTE that
    PostgreSQL must materialise (it would otherwise inline the search into every part). The CTE
    carries the organisation columns the choice facets and districts group by, so those parts read
    it alone; the reference facets count the rows of their link tables whose organisation is in it.
    Facets whose own filter is in use are left to `_own_counts`. The filtered query is compiled by
    Django, so user input only ever travels as parameters; the rest names tables and columns.
    """
    facets = [facet for facet in FACETS if not filterset.cleaned(facet)]
    if not facets:
        return {}
    quote = connections[filterset.queryset.db].ops.quote_name
    columns = [CHOICE_FIELDS[facet] for facet in facets if facet in CHOICE_FIELDS]
    if "district" in facets:
        columns.append("postcode_district")
    # One row per organisation (every filter is a condition on the row or an EXISTS, never a join
    # that could repeat it), so counting the CTE's rows counts organisations.
    matches_sql, params = _compiled(filterset.queryset_without().values("pk", *columns))
    parts = []
    for facet in facets:
        if facet in REFERENCE_LINKS:
            model, column = REFERENCE_LINKS[facet]
            organisation = quote(model._meta.get_field("organisation").column)
            parts.append(_grouped(quote(column), quote(model._meta.db_table), f"{organisation} {IN_MATCHES}"))
            params = (*params, facet)
        elif facet in CHOICE_FIELDS:
            parts.append(_grouped(quote(CHOICE_FIELDS[facet]), "facet_matches"))
            params = (*params, facet)
        else:
            # Every district the public list holds is an option, with 0 where no match is in it.
            district = quote("postcode_district")
            parts.append(_grouped(district, "facet_matches", f"{district} <> ''"))
            every_sql, every_params = _compiled(
                filterset.queryset.exclude(postcode_district="").values("postcode_district").distinct()
            )
            parts.append(f"SELECT %s, every.district, 0 FROM ({every_sql}) AS every (district)")  # noqa: S608
            params = (*params, facet, facet, *every_params)
    # The column list names the CTE's columns: the compiled query calls the first one "pk".
    names = ", ".join(["id", *(quote(column) for column in columns)])
    sql = f"WITH facet_matches ({names}) AS MATERIALIZED ({matches_sql}) " + " UNION ALL ".join(
        f"({part})" for part in parts
    )
    counts = {facet: {} for facet in facets}
    with connections[filterset.queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        for facet, key, n in cursor.fetchall():
            key = int(key) if facet in REFERENCE_LINKS else key
            counts[facet][key] = counts[facet].get(key, 0) + n
    return counts


def _grouped(key, table, condition="TRUE"):
    """One part of the shared statement: (facet, option key as text, count) per option."""
    return f"SELECT %s, {key}::text, count(*) FROM {table} WHERE {condition} GROUP BY 2"  # noqa: S608 — names, no input


def _compiled(queryset):
    """(SQL, params) of an unordered queryset, as Django would run it."""
    query = queryset.order_by().query
    return query.get_compiler(using=queryset.db).as_sql()


# --- Options ----------------------------------------------------------------------------------


def _ordered(options):
    return sorted(options, key=lambda option: (-option["count"], option["label"].lower()))


def _reference_facet(filterset, facet, counts):
    selected = _selected(filterset, facet)
    options = [
        {"value": slug, "label": name, "count": counts.get(pk, 0), "selected": slug in selected}
        for pk, slug, name, active in filterset.reference_options[facet]
        # Retired options stay while organisations still carry them, or while someone filters by one.
        if active or counts.get(pk) or slug in selected
    ]
    return _ordered(options)


def _choice_facet(filterset, facet, choices, counts):
    selected = _selected(filterset, facet)
    options = [
        {"value": value, "label": str(label), "count": counts.get(value, 0), "selected": value in selected}
        for value, label in choices
    ]
    # Few options with a natural order (micro before small): kept in the order of the choices.
    return options


def _district_facet(filterset, counts):
    selected = _selected(filterset, "district")
    options = [
        {
            "value": district,
            "label": district,
            "count": counts.get(district, 0),
            "selected": district in selected,
        }
        for district in sorted(set(counts) | selected, key=_district_key)
    ]
    return sorted(options, key=lambda option: -option["count"])


def _district_key(district):
    # LS2 before LS11: area letters, then the district number, then any letter (EC1A).
    match = re.match(r"^([A-Z]+)([0-9]+)(.*)$", district)
    if not match:
        return (district, 0, "")
    return (match[1], int(match[2]), match[3])


def split_top(options, limit=TOP_OPTIONS):
    """(shown, more): the top `limit` options plus any selected ones, and the rest for "show all"."""
    if len(options) <= limit + 2:
        return options, []
    shown = options[:limit] + [o for o in options[limit:] if o["selected"]]
    more = [o for o in options[limit:] if not o["selected"]]
    return shown, more
