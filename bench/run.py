"""The benchmark suite: our site and Datasette, side by side, at 1k, 10k and 100k.

For each size: seed demo organisations into PostgreSQL, serve the site with gunicorn (gthread,
debug off, its cache in Redis) on 127.0.0.1, time the pages over real HTTP (keep-alive, warm-up,
then N requests each: p50 and p95), count SQL queries and EXPLAIN the search and facet queries
in-process, export the same published organisations to SQLite with FTS5, serve them with Datasette
and time the same pages there. Then what a new visitor meets (issue 16): searches and filter
combinations never asked before, each asked once with the caches empty, on both sides. Results go
to bench/results/*.json and docs/performance.md.

Run it with `make bench` (or bench/run.sh). Knobs (environment):
    BENCH_SIZES=1000,10000,100000   sizes to seed (default all three)
    BENCH_PHASES=warm,export,inprocess,cold,browse,sqlite,import
                                    what to measure (comma list, default all):
                                    warm       each page asked 20 times (the tables per size)
                                    export     the full CSV export, time and worker memory
                                    inprocess  query counts, EXPLAIN plans and profiles
                                    cold       42+ searches never asked before, each once, caches empty
                                    browse     20+ filter combinations never asked before, each once
                                    sqlite     the cold searches on SQLite at BENCH_SQLITE_SIZE (once)
                                    import     the CSV import benchmark (bench/bench_import.py)
    BENCH_REUSE=1                   keep a database that already holds exactly N demo organisations
                                    (BENCH_DATABASE_URL, or the SQLite file) instead of re-seeding it
    BENCH_NOTE="..."                free text written beside the figures (e.g. what else ran)
    BENCH_REQUESTS=20               timed requests per page (after BENCH_WARMUP=3 warm-up ones)
    BENCH_EXPORT_REQUESTS=20        timed requests of the full CSV exports
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubdir_bench  (dropped and re-created
                                    unless BENCH_REUSE=1 finds the right size in it; `{size}` in it,
                                    e.g. .../hubdir_bench_{size}, gives each size its own database)
    BENCH_REDIS_URL=redis://127.0.0.1:6379/5  the cache of the bench's gunicorn (flushed before each
                                    cold phase; empty: each process's local memory)
    BENCH_COLD_PRIME=home           before the cold queries: `home` (the default) asks only / (process
                                    start-up), so the first query also builds the data version's facet
                                    index; `list` also asks /organisations/ once, which builds it
    BENCH_COLD_COUNTS=1             after the timed cold queries, read our result counts from the API
    BENCH_SQLITE_SIZE=10000         organisations in the SQLite phase's database
    BENCH_SEED=42                   seed_demo's random seed
    BENCH_SKIP_DATASETTE=1          time only our site
    BENCH_ONLY=type-ahead           time only these pages (comma-separated labels) of our site, and
                                    print the results instead of rewriting docs/performance.md
Only loopback addresses are ever targeted, and every loop is bounded.
"""

import contextlib
import datetime
import http.client
import ipaddress
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
APP_PY = ROOT / ".venv" / "bin" / "python"
APP_BIN = ROOT / ".venv" / "bin"
DATASETTE = BENCH / ".venv" / "bin" / "datasette"
HOST = "127.0.0.1"

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",") if s.strip()]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
EXPORT_REQUESTS = int(os.environ.get("BENCH_EXPORT_REQUESTS", str(REQUESTS)))
# "{size}" in the URL gives each size its own database, so that BENCH_REUSE=1 keeps all of them.
DATABASE_URL_TEMPLATE = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hubdir_bench"
)
DATABASE_URL = DATABASE_URL_TEMPLATE.replace("{size}", str(SIZES[0] if SIZES else 0))
SEED = os.environ.get("BENCH_SEED", "42")
ONLY = {label.strip() for label in os.environ.get("BENCH_ONLY", "").split(",") if label.strip()}
SKIP_DATASETTE = os.environ.get("BENCH_SKIP_DATASETTE") == "1" or bool(ONLY)
ALL_PHASES = ["warm", "export", "inprocess", "cold", "browse", "sqlite", "import"]
PHASES = [p.strip() for p in os.environ.get("BENCH_PHASES", ",".join(ALL_PHASES)).split(",") if p.strip()]
if unknown := set(PHASES) - set(ALL_PHASES):
    sys.exit(f"Unknown BENCH_PHASES {sorted(unknown)}: choose from {', '.join(ALL_PHASES)}.")
