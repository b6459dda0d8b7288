"""Measure search against the judged cases (tests/data/search_cases.yaml): success@1, success@3
and MRR on the current database, or on the fixtures; and write docs/search-quality.md for both
engines."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from organisations.search.quality import CASES_FILE, TARGETS, evaluate, load_cases, measures

ENGINES = ("postgresql", "sqlite")


class Command(BaseCommand):
    help = "Measure search quality (success@1, success@3, MRR) against the judged cases."

    def add_arguments(self, parser):
        parser.add_argument("--cases", default=str(CASES_FILE), help="The cases file (YAML).")
        parser.add_argument(
            "--fixtures",
            action="store_true",
            help="Measure on a throwaway database holding the fixtures, not on this database's data.",
        )
        parser.add_argument("--json", action="store_true", help="Print every case's results as JSON.")
        parser.add_argument(
            "--report",
            metavar="PATH",
            help="Measure both engines on the fixtures and write the report (docs/search-quality.md).",
        )
        parser.add_argument(
            "--postgres",
            metavar="URL",
            help="The PostgreSQL server for --report (default: this database's, when it is PostgreSQL).",
        )

    def handle(self, *args, cases, fixtures, json, report, postgres, **options):
        if report:
            self.write_report(Path(report), cases, postgres)
            return
        results = self.measure_fixtures(cases) if fixtures else [evaluate(case) for case in load_cases(cases)]
        if json:
            self.stdout.write(self.as_json(results))
            return
        self.print_measures(results)

    # --- One engine ------------------------------------------------------------------------------

    def measure_fixtures(self, cases):
        """The cases on a new test database of this engine, loaded with the fixtures."""
        creation = connection.creation
        # A name of its own, so that it never meets the test suite's database.
        connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_search_quality"
        name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            call_command("load_initial_data", verbosity=0)
            return [evaluate(case) for case in load_cases(cases)]
        finally:
            creation.destroy_test_db(name, verbosity=0)

    def print_measures(self, results):
        found = measures(results)
        target = TARGETS.get(connection.vendor)
        self.stdout.write(
            f"{connection.vendor}: {found['cases']} cases expecting a result, success@1 {found['success@1']:.1%}, "
            f"success@3 {found['success@3']:.1%}, MRR {found['mrr']:.3f}; "
            f"{found['passed']} of {len(results)} cases passed within their bounds"
            + (f" (target success@3 ≥ {target:.0%})" if target else "")
        )
        for result in results:
            if not result.passed:
                self.stdout.write(
                    f"  missed  {result.case.label}: {result.organisations[:3] or result.initiatives[:3]}"
                )

    @staticmethod
    def as_json(results):
        return json.dumps(
            [
                {
                    "label": r.case.label,
                    "query": r.case.query,
                    "kind": r.case.kind,
                    "typo": r.case.typo,
                    "nothing": r.case.nothing,
                    "expected": r.case.expected + [f"initiative:{s}" for s in r.case.initiatives],
                    "top": r.organisations[:3],
                    "initiatives": r.initiatives[:3],
                    "first_rank": r.first_rank,
                    "passed": r.passed,
                }
                for r in results
            ]
        )

    # --- Both engines ----------------------------------------------------------------------------

    def run_engine(self, url, cases):
        manage = Path(settings.BASE_DIR) / "manage.py"
        completed = subprocess.run(  # noqa: S603 — this interpreter and this project's manage.py
            [sys.executable, str(manage), "search_quality", "--fixtures", "--json", "--cases", cases],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode:
            raise CommandError(f"Measuring on {url.split('@')[-1]} failed:\n{completed.stderr[-2000:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def write_report(self, path, cases, postgres):
        postgres = postgres or (
            os.environ.get("DATABASE_URL", "") if connection.vendor == "postgresql" else ""
        )
        if not postgres:
            raise CommandError(
                "--report measures PostgreSQL too: give --postgres postgres://user@host:port/name."
            )
        runs = {
            "postgresql": self.run_engine(postgres, cases),
            "sqlite": self.run_engine(
                f"sqlite:///{Path(settings.BASE_DIR) / 'search-quality.sqlite3'}", cases
            ),
        }
        path.write_text(report_markdown(runs))
        self.stdout.write(f"Wrote {path}.")


def summary(rows):
    passed = sum(row["passed"] for row in rows)
    rows = [row for row in rows if not row["nothing"]]
    count = len(rows) or 1
    ranks = [row["first_rank"] for row in rows]
    return {
        "cases": len(rows),
        "success@1": sum(rank == 1 for rank in ranks) / count,
        "success@3": sum(rank is not None and rank <= 3 for rank in ranks) / count,
        "mrr": sum(1 / rank for rank in ranks if rank) / count,
        "passed": passed,
    }


def report_markdown(runs):
    """The report: measures per engine, the cases where the engines' first three differ, and each
    case's rank on both."""
    lines = [
        "# Search quality",
        "",
        "Written by `manage.py search_quality --report docs/search-quality.md` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, from the judged cases in `tests/data/search_cases.yaml` "
        "on the fixtures, loaded into a new database of each engine. success@k: the share of cases whose "
        "first expected organisation or initiative is among the first k results; MRR: the mean of 1 / "
        "its rank. Targets: success@3 ≥ 95% on PostgreSQL, ≥ 90% on SQLite (tests/test_search_quality.py).",
        "",
        "| engine | cases expecting a result | success@1 | success@3 | MRR | all cases passed within bounds | target success@3 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for engine in ENGINES:
        found = summary(runs[engine])
        lines.append(
            f"| {engine} | {found['cases']} | {found['success@1']:.1%} | {found['success@3']:.1%} | "
            f"{found['mrr']:.3f} | {found['passed']} of {len(runs[engine])} | ≥ {TARGETS[engine]:.0%} |"
        )
    postgres, sqlite = runs["postgresql"], runs["sqlite"]
    differ = [
        (p, s)
        for p, s in zip(postgres, sqlite, strict=True)
        if (p["top"], p["initiatives"]) != (s["top"], s["initiatives"])
    ]
    lines += ["", "## Where the engines' first three differ", ""]
    if differ:
        lines += ["| case | typo case | PostgreSQL | SQLite |", "| --- | --- | --- | --- |"]
        for p, s in differ:
            lines.append(
                f"| {p['label']} | {'yes' if p['typo'] else 'no'} | {', '.join(p['top']) or '–'} | "
                f"{', '.join(s['top']) or '–'} |"
            )
    else:
        lines.append("Nowhere: both engines return the same first three for every case.")
    lines += [
        "",
        "## Every case",
        "",
        "Rank of the first expected result on each engine (– when it is not in the first ten).",
        "",
        "| case | expected | PostgreSQL | SQLite |",
        "| --- | --- | ---: | ---: |",
    ]
    for p, s in zip(postgres, sqlite, strict=True):
        lines.append(
            f"| {p['label']} | {', '.join(p['expected'])} | {p['first_rank'] or '–'}"
            f"{'' if p['passed'] else ' ✗'} | {s['first_rank'] or '–'}{'' if s['passed'] else ' ✗'} |"
            if not p["nothing"]
            else f"| {p['label']} | nothing | {'none ✓' if p['passed'] else ', '.join(p['top'])} | "
            f"{'none ✓' if s['passed'] else ', '.join(s['top'])} |"
        )
    return "\n".join(lines).replace("|  |", "| |") + "\n"
