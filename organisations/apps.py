from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from core import dataversion, images

from . import search
from .search import ddl


def restore_search_triggers(sender, using, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds it: put the FTS5 ones back.

    Schema upkeep, not business logic: without it, search on SQLite silently stops seeing changes.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    # Only when the tables of the current document exist (not after migrating back before them).
    if not set(ddl.fts_table_names(ddl.DOCUMENT)) <= set(connection.introspection.table_names()):
        return
    if search.ensure_sqlite_triggers():
        search.rebuild_index()


class OrganisationsConfig(AppConfig):
    name = "organisations"

    def ready(self):
        post_migrate.connect(restore_search_triggers, sender=self)
        # Inserts, edits, publishing and (through history rows) deletes of organisations move these;
        # relations change with a save of the organisation, as in the admin and the CSV import.
        organisation = self.get_model("Organisation")
        images.register(organisation, organisation.image_spec)
        dataversion.track_latest(organisation, "id")
        dataversion.track_latest(organisation, "updated_at")
        dataversion.track_latest(organisation.history.model, "history_id")
        # Renamed or retired reference rows change the facets' labels and options; a sector's
        # description shows beside search results.
        for name in ("Sector", "CareSetting", "RegulatoryMark"):
            dataversion.track_fingerprint(self.get_model(name), "slug", "name", "is_active", "description")
        # The thesaurus is applied as queries are read: an edit must count at once.
        dataversion.track_fingerprint(self.get_model("Synonym"), "term", "equivalents")
        # People show on profiles and initiative pages: an edit, and an erasure (which deletes the
        # person's history rows too), must reach a cached page at once.
        dataversion.track_rows(self.get_model("Contact"), "updated_at")
