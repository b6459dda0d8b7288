"""A version of the directory's data, for caching reads that are expensive at 100,000 organisations.

The version is read from the database on every use, so that every app process and every write
path (admin, CSV import, merges, deletes, seed_demo, a shell) moves it without having to call
anything, and no process can keep serving counts another one made stale:

- organisations: how many, the highest id and the latest `updated_at` (an insert, an edit, a
  publish or archive, a delete; changes of sectors and other relations go with a save of the
  organisation, as in the admin and the CSV import);
- memberships: how many and the highest id (the initiative facet);
- the reference tables and initiatives, which are small, hashed whole (names, slugs, retirement
  and publication change labels and options).

It costs one query of index scans (a few milliseconds at 100,000 organisations). PostgreSQL only:
elsewhere `data_version()` is None and callers compute afresh.
"""

from django.db import connection

VERSION_SQL = """
SELECT concat_ws(':',
    (SELECT count(*) FROM organisations_organisation),
    (SELECT max(id) FROM organisations_organisation),
    (SELECT extract(epoch FROM max(updated_at)) FROM organisations_organisation),
    (SELECT count(*) FROM initiatives_membership),
    (SELECT max(id) FROM initiatives_membership),
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
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        return cursor.fetchone()[0]
