"""Likely duplicate organisations, for the admin filter and the change-form warning.

Two entries are likely twins when they share a Companies House number, a website host, a name, registered
name or alternative name (one entry's "HSCIC" is another's name), or a name whose similarity is at least NAME_THRESHOLD once legal and NHS suffixes, punctuation and case are
ignored. Name similarity is the Jaccard index of word trigrams (as PostgreSQL's pg_trgm computes
it), taken over the whole name and over its distinctive words (not places, not words such as
"university" or "healthcare"), whichever is lower. So "Leeds Teaching Hospitals NHS Trust" and
"Leeds Community Healthcare NHS Trust" score 0.19, and "University of Leeds" and "Leeds Trinity
University" score 0 because only one has a distinctive word, where a whole-string ratio such as
difflib's would score "University of Leeds" against "University of York" at 0.81.

Finding all pairs among 100,000 names avoids comparing every pair: names are blocked by the first
letters of their distinctive words, and only names within a block are compared.
"""

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

from core.dataversion import cached

from .models import Lifecycle, Organisation

NAME_THRESHOLD = 0.6

# Removed before names are compared: they say what kind of body it is, not which one.
SUFFIX_PHRASES = [
    "nhs foundation trust",
    "foundation trust",
    "nhs trust",
    "teaching",
    "limited",
    "ltd",
    "plc",
    "cic",
    "llp",
    "inc",
    "group",
    "holdings",
]
STOP_WORDS = {"the", "of", "and", "for", "in", "at"}

# Words that many unrelated entries of a Leeds health directory share: places, kinds of body and
# the field itself. Two names that differ only in these are compared on them; a name with a
# distinctive word ("Trinity", "Tunstall") is only a twin of a name with a similar one.
GENERIC_WORDS = {
    # places
    *[
        "leeds",
        "bradford",
        "york",
        "yorkshire",
        "humber",
        "harrogate",
        "wakefield",
        "kirklees",
        "calderdale",
        "huddersfield",
    ],
    *[
        "halifax",
        "hull",
        "sheffield",
        "north",
        "south",
        "east",
        "west",
        "city",
        "district",
        "uk",
        "england",
        "national",
    ],
    # kinds of body
    *[
        "university",
        "college",
        "school",
        "institute",
        "centre",
        "center",
        "council",
        "authority",
        "trust",
        "nhs",
        "partnership",
    ],
    *[
        "network",
        "hub",
        "alliance",
        "association",
        "academy",
        "foundation",
        "collaborative",
        "board",
        "service",
        "services",
    ],
    *[
        "unit",
        "laboratory",
        "laboratories",
        "lab",
        "labs",
        "clinic",
        "hospital",
        "hospitals",
        "practice",
        "company",
    ],
    # the field
    *[
        "health",
        "healthcare",
        "care",
        "community",
        "medical",
        "medicine",
        "clinical",
        "research",
        "innovation",
        "digital",
    ],
    *[
        "technology",
        "technologies",
        "tech",
        "solutions",
        "systems",
        "data",
        "science",
        "sciences",
        "life",
        "pharma",
    ],
    *["pharmaceuticals", "pharmacy", "diagnostics", "therapeutics", "biotech", "medtech", "wellbeing"],
}

# Hosts that serve many unrelated organisations' pages: there the path tells them apart.
SHARED_HOSTS = {
    "facebook.com",
    "github.com",
    "instagram.com",
    "linkedin.com",
    "uk.linkedin.com",
    "sites.google.com",
    "twitter.com",
    "x.com",
    "youtube.com",
}

_SUFFIX_RE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in SUFFIX_PHRASES) + r")\b")
_PARENTHESES_RE = re.compile(r"\([^()]*\)")


class Reason:
    COMPANIES_HOUSE = "same Companies House number"
    WEBSITE = "same website"
    NAME = "similar name"
    OTHER_NAME = "same alternative or registered name"


@dataclass(frozen=True)
class Entry:
    """What duplicate detection needs to know about one organisation."""

    pk: int
    name: str
    website: str = ""
    companies_house_number: str = ""
    parent_id: int | None = None
    legal_name: str = ""
    alternative_names: str = ""

    FIELDS = (
        "pk",
        "name",
        "website",
        "companies_house_number",
        "parent_id",
        "legal_name",
        "alternative_names",
    )

    @classmethod
    def from_organisation(cls, organisation, *, pk=None):
        """The organisation's entry; `pk` stands in for the id of one not saved yet."""
        entry = cls(*(getattr(organisation, field) for field in cls.FIELDS))
        return entry if pk is None else replace(entry, pk=pk)

    def other_name_keys(self):
        """Its registered name and alternative names, each in the compact form of Name.compact."""
        if not (self.legal_name or self.alternative_names):
            return set()
        names = [self.legal_name, *self.alternative_names.split(";")]
        return {key for key in (clean_name(name).replace(" ", "") for name in names) if len(key) >= 3}


