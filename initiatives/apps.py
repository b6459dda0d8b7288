from django.apps import AppConfig

from core import dataversion, images


class InitiativesConfig(AppConfig):
    name = "initiatives"

    def ready(self):
        # The initiative facet and member counts follow memberships, and initiatives' names and
        # publication; search shows their kind and summary.
        membership = self.get_model("Membership")
        dataversion.track_latest(membership, "id")
        dataversion.track_latest(membership.history.model, "history_id")
        dataversion.track_fingerprint(
            self.get_model("Initiative"), "slug", "name", "status", "kind", "summary"
        )
        initiative = self.get_model("Initiative")
        # Whole pages are cached under the version (core/pagecache.py): any other edit of an
        # initiative (its description, hosts, logo …) writes a history row, and key figures, which
        # keep no history, are a small table fingerprinted whole.
        dataversion.track_latest(initiative.history.model, "history_id")
        dataversion.track_fingerprint(
            self.get_model("KeyFigure"),
            "slug",
            "label",
            "value",
            "source_name",
            "source_url",
            "as_of",
            "as_of_label",
            "initiative_id",
            "order",
            "status",
        )
        images.register(initiative, initiative.image_spec)
