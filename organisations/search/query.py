"""What a visitor typed, read into clauses: words, "quoted phrases", -exclusions and OR.

Words are letters and digits only, so nothing a visitor types ever reaches a query syntax; the
engines build their own (a websearch string on PostgreSQL, quoted FTS5 terms on SQLite).
"""

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 200
# Words a search is built from: letters and digits only, so nothing reaches a query syntax.
WORD_RE = re.compile(r"[^\W_]+")
# A quoted phrase (the closing quote may be missing), or a run of non-space characters.
CLAUSE_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass
class Clause:
    words: list  # lower-cased letters-and-digits words
    phrase: bool = False
    negated: bool = False
    or_before: bool = False

    def text(self):
        """The clause in websearch syntax."""
        text = " ".join(self.words)
        if self.phrase:
            text = f'"{text}"'
        if self.negated:
            text = f"-{text}"
        if self.or_before:
            text = f"or {text}"
        return text


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

    def without_exclusions(self):
        """The query as asked for, without its exclusions: what results are ranked on."""
        positive = self.positive
        return ParsedQuery(" ".join(c.text() for c in positive), positive)


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