def clean_name(name):
    """'Leeds Teaching Hospitals NHS Trust' -> 'leeds hospitals'; 'Pharmacy2U Ltd.' -> 'pharmacy2u'."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    # A bracketed part is a legal name, a former name or the parent body: not the entry's own name.
    while True:
        stripped = _PARENTHESES_RE.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = _SUFFIX_RE.sub(" ", text)
    words = [word for word in text.split() if word not in STOP_WORDS]
    return " ".join(words)


def trigrams(cleaned):
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams = set()
    for word in cleaned.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def jaccard(a, b):
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


class Name:
    """A name prepared for comparison."""

    __slots__ = ("compact", "grams", "distinctive", "words_for_blocking")

    def __init__(self, name):
        cleaned = clean_name(name)
        words = cleaned.split()
        distinctive = [w for w in words if w not in GENERIC_WORDS]
        self.compact = cleaned.replace(" ", "")
        self.grams = trigrams(cleaned)
        self.distinctive = trigrams(" ".join(distinctive))
        self.words_for_blocking = set(distinctive or words)

    def similarity(self, other):
        if not self.compact or not other.compact:
            return 0.0
        if self.compact == other.compact:
            # "Pharmacy 2U" and "Pharmacy2U Ltd" are one name spaced differently.
            return 1.0
        if self.distinctive or other.distinctive:
            distinctive = jaccard(self.distinctive, other.distinctive)
            if distinctive == 0.0:
                return 0.0
        else:
            distinctive = 1.0
        return min(jaccard(self.grams, other.grams), distinctive)


def name_similarity(a, b):
    """Similarity in [0, 1] of two organisation names (see the module docstring)."""
    return Name(a).similarity(Name(b))


def website_key(url):
    """The host a website lives on, without 'www.': 'https://www.avacta.com/x' -> 'avacta.com'.

    The full host is compared, never a shared parent domain: leedsth.nhs.uk and
    leedscommunityhealthcare.nhs.uk are different organisations."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip() if "//" in url else f"//{url.strip()}")
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    if host in SHARED_HOSTS:
        path = parts.path.rstrip("/").lower()
        return f"{host}{path}" if path else ""
    return host


def _related(a, b):
    """A department often shares its parent's website; that is a relationship, not a twin."""
    return a.parent_id == b.pk or b.parent_id == a.pk or (a.parent_id and a.parent_id == b.parent_id)


def find_duplicates(entries, *, threshold=NAME_THRESHOLD):
    """{pk: {other_pk: reason}} for every entry that has at least one likely twin."""
    entries = list(entries)
    found = defaultdict(dict)

    def pair(a, b, reason):
        found[a.pk].setdefault(b.pk, reason)
        found[b.pk].setdefault(a.pk, reason)

    for key_of, reason in (
        (lambda e: e.companies_house_number.strip().upper(), Reason.COMPANIES_HOUSE),
        (lambda e: website_key(e.website), Reason.WEBSITE),
    ):
        groups = defaultdict(list)
        for entry in entries:
            key = key_of(entry)
            if key:
                groups[key].append(entry)
        for group in groups.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    if reason == Reason.WEBSITE and _related(a, b):
                        continue
                    pair(a, b, reason)

    names = [Name(entry.name) for entry in entries]
    for a, b in _similar_name_pairs(entries, names, threshold):
        pair(a, b, Reason.NAME)
    for a, b in _shared_name_pairs(entries, names):
        pair(a, b, Reason.OTHER_NAME)
    return dict(found)


SHARED_NAME_LIMIT = 20


def _shared_name_pairs(entries, names):
    """Entries where one's registered or alternative name is another's name, registered name or
    alternative name, once cleaned: "HSCIC" beside an entry known as HSCIC, "Smartgate Solutions"
    beside its trading name. Names equal to names are the similar-name pass's; few entries carry
    other names, so only the names matching one of those are grouped."""
    by_key = defaultdict(list)
    for entry in entries:
        for key in entry.other_name_keys():
            by_key[key].append(entry)
    if not by_key:
        return
    for entry, name in zip(entries, names, strict=True):
        if name.compact in by_key:
            by_key[name.compact].append(entry)
    seen = set()
    for group in by_key.values():
        group = list({entry.pk: entry for entry in group}.values())
        if len(group) > SHARED_NAME_LIMIT:
            # A name this many entries carry tells none of them apart.
            continue
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                # An unsaved entry (a form's, a suggestion's) has no pk: a set, not an ordered pair.
                key = frozenset((a.pk, b.pk))
                if key not in seen:
                    seen.add(key)
                    yield a, b


# Blocks larger than this are compared by sorted neighbourhood: each name with the next WINDOW names.
BLOCK_LIMIT = 200
WINDOW = 8


