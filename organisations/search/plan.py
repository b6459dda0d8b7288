"""A search plan: the query read against the lexicon, the same for both engines.

A plan is a list of terms. Each term matches when any of its alternatives does (a word, or words
that must appear together in order); a term that names an initiative also matches the
initiative's members. Terms are AND-ed; OR starts a new group of terms; excluded terms remove
what they match from every group.

- A phrase of the query that is a thesaurus term ("artificial intelligence", "EPR") becomes a term
  whose alternatives are the whole group (AI, machine learning …).
- A phrase that is the name of a published initiative ("Nexus", "Health Innovation Leeds
  Incubator") also matches its members; "members" after it adds nothing else ("Nexus members").
- The last word of the query, when it is an ordinary word, also matches longer words ("radi").
- On PostgreSQL, words the directory does not know are corrected (`corrections`) and matched
  against the names by trigrams (`unknown`); see postgresql.py.
"""

from dataclasses import dataclass, field, replace

from .lexicon import MEMBER_WORDS, Alternative, Word, lexicon
from .query import STOP_WORDS, parse_query


@dataclass(frozen=True)
class Term:
    alternatives: tuple  # of Alternative
    negated: bool = False
    or_before: bool = False
    initiatives: tuple = ()  # ids: their members match too
    sectors: tuple = ()  # ids of the sectors the term names
    typed: str = ""  # the words as the visitor typed them (lower-cased)
    concept: bool = False  # expanded from the thesaurus
    quoted: bool = False  # a phrase the visitor put in quotes

    def text(self):
        """The term as a query would say it."""
        text = f'"{self.typed}"' if self.quoted else self.typed
        return f"-{text}" if self.negated else text

    def words(self):
        return [w for a in self.alternatives for w in a.searched]


@dataclass
class Plan:
    parsed: object
    terms: list = field(default_factory=list)
    corrections: dict = field(default_factory=dict)  # word -> the vocabulary word it becomes
    unknown: list = field(default_factory=list)  # words no published entry uses (PostgreSQL)
    lexicon: object = None

    @property
    def positive(self):
        return [t for t in self.terms if not t.negated]

    @property
    def negated(self):
        return [t for t in self.terms if t.negated]

    @property
    def groups(self):
        """The positive terms split at each OR: any group matches when all its terms do."""
        groups = []
        for term in self.positive:
            if term.or_before or not groups:
                groups.append([])
            groups[-1].append(term)
        return groups

    @property
    def initiatives(self):
        return sorted({i for t in self.positive for i in t.initiatives})

    @property
    def sectors(self):
        return sorted({s for t in self.positive for s in t.sectors})

    @property
    def dropped(self):
        return self.parsed.dropped

    @property
    def empty(self):
        return not self.positive

    def phrase(self):
        """The query's words in their order as one term, stop words as gaps; None for a query of
        one term, or with OR, exclusions or quotes (whose words already say how they go)."""
        parsed = self.parsed
        if len(self.positive) < 2 or parsed.has_syntax:
            return None
        words = [Word(w, exact=e, stop=w in STOP_WORDS and not e) for w, e in parsed.sequence]
        while words and words[0].stop:
            words.pop(0)
        while words and words[-1].stop:
            words.pop()
        last = self.positive[-1].alternatives[0].words[-1]
        if words and last.prefix:
            words[-1] = replace(words[-1], prefix=True)
        return Term((Alternative(tuple(words)),)) if len(words) > 1 else None

    def as_written(self):
        """The positive terms as the visitor wrote them, each word whole and unstemmed (the last
        one may still be the start of a longer word); [] for a query with OR."""
        if len(self.groups) != 1:
            return []
        return [
            Term((Alternative(tuple(replace(w, exact=not w.stop) for w in t.alternatives[0].words)),))
            for t in self.positive
        ]

    def any_words(self):
        """The same plan with each term on its own: what matches any of the words; None when the
        query has a single term (or already says OR)."""
        if len(self.positive) < 2 or len(self.groups) > 1:
            return None
        terms = [replace(t, or_before=i > 0) for i, t in enumerate(self.positive)]
        return replace(self, terms=[*terms, *self.negated])

    def any_words_query(self):
        """The query that asks for any of the words, for a link: "a OR b -c"."""
        return " OR ".join(t.text() for t in self.positive) + "".join(f" {t.text()}" for t in self.negated)

    def corrected(self):
        """The plan with misspelt words replaced, or None when no word was corrected."""
        if not self.corrections:
            return None
        terms = [
            replace(t, alternatives=tuple(_corrected(a, self.corrections) for a in t.alternatives))
            for t in self.terms
        ]
        return replace(self, terms=terms, corrections={})


