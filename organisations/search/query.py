"""What a visitor typed, read into clauses: words, "quoted phrases", -exclusions and OR.

Words are letters and digits only, so nothing a visitor types ever reaches a query syntax; the
engines build their own (tsqueries on PostgreSQL, quoted FTS5 terms on SQLite) from these clauses,
so that both read a query the same way.

Reading rules both engines share:
- English stop words ("the", "of", "and" …, PostgreSQL's list) are not searched, except as the
  gaps of a phrase;
- an acronym (typed in capitals: "AI", "NICE", "3M") and any word of up to three letters, a
  postcode part ("LS1", "4AP") or a number match whole words only, never as the start of a longer
  word ("AI" never finds "Airedale");
- a query is cut to MAX_WORDS words and MAX_QUERY_LENGTH characters; `dropped` says how many
  words were left out, for a notice.
"""

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
# Words a search is built from: letters and digits only, so nothing reaches a query syntax.
WORD_RE = re.compile(r"[^\W_]+")
# A quoted phrase (the closing quote may be missing), or a run of non-space characters.
CLAUSE_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# A full postcode, with or without its space ("LS1 4AP", "ls14ap"): read as its two parts.
POSTCODE_RE = re.compile(r"\b([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})\b")
# The two parts of a postcode: a district ("LS1", "BD7", "WF17") and an inward code ("4AP").
DISTRICT_RE = re.compile(r"^[a-z]{1,2}[0-9][a-z0-9]?$")
INWARD_RE = re.compile(r"^[0-9][a-z]{2}$")
SHORT_WORD = 3

# PostgreSQL's English stop words (tsearch_data/english.stop): its stemmer drops them, and
# SQLite's index keeps them, so both engines leave them out of a search.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don should now
    """.split()  # noqa: SIM905 — the list as PostgreSQL's file has it
)


def is_acronym(typed):
    """Typed in capitals, as "AI", "NICE", "3M" or "THIS" (The Health Informatics Service)."""
    return len(typed) > 1 and typed.isupper()


def is_exact(word, typed):
    """Whether a word matches whole words only: an acronym typed in capitals, a short word, a
    number or a postcode part."""
    return (
        is_acronym(typed)
        or len(word) <= SHORT_WORD
        or word.isdigit()
        or bool(DISTRICT_RE.match(word) or INWARD_RE.match(word))
    )


@dataclass
class Clause:
    words: list  # lower-cased letters-and-digits words, stop words included
    phrase: bool = False  # quoted by the visitor
    negated: bool = False
    or_before: bool = False
    exact: list = field(default_factory=list)  # per word: whole words only

    def text(self):
        """The clause as typed, in websearch syntax (lower-cased)."""
        text = " ".join(self.words)
        if self.phrase:
            text = f'"{text}"'
        if self.negated:
            text = f"-{text}"
        if self.or_before:
            text = f"or {text}"
        return text

    @property
    def searched_words(self):
        """The words that are searched: all of a phrase's, else those that are not stop words
        (an acronym in capitals is searched whatever it spells)."""
        if len(self.words) > 1:
            return self.words
        return [w for w, exact in zip(self.words, self.exact, strict=True) if exact or w not in STOP_WORDS]


@dataclass
class ParsedQuery:
    text: str  # the cleaned query
    clauses: list = field(default_factory=list)
    dropped: int = 0  # words left out beyond MAX_WORDS
    sequence: list = field(
        default_factory=list
    )  # (word, exact) of every wanted word in order, stop words too

    @property
    def positive(self):
        return [c for c in self.clauses if not c.negated]

    @property
    def negated(self):
        return [c for c in self.clauses if c.negated]

    @property
    def plain_words(self):
        """Words outside phrases and exclusions: the ones typo tolerance may correct."""
        return [w for c in self.positive if not c.phrase for w in c.searched_words]

    @property
    def has_syntax(self):
        return any(c.phrase or c.negated or c.or_before for c in self.clauses)

    def without_exclusions(self):
        """The query as asked for, without its exclusions."""
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
    text = POSTCODE_RE.sub(r"\1 \2", clean_query(q))
    clauses, sequence, or_pending, count, dropped = [], [], False, 0, 0
    for match in CLAUSE_RE.finditer(text):
        negated_phrase, phrase, chunk = match.groups()
        if chunk is not None:
            if chunk.lower() == "or" and clauses:
                or_pending = True
                continue
            negated = chunk.startswith("-") and len(chunk) > 1
            typed = WORD_RE.findall(chunk)
            is_phrase = False
        else:
            negated = bool(negated_phrase)
            typed = WORD_RE.findall(phrase)
            is_phrase = True
        words = [w.lower() for w in typed]
        if not is_phrase and len(words) == 1 and words[0] in STOP_WORDS and not is_acronym(typed[0]):
            if count < MAX_WORDS:
                sequence.append((words[0], False))
            continue
        room = MAX_WORDS - count
        if len(words) > room:
            dropped += len(words) - max(room, 0)
            typed, words = typed[: max(room, 0)], words[: max(room, 0)]
        if words:
            count += len(words)
            exact = [is_exact(w, t) for w, t in zip(words, typed, strict=True)]
            clauses.append(Clause(words, is_phrase, negated, or_pending, exact))
            if not negated:
                sequence.extend(zip(words, exact, strict=True))
            or_pending = False
    return ParsedQuery(text=text, clauses=clauses, dropped=dropped, sequence=sequence)
