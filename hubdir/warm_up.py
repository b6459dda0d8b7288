"""What the app makes before its first visitors ask for it.

- In each app process as it starts (hubdir/wsgi.py, asgi.py), in a background thread: the facet index
  of the current data, about a second at 100,000 organisations, which the first search would
  otherwise wait for. It lives in the process's memory, so it is made there.
- Once per server start, in a process of its own at the lowest CPU priority (`python -m
  hubdir.make_files`, which gunicorn.conf.py starts once the workers are up): the files of the whole
  CSV export and of the sitemap's sections (core/downloads.py), about 14 s of CPU at 100,000
  organisations. Made by the first request instead, a burst of requests arriving then waited for the
  processor; made in a worker thread, they held that worker's interpreter lock and slowed every
  request beside them (cold searches at 100,000: p50 58 → 144 ms, `BENCH_PHASES=cold`); made at nice
  19, they take only what requests and PostgreSQL leave (p50 57 ms).

After a write, the first request still makes the new version's index, and the next request for each
file makes that file.
"""

import logging
import threading

from django.db import DatabaseError, connections

from core.dataversion import read_once
from organisations import export, facet_index

from . import sitemaps

logger = logging.getLogger(__name__)


def warm_up_in_background():
    """Build this process's facet index in a thread beside its first requests."""

    def run():
        try:
            facet_index.warm_up()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="facet-index-warm-up", daemon=True)
    thread.start()
    return thread


def make_files():
    """The whole export's file (in the default order) and every sitemap section's, for the current
    data. A file another process is making is left to it."""
    with read_once():
        export.warm_up()
        try:
            sitemaps.warm_up()
        except DatabaseError as error:
            logger.warning("The sitemap was not made at start: %s", error)