REUSE = os.environ.get("BENCH_REUSE") == "1"
NOTE = os.environ.get("BENCH_NOTE", "").strip()
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
COLD_PRIME = os.environ.get("BENCH_COLD_PRIME", "home")
COLD_COUNTS = os.environ.get("BENCH_COLD_COUNTS", "1") == "1"
SQLITE_SIZE = int(os.environ.get("BENCH_SQLITE_SIZE", "10000"))
SQLITE_PATH = RESULTS / f"hubdir_bench_sqlite_{SQLITE_SIZE}.sqlite3"
REQUEST_TIMEOUT = 300  # seconds; a request slower than this is a failure, not a result
FIXTURE_ORDER = [
    "sectors",
    "care_settings",
    "regulatory_marks",
    "organisations",
    "initiatives",
    "memberships",
    "key_figures",
]
COMMON_CANDIDATES = {"health", "care", "digital", "clinical", "data", "patients", "medical"}
FACETS = "_facet=organisation_type&_facet_array=sectors&_facet=employees_band&_facet=postcode_district"
STOPWORDS = {
    *("about", "also", "after", "among", "and", "are", "been", "being", "but", "can", "for", "from"),
    *("has", "have", "into", "its", "more", "most", "not", "our", "over", "such", "than", "that"),
    *("the", "their", "them", "these", "they", "this", "those", "through", "under", "was", "were"),
    *("which", "while", "who", "will", "with", "within"),
}


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def base_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL"))}
    env["DATABASE_URL"] = DATABASE_URL
    env["PYTHONPATH"] = str(ROOT)
    return env


def manage(*args, debug=True, env=None, capture=False):
    run_env = {**base_env(), **(env or {}), "DJANGO_DEBUG": "1" if debug else "0"}
    log("manage.py " + " ".join(args))
    return subprocess.run(
        [str(APP_PY), "manage.py", *args],
        cwd=ROOT,
        env=run_env,
        check=True,
        text=True,
        capture_output=capture,
    )


def has_command(name):
    listing = manage("help", "--commands", capture=True).stdout.split()
    return name in listing


def recreate_database():
    import psycopg

    parts = urllib.parse.urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if not name.startswith("hubdir_bench"):
        sys.exit(f"Refusing to drop {name!r}: the benchmark database's name must start with hubdir_bench.")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def sql(query, params=()):
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def prepare_database():
    recreate_database()
    manage("migrate", "--noinput", "-v", "0")
    load_fixtures()


def load_fixtures(env=None):
    fixtures = [name for name in FIXTURE_ORDER if (ROOT / "fixtures" / f"{name}.json").exists()]
    fixtures += sorted(p.stem for p in (ROOT / "fixtures").glob("*.json") if p.stem not in FIXTURE_ORDER)
    if fixtures:
        manage("loaddata", *fixtures, "-v", "0", env=env)
    if has_command("rebuild_search_index"):
        manage("rebuild_search_index", "-v", "0", env=env)


def demo_count():
    """Demo organisations in the benchmark database; None when there is no such database yet."""
    import psycopg

    try:
        return sql("SELECT count(*) FROM organisations_organisation WHERE is_demo")[0][0]
    except psycopg.Error:
        return None


def seed(size, env=None):
    manage("seed_demo", "--clear", env=env)
    started = time.perf_counter()
    manage("seed_demo", "--count", str(size), "--seed", SEED, "--no-progress", env=env)
    return time.perf_counter() - started


def ensure_database(size):
    """A database holding `size` demo organisations: the one already there with BENCH_REUSE=1 when
    its demo count is right (migrated to the code's schema), else a fresh one. Returns the seeding
    time, or None when the database was reused."""
    if REUSE:
        have = demo_count()
        if have == size:
            log(f"reusing {DATABASE_URL.rsplit('/', 1)[-1]}: it holds {have:,} demo organisations")
            manage("migrate", "--noinput", "-v", "0")
            sql("ANALYZE")
            return None
        log(f"not reusing the database: it holds {have} demo organisations, not {size:,}")
    prepare_database()
    seconds = seed(size)
    sql("VACUUM ANALYZE")
    return seconds


# --- HTTP timing -------------------------------------------------------------------------------


