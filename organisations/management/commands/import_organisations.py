"""Import organisations from a CSV file (ARCHITECTURE.md §7): all rows or none."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from organisations.csv import import_csv


class Command(BaseCommand):
    help = (
        "Import organisations from a UTF-8 CSV file. Every row is validated first; any bad row means "
        "nothing is written and the command exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CSV file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count the changes; write nothing."
        )
        parser.add_argument(
            "--user",
            help="Username recorded in history; their role applies (an Editor cannot set status).",
        )

    def handle(self, *args, file, dry_run, user, **options):
        account = None
        if user:
            try:
                account = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user called {user!r}.") from None
        try:
            handle = open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise CommandError(f"Cannot open {file}: {error.strerror}.") from None

        quiet = options["verbosity"] == 0
        bars = {}

        def progress(stage, rows):
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                label = "Validating" if stage == "validate" else "Writing"
                bars[stage] = tqdm(desc=label, unit=" rows", disable=quiet, file=self.stderr._out)
            bars[stage].update(rows)

        try:
            result = import_csv(
                file=handle, user=account, dry_run=dry_run, progress=progress, keep_rows=False
            )
        finally:
            handle.close()
            for bar in bars.values():
                bar.close()

        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(result.errors)} error{'s' if len(result.errors) != 1 else ''} found: nothing was imported."
            )
        summary = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))
