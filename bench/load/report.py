"""Turn locust's CSV statistics into docs/load-test.md (Markdown on stdout)."""

import argparse
import csv
import datetime
import os
import platform


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("stats")
    parser.add_argument("failures")
    parser.add_argument("--users", required=True)
    parser.add_argument("--duration", required=True)
    parser.add_argument("--organisations", required=True)
    args = parser.parse_args()
    with open(args.stats, newline="") as f:
        rows = list(csv.DictReader(f))
    failures = []
    if os.path.exists(args.failures):
        with open(args.failures, newline="") as f:
            failures = list(csv.DictReader(f))

    print("# Load test\n")
    print(
        f"{args.users} concurrent users for {args.duration} against gunicorn (gthread, 4 workers × 8 threads, "
        "Redis cache) "
        f"on 127.0.0.1, PostgreSQL with {int(args.organisations):,} published organisations, on "
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{datetime.date.today().isoformat()}. Made by `bench/load/run.sh` (scenario: `bench/load/locustfile.py`)."
    )
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    note = os.environ.get("LOAD_NOTE", "").strip()
    command = (
        f"LOAD_DB={os.environ.get('LOAD_DB', 'hubdir_load')} USERS={args.users} DURATION={args.duration}"
    )
    print(f"\nCommand: `{command} bench/load/run.sh`. Load average (1, 5, 15 min) as the test ended: {load}.")
    print(f"Note: {note}\n" if note else "")
    print("| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
            f"{float(row['Max Response Time']):.0f} |"
        )
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total:
        print(
            f"\n**Throughput {float(total['Requests/s']):.1f} requests/s, p99 {total['99%']} ms, "
            f"{total['Failure Count']} errors out of {total['Request Count']} requests.**"
        )
    users = int(args.users)
    print(
        f"\nThe ceiling set by the scenario itself: each simulated user waits `between(2, 8)` s (5 s on "
        f"average) after each answer, so {users} users send at most about {users} / 5 = {users / 5:.0f} "
        "requests/s even from a server that answered instantly (less, by the time each answer takes). "
        "A throughput target above that (issue 16 asks ≥ 40 requests/s of 50 users) cannot be reached "
        "with these think times whatever the server does: it needs more users or shorter think times. "
        "What this test shows at this load is latency (p50–p99) and errors."
    )
    print(
        "\nHalf the searches (the rows marked *new*) combine two or three words at random, each "
        "combination used once, so that no cached result answers them; the rows marked *repeated* "
        "reuse a few popular words. Each user sends its own `X-Forwarded-For` address, believed from "
        "127.0.0.1 as from the reverse proxy (`DJANGO_TRUSTED_PROXIES`), so that per-client rate limits "
        "(the CSV export's 10 a minute) count each visitor, not the whole test as one client."
    )
    if failures:
        print("\n## Failures\n")
        for failure in failures:
            print(
                f"- {failure.get('Method')} {failure.get('Name')}: {failure.get('Error')} ×{failure.get('Occurrences')}"
            )


if __name__ == "__main__":
    main()