class Timer:
    """Sequential requests over one keep-alive connection; reconnects if the server closes it."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def fetch(self, path, keep_body=False, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
            try:
                started = time.perf_counter()
                sent = {"Host": HOST, "Accept-Encoding": "identity", **(headers or {})}
                self.conn.request("GET", path, headers=sent)
                response = self.conn.getresponse()
                size, chunks = 0, []
                while chunk := response.read(1 << 16):
                    size += len(chunk)
                    if keep_body:
                        chunks.append(chunk)
                elapsed = (time.perf_counter() - started) * 1000
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                if keep_body:
                    return response.status, elapsed, b"".join(chunks)
                return response.status, elapsed, size
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def body(self, path):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request("GET", path, headers={"Host": HOST})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def time(self, path, n=REQUESTS, warmup=WARMUP, clients=None):
        """`clients`: an iterator of client addresses, one per request (X-Forwarded-For), for pages
        whose per-client rate limit would otherwise refuse the timed requests themselves."""
        statuses, samples, size, first = set(), [], 0, None

        def headers():
            return {"X-Forwarded-For": next(clients)} if clients else None

        for _ in range(warmup):
            _status, ms, _size = self.fetch(path, headers=headers())
            first = ms if first is None else first
        for _ in range(n):
            status, ms, size = self.fetch(path, headers=headers())
            statuses.add(status)
            samples.append(ms)
        # The first request of a page fills the caches: worth reporting beside the steady state.
        return {**summarise(samples, statuses, size, path), "first": round(first, 1) if first else None}

    def time_each(self, paths, warmup=WARMUP):
        """Each path once, after `warmup` requests of the first: what visitors typing different
        things meet (no path is asked twice, so nothing is served from a cache of its own)."""
        for _ in range(warmup):
            self.fetch(paths[0])
        statuses, samples, size = set(), [], 0
        for path in paths[1:]:
            status, ms, size = self.fetch(path)
            statuses.add(status)
            samples.append(ms)
        return {**summarise(samples, statuses, size, f"{len(samples)} paths, {paths[1]} …"), "first": None}

    def close(self):
        if self.conn:
            self.conn.close()


def percentile(samples, pct):
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))  # nearest-rank
    return ordered[int(rank) - 1]


def spread(samples):
    """p50, p95 and max of one pass over distinct queries (each asked once)."""
    if not samples:
        return {"n": 0, "p50": None, "p95": None, "max": None, "min": None}
    return {
        "n": len(samples),
        "p50": round(statistics.median(samples), 1),
        "p95": round(percentile(samples, 95), 1),
        "max": round(max(samples), 1),
        "min": round(min(samples), 1),
    }


def summarise(samples, statuses, size, path):
    return {
        "path": path,
        "n": len(samples),
        "p50": round(statistics.median(samples), 2),
        "p95": round(percentile(samples, 95), 2),
        "min": round(min(samples), 2),
        "status": sorted(statuses),
        "bytes": size,
    }


def wait_for(port, path, process, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", path, headers={"Host": HOST})
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not answer within {seconds} s")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class RssSampler(threading.Thread):
    """Peak resident memory of each gunicorn worker, sampled every 20 ms."""

    def __init__(self, master_pid):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.peak = {}
        self.baseline = {pid: rss_mb(pid) for pid in children(master_pid)}
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            for pid in children(self.master_pid):
                self.peak[pid] = max(self.peak.get(pid, 0.0), rss_mb(pid))
            self.done.wait(0.02)

    def stop(self):
        self.done.set()
        self.join()
        return max(self.peak.values(), default=0.0), max(self.baseline.values(), default=0.0)


# --- our site ----------------------------------------------------------------------------------


def pick_words(sqlite_path, size):
    """A common and a rare word from the generated text (document frequency in the FTS index)."""
    import sqlite3

    db = sqlite3.connect(sqlite_path)
    db.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, organisations_fts, 'row')")
    rows = db.execute("SELECT term, doc FROM temp.vocab WHERE length(term) >= 4 ORDER BY doc DESC").fetchall()
    db.close()
    words = [(t, d) for t, d in rows if t.isalpha() and t not in STOPWORDS]
    # A word a visitor would type, when the generated text has it; else the most frequent one.
    domain = [(t, d) for t, d in words if t in COMMON_CANDIDATES and d <= size * 0.6]
    common = domain[0] if domain else next((t, d) for t, d in words if d <= size * 0.6)
    target = 5
    rare = min(words, key=lambda td: (abs(td[1] - target), td[0]))
    return common, rare


def scenario(size, sqlite_path):
    """The pages to time, for our site and the Datasette equivalent."""
    profile_row = sql(
        "SELECT o.id, o.slug FROM organisations_organisation o WHERE o.status = 'published' "
        "AND EXISTS (SELECT 1 FROM organisations_organisation_sectors s WHERE s.organisation_id = o.id) "
        "ORDER BY o.id OFFSET %s LIMIT 1",
        (size // 2,),
    )
    if not profile_row:
        profile_row = sql(
            "SELECT id, slug FROM organisations_organisation WHERE status = 'published' ORDER BY id LIMIT 1"
        )
    profile_id, profile_slug = profile_row[0]
    top_sector = sql(
        "SELECT s.slug, s.name FROM organisations_sector s JOIN organisations_organisation_sectors os "
        "ON os.sector_id = s.id GROUP BY s.slug, s.name ORDER BY count(*) DESC LIMIT 1"
    )
    sector_slug, sector_name = top_sector[0] if top_sector else ("medtech", "Medtech")
    if sqlite_path:
        (common, common_docs), (rare, rare_docs) = pick_words(sqlite_path, size)
    else:
        (common, common_docs), (rare, rare_docs) = ("health", None), ("zzz", None)
    q = urllib.parse.quote
    ours = {
        "home": "/",
        "browse with facets": "/organisations/",
        "search common word": f"/organisations/?q={q(common)}",
        "search rare word": f"/organisations/?q={q(rare)}",
        "search + filters": f"/organisations/?q={q(common)}&sector={q(sector_slug)}&size=small",
        "browse page 50": "/organisations/?page=50",
        "profile": f"/organisations/{profile_slug}/",
        "API list": "/api/organisations/",
        "CSV export (all)": "/organisations/export.csv",
        "type-ahead": type_ahead_paths(),
    }
    table = "/bench/organisations"
    theirs = {
        "browse with facets": f"{table}.json?{FACETS}&_sort=name&_size=20",
        "search common word": f"{table}.json?_search={q(common)}&{FACETS}&_size=20",
        "search rare word": f"{table}.json?_search={q(rare)}&{FACETS}&_size=20",
        "search + filters": (
            f"{table}.json?_search={q(common)}&sectors__arraycontains={q(sector_name)}"
            f"&employees_band=small&{FACETS}&_size=20"
        ),
        "browse page 50": None,  # filled in from Datasette's own keyset token
        "profile": f"{table}/{profile_id}.json",
        "API list": f"{table}.json?_size=20",
        "CSV export (all)": f"{table}.csv?_stream=1&_size=max",
    }
    words = {"common": [common, common_docs], "rare": [rare, rare_docs], "sector": sector_slug}
    return ours, theirs, words


def type_ahead_paths():
    """What a visitor types into the search box, keystroke by keystroke from the second character:
    the starts of published names and of a later word in them, spread through the table, and a few
    fixed ones. Every path is distinct."""
    names = [
        row[0]
        for row in sql(
            "SELECT name FROM organisations_organisation WHERE status = 'published' "
            "ORDER BY md5(id::text) LIMIT 12"
        )
    ]
    typed = []
    for name in names:
        words = name.lower().split()
        typed += [words[0][:n] for n in (2, 3, 5)]
        if len(words) > 1:
            typed.append(f"{words[0]} {words[1][:3]}")
            typed.append(words[1][:4])
    typed += ["leeds te", "nhs", "tun", "hea", "medt", "zzq"]
    distinct = list(dict.fromkeys(t for t in typed if len(t.strip()) >= 2))
    return [f"/search/suggestions.json?q={urllib.parse.quote(t)}" for t in distinct]


def serve_ours(static_root, log_path, env_overrides=None):
    port = free_port()
    env = {
        **base_env(),
        **({"REDIS_URL": REDIS_URL} if REDIS_URL else {}),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_STATIC_ROOT": str(static_root),
        # Plain HTTP on loopback: TLS is the reverse proxy's job in production.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        # The bench's own client stands in for the reverse proxy: X-Forwarded-For is believed from
        # 127.0.0.1 only, and sent only where distinct visitors are meant (the timed CSV exports,
        # from 198.18.0.0/15, the range set aside for benchmarks: header values, never targets).
        "DJANGO_TRUSTED_PROXY_HEADER": "HTTP_X_FORWARDED_FOR",
        "DJANGO_TRUSTED_PROXIES": HOST,
        "DJANGO_TRUSTED_PROXY_COUNT": "1",
        **(env_overrides or {}),
    }
    command = [
        str(APP_BIN / "gunicorn"),
        "hubdir.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        "--timeout",
        str(REQUEST_TIMEOUT),
    ]
    with open(log_path, "ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for(port, "/healthz", process)
    return process, port


def time_ours(ours, static_root, log_path, warm=True, export=True):
    flush_cache()  # each page's "first" request starts from an empty cache, as before Redis
    process, port = serve_ours(static_root, log_path)
    timer = Timer(port)
    results = {}
    counts = {}
    try:
        for label, path in ours.items():
            if not warm or label.startswith("CSV") or (ONLY and label not in ONLY):
                continue
            results[label] = timer.time_each(path) if isinstance(path, list) else timer.time(path)
            log(
                f"ours  {label:22} p50 {results[label]['p50']:9.1f} ms  p95 {results[label]['p95']:9.1f} ms  {results[label]['status']}"
            )
        if ONLY:
            return results, counts
        # Result counts, from the API, for the report.
        for label in ("search common word", "search rare word", "search + filters", "browse with facets"):
            if not warm:
                break
            query = urllib.parse.urlsplit(ours[label]).query
            status, body = timer.body("/api/organisations/" + (f"?{query}" if query else ""))
            counts[label] = json.loads(body).get("count") if status == 200 else f"HTTP {status}"
        if not export:
            return results, counts
        label = "CSV export (all)"
        sampler = RssSampler(process.pid)
        sampler.start()
        # The export allows each client 10 a minute: each timed export comes from its own address.
        clients = (str(address) for address in ipaddress.ip_network("198.18.0.0/15").hosts())
        results[label] = timer.time(ours[label], n=EXPORT_REQUESTS, warmup=1, clients=clients)
        peak, baseline = sampler.stop()
        results[label].update(rss_peak_mb=round(peak, 1), rss_before_mb=round(baseline, 1))
        log(f"ours  {label:22} p50 {results[label]['p50']:9.1f} ms  worker RSS peak {peak:.0f} MB")
    finally:
        timer.close()
        stop(process)
    return results, counts


# --- Datasette ---------------------------------------------------------------------------------


def serve_datasette(sqlite_path, log_path):
    port = free_port()
    command = [
        str(DATASETTE),
        "serve",
        "-i",
        str(sqlite_path),
        "--host",
        HOST,
        "--port",
        str(port),
        "--setting",
        "default_page_size",
        "20",
        "--setting",
        "sql_time_limit_ms",
        "60000",
        "--setting",
        "facet_time_limit_ms",
        "60000",
        "--setting",
        "num_sql_threads",
        "4",
        "--setting",
        "allow_facet",
        "on",
        # Suggested facets are extra queries our pages do not run: off, to be fair to Datasette.
        "--setting",
        "suggest_facets",
        "off",
        "--setting",
        "max_csv_mb",
        "0",
    ]
    with open(log_path, "ab") as out:
        process = subprocess.Popen(command, cwd=BENCH, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(port, "/-/versions.json", process)
    except RuntimeError:
        stop(process)
        raise
    return process, port


def time_datasette(theirs, sqlite_path, log_path, warm=True, export=True):
    process, port = serve_datasette(sqlite_path, log_path)
    results, counts = {}, {}
    timer = Timer(port)
    try:
        status, body = timer.body(f"/bench/organisations.json?_sort=name&_size={49 * 20}&_shape=objects")
        token = json.loads(body)["next"]
        theirs["browse page 50"] = (
            f"/bench/organisations.json?_sort=name&_next={urllib.parse.quote(token)}&_size=20"
        )
        for label, path in theirs.items():
            if not (export if label.startswith("CSV") else warm):
                continue
            n = EXPORT_REQUESTS if label.startswith("CSV") else REQUESTS
            results[label] = timer.time(path, n=n, warmup=1 if label.startswith("CSV") else WARMUP)
            log(
                f"datasette {label:18} p50 {results[label]['p50']:9.1f} ms  p95 {results[label]['p95']:9.1f} ms"
            )
            if path.endswith("_size=20") or "_search" in path:
                status, body = timer.body(path)
                data = json.loads(body)
                if status == 200 and "filtered_table_rows_count" in data:
                    counts[label] = data["filtered_table_rows_count"]
    finally:
        timer.close()
        stop(process)
    return results, counts


# --- what a new visitor meets (issue 16) -------------------------------------------------------


def vocabulary_and_options(connect):
    """The published organisations' words (document frequencies) and the filter values they offer,
    read through a DB-API connection factory (PostgreSQL or the SQLite phase's file)."""
    import queries

    with contextlib.closing(connect()) as conn:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT name, summary, description FROM organisations_organisation WHERE status = 'published'"
        )
        frequencies = queries.document_frequencies(" ".join(filter(None, row)) for row in cursor.fetchall())
        cursor.execute(
            "SELECT s.slug, s.name FROM organisations_sector s JOIN organisations_organisation_sectors os "
            "ON os.sector_id = s.id GROUP BY s.slug, s.name ORDER BY count(*) DESC, s.slug"
        )
        sectors = [tuple(row) for row in cursor.fetchall()][:12]
        cursor.execute(
            "SELECT postcode_district FROM organisations_organisation WHERE status = 'published' "
            "AND postcode_district <> '' GROUP BY postcode_district ORDER BY count(*) DESC, postcode_district"
        )
        districts = [(row[0], row[0]) for row in cursor.fetchall()][:15]
        cursor.execute(
            "SELECT local_authority FROM organisations_organisation WHERE status = 'published' "
            "AND local_authority <> '' GROUP BY local_authority ORDER BY local_authority"
        )
        authorities = [(row[0], row[0]) for row in cursor.fetchall()]
    options = queries.Options(
        sizes=[(band, band) for band in ("micro", "small", "medium", "large")],
        types=[(kind, kind) for kind in ("company", "charity", "support_organisation", "public_body")],
        sectors=sectors,
        authorities=authorities,
        districts=districts,
    )
    return frequencies, options


