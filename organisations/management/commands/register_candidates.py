"""Candidates and checks from a public register's file (docs/operations.md, "Public registers")."""

import re
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from organisations.registers.config import RulesError
from organisations.registers.models import FlagKind, Register
from organisations.registers.readers import LayoutError
from organisations.registers.services import import_register

# BasicCompanyData-2026-11-01-part3_7.zip: one of the parts the whole file is also split into.
SPLIT_PART = re.compile(r"part\d+_\d+", re.IGNORECASE)
REGISTERS = {"companies-house": Register.COMPANIES_HOUSE, "ods": Register.ODS}


def plural(count, singular, plural_form=None):
    return f"{count:,} {singular if count == 1 else (plural_form or singular + 's')}"


class Command(BaseCommand):
    help = (
        "Read a Companies House Basic Company Data file or an NHS ODS file (CSV, or the zip as "
        "published): entries in the region that meet the rules become candidates for review, and "
        "listed organisations with a number in the file are checked against it. Bad rows are "
        "reported and skipped; everything is written in one transaction at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("register", choices=sorted(REGISTERS), help="Which register the file is from.")
        parser.add_argument("file", help="BasicCompanyData…zip or .csv; etr.csv, eccg.csv or their zips.")
        parser.add_argument(
            "--complete",
            action="store_true",
            help="Companies House only: the file is the whole register (BasicCompanyDataAsOneFile), so a "
            "listed company missing from it is flagged. Never use it with one of the split parts.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Read and count; write nothing.")

    def handle(self, *args, register, file, complete, dry_run, **options):
        if complete and register != "companies-house":
            raise CommandError("--complete is for the Companies House file, which lists every live company.")
        if complete and SPLIT_PART.search(Path(file).name):
            raise CommandError(
                f"{Path(file).name} is one part of the split file: a company missing from it says nothing. "
                "--complete is for BasicCompanyDataAsOneFile."
            )
        with self._progress_bar(options["verbosity"]) as bar:

            def progress(done, total):
                bar.total = total
                bar.update(done)

            try:
                result = import_register(
                    REGISTERS[register], file, complete=complete, dry_run=dry_run, progress=progress
                )
            except (LayoutError, RulesError) as error:
                raise CommandError(str(error)) from None
            except zipfile.BadZipFile as error:
                raise CommandError(f"{file} is a damaged zip ({error}); nothing was written.") from None
            except KeyboardInterrupt:
                raise CommandError("Interrupted: nothing was written.") from None
        for error in result.errors:
            self.stderr.write(str(error))
        if result.error_count > len(result.errors):
            self.stderr.write(f"… and {result.error_count - len(result.errors):,} more bad rows.")
        self.stdout.write(self._summary(result))

    def _progress_bar(self, verbosity):
        # On a terminal only: a log or a pipe gets the summary, not a stream of carriage returns.
        shown = verbosity > 0 and self.stderr.isatty()
        return tqdm(unit="B", unit_scale=True, desc="Reading", disable=not shown, file=self.stderr._out)

    def _summary(self, result):
        lines = [
            f"{result.file_name}: {plural(result.rows, 'row')} read, {result.in_region:,} in the region, "
            f"{result.matched:,} meeting the rules.",
            f"Candidates: {result.created:,} new, {result.refreshed:,} refreshed "
            f"({result.dismissed_kept:,} of them dismissed before, and still dismissed), "
            f"{result.already_listed:,} already listed.",
        ]
        raised = ", ".join(
            f"{count:,} {FlagKind(kind).label.lower()}" for kind, count in sorted(result.flags_raised.items())
        )
        lines.append(
            f"Checks: {plural(result.checked, 'listed organisation')} found in the file; "
            + (f"{result.findings:,} findings" if result.dry_run else f"new flags: {raised or 'none'}")
            + (f"; {plural(result.flags_resolved, 'open flag')} closed." if result.flags_resolved else ".")
        )
        lines.append(f"Skipped: {plural(result.error_count, 'bad row')}.")
        if result.dry_run:
            lines.append("Dry run: nothing was written.")
        return "\n".join(lines)
