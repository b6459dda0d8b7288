"""Rate limits that hold across every worker and app server.

With Redis (REDIS_URL) the count is django-ratelimit's, kept in Redis by atomic increments. Without
Redis, or while it does not answer, the count is kept in the database, by one atomic upsert per hit
(the app gives a `database_counter`, since core has no tables). A local-memory cache is never used:
each worker would keep its own count.
"""

import hashlib
import logging
import time
from datetime import UTC, datetime

from django.conf import settings
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from .client_ip import get_client_ip, ratelimit_key

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate):
    """'5/h' -> (5, 3600)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period]


def client_key(request):
    """The client address as a keyed hash: the database never stores who made a request."""
    address = get_client_ip(request) or "unknown"
    return hashlib.blake2b(
        address.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=16
    ).hexdigest()


def over_limit(request, *, group, rate, increment, database_counter):
    """Has this client used up `rate` for `group`? With `increment`, this request is counted in the
    same atomic step, so that simultaneous requests cannot all slip under the limit.

    `database_counter(group, client, window_start, increment)` returns the count after this request.
    """
    if settings.RATELIMIT_USE_CACHE:
        try:
            usage = get_usage(
                request, group=group, key=ratelimit_key, rate=rate, method=get_usage.ALL, increment=increment
            )
        except RedisError as error:
            logger.warning("Rate limit %s counted in the database: the shared cache failed: %s", group, error)
        else:
            return bool(usage and usage["should_limit"])
    limit, period = parse_rate(rate)
    now = int(time.time())
    window_start = datetime.fromtimestamp(now - now % period, tz=UTC)
    return database_counter(group, client_key(request), window_start, increment) > limit