def postgres_connect():
    import psycopg

    return psycopg.connect(DATABASE_URL)


def ours_path(query):
    return "/organisations/?" + urllib.parse.urlencode(query.ours)


def theirs_path(query):
    search = any(k == "_search" for k, _v in query.theirs)
    order = "" if search else "&_sort=name"
    return f"/bench/organisations.json?{urllib.parse.urlencode(query.theirs)}&{FACETS}&_size=20{order}"


def flush_cache():
    """Empty the bench gunicorn's shared cache; a new process has empty in-process caches."""
    if not REDIS_URL:
        return
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def ask_each(timer, paths, prime, count_of=None):
    """Prime requests, then every path once, in order: per-path times, statuses and counts."""
    primed = []
    for path in prime:
        status, ms, _size = timer.fetch(path)
        primed.append({"path": path, "ms": round(ms, 1), "status": status})
    rows = []
    for path in paths:
        status, ms, body = timer.fetch(path, keep_body=count_of is not None)
        row = {"path": path, "ms": round(ms, 1), "status": status}
        if count_of is not None and status == 200:
            row["count"] = count_of(body)
        rows.append(row)
    return primed, rows


def datasette_count(body):
    with contextlib.suppress(ValueError):
        return json.loads(body).get("filtered_table_rows_count")
    return None