def _similar_name_pairs(entries, names, threshold):
    """Pairs of entries with similar names, comparing only names that share a block.

    A name's blocks are the first four letters of each distinctive word (of each word when it has
    none): a twin has the same distinctive words, give or take a typo, so it shares a block. Names
    that differ only in spacing are caught by their compact form."""
    blocks = defaultdict(list)
    for i, name in enumerate(names):
        if not name.compact:
            continue
        blocks[("=", name.compact)].append(i)
        for word in name.words_for_blocking:
            blocks[word[:4]].append(i)
    seen = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        if len(members) <= BLOCK_LIMIT:
            pairs = ((a, b) for position, a in enumerate(members) for b in members[position + 1 :])
        else:
            members = sorted(members, key=lambda i: names[i].compact)
            pairs = (
                (a, b)
                for position, a in enumerate(members)
                for b in members[position + 1 : position + WINDOW]
            )
        for a, b in pairs:
            key = (a, b) if a < b else (b, a)
            if key in seen:
                continue
            if names[a].similarity(names[b]) >= threshold:
                seen.add(key)
                yield entries[a], entries[b]


def _candidate_entries(queryset):
    # Duplicate entries already merged away are resolved, whatever they look like. An organisation
    # that itself merged into another (lifecycle merged) is still an entry a new one may repeat.
    merged_away = Q(merged_into__isnull=False, lifecycle=Lifecycle.CURRENT)
    return (Entry(*row) for row in queryset.exclude(merged_away).values_list(*Entry.FIELDS))


def likely_duplicate_map():
    """find_duplicates() over the whole directory, kept until the data changes."""
    return cached(
        "duplicates", "all", lambda: find_duplicates(_candidate_entries(Organisation.objects.all()))
    )


def flagged_ids(queryset):
    """The ids likely_duplicate_map() flags, as a subquery bound to one parameter.

    Synthetic data at 100,000 rows flags nearly all of them: a literal IN list of that length passes
    SQLite's limit of 32,766 bound variables, and takes PostgreSQL three times longer to plan.
    """
    ids = list(likely_duplicate_map())
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    if vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])
    return ids


def likely_twins(organisation):
    """[(other organisation, reason)] for one organisation, for its change form.

    Looks only at entries that could match: the same number, the same host, or a name sharing the
    start of one of its words (a name similar enough always does)."""
    me = Entry.from_organisation(organisation)
    query = Q()
    if me.companies_house_number:
        query |= Q(companies_house_number=me.companies_house_number)
    host = website_key(me.website)
    if host:
        query |= Q(website__icontains=host.split("/", 1)[0])
    for name in {me.name, me.legal_name, *me.alternative_names.split(";")}:
        for word in clean_name(name).split():
            query |= Q(name__icontains=word[:4]) | Q(legal_name__icontains=word[:4])
            query |= Q(alternative_names__icontains=word[:4])
    if not query:
        return []
    others = Organisation.objects.filter(query)
    if organisation.pk:
        others = others.exclude(pk=organisation.pk)
    candidates = list(_candidate_entries(others))
    matches = find_duplicates([me, *candidates]).get(me.pk, {})
    if not matches:
        return []
    by_pk = Organisation.objects.in_bulk(list(matches))
    twins = [(by_pk[pk], reason) for pk, reason in matches.items() if pk in by_pk]
    return sorted(twins, key=lambda twin: twin[0].name.lower())


def twins_of_many(queryset):
    """[(organisation, [(twin, reason), …])] for each organisation of `queryset` that has likely twins
    anywhere in the directory, by name; from likely_duplicate_map(), so any number is cheap."""
    found = likely_duplicate_map()
    ids = [pk for pk in queryset.values_list("pk", flat=True) if pk in found]
    if not ids:
        return []
    by_pk = Organisation.objects.in_bulk([*ids, *(other for pk in ids for other in found[pk])])
    flagged = []
    for pk in ids:
        twins = [(by_pk[other], reason) for other, reason in found[pk].items() if other in by_pk]
        if pk in by_pk and twins:
            flagged.append((by_pk[pk], sorted(twins, key=lambda twin: twin[0].name.lower())))
    return sorted(flagged, key=lambda item: item[0].name.lower())


def twins_of_new_rows(entries):
    """{entry pk: [(twin, reason)]} for entries not in the directory yet (an import's new rows, each
    with a negative stand-in pk): the organisations they may repeat, and the other new rows (as their
    entries). One pass over the directory, whatever the number of rows."""
    entries = list(entries)
    if not entries:
        return {}
    found = find_duplicates([*_candidate_entries(Organisation.objects.all()), *entries])
    new = {entry.pk: entry for entry in entries}
    existing_ids = {other for entry in entries for other in found.get(entry.pk, {}) if other not in new}
    by_pk = Organisation.objects.in_bulk(list(existing_ids))
    twins = {}
    for entry in entries:
        matches = [
            (by_pk.get(other) or new.get(other), reason) for other, reason in found.get(entry.pk, {}).items()
        ]
        matches = [(twin, reason) for twin, reason in matches if twin is not None]
        if matches:
            twins[entry.pk] = sorted(matches, key=lambda match: match[0].name.lower())
    return twins
