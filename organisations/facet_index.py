"""An in-process index of what the public list filters on, for facet counts, result counts and
pages that cost little even for a query never asked before.

Every published organisation has a position: its place in the list sorted by name (the list's
own order, read from the database so that the two always agree). For each filter value (a
sector, a size, a district …) the index keeps the set of positions that have it, as one Python
int used as a bitset. A filtered list is then the AND of a few ints, a count is `int.bit_count()`,
and a facet's counts are popcounts of its options ANDed with every other active filter: well
under a millisecond for 100,000 organisations, where grouped SQL counts took seconds.

A search gives the set of matching ids (and, sorted by relevance, their order) from one statement
of the search engine (organisations/search/), without filters, kept under the data version, so
that the same words with other filters cost nothing more.

The index is built from a few narrow reads once per data version (core/dataversion.py), by the
first request that needs it in each process, and shared through the cache so that other processes
load it rather than read the tables again. Any write moves the version, so the index never serves
data older than the request's version.
"""

import gc
import logging
import threading
from array import array
from collections import defaultdict, deque
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter

from django.contrib.postgres.aggregates import ArrayAgg
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.db.models import Aggregate, TextField, Value
from django.db.models.functions import Lower

from core.dataversion import cache_key, cached, data_version, read_once

from .models import Lifecycle, Organisation, SearchRow
from .search import postgresql, search
from .search.ranking import lowered_names

# The facets whose options are columns of the organisation (facet -> column).
COLUMN_FACETS = {
    "type": "organisation_type",
    "size": "employees_band",
    "local_authority": "local_authority",
    "district": "postcode_district",
}

# Link tables of the reference facets: (model, column naming the option).
LINKS = {
    "sector": (Organisation.sectors.through, "sector_id"),
    "care_setting": (Organisation.care_settings.through, "caresetting_id"),
    "regulatory": (Organisation.regulatory_marks.through, "regulatorymark_id"),
    "initiative": (Organisation.membership_model(), "initiative_id"),
}
REFERENCE_FACETS = tuple(LINKS)

# The orders other than by name (which is the positions' own) and by relevance (the search's).
ORDERS = ("founded", "-founded", "recent")

logger = logging.getLogger(__name__)

INDEX_CACHE_PREFIX = "organisations:facet-index"
SEARCH_CACHE_PREFIX = "organisations:search-ids"
CACHE_SECONDS = 60 * 60


# --- Bitsets ------------------------------------------------------------------------------------


def bits_of(positions, size):
    """The bitset (an int) of `positions`: one character per position, set in C loops, read as
    a binary number (the last character is bit 0); a few positions are simply shifted in."""
    if not isinstance(positions, list | tuple):
        positions = list(positions)
    if len(positions) * 256 < size:
        bits = 0
        for position in positions:
            bits |= 1 << position
        return bits
    digits = bytearray(b"0") * size
    deque(map(digits.__setitem__, positions, repeat(ONE)), maxlen=0)
    digits.reverse()
    return int(digits or b"0", 2)


ONE = ord("1")