def cold_phase(name, query_list, static_root, log_name, sqlite_path=None, env_overrides=None):
    """Every query once against a freshly started gunicorn whose cache was just flushed, then the
    same queries once each against a freshly started Datasette on the same rows."""
    log(f"{name}: {len(query_list)} queries never asked before, each once")
    phase = phase_meta()
    phase["prime"] = COLD_PRIME
    flush_cache()
    process, port = serve_ours(static_root, RESULTS / f"gunicorn-{log_name}.log", env_overrides)
    timer = Timer(port)
    prime = ["/"] + (["/organisations/"] if COLD_PRIME == "list" else [])
    try:
        primed, rows = ask_each(timer, [ours_path(q) for q in query_list], prime)
        if COLD_COUNTS:
            # Counts after the timing (they reuse what the timed requests cached): a sanity check.
            for query, row in zip(query_list, rows, strict=True):
                status, body = timer.body("/api/organisations/?" + urllib.parse.urlencode(query.ours))
                row["count"] = json.loads(body).get("count") if status == 200 else None
    finally:
        timer.close()
        stop(process)
    for query, row in zip(query_list, rows, strict=True):
        row.update(label=query.label, kind=query.kind)
    phase["ours"] = {**spread([r["ms"] for r in rows]), "errors": sum(r["status"] != 200 for r in rows)}
    phase["ours"]["prime"] = primed
    phase["rows"] = rows
    log(
        f"{name} ours      p50 {phase['ours']['p50']} ms  p95 {phase['ours']['p95']} ms  max {phase['ours']['max']} ms"
        f"  errors {phase['ours']['errors']}"
    )
    if sqlite_path and not SKIP_DATASETTE:
        process, port = serve_datasette(sqlite_path, RESULTS / f"datasette-{log_name}.log")
        timer = Timer(port)
        try:
            primed, theirs = ask_each(
                timer,
                [theirs_path(q) for q in query_list],
                ["/bench/organisations.json?_size=1"],
                datasette_count,
            )
        finally:
            timer.close()
            stop(process)
        for row, their in zip(rows, theirs, strict=True):
            row.update(
                datasette_ms=their["ms"], datasette_status=their["status"], datasette_count=their.get("count")
            )
        phase["datasette"] = {
            **spread([r["ms"] for r in theirs]),
            "errors": sum(r["status"] != 200 for r in theirs),
        }
        phase["datasette"]["prime"] = primed
        log(
            f"{name} Datasette p50 {phase['datasette']['p50']} ms  p95 {phase['datasette']['p95']} ms  "
            f"max {phase['datasette']['max']} ms"
        )
    phase["inprocess"] = cold_inprocess(rows, env_overrides)
    kinds = {}
    for row in rows:
        kinds.setdefault(row["kind"], []).append(row)
    phase["by_kind"] = {
        kind: {
            "n": len(group),
            "ours_p50": round(statistics.median(r["ms"] for r in group), 1),
            "datasette_p50": round(statistics.median(r["datasette_ms"] for r in group), 1)
            if all("datasette_ms" in r for r in group)
            else None,
        }
        for kind, group in kinds.items()
    }
    phase["loadavg_after"] = os.getloadavg()
    return phase


