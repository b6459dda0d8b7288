"""What an app server makes as it starts, beside its first requests, so that no visitor waits for it:
the facet index of the current data (about a second at 100,000 organisations, which the first
search would otherwise wait for), then the files of the whole CSV export and of the sitemap's
sections (seconds of CPU each at that size, which a burst of requests arriving while the first
request made them would wait for too).

After a write, the first request still makes the new version's index, and the next request for
each file makes that file.
"""

import logging
import threading

from django.db import DatabaseError, connections

from core.dataversion import read_once
from organisations import export, facet_index

from . import sitemaps

logger = logging.getLogger(__name__)


def warm_up():
    facet_index.warm_up()
    with read_once():
        export.warm_up()
        try:
            sitemaps.warm_up()
        except DatabaseError as error:
            logger.warning("The sitemap was not made at start: %s", error)


def warm_up_in_background():
    def run():
        try:
            warm_up()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread
