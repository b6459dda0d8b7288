"""A version of the directory's data, for caching reads that are expensive at 100,000 organisations.

The version is read from the database on every use, so that every app process and every write
path (admin, CSV import, merges, deletes, seed_demo, a shell) moves it without having to call
anything, and no process can keep serving counts another one made stale. Each app names, in its
`AppConfig.ready()`, the values that move when its data changes:

- `track_latest(model, field)`: the highest value of an indexed column (an id, `updated_at`, a
  history id), which any insert, edit or (through simple-history) delete moves;
- `track_fingerprint(model, *fields)`: a hash of every row of a small table, for reference rows
  whose renames and retirements change labels and options.

Every part is an index lookup or a small table, never a count of the organisations, so the version
stays cheap at 100,000 of them. This module compiles the apps' querysets into one statement and
knows no table of its own. A raw SQL delete would go unseen: bulk changes go through model saves
and simple-history's helpers (ARCHITECTURE.md §4).

The same statement runs on PostgreSQL and SQLite (the fingerprints' ordered concatenation is the
one part written for each).
"""

import hashlib
import weakref
from contextlib import contextmanager

from asgiref.local import Local
from django.contrib.postgres.aggregates import StringAgg
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Func, Max, TextField, Value
from django.db.models.functions import MD5, Cast, Coalesce, Concat

# Within one read-only request the version is read once and shared by every cached read
# (facets, result counts); DataVersionMiddleware opens and closes that scope.
_request = Local()

# Callables that give, for a connection, (SQL, params) of a statement selecting one value;
# registered by the apps at start-up.
_parts = []

# {connection vendor: (SQL, params)} of the whole version statement. Compiling the apps' querysets
# cost more than running the statement (0.7 ms of 1.3 ms on PostgreSQL, 1.6 of 1.7 ms on SQLite,
# at every request), and the statement never changes once the apps are ready: it is compiled once
# per vendor, and again only when a part is added.
_compiled_statements = {}

DEFAULT_TIMEOUT = 60 * 60

# PostgreSQL sessions that have the version statement prepared, by raw connection, with its name.
# Planning the statement's dozen parts cost more than running them (0.7 ms a read against 0.3 ms
# prepared), and every GET reads the version; a closed session drops out.
_prepared_in = weakref.WeakKeyDictionary()

# The databases the version statement is written for; elsewhere callers compute afresh.
VERSIONED_VENDORS = frozenset({"postgresql", "sqlite"})


def _scalar(queryset, expression):
    # A constant grouping key makes the aggregate cover the whole table (no GROUP BY).
    return queryset.order_by().values(_all=Value(1)).annotate(version=expression).values("version")


def _add_part(part):
    _parts.append(part)
    _compiled_statements.clear()


def _compiled(queryset):
    return lambda using: queryset.query.get_compiler(connection=using).as_sql()


def track_latest(model, field):
    """The highest value of an indexed column: any insert, edit or history row moves it."""
    _add_part(_compiled(_scalar(model._base_manager.all(), Max(field))))


def track_rows(model, field="updated_at"):
    """How many rows and the latest `field`: inserts, edits and deletes all move it, even a delete
    that leaves no history row behind (the erasure of a person). A count: for tables that stay
    small beside the organisations."""
    text = TextField()
    version = Concat(Cast(Count("pk"), text), Value("/"), Cast(Max(field), text), output_field=text)
    _add_part(_compiled(_scalar(model._base_manager.all(), version)))


class _Row(Func):
    """A row's fields joined by commas, NULL as empty."""

    function = "concat_ws"
    template = "%(function)s(',', %(expressions)s)"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite before 3.44 has no concat_ws.
        row = self.copy()
        row.set_source_expressions(
            [Coalesce(Cast(e, TextField()), Value("")) for e in self.get_source_expressions()]
        )
        return row.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" || ',' || ")


