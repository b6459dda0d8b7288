"""The queries of bench/run.py's cold phases (issue 16): what new visitors ask, each asked once.

Pure logic, no database and no HTTP, so that tests/test_bench_queries.py can check it:

- `document_frequencies(texts)`: in how many texts each word occurs (lower-case letters only);
- `cold_searches(...)`: at least 42 distinct searches, built from the seeded data's own vocabulary
  (common, mid and rare words, two-word queries), words that match nothing, misspellings, and
  searches with one or two filters;
- `cold_browses(...)`: at least 20 distinct filter combinations without a search.

Each query is a `Query`: a label, its kind, our list page's parameters and Datasette's equivalent
parameters for the table the bench exports (bench/export_sqlite.py), so that both sides are asked
exactly the same thing. The choice is deterministic for a given vocabulary and seed.
"""

import random
import re
from collections import Counter
from dataclasses import dataclass, field

WORD = re.compile(r"[a-z]+")

STOPWORDS = {
    *("about", "also", "after", "among", "and", "are", "been", "being", "but", "can", "for", "from"),
    *("has", "have", "into", "its", "more", "most", "not", "our", "over", "such", "than", "that"),
    *("the", "their", "them", "these", "they", "this", "those", "through", "under", "was", "were"),
    *("which", "while", "who", "will", "with", "within", "what", "when", "where", "your", "each"),
}

# Words a visitor to a health-tech directory might type that the generated text does not hold;
# any of them that the vocabulary does hold is left out, so that these really match nothing.
NO_MATCH = [
    "tinnitus",
    "zzyzx",
    "audiology",
    "podiatry",
    "otolaryngology",
    "chiropody",
    "qwxv",
    "lymphoedema",
]

# Misspellings people make of words of this field, and whether the right word is in the data does
# not matter: the typo-tolerant branch of the search runs either way.
MISSPELT = ["dementai", "pathalogy", "diabtes", "cardiolgy", "physiotheraphy", "radiolgy", "oncolgy", "helth"]

# How many of each kind cold_searches() asks (55 in all when the vocabulary allows).
COUNTS = {"common": 7, "mid": 7, "rare": 7, "no match": 5, "misspelt": 9, "two words": 8, "filtered": 12}


@dataclass(frozen=True)
class Query:
    label: str
    kind: str
    ours: tuple  # ((parameter, value), ...) for /organisations/
    theirs: tuple = field(default=())  # ((parameter, value), ...) for Datasette's table JSON


@dataclass(frozen=True)
class Options:
    """The filter values the data offers: (our value, Datasette's value) pairs."""

    sizes: list  # [("small", "small"), ...]: our `size`, Datasette's `employees_band`
    types: list  # [("charity", "charity"), ...]: `type` / `organisation_type`
    sectors: list  # [("medtech", "Medtech"), ...]: `sector` slug / a name in the `sectors` array
    authorities: list = field(default_factory=list)  # `local_authority`, the same on both sides
    districts: list = field(default_factory=list)  # `district` / `postcode_district`


def document_frequencies(texts):
    """{word: number of texts holding it} over lower-cased runs of letters."""
    counts = Counter()
    for text in texts:
        counts.update(set(WORD.findall((text or "").lower())))
    return counts


