"""Keeping the index current: sector names copied onto each organisation, the PostgreSQL vectors
and vocabulary, the SQLite FTS5 table and its triggers (all defined in ddl.py)."""

from django.db import connection, transaction

from . import ddl


def ensure_sqlite_triggers():
    """Recreate the FTS5 triggers if a table rebuild dropped them; True when any was missing."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            ["organisations_organisation_fts_%"],
        )
        present = cursor.fetchone()[0]
        for sql in ddl.sqlite_triggers(ddl.DOCUMENT):
            cursor.execute(sql)
    return present < len(ddl.SQLITE_TRIGGER_NAMES)


def rebuild_index():
    """Refresh every organisation's sector names, the search index and the vocabulary.

    Run after `loaddata` and bulk imports. Returns the number of rows whose sector names changed.
    """
    vendor = connection.vendor
    rebuild = {"postgresql": ddl.postgresql_rebuild(ddl.DOCUMENT), "sqlite": [ddl.SQLITE_REBUILD]}
    with transaction.atomic():
        if vendor == "sqlite":
            ensure_sqlite_triggers()
        changed = 0
        with connection.cursor() as cursor:
            if vendor in ddl.SECTOR_NAMES:
                cursor.execute(ddl.SECTOR_NAMES[vendor])
                changed = cursor.rowcount
            for sql in rebuild.get(vendor, []):
                cursor.execute(sql)
    return changed
