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

PostgreSQL only: elsewhere `data_version()` is None and callers compute afresh.
"""

import hashlib

from asgiref.local import Local
from django.contrib.postgres.aggregates import StringAgg
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Func, Max, TextField, Value
from django.db.models.functions import MD5

# Within one read-only request the version is read once and shared by every cached read
# (facets, result counts); DataVersionMiddleware opens and closes that scope.
_request = Local()

# Querysets that each select one value; registered by the apps at start-up.
_parts = []

DEFAULT_TIMEOUT = 60 * 60


def _scalar(queryset, expression):
    # A constant grouping key makes the aggregate cover the whole table (no GROUP BY).
    return queryset.order_by().values(_all=Value(1)).annotate(version=expression).values("version")


def track_latest(model, field):
    _parts.append(_scalar(model._base_manager.all(), Max(field)))


def track_fingerprint(model, *fields):
    row = Func(
        *(F(name) for name in ("pk", *fields)),
        function="concat_ws",
        template="%(function)s(',', %(expressions)s)",
        output_field=TextField(),
    )
    _parts.append(_scalar(model._base_manager.all(), MD5(StringAgg(row, ",", order_by="pk"))))


def _version_sql():
    compiled = [part.query.get_compiler(connection=connection).as_sql() for part in _parts]
    # Empty strings keep a missing value's place, so that no two states share a version.
    columns = ", ".join(f"coalesce(({sql})::text, '')" for sql, _params in compiled)
    params = [param for _sql, params in compiled for param in params]
    return f"SELECT concat_ws(':', {columns})", params


def data_version():
    """A string that changes whenever the data behind cached reads changes; None: do not cache."""
    if connection.vendor != "postgresql":
        return None
    memo = getattr(_request, "memo", None)
    if memo is not None and "version" in memo:
        return memo["version"]
    with connection.cursor() as cursor:
        cursor.execute(*_version_sql())
        version = cursor.fetchone()[0]
    if memo is not None:
        memo["version"] = version
    return version


class DataVersionMiddleware:
    """Read the data version at most once per GET or HEAD request (they write nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in {"GET", "HEAD"}:
            return self.get_response(request)
        _request.memo = {}
        try:
            return self.get_response(request)
        finally:
            del _request.memo


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
