"""What a query is read against before it is searched: the curated thesaurus (Synonym), the names of
published initiatives and the active sectors.

All three are small tables, read together in one query and kept under the data version
(core/dataversion.py), which every edit of a synonym, an initiative or a sector changes: an edit
shows at once, and nothing needs rebuilding. Where there is no data version (SQLite) they are read
for each search request.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import CharField, F, Value

from core.dataversion import cached
from core.publishing import Status

from .query import STOP_WORDS, WORD_RE, is_exact

# Words after an initiative's name that ask for its members: "Nexus members".
MEMBER_WORDS = frozenset({"member", "members", "resident", "residents", "partner", "partners", "tenants"})


def phrase_words(text):
    """(words, typed words) of a thesaurus term or a name, as queries are read."""
    typed = WORD_RE.findall(text)
    return tuple(w.lower() for w in typed), tuple(typed)


def key(words):
    """How a phrase is looked up: its words without stop words, so that "AI & data" and "AI and
    data" are the same entry (queries are read without their stop words). A phrase that would be
    left with one word keeps them all: "health IT" is not "health"."""
    kept = tuple(w for w in words if w not in STOP_WORDS)
    return kept if len(kept) > 1 or len(words) == 1 else tuple(words)


@dataclass(frozen=True)
class Word:
    text: str
    exact: bool = False  # whole words only, unstemmed
    prefix: bool = False  # also the start of longer words
    stop: bool = False  # a stop word: a gap in a phrase, not searched itself


@dataclass(frozen=True)
class Alternative:
    """Words that match when they appear together, in order (one word, or a phrase)."""

    words: tuple

    @classmethod
    def of(cls, text):
        words, typed = phrase_words(text)
        return cls(
            tuple(
                Word(w, exact=is_exact(w, t), stop=w in STOP_WORDS and len(words) > 1)
                for w, t in zip(words, typed, strict=True)
            )
        )

    @property
    def searched(self):
        return [w for w in self.words if not w.stop]

    def text(self):
        return " ".join(w.text for w in self.words)


@dataclass
class Entry:
    """What a phrase of a query may name: a thesaurus group, initiatives, sectors."""

    synonyms: list = field(default_factory=list)  # Alternatives
    initiatives: list = field(default_factory=list)  # ids
    sectors: list = field(default_factory=list)  # ids


@dataclass
class Lexicon:
    groups: list  # [[term, …], …]
    initiatives: list  # [{"id", "slug", "name", "summary", "kind"}, …]
    sectors: list  # [{"id", "slug", "name", "description"}, …]
    entries: dict = field(default_factory=dict)  # key(words) -> Entry
    longest: int = 1
    # The local authorities' names: a place is a whole word ("York" is not "Yorkshire").
    places: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        for group in self.groups:
            alternatives = [Alternative.of(term) for term in group]
            for alternative in alternatives:
                if alternative.words:
                    self._entry([w.text for w in alternative.words]).synonyms = alternatives
        for initiative in self.initiatives:
            self._entry(phrase_words(initiative["name"])[0]).initiatives.append(initiative["id"])
        for sector in self.sectors:
            self._entry(phrase_words(sector["name"])[0]).sectors.append(sector["id"])

    def _entry(self, words):
        phrase = key(words)
        self.longest = max(self.longest, len(phrase))
        return self.entries.setdefault(phrase, Entry())

    def lookup(self, words):
        return self.entries.get(key(words))


LEXICON_CACHE_PREFIX = "organisations:search-lexicon"


def lexicon():
    """The thesaurus, published initiatives and active sectors, under the data version."""
    global _built
    data = cached(LEXICON_CACHE_PREFIX, "lexicon", read_lexicon)
    held = _built  # one read: another thread may replace it meanwhile
    if held is not None and held[0] == data:
        return held[1]
    organisation = apps.get_model("organisations", "Organisation")
    places = frozenset(w for label in organisation.LocalAuthority.labels for w in phrase_words(label)[0])
    built = Lexicon(**data, places=places - {"other"})
    _built = (data, built)
    return built


# (the data, its Lexicon): the last one built in this process. Reading every term of the thesaurus
# into phrases took a tenth of a cold search's time in Python; the same data gives the same
# Lexicon, which nothing changes once built.
_built = None


def read_lexicon():
    """The three small tables in one query: (kind, id, slug, name, text, kind of initiative)."""
    text = CharField()

    def rows(queryset, kind, slug, name, body, extra):
        return (
            queryset.order_by()
            .annotate(
                row_kind=Value(kind, output_field=text),
                row_slug=slug,
                row_name=name,
                row_text=body,
                row_extra=extra,
            )
            .values_list("row_kind", "pk", "row_slug", "row_name", "row_text", "row_extra")
        )

    synonym = apps.get_model("organisations", "Synonym")
    sector = apps.get_model("organisations", "Sector")
    initiative = apps.get_model("organisations", "Organisation").initiative_model()
    empty = Value("", output_field=text)
    union = rows(synonym.objects.all(), "synonym", empty, F("term"), F("equivalents"), empty).union(
        rows(
            initiative.objects.filter(status=Status.PUBLISHED),
            "initiative",
            F("slug"),
            F("name"),
            F("summary"),
            F("kind"),
        ),
        rows(sector.objects.filter(is_active=True), "sector", F("slug"), F("name"), F("description"), empty),
        all=True,
    )
    found = {"groups": [], "initiatives": [], "sectors": []}
    for kind, pk, slug, name, body, extra in sorted(union, key=lambda row: (row[0], row[3].lower(), row[1])):
        if kind == "synonym":
            found["groups"].append([name, *(line.strip() for line in body.splitlines() if line.strip())])
        elif kind == "initiative":
            found["initiatives"].append(
                {"id": pk, "slug": slug, "name": name, "summary": body, "kind": extra}
            )
        else:
            found["sectors"].append({"id": pk, "slug": slug, "name": name, "description": body})
    return found