def _corrected(alternative, corrections):
    return Alternative(
        tuple(replace(w, text=corrections.get(w.text, w.text), prefix=False) for w in alternative.words)
    )


def plan_query(q, *, lexicon_=None):
    """The plan for `q` (a string), read against the lexicon."""
    parsed = parse_query(q)
    lexicon_ = lexicon_ if lexicon_ is not None else lexicon()
    return Plan(parsed, build_terms(parsed, lexicon_), lexicon=lexicon_)


def build_terms(parsed, lexicon_):
    """Terms for the clauses: exclusions and quoted phrases as they are; runs of other clauses read
    against the lexicon (a hyphenated word such as "pop-up" is one unit of a run)."""
    terms, run = [], []

    def flush():
        terms.extend(_run_terms(run, lexicon_))
        run.clear()

    for clause in parsed.clauses:
        single = len(clause.words) == 1
        words = tuple(
            Word(w, exact=e or w in lexicon_.places, stop=w in STOP_WORDS and not (single and e))
            for w, e in zip(clause.words, clause.exact, strict=True)
            if not single or e or w not in STOP_WORDS
        )
        if not words:
            continue
        if clause.negated or clause.phrase:
            flush()
            terms.append(
                Term(
                    (Alternative(words),),
                    negated=clause.negated,
                    or_before=clause.or_before,
                    typed=" ".join(clause.words),
                    quoted=clause.phrase,
                )
            )
            continue
        if clause.or_before:
            flush()
        run.append((words, clause.or_before))
    flush()
    return _with_prefix(_distinct(terms))


def _distinct(terms):
    """Each term once: "health health health" asks no more than "health"."""
    seen, kept = set(), []
    for term in terms:
        key_ = (term.alternatives, term.negated, term.or_before)
        if key_ not in seen:
            seen.add(key_)
            kept.append(term)
    return kept


def _span(run, start, end):
    return tuple(w for words, _or in run[start:end] for w in words)


def _run_terms(run, lexicon_):
    """Terms for a run of units (words, or the words of one hyphenated word): the longest phrases
    the lexicon knows, greedily; a unit it does not know is a term of its own, its words together."""
    terms, i = [], 0
    while i < len(run):
        entry, end = None, i + 1
        for stop in range(min(i + lexicon_.longest, len(run)), i, -1):
            found = lexicon_.lookup([w.text for w in _span(run, i, stop)])
            if found and (found.synonyms or found.initiatives or found.sectors):
                entry, end = found, stop
                break
        words = _span(run, i, end)
        if entry and entry.initiatives:
            while end < len(run) and len(run[end][0]) == 1 and run[end][0][0].text in MEMBER_WORDS:
                end += 1
        typed = Alternative(words)
        alternatives = [typed]
        if entry:
            alternatives += [a for a in entry.synonyms if a.words != typed.words]
        terms.append(
            Term(
                tuple(alternatives),
                or_before=run[i][1],
                initiatives=tuple(entry.initiatives) if entry else (),
                sectors=tuple(entry.sectors) if entry else (),
                typed=" ".join(w.text for w in _span(run, i, end)),
                concept=bool(entry and entry.synonyms),
            )
        )
        i = end
    return terms


def _with_prefix(terms):
    """The last word of the query, when ordinary, also matches longer words ("radi" → radiology)."""
    positive = [i for i, t in enumerate(terms) if not t.negated]
    if not positive or positive[-1] != len(terms) - 1:
        return terms
    last = terms[-1]
    typed = last.alternatives[0]
    word = typed.words[-1]
    if last.quoted or len(typed.words) > 1 or word.exact or word.stop:
        return terms
    prefixed = Alternative((replace(word, prefix=True),))
    return [*terms[:-1], replace(last, alternatives=(prefixed, *last.alternatives[1:]))]
