"""Offers "Did you mean …?": a corrected query built from the directory's own vocabulary, the
words of published names, alternative names, sector names and summaries.

PostgreSQL keeps that vocabulary in a table (SearchTerm) with a trigram index; elsewhere it is
read from the published rows, kept under the data version (core/dataversion.py).
"""

import difflib

from django.apps import apps
from django.db import connection
from django.db.models import Exists, Value

from core.dataversion import cached

from .engine import search
from .postgresql import closest_term, search_terms
from .query import WORD_RE, Clause, parse_query

# How close a vocabulary word must be to replace an unknown word where there is no pg_trgm.
VOCABULARY_CUTOFF = 0.75
VOCABULARY_CACHE_PREFIX = "organisations:search-vocabulary"


def did_you_mean(q):
    """A corrected query from the vocabulary of published entries, or None when none is better.

    Only offered when the corrected query finds something.
    """
    parsed = parse_query(q)
    words = [w for w in parsed.plain_words if not w.isdigit()]
    if not words:
        return None
    if connection.vendor == "postgresql":
        corrections = postgresql_corrections(words)
    else:
        corrections = vocabulary_corrections(words)
    corrections = {word: better for word, better in corrections.items() if better and better != word}
    if not corrections:
        return None
    corrected = " ".join(
        Clause(
            [corrections.get(w, w) for w in c.words] if not c.negated and not c.phrase else c.words,
            phrase=c.phrase,
            negated=c.negated,
            or_before=c.or_before,
        ).text()
        for c in parsed.clauses
    )
    if corrected == parsed.text.lower() or not search(published_organisations(), corrected).exists():
        return None
    return corrected


def published_organisations():
    return apps.get_model("organisations", "Organisation").objects.published()


def postgresql_corrections(words):
    """{word: the closest vocabulary word} for the words not in the vocabulary, in one query."""
    parts = [
        closest_term(word)
        .annotate(typed=Value(word), known=Exists(search_terms().filter(word=word)))
        .values_list("typed", "word", "known")[:1]
        for word in dict.fromkeys(words)
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {typed: word for typed, word, known in rows if not known}


def vocabulary_corrections(words):
    vocabulary = published_vocabulary()
    corrections = {}
    for word in words:
        if word in vocabulary or len(word) < 3:
            continue
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=VOCABULARY_CUTOFF)
        corrections[word] = close[0] if close else None
    return corrections


def published_vocabulary():
    """Every word of published names, alternative names, sector names and summaries, sorted."""
    return cached(VOCABULARY_CACHE_PREFIX, "vocabulary", read_vocabulary)


def read_vocabulary():
    vocabulary = set()
    rows = (
        published_organisations()
        .order_by()
        .values_list("name", "alternative_names", "sector_names", "summary")
    )
    for row in rows:
        vocabulary.update(w.lower() for w in WORD_RE.findall(" ".join(row)) if len(w) >= 2)
    return sorted(vocabulary)
