"""In-process measurements for bench/run.py: SQL query counts, EXPLAIN plans and profiles.

Runs the same URLs as the HTTP timings through Django's test Client against the same database,
with DEBUG on so that CaptureQueriesContext sees every query. Each URL is requested with a cold
cache (the most queries it can take) and again warm. The SQL of the search and facet queries is
then run under EXPLAIN (ANALYZE, BUFFERS) to show which indexes PostgreSQL uses.

Usage (environment: DATABASE_URL, DJANGO_DEBUG=1):
    python bench/inprocess.py IN.json OUT.json
IN.json: {"urls": {label: path}, "explain": [label, ...], "profile": [label, ...],
          "profile_cold": [label, ...], "prime": [path, ...]}
(profile_cold: one request after emptying the cache; prime: asked once before everything)
"""

import cProfile
import io
import json
import os
import pstats
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubdir.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

# Queries worth explaining: full-text or trigram search and the facet counts.
INTERESTING = re.compile(r"@@|similarity|%>|GROUP BY|COUNT\(", re.IGNORECASE)


def capture(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, HTTP_HOST="127.0.0.1")
        if getattr(response, "streaming", False):
            for _chunk in response.streaming_content:
                pass
    return response.status_code, list(ctx.captured_queries)


def explain(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def profile(client, path, repeat=5):
    if repeat > 1:
        client.get(path, HTTP_HOST="127.0.0.1")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        response = client.get(path, HTTP_HOST="127.0.0.1")
        if getattr(response, "streaming", False):
            for _chunk in response.streaming_content:
                pass
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(20)
    stats.sort_stats("tottime").print_stats(15)
    # Drop pstats' absolute paths to keep the report readable.
    return re.sub(r"[^ ]*site-packages/", "", out.getvalue().replace(str(Path.cwd()) + "/", ""))


def empty_caches():
    # Every alias: the whole-page cache has its own, and a page served from it measures nothing.
    for each in caches.all():
        each.clear()


def main():
    spec = json.loads(Path(sys.argv[1]).read_text())
    client = Client(raise_request_exception=False)
    results = {"queries": {}, "explain": {}, "profile": {}}
    for path in spec.get("prime", []):
        # Built once per data version and process (the facet index): out of the figures below.
        client.get(path, HTTP_HOST="127.0.0.1")
    for label, path in spec["urls"].items():
        empty_caches()
        status, cold = capture(client, path)
        # The full export is long at 100k and its count does not depend on the cache.
        warm = cold if label.startswith("CSV") else capture(client, path)[1]
        results["queries"][label] = {
            "path": path,
            "status": status,
            "cold": len(cold),
            "warm": len(warm),
            "sql_ms": round(sum(float(q["time"]) for q in cold) * 1000, 1),
        }
        if label in spec.get("explain", []) and connection.vendor == "postgresql":
            plans = []
            slowest = sorted(cold, key=lambda q: float(q["time"]), reverse=True)
            for query in slowest:
                sql = query["sql"]
                if not INTERESTING.search(sql) or not sql.lstrip().upper().startswith("SELECT"):
                    continue
                plans.append({"sql": sql, "ms": round(float(query["time"]) * 1000, 1), "plan": explain(sql)})
                if len(plans) >= 4:
                    break
            results["explain"][label] = plans
    for label in spec.get("profile", []):
        path = spec["urls"][label]
        results["profile"][label] = profile(client, path, repeat=1 if label.startswith("CSV") else 5)
    for label in spec.get("profile_cold", []):
        # One request with the cache emptied first: what a query never asked before costs (the
        # process's facet index for the data version was built by the passes above).
        empty_caches()
        results["profile"][label] = profile(client, spec["urls"][label], repeat=1)
    Path(sys.argv[2]).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
