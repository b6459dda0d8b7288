"""Benchmark (not a test): import a generated 100,000-row CSV on PostgreSQL.

Target: within two minutes, at flat memory (peak RSS ≤ 500 MB).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubdir_csvbench DJANGO_DEBUG=1 \\
        .venv/bin/python bench/bench_import.py --fresh

--fresh drops and recreates that database, migrates it and loads the fixtures as `make run` does
(`load_initial_data`: sectors, care settings, regulatory marks, organisations, initiatives,
memberships, key figures, synonyms) first. The generated rows
are synthetic: "Benchmark" names, example.org websites, no real organisations.

After the import that creates the rows, two more are timed on the same database: the same file again
(every row unchanged, as when an export is re-imported) and a copy in which every summary differs
(every row updated). --create-only skips them.
"""

import argparse
import csv
import datetime
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubdir.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

WORDS = [
    "Aire",
    "Kirkstall",
    "Headingley",
    "Roundhay",
    "Holbeck",
    "Pennine",
    "Wharfe",
    "Calder",
    "Meridian",
    "Northern",
    "Beacon",
    "Harbour",
    "Willow",
    "Granite",
    "Summit",
    "Lantern",
]
NOUNS = [
    "Diagnostics",
    "Health",
    "Analytics",
    "Medical",
    "Care",
    "Genomics",
    "Imaging",
    "Therapeutics",
    "Digital",
    "Labs",
    "Devices",
    "Wellbeing",
    "Data",
    "Bio",
    "Telecare",
    "Pharma",
]
SUFFIXES = ["Ltd", "Limited", "CIC", "LLP", ""]
TOWNS = [
    ("Leeds", "leeds", ["LS1 4AP", "LS2 9JT", "LS9 7TF", "LS11 5DR", "LS6 2UE", "LS27 0BN"]),
    ("Bradford", "bradford", ["BD1 1HY", "BD7 1DP"]),
    ("Wakefield", "wakefield", ["WF1 2QW"]),
    ("Huddersfield", "kirklees", ["HD1 3DH"]),
    ("Halifax", "calderdale", ["HX1 1UJ"]),
    ("York", "york", ["YO10 5DD"]),
    ("Harrogate", "harrogate", ["HG1 2RD"]),
]
SECTORS = [
    "Digital health",
    "Medtech",
    "Medical devices",
    "Diagnostics",
    "Imaging",
    "AI and data",
    "Telehealth",
    "Health analytics",
    "Genomics",
    "Wellbeing",
    "Research",
    "Healthcare services",
]
CARE_SETTINGS = ["hospital", "primary-care", "community", "home", "social-care", "mental-health"]
MARKS = ["ukca-class-i", "ukca-class-iia", "dtac-assessed", "nice-esf-tier-b", "dspt-standards-met"]
INITIATIVES = ["Nexus"]
BANDS = ["micro", "small", "medium", "large", ""]
COLUMNS = [
    "name", "slug", "alternative_names", "organisation_type", "status", "parent", "summary",
    "description", "website", "email", "phone", "address_line", "town", "local_authority", "postcode",
    "headquartered_in_leeds", "companies_house_number", "ods_code", "founded_year", "employees_band",
    "sectors", "care_settings", "regulatory_marks", "initiatives", "source_url", "last_verified_on",
]  # fmt: skip


