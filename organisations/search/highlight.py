"""Matched words highlighted in escaped text (ARCHITECTURE.md §6): stems, prefixes and close
misspellings of the words searched for are wrapped in <mark>; excluded words never are."""

import difflib

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .query import STOP_WORDS, WORD_RE, parse_query

_SUFFIXES = ("ations", "ation", "ies", "ing", "ics", "ical", "ic", "es", "ed", "ly", "s", "y")


def _stem(word):
    """A light stemmer, enough to show "pharmacies" in "pharmacy" and "orthopaedic" in "orthopaedics"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _word_matches(word, query_words):
    """Whether a word of the text is one searched for: (query word, exact) pairs. An exact word
    (an acronym, a short word) marks whole words only; others also their stems, longer words they
    start and close misspellings."""
    word = word.lower()
    stem = _stem(word)
    for query_word, exact in query_words:
        if exact:
            if word == query_word:
                return True
            continue
        if word.startswith(query_word) or word.startswith(_stem(query_word)) or stem == _stem(query_word):
            return True
        if len(word) >= 5 and len(query_word) >= 5 and _close(word, query_word):
            return True
    return False


def _close(word, query_word):
    """Similar enough to be a misspelling. The quick ratios are upper bounds of the ratio: most
    words are told apart by them without the full comparison."""
    matcher = difflib.SequenceMatcher(None, word, query_word)
    return matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8


def highlight(text, q):
    """`text` HTML-escaped, with the words `q` searched for wrapped in <mark>; a SafeString."""
    text = str(text or "")
    query_words = [
        (w, exact)
        for c in parse_query(q).positive
        for w, exact in zip(c.words, c.exact, strict=True)
        if len(c.words) > 1 or exact or w not in STOP_WORDS
    ]
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