def track_fingerprint(model, *fields):
    """A hash of every row of a small table: renames and retirements of reference rows."""
    row = _Row(*(F(name) for name in ("pk", *fields)))
    ordered_in_aggregate = _scalar(model._base_manager.all(), MD5(StringAgg(row, ",", order_by="pk")))
    rows = model._base_manager.order_by("pk").annotate(fingerprint_row=row).values("fingerprint_row")

    def sql(using):
        if using.vendor == "postgresql":
            return _compiled(ordered_in_aggregate)(using)
        # SQLite before 3.44 cannot order inside group_concat: it concatenates in the order of the
        # ordered subquery (any other order would only change the version, never keep a stale one).
        # MD5 is the function Django's SQLite backend defines.
        inner, params = rows.query.get_compiler(connection=using).as_sql()
        return f"SELECT MD5(group_concat(fingerprint_row, ',')) FROM ({inner})", params  # noqa: S608

    _add_part(sql)


def _version_sql(using=None):
    """(SQL, params) of the version statement for `using`'s database, compiled once per vendor."""
    using = using or connection
    statement = _compiled_statements.get(using.vendor)
    if statement is None:
        statement = _compiled_statements[using.vendor] = _compile_version_sql(using)
    return statement


def _compile_version_sql(using):
    compiled = [part(using) for part in _parts]
    # Empty strings keep a missing value's place, so that no two states share a version.
    columns = " || ':' || ".join(f"coalesce(CAST(({sql}) AS TEXT), '')" for sql, _params in compiled)
    params = tuple(param for _sql, params in compiled for param in params)
    return f"SELECT {columns} AS data_version", params


def data_version():
    """A string that changes whenever the data behind cached reads changes; None: do not cache."""
    if connection.vendor not in VERSIONED_VENDORS:
        return None
    memo = getattr(_request, "memo", None)
    if memo is not None and "version" in memo:
        return memo["version"]
    with connection.cursor() as cursor:
        cursor.execute(*_version_statement(cursor))
        version = cursor.fetchone()[0]
    if memo is not None:
        memo["version"] = version
    return version


def _version_statement(cursor):
    """(SQL, params) that reads the version: on PostgreSQL, over connections that last beyond one
    request, the statement is prepared once per session and then only executed."""
    sql, params = _version_sql()
    settings = connection.settings_dict
    if (
        connection.vendor != "postgresql"
        or settings["CONN_MAX_AGE"] == 0
        # PREPARE takes the statement's text with its values in it, as Django's default client-side
        # binding sends them.
        or settings["OPTIONS"].get("server_side_binding")
    ):
        return sql, params
    name = f"data_version_{hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()}"
    session = connection.connection
    if _prepared_in.get(session) != name:
        # Sent on the session itself, past Django's query log: a one-off per session that reads
        # nothing, which would otherwise count as one more query in whichever request came first.
        # The session keeps it whatever becomes of the transaction it is made in.
        with connection.wrap_database_errors:  # as Django's own errors, which become a 503
            session.execute(f"PREPARE {name} AS {cursor.cursor.mogrify(sql, params)}")
        _prepared_in[session] = name
    return f"EXECUTE {name}", None


@contextmanager
def read_once():
    """Within this block the data version is read at most once (for work that writes nothing)."""
    _request.memo = {}
    try:
        yield
    finally:
        del _request.memo


class DataVersionMiddleware:
    """Read the data version at most once per GET or HEAD request (they write nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in {"GET", "HEAD"}:
            return self.get_response(request)
        with read_once():
            return self.get_response(request)


def cached(prefix, query, compute, *, timeout=DEFAULT_TIMEOUT):
    """`compute()`, kept under the data version and `query` (a string naming what is computed)
    until the data changes; computed afresh where there is no data version."""
    version = data_version()
    if version is None:
        return compute()
    key = cache_key(prefix, version, query)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def cache_key(prefix, version, query):
    """A short cache key for a query's result under a data version (valid for memcached too)."""
    return f"{prefix}:" + hashlib.blake2b(f"{version}|{query}".encode(), digest_size=16).hexdigest()