def write_benchmark_csv(path, rows, *, seed=4):
    """Write `rows` synthetic organisations in the import's columns (streamed, flat memory)."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for n in range(1, rows + 1):
            if n % 1000 == 1:
                # A parent for the next thousand rows, earlier in the file than its children.
                k = n // 1000
                writer.writerow(
                    [f"Benchmark Parent {k}", f"benchmark-parent-{k}"] + [""] * (len(COLUMNS) - 2)
                )
            name = f"{rng.choice(WORDS)} {rng.choice(NOUNS)} Benchmark {n} {rng.choice(SUFFIXES)}".strip()
            town, authority, postcodes = rng.choice(TOWNS)
            host = f"bench-{n}.example.org"
            writer.writerow(
                [
                    name,
                    "",
                    f"BM{n}" if n % 5 == 0 else "",
                    "company",
                    rng.choice(["draft", "published"]),
                    f"benchmark-parent-{n // 1000}" if n % 1000 != 0 and n % 50 == 0 else "",
                    f"{rng.choice(NOUNS)} products and services for health and care teams.",
                    f"{name} works with NHS and care partners across West Yorkshire.\n"
                    f"Founded to make {rng.choice(NOUNS).lower()} simpler.",
                    f"https://{host}/",
                    f"hello@{host}",
                    f"+44 113 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                    f"{rng.randint(1, 200)} {rng.choice(WORDS)} Road",
                    town,
                    authority,
                    rng.choice(postcodes),
                    "true" if authority == "leeds" else "false",
                    f"{20000000 + n:08d}",
                    "",
                    str(rng.randint(1950, 2024)),
                    rng.choice(BANDS),
                    "; ".join(rng.sample(SECTORS, rng.randint(1, 3))),
                    "; ".join(rng.sample(CARE_SETTINGS, rng.randint(0, 2))),
                    "; ".join(rng.sample(MARKS, rng.randint(0, 1))),
                    rng.choice(INITIATIVES) if n % 20 == 0 else "",
                    f"https://{host}/about",
                    (datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 600)).isoformat(),
                ]
            )


def fresh_database():
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    if "postgresql" not in config["ENGINE"]:
        sys.exit("--fresh needs DATABASE_URL to point at PostgreSQL.")
    name = config["NAME"]
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--csv", type=Path, default=Path(tempfile.gettempdir()) / "hubdir-import-100k.csv")
    parser.add_argument("--fresh", action="store_true", help="Recreate, migrate and load fixtures.")
    parser.add_argument("--tracemalloc", action="store_true", help="Also report Python peak allocations.")
    parser.add_argument("--create-only", action="store_true", help="Skip the re-import and the update.")
    args = parser.parse_args()

    args.csv.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_benchmark_csv(args.csv, args.rows)
    print(
        f"Generated {args.csv} ({args.csv.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s"
    )

    if args.fresh:
        fresh_database()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from organisations.csv import import_csv
    from organisations.models import Organisation

    if args.fresh:
        call_command("migrate", verbosity=0)
        # What `make run` loads: the reference rows and the real organisations and initiatives.
        call_command("load_initial_data", verbosity=0)
    # Debug mode keeps the SQL of recent queries (bulk inserts are megabytes each): not what production does.
    settings.DEBUG = False
    sql_seconds = [0.0, 0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds[0] += time.perf_counter() - started
            sql_seconds[1] += 1

    def run_import(label, path):
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sql_seconds[:] = [0.0, 0]
        if args.tracemalloc:
            tracemalloc.start()
        cpu_before = time.process_time()
        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            result = import_csv(file=path, keep_rows=False)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        traced = tracemalloc.get_traced_memory()[1] / 1e6 if args.tracemalloc else None
        if args.tracemalloc:
            tracemalloc.stop()

        if result.errors:
            for error in result.errors[:20]:
                print(error)
            sys.exit(f"{len(result.errors)} errors: nothing imported.")
        print(f"== {label}")
        print(
            f"Rows in file: {result.total} ({result.created} created, {result.updated} updated, {result.unchanged} unchanged)"
        )
        print(f"Organisations after: {Organisation.objects.count()}")
        print(f"Import wall time: {elapsed:.1f} s (target ≤ 120 s)")
        print(f"  of which waiting on {sql_seconds[1]} SQL statements: {sql_seconds[0]:.1f} s")
        print(f"  CPU time of this Python process: {cpu:.1f} s")
        print(f"Load average at the end (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"Peak RSS: {peak_rss:.0f} MB (before the import: {rss_before:.0f} MB; target ≤ 500 MB)")
        if traced is not None:
            print(f"Peak Python allocations (tracemalloc): {traced:.0f} MB")

    print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"Organisations before: {Organisation.objects.count()}")
    run_import("Import creating every row", args.csv)
    if args.create_only:
        return
    # As after any large load: the planner needs statistics of the new rows (autovacuum would do it).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    run_import("The same file again (every row unchanged)", args.csv)
    changed = args.csv.with_name(args.csv.stem + "-changed.csv")
    with (
        open(args.csv, encoding="utf-8", newline="") as source,
        open(changed, "w", encoding="utf-8", newline="") as out,
    ):
        for line in source:  # streamed: the peak RSS reported is the import's
            out.write(line.replace("products and services for", "products and support for"))
    run_import("Every row updated (a new summary)", changed)


if __name__ == "__main__":
    main()
