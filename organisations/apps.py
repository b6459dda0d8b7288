from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def restore_search_triggers(sender, using, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds it: put the FTS5 ones back.

    Schema upkeep, not business logic: without it, search on SQLite silently stops seeing changes.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if "organisations_organisation_fts" not in connection.introspection.table_names():
        return
    from . import search

    if search.ensure_sqlite_triggers():
        search.rebuild_index()


class OrganisationsConfig(AppConfig):
    name = "organisations"

    def ready(self):
        post_migrate.connect(restore_search_triggers, sender=self)
