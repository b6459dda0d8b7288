from django.contrib.syndication.views import Feed
from django.db.models import F
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from .models import Organisation

FEED_LENGTH = 50


class NewOrganisationsFeed(Feed):
    feed_type = Atom1Feed
    title = "Leeds Health Tech Directory: newly published organisations"
    subtitle = "Organisations most recently published in the Leeds Health Tech Directory."

    def link(self):
        return reverse("organisations:organisation-list")

    def items(self):
        return (
            Organisation.objects.published()
            .for_display()
            .prefetch_related("sectors")
            .order_by(F("published_at").desc(nulls_last=True), "-created_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, organisation):
        return organisation.name

    def item_description(self, organisation):
        # Atom summaries are read as HTML: text from the directory must never become markup.
        return escape(organisation.summary)

    def item_pubdate(self, organisation):
        return organisation.published_at or organisation.created_at

    def item_updateddate(self, organisation):
        return organisation.updated_at

    def item_categories(self, organisation):
        return [sector.name for sector in organisation.sectors.all()]
