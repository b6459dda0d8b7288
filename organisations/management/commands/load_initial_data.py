from django.core.management import call_command
from django.core.management.base import BaseCommand

from organisations.models import Organisation, Sector

# Every fixture; they load in any order (build_fixtures explains how), these in the order people read them.
INITIAL_FIXTURES = [
    "sectors",
    "care_settings",
    "regulatory_marks",
    "synonyms",
    "organisations",  # with the initiatives and memberships
    "key_figures",
]


class Command(BaseCommand):
    help = "Load the directory's fixtures, but only into an empty database (never over curated data)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Load even when the database already holds entries."
        )

    def handle(self, *args, force=False, **options):
        if not force and (Sector.objects.exists() or Organisation.objects.exists()):
            self.stdout.write("The database already holds data: fixtures not loaded.")
            return
        call_command("loaddata", *INITIAL_FIXTURES, verbosity=options["verbosity"])
        call_command("rebuild_search_index", verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS("Loaded the Leeds fixtures."))
