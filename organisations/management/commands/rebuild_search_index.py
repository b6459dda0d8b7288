from django.core.management.base import BaseCommand

from organisations.search import rebuild_index


class Command(BaseCommand):
    help = (
        "Refresh every organisation's copied sector, care setting and mark names, the full-text index and the search vocabulary. "
        "Run after loaddata and bulk imports."
    )

    def handle(self, *args, **options):
        changed = rebuild_index()
        self.stdout.write(
            self.style.SUCCESS(
                f"Search index rebuilt ({changed} organisations had new sector, care setting or regulatory mark names)."
            )
        )
