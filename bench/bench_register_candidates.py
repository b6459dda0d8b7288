"""Benchmark (not a test): `manage.py register_candidates` on a full-size Companies House file.

Target: the whole Basic Company Data file (about 5.5 million rows, 2.5 GB unzipped) in at most
3 minutes at a peak of at most 300 MB resident memory, on this machine's 2 cores.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubdir_registers_bench DJANGO_DEBUG=1 \\
        .venv/bin/python bench/bench_register_candidates.py --fresh

Writes bench/results/BasicCompanyDataAsOneFile-2026-11-01.zip with generate_companies_house.py
when it is not there yet (about 2 minutes; synthetic rows, no real company), then runs the command
under /usr/bin/time -v twice: the first run (into an empty queue after --fresh), then the same file
again (every candidate refreshed, as each month's import does). --fresh drops and recreates that database, migrates it and
loads the reference fixtures first. Prints a Markdown table for docs/performance.md and keeps the
figures in bench/results/register_candidates.json.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_FILE = RESULTS / "BasicCompanyDataAsOneFile-2026-11-01.zip"


def manage(*args, env, timed=False):
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    if timed:
        command = ["/usr/bin/time", "-v", *command]
    completed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed


def fresh_database(env):
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(env["DATABASE_URL"])
    if "postgresql" not in config["ENGINE"]:
        sys.exit("--fresh needs DATABASE_URL to point at PostgreSQL.")
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
    manage("migrate", "--noinput", env=env)
    manage("load_initial_data", env=env)


def time_figures(stderr):
    """Wall time (s), peak RSS (MB) and CPU (s) from /usr/bin/time -v."""
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", stderr)
    hours, minutes, seconds = wall.groups()
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)[1])
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", stderr)[1])
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", stderr)[1])
    return {
        "wall_s": int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds),
        "peak_rss_mb": round(rss_kb * 1024 / 1e6, 1),
        "cpu_s": round(user + system, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--rows", type=int, default=5_500_000, help="rows to generate when --file is missing")
    parser.add_argument("--fresh", action="store_true", help="recreate, migrate and load the fixtures")
    args = parser.parse_args()

    env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
    if "DATABASE_URL" not in env:
        sys.exit("Set DATABASE_URL (PostgreSQL, as in production).")
    if not args.file.exists():
        generator = ROOT / "bench" / "generate_companies_house.py"
        flags = ["--zip"] if args.file.suffix == ".zip" else []
        subprocess.run(
            [sys.executable, str(generator), "--rows", str(args.rows), *flags, str(args.file)], check=True
        )
    if args.fresh:
        fresh_database(env)

    runs = []
    for _ in range(2):
        load = os.getloadavg()[0]
        started = time.perf_counter()
        completed = manage("register_candidates", "companies-house", str(args.file), env=env, timed=True)
        figures = time_figures(completed.stderr)
        rows = int(re.search(r"([\d,]+) rows read", completed.stdout)[1].replace(",", ""))
        candidates = re.search(r"Candidates: ([\d,]+ new, [\d,]+ refreshed)", completed.stdout)[1]
        runs.append(
            {
                "run": f"{len(runs) + 1} ({candidates})",
                **figures,
                "rows": rows,
                "rows_per_s": round(rows / figures["wall_s"]),
                "load_before": round(load, 2),
                "summary": completed.stdout.strip(),
                "measured_s": round(time.perf_counter() - started, 1),
            }
        )

    report = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "file": args.file.name,
        "file_bytes": args.file.stat().st_size,
        "command": f"/usr/bin/time -v python manage.py register_candidates companies-house {args.file.name}",
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "register_candidates.json").write_text(json.dumps(report, indent=2))
    print(f"{report['date']}, {args.file.name} ({args.file.stat().st_size / 1e6:,.0f} MB)\n")
    print("| run | wall time | peak RSS | CPU | rows/s | load average before |")
    print("| --- | --- | --- | --- | --- | --- |")
    for run in runs:
        print(
            f"| {run['run']} | {run['wall_s']:.1f} s | {run['peak_rss_mb']:.0f} MB | {run['cpu_s']:.1f} s "
            f"| {run['rows_per_s']:,} | {run['load_before']} |"
        )
    print()
    print(runs[-1]["summary"])


if __name__ == "__main__":
    main()
