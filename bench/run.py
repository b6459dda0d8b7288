"""The benchmark suite: our site and Datasette, side by side, at 1k, 10k and 100k.

For each size: seed demo organisations into PostgreSQL, serve the site with gunicorn (gthread,
debug off) on 127.0.0.1, time the pages over real HTTP (keep-alive, warm-up, then N requests each:
p50 and p95), count SQL queries and EXPLAIN the search and facet queries in-process, export the
same published organisations to SQLite with FTS5, serve them with Datasette and time the same
pages there. Results go to bench/results/*.json and docs/performance.md.

Run it with `make bench` (or bench/run.sh). Knobs (environment):
    BENCH_SIZES=1000,10000,100000   sizes to seed (default all three)
    BENCH_REQUESTS=20               timed requests per page (after BENCH_WARMUP=3 warm-up ones)
    BENCH_EXPORT_REQUESTS=20        timed requests of the full CSV exports
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubdir_bench  (dropped and re-created)
    BENCH_SEED=42                   seed_demo's random seed
    BENCH_SKIP_DATASETTE=1          time only our site
Only loopback addresses are ever targeted, and every loop is bounded.
"""

import contextlib
import datetime
import http.client
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
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hubdir_bench")
SEED = os.environ.get("BENCH_SEED", "42")
SKIP_DATASETTE = os.environ.get("BENCH_SKIP_DATASETTE") == "1"
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
    fixtures = [name for name in FIXTURE_ORDER if (ROOT / "fixtures" / f"{name}.json").exists()]
    fixtures += sorted(p.stem for p in (ROOT / "fixtures").glob("*.json") if p.stem not in FIXTURE_ORDER)
    if fixtures:
        manage("loaddata", *fixtures, "-v", "0")
    if has_command("rebuild_search_index"):
        manage("rebuild_search_index", "-v", "0")


def seed(size):
    manage("seed_demo", "--clear")
    started = time.perf_counter()
    manage("seed_demo", "--count", str(size), "--seed", SEED, "--no-progress")
    seconds = time.perf_counter() - started
    sql("VACUUM ANALYZE")
    return seconds


# --- HTTP timing -------------------------------------------------------------------------------


class Timer:
    """Sequential requests over one keep-alive connection; reconnects if the server closes it."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def fetch(self, path):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
            try:
                started = time.perf_counter()
                self.conn.request("GET", path, headers={"Host": HOST, "Accept-Encoding": "identity"})
                response = self.conn.getresponse()
                size = 0
                while chunk := response.read(1 << 16):
                    size += len(chunk)
                elapsed = (time.perf_counter() - started) * 1000
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
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

    def time(self, path, n=REQUESTS, warmup=WARMUP):
        statuses, samples, size, first = set(), [], 0, None
        for _ in range(warmup):
            _status, ms, _size = self.fetch(path)
            first = ms if first is None else first
        for _ in range(n):
            status, ms, size = self.fetch(path)
            statuses.add(status)
            samples.append(ms)
        # The first request of a page fills the caches: worth reporting beside the steady state.
        return {**summarise(samples, statuses, size, path), "first": round(first, 1) if first else None}

    def close(self):
        if self.conn:
            self.conn.close()


def percentile(samples, pct):
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))  # nearest-rank
    return ordered[int(rank) - 1]


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


def serve_ours(static_root, log_path):
    port = free_port()
    env = {
        **base_env(),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_STATIC_ROOT": str(static_root),
        # Plain HTTP on loopback: TLS is the reverse proxy's job in production.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
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


def time_ours(ours, static_root, log_path):
    process, port = serve_ours(static_root, log_path)
    timer = Timer(port)
    results = {}
    try:
        for label, path in ours.items():
            if label.startswith("CSV"):
                continue
            results[label] = timer.time(path)
            log(
                f"ours  {label:22} p50 {results[label]['p50']:9.1f} ms  p95 {results[label]['p95']:9.1f} ms  {results[label]['status']}"
            )
        # Result counts, from the API, for the report.
        counts = {}
        for label in ("search common word", "search rare word", "search + filters", "browse with facets"):
            query = urllib.parse.urlsplit(ours[label]).query
            status, body = timer.body("/api/organisations/" + (f"?{query}" if query else ""))
            counts[label] = json.loads(body).get("count") if status == 200 else f"HTTP {status}"
        label = "CSV export (all)"
        sampler = RssSampler(process.pid)
        sampler.start()
        results[label] = timer.time(ours[label], n=EXPORT_REQUESTS, warmup=1)
        peak, baseline = sampler.stop()
        results[label].update(rss_peak_mb=round(peak, 1), rss_before_mb=round(baseline, 1))
        log(f"ours  {label:22} p50 {results[label]['p50']:9.1f} ms  worker RSS peak {peak:.0f} MB")
    finally:
        timer.close()
        stop(process)
    return results, counts


# --- Datasette ---------------------------------------------------------------------------------


def time_datasette(theirs, sqlite_path, log_path):
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
    results, counts = {}, {}
    timer = Timer(port)
    try:
        wait_for(port, "/-/versions.json", process)
        status, body = timer.body(f"/bench/organisations.json?_sort=name&_size={49 * 20}&_shape=objects")
        token = json.loads(body)["next"]
        theirs["browse page 50"] = (
            f"/bench/organisations.json?_sort=name&_next={urllib.parse.quote(token)}&_size=20"
        )
        for label, path in theirs.items():
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


# --- one size ----------------------------------------------------------------------------------


def run_size(size, static_root, workdir):
    log(f"=== {size} organisations ===")
    result = {"size": size, "seed_seconds": round(seed(size), 1), "loadavg_before": os.getloadavg()[0]}
    result["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["published"] = sql("SELECT count(*) FROM organisations_organisation WHERE status = 'published'")[
        0
    ][0]
    result["total"] = sql("SELECT count(*) FROM organisations_organisation")[0][0]
    sqlite_path = None
    if not SKIP_DATASETTE:
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
    result["words"] = words
    result["ours"], result["ours_counts"] = time_ours(ours, static_root, RESULTS / f"gunicorn-{size}.log")
    if not SKIP_DATASETTE:
        result["datasette"], result["datasette_counts"] = time_datasette(
            theirs, sqlite_path, RESULTS / f"datasette-{size}.log"
        )
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
    result["loadavg_after"] = os.getloadavg()[0]
    return result


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
        "postgresql": sql("SHOW server_version")[0][0],
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
    log(f"work directory {workdir}")
    prepare_database()
    manage(
        "collectstatic",
        "--noinput",
        "-v",
        "0",
        debug=False,
        env={"DJANGO_STATIC_ROOT": str(static_root), "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)},
    )
    run = {
        "machine": versions(),
        "settings": {
            "requests": REQUESTS,
            "warmup": WARMUP,
            "export_requests": EXPORT_REQUESTS,
            "seed": SEED,
        },
        "sizes": [],
    }
    for size in SIZES:
        result = run_size(size, static_root, workdir)
        run["sizes"].append(result)
        (RESULTS / f"{size}.json").write_text(json.dumps(result, indent=1))
    (RESULTS / "latest.json").write_text(json.dumps(run, indent=1))
    import report

    report.write(run, ROOT / "docs" / "performance.md")
    log("wrote docs/performance.md")
    if (BENCH / "bench_import.py").exists() and os.environ.get("BENCH_SKIP_IMPORT") != "1":
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