def bands(frequencies, size, exclude=()):
    """The vocabulary's usable words split by document frequency: common (≥ 5 % of the
    organisations), mid (0.3–3 %) and rare (2 to 0.05 % of them, at least 2 and at most 40)."""
    words = sorted(
        (w, n)
        for w, n in frequencies.items()
        if len(w) >= 4 and w not in STOPWORDS and w not in exclude and n <= size * 0.8
    )
    rare_top = max(3, min(40, size // 2000))
    return {
        "common": [w for w, n in words if n >= size * 0.05],
        "mid": [w for w, n in words if size * 0.003 <= n <= size * 0.03],
        "rare": [w for w, n in words if 2 <= n <= rare_top],
    }


def typo(word, rng):
    """A plausible misspelling: two neighbouring letters swapped, or one dropped, inside the word."""
    at = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + word[at + 1 :]


def _take(rng, pool, count, used):
    pool = [w for w in pool if w not in used]
    chosen = rng.sample(pool, min(count, len(pool)))
    used.update(chosen)
    return chosen


def cold_searches(frequencies, size, options, *, seed=16, exclude=()):
    """Distinct searches, each meant to be asked once with empty caches; shuffled so that no kind
    is asked all together (the first query a process serves pays whatever is left to build)."""
    rng = random.Random(seed)
    by_band = bands(frequencies, size, exclude)
    used = set(exclude)
    queries = []

    def add(kind, q, ours_filters=(), theirs_filters=()):
        label = " ".join([q, *(f"{k}={v}" for k, v in ours_filters)])
        queries.append(Query(label, kind, (("q", q), *ours_filters), (("_search", q), *theirs_filters)))

    for band in ("common", "mid", "rare"):
        for word in _take(rng, by_band[band], COUNTS[band], used):
            add(band, word)
    for word in [w for w in NO_MATCH if w not in frequencies][: COUNTS["no match"]]:
        add("no match", word)
    misspelt = [w for w in MISSPELT if w not in frequencies][: COUNTS["misspelt"] - 4]
    for word in _take(rng, by_band["common"] + by_band["mid"], COUNTS["misspelt"] - len(misspelt), used):
        wrong = typo(word, rng)
        if wrong not in frequencies and wrong not in misspelt:
            misspelt.append(wrong)
    for word in misspelt[: COUNTS["misspelt"]]:
        add("misspelt", word)
    pairs = [("common", "mid"), ("mid", "rare"), ("common", "common"), ("mid", "mid")]
    for index in range(COUNTS["two words"]):
        first, second = pairs[index % len(pairs)]
        a = _take(rng, by_band[first], 1, used)
        b = _take(rng, by_band[second], 1, used)
        if a and b:
            add("two words", f"{a[0]} {b[0]}")
    filters = _filter_choices(rng, options)
    words = _take(rng, by_band["common"] + by_band["mid"] + by_band["rare"], COUNTS["filtered"], used)
    for index, word in enumerate(words):
        ours, theirs = filters[index % len(filters)]
        add("filtered", word, ours, theirs)
    rng.shuffle(queries)
    return _distinct(queries)


def _filter_choices(rng, options):
    """One or two filters each: a size, a type, a sector, or two of them together."""
    size = [(("size", o), ("employees_band", t)) for o, t in options.sizes]
    kind = [(("type", o), ("organisation_type", t)) for o, t in options.types]
    sector = [(("sector", o), ("sectors__arraycontains", t)) for o, t in options.sectors]
    singles = [rng.choice(size), rng.choice(kind), rng.choice(sector), rng.choice(size)]
    doubles = [(rng.choice(size), rng.choice(sector)), (rng.choice(kind), rng.choice(size))]
    doubles += [(rng.choice(sector), rng.choice(kind))]
    choices = [((s[0],), (s[1],)) for s in singles]
    choices += [((a[0], b[0]), (a[1], b[1])) for a, b in doubles]
    return choices


def cold_browses(options, *, seed=16, count=24):
    """Distinct filter combinations without a search, one to three filters each (never a local
    authority with a postcode district, which nearly always leaves an empty list)."""
    rng = random.Random(seed)
    dimensions = {
        "size": [(("size", o), ("employees_band", t)) for o, t in options.sizes],
        "type": [(("type", o), ("organisation_type", t)) for o, t in options.types],
        "sector": [(("sector", o), ("sectors__arraycontains", t)) for o, t in options.sectors],
        "authority": [(("local_authority", o), ("local_authority", t)) for o, t in options.authorities],
        "district": [(("district", o), ("postcode_district", t)) for o, t in options.districts],
    }
    names = [name for name, values in dimensions.items() if values]
    seen, queries = set(), []
    for _attempt in range(count * 50):
        if len(queries) >= count:
            break
        width = rng.choice([1, 2, 2, 3]) if len(queries) >= 4 else 1
        chosen = set(rng.sample(names, min(width, len(names))))
        picked = [name for name in names if name in chosen]
        if {"authority", "district"} <= set(picked):
            continue
        pairs = [rng.choice(dimensions[name]) for name in picked]
        ours = tuple(p[0] for p in pairs)
        if ours in seen:
            continue
        seen.add(ours)
        label = " ".join(f"{k}={v}" for k, v in ours)
        kind = f"{len(pairs)} filter{'s' if len(pairs) > 1 else ''}"
        queries.append(Query(label, kind, ours, tuple(p[1] for p in pairs)))
    return queries


def _distinct(queries):
    seen, kept = set(), []
    for query in queries:
        if query.ours not in seen:
            seen.add(query.ours)
            kept.append(query)
    return kept
