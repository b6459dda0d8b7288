"""SQLite: a plan (plan.py) as FTS5 MATCH expressions over the stemmed table, with the columns
weighted as on PostgreSQL, and acronyms and short words checked against the table of words as
written. No typo tolerance.

The ORM cannot say MATCH, so the FTS5 reads are SQL, with the expression only ever a bound
parameter built from quoted words."""

from functools import reduce
from operator import and_, or_

from django.db.models import Q
from django.db.models.expressions import RawSQL

from . import ddl
from .ranking import member_bonus, name_bonus, relevance


def matching(table=ddl.FTS_TABLE):
    return f"SELECT rowid FROM {table} WHERE {table} MATCH %s"  # noqa: S608 — the expression is a parameter


def quoted(words, prefix=False):
    return '"' + " ".join(words) + '"' + ("*" if prefix else "")


def alternative_match(alternative):
    """One alternative: a quoted word or phrase, the last word a prefix when the plan says so.
    Stop words stay in a phrase, as the index keeps them."""
    if not alternative.searched:
        return None
    return quoted([w.text for w in alternative.words], alternative.words[-1].prefix)


def term_match(term, alternatives=None):
    found = [m for m in map(alternative_match, alternatives or term.alternatives) if m]
    return f"({' OR '.join(found)})" if found else None


def plan_match(plan, *, exclusions=True, columns=None):
    """The plan's groups OR-ed, each the AND of its terms, minus the excluded terms; within
    `columns` when given (an FTS5 column filter)."""
    groups = []
    for group in plan.groups:
        terms_matched = [m for m in map(term_match, group) if m]
        if terms_matched:
            groups.append(f"({' AND '.join(terms_matched)})")
    if not groups:
        return None
    expression = f"({' OR '.join(groups)})"
    if columns:
        expression = "{" + " ".join(columns) + "} : " + expression
    excluded = [m for m in map(term_match, plan.negated) if m]
    if exclusions and excluded:
        expression += f" NOT ({' OR '.join(excluded)})"
    return expression


def matches(expression, table=ddl.FTS_TABLE):
    return Q(pk__in=RawSQL(matching(table), [expression]))  # noqa: S611 — a bound parameter


def exact_filters(plan):
    """For each term with acronyms or short words: its words as written, not their stems ("NICE"
    is not "nicely"). Only for a plan of one group: across OR the stems decide."""
    if len(plan.groups) != 1:
        return []
    conditions = []
    for term in plan.groups[0]:
        exact = [a for a in term.alternatives if a.searched and all(w.exact for w in a.searched)]
        if not exact or term.initiatives:
            continue
        condition = matches(term_match(term, exact), ddl.EXACT_FTS_TABLE)
        others = [a for a in term.alternatives if a not in exact and a.searched]
        if others:
            condition |= matches(term_match(term, others))
        conditions.append(condition)
    return conditions


def condition(queryset, plan):
    if not plan.initiatives:
        return reduce(and_, [matches(plan_match(plan)), *exact_filters(plan)])
    groups = []
    for group in plan.groups:
        parts = []
        text_terms = [m for m in (term_match(t) for t in group if not t.initiatives) if m]
        if text_terms:
            parts.append(matches(" AND ".join(text_terms)))
        for term in group:
            if term.initiatives:
                members = queryset.model.membership_model().objects.filter(initiative_id__in=term.initiatives)
                parts.append(matches(term_match(term)) | Q(pk__in=members.values("organisation_id")))
        groups.append(reduce(and_, parts))
    found = reduce(or_, groups)
    excluded = [m for m in map(term_match, plan.negated) if m]
    if excluded:
        found &= ~matches(" OR ".join(excluded))
    return found


def search(queryset, plan):
    def within(weights, terms=None):
        columns = ddl.DOCUMENT.columns_weighted(weights)
        if terms is None:
            return matches(plan_match(plan, exclusions=False, columns=columns))
        found = " AND ".join(m for m in map(term_match, terms) if m)
        # Words as written are read from the table without a stemmer.
        written = all(w.exact or w.stop for t in terms for a in t.alternatives for w in a.words)
        table = ddl.EXACT_FTS_TABLE if written else ddl.FTS_TABLE
        return matches("{" + " ".join(columns) + "} : (" + found + ")", table)

    rank = relevance(plan, within) + name_bonus(plan.parsed) + member_bonus(queryset, plan.initiatives)
    return queryset.filter(condition(queryset, plan)).annotate(search_rank=rank)


def names_starting(queryset, words):
    """Organisations with name words that start with the typed words (type-ahead)."""
    columns = ddl.DOCUMENT.columns_weighted("A")
    expression = (
        "{" + " ".join(columns) + "} : (" + " AND ".join(quoted([w], prefix=True) for w in words) + ")"
    )
    return queryset.filter(matches(expression))
