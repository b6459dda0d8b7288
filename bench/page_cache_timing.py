"""In-process timings of the page cache (core/pagecache.py) and the data version, per page.

For each page: the view warm with the page cache off, a cache hit, and a miss (the same page with
an extra parameter the view ignores, new every time, so that each request is made and stored
afresh); then the cost of the data version statement. Median wall time over N requests, with the
median CPU time of this process beside it (steadier on a busy machine). Django's test client,
debug off, against the database in DATABASE_URL (seeded, e.g. `seed_demo --count 1000 --seed 42`).

Usage: DATABASE_URL=... python bench/page_cache_timing.py [N]
(collects the static files into a temporary directory first when needed)
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
STATIC_ROOT = Path(tempfile.gettempdir()) / "hubdir-page-cache-timing-static"
for name, value in {
    "DJANGO_SETTINGS_MODULE": "hubdir.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "timing-only-" + "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_LOG_LEVEL": "WARNING",
    "DJANGO_STATIC_ROOT": str(STATIC_ROOT),
}.items():
    os.environ.setdefault(name, value)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from core import dataversion  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200


class Counter:
    def __init__(self):
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)


def median_ms(action, n=N):
    for _ in range(5):
        action()
    wall, cpu = [], []
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return f"{statistics.median(wall):.2f} ms (cpu {statistics.median(cpu):.2f})"


def counted(client, path):
    counter = Counter()
    with connection.execute_wrapper(counter):
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return counter.queries, response.get("X-Cache", "-")


def version_statement():
    with connection.cursor() as cursor:
        cursor.execute(*dataversion._version_sql())
        cursor.fetchone()


def main():
    if not (STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", "--noinput", verbosity=0)
    with connection.cursor() as cursor:
        # The profile bench/run.py times: a published organisation with sectors, half way in (by
        # the seeded size).
        cursor.execute(
            "SELECT o.slug FROM organisations_organisation o WHERE o.status = 'published' AND EXISTS "
            "(SELECT 1 FROM organisations_organisation_sectors s WHERE s.organisation_id = o.id) "
            "ORDER BY o.id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM organisations_organisation WHERE is_demo)"
        )
        slug = cursor.fetchone()[0]
    pages = {
        "home": "/",
        "list": "/organisations/",
        "search": "/organisations/?q=care",
        "profile": f"/organisations/{slug}/",
        "initiatives": "/initiatives/",
    }
    client = Client()
    seconds = settings.PAGE_CACHE_SECONDS or 300
    print(f"{connection.vendor}, {N} requests each; page cache {seconds} s")
    print(f"data version statement: {median_ms(version_statement)}")
    for label, path in pages.items():
        settings.PAGE_CACHE_SECONDS = 0
        client.get(path)  # warm: the view's own caches filled
        queries, _ = counted(client, path)
        view = median_ms(lambda path=path: client.get(path))
        settings.PAGE_CACHE_SECONDS = seconds
        client.get(path)
        hit_queries, hit = counted(client, path)
        hit_time = median_ms(lambda path=path: client.get(path))
        fresh = f"{path}{'&' if '?' in path else '?'}fresh="
        miss_queries, miss = counted(client, f"{fresh}first")
        numbers = iter(range(10**9))
        miss_time = median_ms(lambda fresh=fresh, numbers=numbers: client.get(f"{fresh}{next(numbers)}"))
        print(
            f"{label:12} view (cache off) {view}, {queries} queries | hit {hit_time}, {hit_queries} "
            f"queries (X-Cache {hit}) | miss {miss_time}, {miss_queries} queries (X-Cache {miss})"
        )


if __name__ == "__main__":
    main()
