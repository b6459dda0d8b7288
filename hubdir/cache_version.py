"""A version of the directory's data, for caching reads that are expensive at 100,000 organisations.

The version is read from the database on every use, so that every app process and every write
path (admin, CSV import, merges, deletes, seed_demo, a shell) moves it without having to call
anything, and no process can keep serving counts another one made stale:

- organisations: the highest id, the latest `updated_at` and the latest history row (an insert;
  an edit, publish or archive, which saves the row; a delete, which simple-history records even
  for `queryset.delete()`; changes of sectors and other relations go with a save of the
  organisation, as in the admin and the CSV import);
- memberships: the highest id and the latest history row (the initiative facet);
- the reference tables and initiatives, which are small, hashed whole (names, slugs, retirement
  and publication change labels and options).

Every part is an index lookup or a small table, never a count of the organisations: the version
stays cheap at 100,000 of them. A raw SQL delete would go unseen: bulk changes go through model
saves and simple-history's helpers (ARCHITECTURE.md §4).

PostgreSQL only: elsewhere `data_version()` is None and callers compute afresh.
"""

import hashlib

from asgiref.local import Local
from django.db import connection

# Within one read-only request the version is read once and shared by every cached read
# (facets, result counts); DataVersionMiddleware opens and closes that scope.
_request = Local()

# Empty strings keep a missing value's place, so that no two states share a version.
VERSION_SQL = """
SELECT concat_ws(':',
    coalesce((SELECT max(id) FROM organisations_organisation)::text, ''),
    coalesce((SELECT extract(epoch FROM max(updated_at)) FROM organisations_organisation)::text, ''),
    coalesce((SELECT max(history_id) FROM organisations_historicalorganisation)::text, ''),
    coalesce((SELECT max(id) FROM initiatives_membership)::text, ''),
    coalesce((SELECT max(history_id) FROM initiatives_historicalmembership)::text, ''),
    md5(concat_ws(';',
        (SELECT string_agg(concat_ws(',', id, slug, name, is_active), ',' ORDER BY id)
         FROM organisations_sector),
        (SELECT string_agg(concat_ws(',', id, slug, name, is_active), ',' ORDER BY id)
         FROM organisations_caresetting),
        (SELECT string_agg(concat_ws(',', id, slug, name, is_active), ',' ORDER BY id)
         FROM organisations_regulatorymark),
        (SELECT string_agg(concat_ws(',', id, slug, name, status), ',' ORDER BY id)
         FROM initiatives_initiative)
    ))
)
"""


def data_version():
    """A string that changes whenever the data behind facet counts changes; None: do not cache."""
    if connection.vendor != "postgresql":
        return None
    memo = getattr(_request, "memo", None)
    if memo is not None and "version" in memo:
        return memo["version"]
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
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


def cached(prefix, query, compute, *, version, timeout=60 * 60):
    """`compute()`, cached under `version` (from data_version()) and `query`, a string naming it."""
    from django.core.cache import cache

    key = cache_key(prefix, version, query)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def cache_key(prefix, version, query):
    """A short cache key for a query's result under a data version."""
    return f"{prefix}:" + hashlib.blake2b(f"{version}|{query}".encode(), digest_size=16).hexdigest()