def membership(bits, size):
    """bytes for O(1) membership tests of a bitset: `test(table, position)`."""
    return bits.to_bytes((size + 7) // 8, "little")


def test(table, position):
    return table[position >> 3] >> (position & 7) & 1


def positions_of(bits, size, start=0, count=None):
    """The positions in `bits`, in increasing order: the `count` of them after the first `start`."""
    table = membership(bits, size)
    found = []
    skipped = 0
    for byte_index, byte in enumerate(table):
        if not byte:
            continue
        ones = byte.bit_count()
        if skipped + ones <= start:
            skipped += ones
            continue
        base = byte_index << 3
        for bit in range(8):
            if byte >> bit & 1:
                if skipped < start:
                    skipped += 1
                    continue
                found.append(base + bit)
                if count is not None and len(found) == count:
                    return found
    return found


# --- The index ----------------------------------------------------------------------------------


@dataclass
class FacetIndex:
    ids: array  # position -> organisation id (name order)
    positions: dict  # organisation id -> position
    everyone: int  # every published organisation
    current: int  # those neither merged nor closed
    hq_leeds: int
    options: dict  # facet -> {option key (pk or value): bitset}
    years: dict  # founded year -> bitset
    founded: array  # position -> founded year, 0 when unknown
    using: str = "default"
    # sort -> positions in that order, and position -> its place in it; made when first asked for
    _orders: dict = field(default_factory=dict, repr=False)

    @property
    def size(self):
        return len(self.ids)

    def bits(self, ids):
        # One lookup per id, in C (a common word's search gives 50,000 of them).
        return bits_of([p for p in map(self.positions.get, ids) if p is not None], self.size)

    def founded_between(self, low, high):
        bits = 0
        for year, year_bits in self.years.items():
            if (low is None or year >= low) and (high is None or year <= high):
                bits |= year_bits
        return bits

    def order(self, sort):
        """(positions in the order of `sort`, position -> its place in that order)."""
        if sort not in self._orders:
            with _lock:
                if sort not in self._orders:
                    self._orders[sort] = self._make_order(sort)
        return self._orders[sort]

    def _make_order(self, sort):
        if sort == "recent":
            # The newest additions first, as the database orders them (an index-only read).
            newest = Organisation.objects.using(self.using).published().order_by("-created_at", "-pk")
            order = array("i", [self.positions[pk] for (pk,) in _fetch(newest.values_list("pk"))])
        else:
            # Unknown years last, then by name (the position: sorted() keeps ties in that order),
            # as FilterSet.ordering() sorts.
            unknown = 1 << 16
            sign = -1 if sort == "-founded" else 1
            keys = [sign * year if year else unknown for year in self.founded]
            order = array("i", sorted(range(self.size), key=keys.__getitem__))
        places = array("i", [0]) * self.size
        for place, position in enumerate(order):
            places[position] = place
        return order, places

    def __getstate__(self):
        # Orders are made per process as they are asked for; the lock cannot travel.
        state = self.__dict__.copy()
        state["_orders"] = {}
        return state


class _Joined(Aggregate):
    """The values of a group joined by commas, in no particular order."""

    function = "string_agg"
    template = "%(function)s(CAST(%(expressions)s AS text), ',')"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, function="group_concat", template="%(function)s(%(expressions)s)"
        )


def build(using="default"):
    """The index of the published organisations: one index-only read of their filter columns
    in name order, and one grouped read per link table."""
    published = Organisation.objects.using(using).published().order_by()
    columns = (*COLUMN_FACETS.values(), "headquartered_in_leeds", "founded_year", "lifecycle")
    rows = _fetch(published.order_by(Lower("name"), "pk").values_list("pk", *columns))
    size = len(rows)
    ids = array("q", (row[0] for row in rows))
    positions = {pk: position for position, pk in enumerate(ids)}
    hq, founded_at, lifecycle = (len(COLUMN_FACETS) + offset for offset in (1, 2, 3))

    def grouped(column):
        groups = defaultdict(list)
        for position, row in enumerate(rows):
            groups[row[column]].append(position)
        return {key: bits_of(found, size) for key, found in groups.items()}

    options = {facet: grouped(column) for column, facet in enumerate(COLUMN_FACETS, start=1)}
    options["district"].pop("", None)
    get = positions.get
    for facet, (model, column) in LINKS.items():
        links = (
            model.objects.using(using).order_by().values_list(column).annotate(ids=_Joined("organisation_id"))
        )
        options[facet] = {
            key: bits_of([p for p in map(get, map(int, joined.split(","))) if p is not None], size)
            for key, joined in _fetch(links)
        }
    years = grouped(founded_at)
    years.pop(None, None)
    flags = [grouped(hq).get(True, 0), grouped(lifecycle).get(Lifecycle.CURRENT, 0)]
    return FacetIndex(
        ids=ids,
        positions=positions,
        everyone=(1 << size) - 1,
        current=flags[1],
        hq_leeds=flags[0],
        options=options,
        years=years,
        founded=array("h", (row[founded_at] or 0 for row in rows)),
        using=using,
    )


def _fetch(queryset):
    """Every row of a values_list() queryset as tuples, without the ORM's per-row work: the
    columns read here need no conversion (ids, text, booleans, years)."""
    connection = connections[queryset.db]
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_lock = threading.Lock()
_latest = {}  # database alias -> (version, index)