def cold_inprocess(rows, env_overrides=None):
    """Where the slowest cold query's time went: its SQL statements (count, EXPLAIN ANALYZE of the
    slowest on PostgreSQL) and a profile of one request with the cache emptied, in-process. The
    first query is left out of the choice: it also paid for building the facet index."""
    candidates = [r for r in rows[1:] if r["status"] == 200] or rows
    slowest = max(candidates, key=lambda r: r["ms"])
    label = f"cold: {slowest['label']}"
    spec = {
        "urls": {label: slowest["path"]},
        "explain": [label],
        "profile_cold": [label],
        "prime": ["/organisations/"],  # builds the facet index, which the HTTP figure did not include
    }
    with tempfile.TemporaryDirectory(prefix="hubdir-bench-cold-") as tmp:
        spec_path, out_path = Path(tmp) / "in.json", Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec))
        log(f"in-process: EXPLAIN and a profile of the slowest cold query ({slowest['label']})")
        subprocess.run(
            [str(APP_PY), str(BENCH / "inprocess.py"), str(spec_path), str(out_path)],
            cwd=ROOT,
            env={**base_env(), "DJANGO_DEBUG": "1", "DJANGO_LOG_LEVEL": "WARNING", **(env_overrides or {})},
            check=True,
        )
        found = json.loads(out_path.read_text())
    return {
        "label": slowest["label"],
        "path": slowest["path"],
        "http_ms": slowest["ms"],
        "queries": found["queries"].get(label),
        "explain": found["explain"].get(label, []),
        "profile": found["profile"].get(label),
    }


