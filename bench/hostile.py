"""Hostile load: does /healthz answer within 1 s, and do ordinary pages answer within 2 s, while 16
hostile requests are in flight? (docs/performance.md, "Hostile load").

The site runs as docs/operations.md says (gunicorn gthread, 2 workers x 4 threads, debug off, the
public statement timeout on) against a PostgreSQL database that already holds the organisations
(`manage.py seed_demo --count 20000`). Three phases, each with a probe that asks for /healthz and an
ordinary page (home, browse, a profile, initiatives, a one-word search) in turn, every 0.25 s:

1. quiet: no other load;
2. hostile, one address: 16 threads, each sending one hostile request after another (a search of 28
   random words never asked before, page or API; the whole CSV export; a filtered export of random
   words; a sitemap section), all from 127.0.0.1;
3. hostile, 16 addresses: the same, each thread another client behind a trusted proxy
   (X-Forwarded-For), so that per-client limits cannot help.

Caches start empty (a fresh gunicorn, a fresh download folder, no Redis unless --redis).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubdir_harden \\
        python bench/hostile.py --seconds 60 > bench/results/hostile.md

Only loopback addresses are targeted, and every loop is bounded by the phase's duration.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
HOSTILE = 16
PROBE_EVERY = 0.25
REQUEST_TIMEOUT = 120
# Probes slower than this are listed one by one, with when in the phase they were sent.
SLOW_PROBE = 0.5


def log(message):
    print(f"[hostile {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def random_words(n):
    return " ".join("".join(random.choices(string.ascii_lowercase, k=random.randint(4, 9))) for _ in range(n))


def hostile_requests(search_words):
    """[(label, a function making a fresh path)]: the hostile threads take them in turn."""
    return [
        ("long search", lambda: f"/organisations/?q={quote_plus(random_words(search_words))}"),
        ("long search, API", lambda: f"/api/organisations/?q={quote_plus(random_words(search_words))}"),
        ("whole CSV export", lambda: "/organisations/export.csv"),
        ("filtered CSV export", lambda: f"/organisations/export.csv?q={quote_plus(random_words(3))}"),
        ("organisation sitemap", lambda: f"/sitemap-organisations.xml?p={random.choice([1, 2])}"),
    ]


def ordinary_pages(profile):
    return [
        ("home", "/"),
        ("browse", "/organisations/"),
        ("profile", f"/organisations/{profile}/"),
        ("initiatives", "/initiatives/"),
        ("one-word search", "/organisations/?q=health"),
    ]


def fetch(port, path, headers=None):
    """(status, seconds) for one request on a new connection, whole body read; status 0 on error."""
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        conn.request("GET", path, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        while response.read(65536):
            pass
        status = response.status
        conn.close()
    except OSError:
        status = 0
    return status, time.perf_counter() - started


def serve(port, downloads, redis):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL"))}
    static_root = Path(downloads).parent / "static"
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_DOWNLOAD_CACHE_DIR=str(downloads),
        DJANGO_TRUSTED_PROXY_HEADER="HTTP_X_FORWARDED_FOR",
        DJANGO_TRUSTED_PROXIES=HOST,
        PYTHONPATH=str(ROOT),
    )
    if redis:
        env.update(REDIS_URL=redis, DJANGO_CACHE_PREFIX=f"hostile-{secrets.token_hex(4)}")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    # As docs/operations.md runs it.
    command = [
        str(BIN / "gunicorn"),
        "hubdir.wsgi:application",
        *("--bind", f"{HOST}:{port}", "--worker-class", "gthread", "--workers", "2", "--threads", "4"),
        *("--max-requests", "20000", "--max-requests-jitter", "2000", "--timeout", "30"),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(300):
        if fetch(port, "/healthz")[0] == 200:
            return process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def probe(port, pages, stop, results, started):
    turn = 0
    while not stop.is_set():
        label, path = ("healthz", "/healthz") if turn % 2 == 0 else pages[(turn // 2) % len(pages)]
        sent = time.perf_counter() - started
        status, seconds = fetch(port, path)
        results.append((label, status, seconds, sent))
        turn += 1
        stop.wait(PROBE_EVERY)


def hostile(port, kind, index, distinct, stop, results):
    headers = {"X-Forwarded-For": f"198.51.100.{index + 1}"} if distinct else None
    label, make_path = kind
    while not stop.is_set():
        status, seconds = fetch(port, make_path(), headers)
        results.append((label, status, seconds, None))


def run_phase(port, pages, seconds, kinds, hostile_threads=0, distinct=False):
    stop = threading.Event()
    probes, attacks = [], []
    started = time.perf_counter()
    threads = [threading.Thread(target=probe, args=(port, pages, stop, probes, started))]
    threads += [
        threading.Thread(target=hostile, args=(port, kinds[i % len(kinds)], i, distinct, stop, attacks))
        for i in range(hostile_threads)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return probes, attacks


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(rows, limit=None):
    by_label = {}
    for label, status, seconds, _sent in rows:
        by_label.setdefault(label, []).append((status, seconds))
    lines = []
    for label, items in by_label.items():
        times = [seconds for _status, seconds in items]
        statuses = {}
        for status, _seconds in items:
            statuses[status] = statuses.get(status, 0) + 1
        over = f" | {sum(t > limit for t in times)}" if limit else ""
        lines.append(
            f"| {label} | {len(items)} | {statistics.median(times) * 1000:.0f} | "
            f"{percentile(times, 0.95) * 1000:.0f} | {max(times) * 1000:.0f}{over} | "
            + ", ".join(f"{status or 'error'}: {n}" for status, n in sorted(statuses.items()))
            + " |"
        )
    return lines


def report(phase, probes, attacks):
    out = [f"### {phase}", "", "| probe | requests | p50 ms | p95 ms | max ms | over the limit | statuses |"]
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    health = [row for row in probes if row[0] == "healthz"]
    ordinary = [row for row in probes if row[0] != "healthz"]
    out += summary(health, limit=1.0) + summary(ordinary, limit=2.0)
    if attacks:
        out += ["", "| hostile request | requests | p50 ms | p95 ms | max ms | statuses |"]
        out.append("| --- | ---: | ---: | ---: | ---: | --- |")
        out += summary(attacks)
    slow = [row for row in probes if row[2] > SLOW_PROBE]
    if slow:
        # When in the phase the slow probes were sent: at its start, or throughout.
        out += ["", f"Probes over {SLOW_PROBE * 1000:.0f} ms, by when they were sent:", ""]
        out += [
            f"- +{sent:.1f} s {label}: {seconds * 1000:.0f} ms ({status})"
            for label, status, seconds, sent in slow
        ]
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of each hostile phase")
    parser.add_argument("--quiet-seconds", type=int, default=20)
    parser.add_argument("--redis", default="", help="REDIS_URL for the shared cache (default: none)")
    parser.add_argument("--profile", default="", help="a published organisation's slug for the probe")
    parser.add_argument("--search-words", type=int, default=28, help="words in a hostile search")
    args = parser.parse_args()
    kinds = hostile_requests(args.search_words)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to the seeded PostgreSQL database.")
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as scratch:
        downloads = Path(scratch) / "downloads"
        process = serve(port, downloads, args.redis)
        try:
            profile = args.profile or first_profile(port)
            pages = ordinary_pages(profile)
            sections = [
                f"Hostile searches of {args.search_words} random words. Load average before: {os.getloadavg()[0]:.2f}",
                "",
            ]
            for name, hostile_threads, distinct, seconds in [
                ("Quiet", 0, False, args.quiet_seconds),
                ("16 hostile requests from one address", HOSTILE, False, args.seconds),
                ("16 hostile requests from 16 addresses", HOSTILE, True, args.seconds),
            ]:
                log(f"phase: {name}")
                probes, attacks = run_phase(port, pages, seconds, kinds, hostile_threads, distinct)
                sections.append(report(name, probes, attacks))
                sections.append(f"Load average after: {os.getloadavg()[0]:.2f}\n")
        finally:
            process.terminate()
            process.wait(timeout=30)
    print("\n".join(sections))


def first_profile(port):
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    conn.request("GET", "/api/organisations/?page_size=1", headers={"Host": HOST})
    body = json.loads(conn.getresponse().read())
    conn.close()
    return body["results"][0]["slug"]


if __name__ == "__main__":
    main()
