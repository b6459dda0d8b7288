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
        images.register(initiative, initiative.image_spec)