def phase_meta():
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg_before": os.getloadavg(),
        "command": COMMAND,
        "note": NOTE,
        "git": git_head(),
    }


def git_head():
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "n/a"


def command_line():
    """The command that reproduces this run: its BENCH_* settings and bench/run.sh."""
    knobs = sorted(
        f"{key}={value}" if value and " " not in value else f"{key}={value!r}"
        for key, value in os.environ.items()
        if key.startswith("BENCH_") and key != "BENCH_NOTE"
    )
    return " ".join([*knobs, "bench/run.sh"])


COMMAND = command_line()


def run_cold_phases(size, static_root, sqlite_path, exclude):
    import queries

    frequencies, options = vocabulary_and_options(postgres_connect)
    found = {}
    if "cold" in PHASES:
        searches = queries.cold_searches(frequencies, size, options, exclude=exclude)
        found["cold"] = cold_phase(
            f"cold search {size:,}", searches, static_root, f"cold-{size}", sqlite_path
        )
    if "browse" in PHASES:
        browses = queries.cold_browses(options)
        found["browse"] = cold_phase(
            f"cold browse {size:,}", browses, static_root, f"browse-{size}", sqlite_path
        )
    return found


def run_sqlite(static_root):
    """The embedded default: SQLite at BENCH_SQLITE_SIZE organisations, the cold searches."""
    import sqlite3

    import queries

    log(f"=== SQLite, {SQLITE_SIZE:,} organisations ===")
    url = f"sqlite:///{SQLITE_PATH}"
    env = {"DATABASE_URL": url}
    result = {"size": SQLITE_SIZE, "database": "sqlite", "path": str(SQLITE_PATH.relative_to(ROOT))}

    def count():
        if not SQLITE_PATH.exists():
            return None
        with contextlib.closing(sqlite3.connect(SQLITE_PATH)) as db:
            try:
                return db.execute("SELECT count(*) FROM organisations_organisation WHERE is_demo").fetchone()[
                    0
                ]
            except sqlite3.Error:
                return None

    if REUSE and count() == SQLITE_SIZE:
        log(f"reusing {SQLITE_PATH.name}: it holds {SQLITE_SIZE:,} demo organisations")
        manage("migrate", "--noinput", "-v", "0", env=env)
        result["seed_seconds"] = None
    else:
        SQLITE_PATH.unlink(missing_ok=True)
        manage("migrate", "--noinput", "-v", "0", env=env)
        load_fixtures(env=env)
        result["seed_seconds"] = round(seed(SQLITE_SIZE, env=env), 1)
        with contextlib.closing(sqlite3.connect(SQLITE_PATH)) as db:
            db.execute("ANALYZE")
    frequencies, options = vocabulary_and_options(lambda: sqlite3.connect(SQLITE_PATH))
    searches = queries.cold_searches(frequencies, SQLITE_SIZE, options)
    result["cold"] = cold_phase(
        f"SQLite cold search {SQLITE_SIZE:,}", searches, static_root, f"sqlite-{SQLITE_SIZE}", None, env
    )
    return result


# --- one size ----------------------------------------------------------------------------------


def previous_result(name):
    """What earlier runs measured (bench/results/NAME.json), so that a run of some phases keeps the
    others' figures."""
    path = RESULTS / f"{name}.json"
    if ONLY or not path.exists():
        return {}
    with contextlib.suppress(ValueError):
        return json.loads(path.read_text())
    return {}


