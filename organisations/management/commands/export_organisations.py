"""Export organisations as CSV in the import's columns (ARCHITECTURE.md §7)."""

from django.core.management.base import BaseCommand

from organisations.csv import write_csv
from organisations.models import Organisation


class Command(BaseCommand):
    help = "Write organisations as CSV (all statuses unless --published) to a file or stdout."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Output path; stdout when omitted.")
        parser.add_argument("--published", action="store_true", help="Only published organisations.")

    def handle(self, *args, file, published, **options):
        queryset = Organisation.objects.published() if published else Organisation.objects.all()
        queryset = queryset.order_by("name", "pk")
        if file:
            with open(file, "w", encoding="utf-8", newline="") as stream:
                write_csv(queryset, stream)
        else:
            # Each CSV record ends in \r\n, so the wrapper adds no line ending of its own.
            write_csv(queryset, self.stdout)
