"""Search beyond the organisations: the initiatives and sectors a query names or describes, shown
above the results as their own short group, and the suggestions of the search box's type-ahead.

Initiatives and sectors come from the lexicon (a few dozen rows, read with the thesaurus and kept
under the data version), so neither costs a query of its own. Initiatives belong to the app that
builds on this one: they are reached through `Organisation.initiative_model()` and their pages by
URL name, never by importing that app.
"""

from dataclasses import dataclass

from django.db import connections
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from . import postgresql, sqlite
from .highlight import _stem
from .lexicon import lexicon
from .query import WORD_RE, clean_query

MAX_GROUP = 4
SUGGESTION_MIN_LENGTH = 2
MAX_ORGANISATION_SUGGESTIONS = 6
MAX_OTHER_SUGGESTIONS = 3


@dataclass(frozen=True)
class SiteResult:
    kind: str  # "initiative" or "sector"
    slug: str
    name: str
    line: str  # one line about it
    url: str
    score: float


def _words(text):
    return [w.lower() for w in WORD_RE.findall(text or "")]


def _word_in(word, words):
    if word.exact:
        return word.text in words
    if word.prefix:
        return any(w.startswith(word.text) for w in words)
    stem = _stem(word.text)
    return any(w == word.text or _stem(w) == stem for w in words)


def _term_in(term, words):
    return any(a.searched and all(_word_in(w, words) for w in a.searched) for a in term.alternatives)


def _score(plan, named, name, line):
    """3 when the query names it, 2 when every term is in its name, 1 when in its name or line."""
    if named:
        return 3.0
    for group in plan.groups:
        if all(_term_in(t, _words(name)) for t in group):
            return 2.0
    for group in plan.groups:
        if all(_term_in(t, _words(f"{name} {line}")) for t in group):
            return 1.0
    return 0.0


def site_results(plan):
    """{"initiatives": [SiteResult], "sectors": [SiteResult]} that match the plan, best first."""
    if plan.empty:
        return {"initiatives": [], "sectors": []}
    lexicon_ = plan.lexicon or lexicon()
    named_sectors = set(plan.sectors)
    for term in plan.positive:
        for alternative in term.alternatives:
            entry = lexicon_.lookup([w.text for w in alternative.words])
            if entry:
                named_sectors.update(entry.sectors)
    initiatives = [
        SiteResult(
            "initiative",
            row["slug"],
            row["name"],
            row["summary"],
            reverse("initiatives:initiative-detail", args=[row["slug"]]),
            _score(plan, row["id"] in plan.initiatives, row["name"], row["summary"]),
        )
        for row in lexicon_.initiatives
    ]
    sectors = [
        SiteResult(
            "sector",
            row["slug"],
            row["name"],
            row["description"],
            reverse("organisations:sector-detail", args=[row["slug"]]),
            _score(plan, row["id"] in named_sectors, row["name"], ""),
        )
        for row in lexicon_.sectors
    ]
    return {
        "initiatives": _best(initiatives),
        "sectors": _best(sectors),
    }


def _best(results):
    found = sorted((r for r in results if r.score > 0), key=lambda r: (-r.score, r.name.lower()))
    return found[:MAX_GROUP]


# --- Type-ahead -----------------------------------------------------------------------------


def suggestions(organisations, q):
    """Up to a handful of organisations, initiatives and sectors for what is typed so far:
    [{"kind", "label", "detail", "url"}]. Names that start with the text come first (read from
    the index on lower-cased names), then names with a word that starts with it (the full-text
    index), then initiatives and sectors."""
    text = clean_query(q).lower().strip()
    if len(text) < SUGGESTION_MIN_LENGTH:
        return []
    found = _organisation_suggestions(organisations, text)
    words = _words(text)
    lexicon_ = lexicon()
    for kind, rows, url_name in (
        ("initiative", lexicon_.initiatives, "initiatives:initiative-detail"),
        ("sector", lexicon_.sectors, "organisations:sector-detail"),
    ):
        matching = [row for row in rows if _starts_words(row["name"], words)][:MAX_OTHER_SUGGESTIONS]
        for row in matching:
            detail = "Sector" if kind == "sector" else _kind_label(row["kind"])
            found.append(
                {
                    "kind": kind,
                    "label": row["name"],
                    "detail": detail,
                    "url": reverse(url_name, args=[row["slug"]]),
                }
            )
    return found


def _starts_words(name, words):
    """Every typed word starts a word of the name ("leeds te" → "Leeds Teaching …")."""
    name_words = _words(name)
    return bool(words) and all(any(n.startswith(w) for n in name_words) for w in words)


def _kind_label(kind):
    return kind.replace("_", " ").capitalize() if kind else "Initiative"


def _organisation_suggestions(organisations, text):
    upper = text[:-1] + chr(ord(text[-1]) + 1)
    # The range reads the index on lower-cased published names in order; collations that skip
    # spaces may let a few other names into it, which the check below leaves out.
    starting = list(
        organisations.alias(_lower_name=Lower("name"))
        .filter(Q(_lower_name__gte=text) & Q(_lower_name__lt=upper))
        .order_by(Lower("name"), "pk")
        .values_list("name", "slug", "town")[: MAX_ORGANISATION_SUGGESTIONS * 2]
    )
    rows = [row for row in starting if row[0].lower().startswith(text)][:MAX_ORGANISATION_SUGGESTIONS]
    words = _words(text)
    if len(rows) < MAX_ORGANISATION_SUGGESTIONS and words and len(words[-1]) >= 3:
        rows += _word_start_suggestions(organisations, words, {slug for _n, slug, _t in rows})
    return [
        {
            "kind": "organisation",
            "label": name,
            "detail": town,
            "url": reverse("organisations:organisation-detail", args=[slug]),
        }
        for name, slug, town in rows[:MAX_ORGANISATION_SUGGESTIONS]
    ]


def _word_start_suggestions(organisations, words, taken):
    """Names (and alternative names) with words that start with the typed ones, in no order: a
    LIMIT straight off the full-text index, sorted here."""
    engine = {"postgresql": postgresql.names_starting, "sqlite": sqlite.names_starting}.get(
        connections[organisations.db].vendor
    )
    if engine is None:
        return []
    rows = engine(organisations, words).exclude(slug__in=taken).values_list("name", "slug", "town")
    return sorted(rows[:MAX_ORGANISATION_SUGGESTIONS], key=lambda row: row[0].lower())