def run_size(size, static_root, workdir):
    global DATABASE_URL
    DATABASE_URL = DATABASE_URL_TEMPLATE.replace("{size}", str(size))
    log(f"=== {size} organisations ===")
    result = previous_result(size)
    seeded = ensure_database(size)
    result.update(
        size=size, seed_seconds=round(seeded, 1) if seeded is not None else result.get("seed_seconds")
    )
    result["published"] = sql("SELECT count(*) FROM organisations_organisation WHERE status = 'published'")[
        0
    ][0]
    result["total"] = sql("SELECT count(*) FROM organisations_organisation")[0][0]
    warm, export = "warm" in PHASES or bool(ONLY), "export" in PHASES and not ONLY
    sqlite_path = None
    if not SKIP_DATASETTE and {"warm", "export", "cold", "browse"} & set(PHASES):
        sqlite_path = workdir / "bench.sqlite"
        started = time.perf_counter()
        out = subprocess.run(
            [str(APP_PY), str(BENCH / "export_sqlite.py"), DATABASE_URL, str(sqlite_path)],
            check=True,
            capture_output=True,
            text=True,
        )
        result["sqlite_rows"] = json.loads(out.stdout)["rows"]
        result["sqlite_export_seconds"] = round(time.perf_counter() - started, 1)
    ours, theirs, words = scenario(size, sqlite_path)
    if warm or export:
        result["loadavg_before"] = os.getloadavg()[0]
        result["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        result["words"] = words
        result["warm_command"] = COMMAND
        result["warm_note"] = NOTE
        timed, counts = time_ours(
            ours, static_root, RESULTS / f"gunicorn-{size}.log", warm=warm, export=export
        )
        result["ours"] = {**result.get("ours", {}), **timed}
        result["ours_counts"] = {**result.get("ours_counts", {}), **counts}
        if ONLY:
            return result
        if not SKIP_DATASETTE:
            timed, counts = time_datasette(
                theirs, sqlite_path, RESULTS / f"datasette-{size}.log", warm=warm, export=export
            )
            result["datasette"] = {**result.get("datasette", {}), **timed}
            result["datasette_counts"] = {**result.get("datasette_counts", {}), **counts}
        result["loadavg_after"] = os.getloadavg()[0]
    if "inprocess" in PHASES and not ONLY:
        spec = {
            "urls": ours,
            "explain": ["browse with facets", "search common word", "search + filters"],
            "profile": [
                "browse with facets",
                "search common word",
                "profile",
                "CSV export (all)",
            ]
            if size == max(SIZES)
            else [],
        }
        spec_path, out_path = workdir / "inprocess-in.json", workdir / "inprocess-out.json"
        spec_path.write_text(json.dumps(spec))
        log("in-process query counts, EXPLAIN and profiles")
        subprocess.run(
            [str(APP_PY), str(BENCH / "inprocess.py"), str(spec_path), str(out_path)],
            cwd=ROOT,
            env={**base_env(), "DJANGO_DEBUG": "1", "DJANGO_LOG_LEVEL": "WARNING"},
            check=True,
        )
        result["inprocess"] = json.loads(out_path.read_text())
    if {"cold", "browse"} & set(PHASES) and not ONLY:
        # The warm phase's own words stay out of the cold queries: never asked before.
        exclude = {words["common"][0], words["rare"][0]}
        result.update(run_cold_phases(size, static_root, sqlite_path, exclude))
    return result


def postgres_version():
    import psycopg

    try:
        return sql("SHOW server_version")[0][0]
    except psycopg.Error:
        return "n/a"


def versions():
    def out(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "n/a"

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": out([str(APP_PY), "-c", "import platform; print(platform.python_version())"]),
        "django": out([str(APP_PY), "-c", "import django; print(django.get_version())"]),
        "gunicorn": out([str(APP_PY), "-c", "import gunicorn; print(gunicorn.__version__)"]),
        "postgresql": postgres_version(),
        "datasette": out([str(DATASETTE), "--version"]).replace("datasette, version ", ""),
        "sqlite": out(
            [str(BENCH / ".venv" / "bin" / "python"), "-c", "import sqlite3; print(sqlite3.sqlite_version)"]
        ),
        "git": out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
    }


def main():
    RESULTS.mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="hubdir-bench-"))
    static_root = workdir / "static"
    log(f"work directory {workdir}; phases {','.join(PHASES)}; {COMMAND}")
    manage(
        "collectstatic",
        "--noinput",
        "-v",
        "0",
        debug=False,
        env={"DJANGO_STATIC_ROOT": str(static_root), "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)},
    )
    size_phases = {"warm", "export", "inprocess", "cold", "browse"} & set(PHASES)
    for size in SIZES if size_phases or ONLY else []:
        result = run_size(size, static_root, workdir)
        if ONLY:
            (RESULTS / f"{size}-only.json").write_text(json.dumps(result, indent=1))
            continue
        (RESULTS / f"{size}.json").write_text(json.dumps(result, indent=1))
    if ONLY:
        shutil.rmtree(workdir, ignore_errors=True)
        return
    if "sqlite" in PHASES:
        result = run_sqlite(static_root)
        (RESULTS / f"sqlite-{SQLITE_SIZE}.json").write_text(json.dumps(result, indent=1))
    previous = previous_result("latest")
    if "warm" in PHASES or not previous:
        # The machine and settings of the warm tables' run (their Method section describes it).
        run = {
            **previous,
            "machine": versions(),
            "settings": {
                "requests": REQUESTS,
                "warmup": WARMUP,
                "export_requests": EXPORT_REQUESTS,
                "seed": SEED,
                "redis": bool(REDIS_URL),
            },
            "sizes": [],
        }
        (RESULTS / "latest.json").write_text(json.dumps(run, indent=1))
    import report

    report.main()
    log("wrote docs/performance.md")
    if (
        "import" in PHASES
        and (BENCH / "bench_import.py").exists()
        and os.environ.get("BENCH_SKIP_IMPORT") != "1"
    ):
        log("CSV import benchmark (bench/bench_import.py)")
        import_url = DATABASE_URL.rsplit("/", 1)[0] + "/hubdir_bench_import"
        subprocess.run(
            [str(APP_PY), str(BENCH / "bench_import.py"), "--fresh"],
            cwd=ROOT,
            env={**base_env(), "DATABASE_URL": import_url, "DJANGO_DEBUG": "1"},
            check=True,
        )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    main()