def current_index(using="default"):
    """The index for the current data version: this process's, the shared cache's, or built."""
    version = data_version()
    if version is None:
        return None
    held = _latest.get(using)
    if held and held[0] == version:
        return held[1]
    with _lock:
        held = _latest.get(using)
        if held and held[0] == version:
            return held[1]
        key = cache_key(INDEX_CACHE_PREFIX, version, using)
        index = cache.get(key)
        if index is None:
            index = build(using)
            cache.set(key, index, CACHE_SECONDS)
        _latest[using] = (version, index)
        _settle()
        return index


def _settle():
    """Put what the process now holds (code, templates, the lexicon, this index) beyond the
    cyclic garbage collector's full collections, which otherwise walk all of it every few
    requests: at 100,000 organisations one took 60–240 ms, paid by one cold search in five.

    Once per data version: what the previous call froze is released and collected first, so
    that nothing frozen then (a request's own cycles) is kept for longer than a version."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def warm_up():
    """Load or build the index of the current data, so that no visitor waits for it."""
    try:
        with read_once():
            current_index()
    except DatabaseError as error:
        # Not reachable or not migrated yet: the first request that needs the index builds it.
        logger.warning("The facet index was not built at start: %s", error)


def forget():
    """Drop this process's index: the next request loads or builds it again."""
    _latest.clear()


# --- One filtered list --------------------------------------------------------------------------


class Results:
    """What the public list shows for one FilterSet, from the index: the count, the facets' counts
    and any page of ids, in the FilterSet's order."""

    def __init__(self, filterset, index):
        self.filterset = filterset
        self.index = index
        self.using = filterset.queryset.db
        cleaned = filterset.form.cleaned_data
        self.sort = filterset.current_sort
        self.ranked = None  # ids in order of relevance, when that is the order
        # Each active filter as a bitset, by name; facets leave out their own.
        self.active = {}
        if not (cleaned.get("q") or cleaned.get("former")):
            self.active["lifecycle"] = index.current
        if cleaned.get("q"):
            self.active["q"] = self._search_bits()
        reference = filterset.reference_options
        for facet in REFERENCE_FACETS:
            slugs = set(cleaned.get(facet) or ())
            if slugs:
                wanted = [pk for pk, slug, _name, _active in reference[facet] if slug in slugs]
                self.active[facet] = _union(index.options[facet].get(pk, 0) for pk in wanted)
        for facet in COLUMN_FACETS:
            values = cleaned.get(facet) or ()
            if values:
                self.active[facet] = _union(index.options[facet].get(value, 0) for value in values)
        if cleaned.get("hq_leeds"):
            self.active["hq_leeds"] = index.hq_leeds
        low, high = cleaned.get("founded_min"), cleaned.get("founded_max")
        if low is not None or high is not None:
            self.active["founded"] = index.founded_between(low, high)
        self.bits = self.without()

    def without(self, name=None):
        """The bitset of every active filter but `name`."""
        bits = self.index.everyone
        for key, filter_bits in self.active.items():
            if key != name:
                bits &= filter_bits
        return bits

    def _search_bits(self):
        plan = self.filterset.search_plan
        ordered = self.sort == "relevance"
        ids = search_ids(self.filterset, plan, ordered=ordered, using=self.using, index=self.index)
        if ordered:
            self.ranked = ids
        return self.index.bits(ids)

    @property
    def count(self):
        return self.bits.bit_count()

    def ids(self, bottom, top):
        """The ids of the results from `bottom` to `top` (0-based, top excluded), in order."""
        index, wanted = self.index, top - bottom
        if wanted <= 0:
            return []
        if self.ranked is not None:
            positions = index.positions
            if self.bits == self.active.get("q"):
                return list(self.ranked[bottom:top])
            table = membership(self.bits, index.size)
            found = []
            for pk in self.ranked:
                position = positions.get(pk)
                if position is not None and test(table, position):
                    found.append(pk)
                    if len(found) == top:
                        break
            return found[bottom:top]
        if self.sort not in ORDERS:
            # By name: the positions themselves are in that order.
            return [index.ids[p] for p in positions_of(self.bits, index.size, bottom, wanted)]
        order, places = index.order(self.sort)
        if self.count * 32 < index.size:
            # Few results: sort them rather than walk the whole order.
            chosen = sorted(positions_of(self.bits, index.size), key=places.__getitem__)[bottom:top]
            return [index.ids[p] for p in chosen]
        table = membership(self.bits, index.size)
        found = []
        for position in order:
            if test(table, position):
                found.append(position)
                if len(found) == top:
                    break
        return [index.ids[p] for p in found[bottom:top]]

    def facet_counts(self):
        """{facet: {option key: count}}: each over every active filter but the facet's own."""
        counts = {}
        for facet, options in self.index.options.items():
            bits = self.without(facet)
            counts[facet] = {key: (bits & option).bit_count() for key, option in options.items()}
        return counts


