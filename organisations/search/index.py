"""Keeping the index current: the names copied onto each organisation (sectors, care settings,
regulatory marks), the PostgreSQL vectors and vocabulary, the SQLite FTS5 tables and their
triggers (all defined in ddl.py)."""

from django.db import connection, transaction

from . import ddl


def ensure_sqlite_triggers():
    """Recreate the FTS5 triggers if a table rebuild dropped them; True when any was missing."""
    if connection.vendor != "sqlite":
        return False
    names = ddl.sqlite_trigger_names(ddl.DOCUMENT)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [f"{ddl.FTS_TABLE}%"],
        )
        missing = cursor.fetchone()[0] < len(names)
        if missing:
            for sql in ddl.sqlite_triggers(ddl.DOCUMENT):
                cursor.execute(sql)
    return missing


def rebuild_index():
    """Refresh every organisation's copied names, the search index and the vocabulary.

    Run after `loaddata` and bulk imports. Returns the number of rows whose copied names changed.
    """
    vendor = connection.vendor
    rebuild = {"postgresql": ddl.postgresql_rebuild, "sqlite": ddl.sqlite_rebuild}.get(vendor)
    with transaction.atomic():
        if vendor == "sqlite":
            ensure_sqlite_triggers()
        changed = 0
        with connection.cursor() as cursor:
            if rebuild:
                if vendor == "postgresql":
                    # The rebuild below renews the whole vocabulary; postgresql_rebuild switches its
                    # triggers back on.
                    cursor.execute(ddl.VOCABULARY_TRIGGERS_OFF)
                for sql in ddl.copied_names(vendor):
                    cursor.execute(sql)
                    changed += cursor.rowcount
                for sql in rebuild(ddl.DOCUMENT):
                    cursor.execute(sql)
    return changed