def _union(bitsets):
    bits = 0
    for each in bitsets:
        bits |= each
    return bits


def search_ids(filterset, plan, *, ordered, using, index=None):
    """The ids of every published organisation the plan matches, best first when `ordered`:
    one statement of the search engine, kept under the data version for any filters.

    On PostgreSQL, given the `index` of the same data version, the statement only groups the
    matches by rank, and the index orders each group by name: its positions are the name order
    (lower-cased name, then id) the statement would have sorted by, so the order is the same, and
    sorting 50,000 matches by name cost the statement a third of its time."""
    rows = searched_rows(using)
    queryset = search(rows, plan)
    if not ordered:
        return _cached_ids(queryset.order_by().values_list("pk"))
    name, _other_names = lowered_names(rows.model)
    in_order = queryset.order_by(*filterset.ordering(queryset, name=name)).values_list("pk")
    rank = queryset.query.annotations.get("search_rank")
    if index is None or connections[using].vendor != "postgresql" or isinstance(rank, Value):
        return _cached_ids(in_order)
    groups = (
        queryset.order_by()
        .values("search_rank")
        .annotate(ids=ArrayAgg("pk"))
        .values_list("search_rank", "ids")
    )
    statement = _statement(groups)
    return cached(
        SEARCH_CACHE_PREFIX,
        _key(statement),
        lambda: _by_rank_then_name(index, _fetch_matches(groups, statement), in_order),
        timeout=CACHE_SECONDS,
    )


def _cached_ids(queryset):
    statement = _statement(queryset)
    return cached(
        SEARCH_CACHE_PREFIX,
        _key(statement),
        # Straight from the cursor: the ORM's row-by-row iteration cost as much as the statement
        # for a common word's 50,000 matches.
        lambda: array("q", map(itemgetter(0), _fetch_matches(queryset, statement))),
        timeout=CACHE_SECONDS,
    )


def _by_rank_then_name(index, groups, in_order):
    """The ids of `groups` ((rank, [ids]) rows), best rank first and by name within a rank; or, if
    a match is missing from the index (published since it was built), as `in_order` sorts them."""
    ordered = array("q")
    position = index.positions.__getitem__
    try:
        for _rank, ids in sorted(groups, key=itemgetter(0), reverse=True):
            ids.sort(key=position)
            ordered.extend(ids)
    except KeyError:
        return array("q", map(itemgetter(0), _fetch_matches(in_order)))
    return ordered


def _statement(queryset):
    """(sql, params): compiled once, for the cache key and the cursor (the search's rank is a
    large expression to compile)."""
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def _key(statement):
    sql, params = statement
    return f"{sql} {params!r}"


def _fetch_matches(queryset, statement=None):
    sql, params = statement or _statement(queryset)
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        return postgresql.fetch_through_index(connection, sql, params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def searched_rows(using):
    """What a search reads on this database: on PostgreSQL the narrow table of published rows
    (SearchRow, kept by triggers), whose scan and ranking never touch the wide organisation rows; elsewhere
    the published organisations (SQLite matches through its FTS5 tables). Both give the same ids in
    the same order: the same columns feed the same expressions."""
    if connections[using].vendor == "postgresql":
        return SearchRow.objects.using(using)
    return Organisation.objects.using(using).published()


def results(filterset):
    """The Results for a FilterSet over the public list, or None when the index cannot answer (a
    FilterSet over another queryset, or a database without a data version)."""
    if not _over_published_list(filterset):
        return None
    filterset.errors  # noqa: B018 — validates the form so that cleaned_data exists
    index = current_index(filterset.queryset.db)
    if index is None:
        return None
    return Results(filterset, index)


def _over_published_list(filterset):
    queryset = filterset.queryset
    if connections[queryset.db].vendor not in {"postgresql", "sqlite"}:
        return False
    return str(queryset.query) == str(Organisation.objects.using(queryset.db).published().query)
