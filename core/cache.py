"""The shared cache, which may fail without taking the site with it.

Every cached value here can be computed again from the database, so a Redis that is down, restarting
or unreachable must cost speed, never a page: `ResilientRedisCache` answers a failed read as a miss and
drops a failed write, logs the outage once, and stops calling Redis for a few seconds (so that a
blackholed server does not add a timeout to every cache call). `/healthz` reports the state.

Rate limits need the opposite: to know that the count could not be kept. They use a plain `RedisCache`
alias that raises (`core.ratelimit`), and fall back to the database.
"""

import logging
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Seconds without calling Redis after a failure.
RETRY_AFTER = 5.0

# {LOCATION: monotonic time until which Redis is not called}, shared by the threads of a process
# (Django gives each thread its own cache object).
_down_until = {}
_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    """Django's Redis cache where Redis failing is a cache miss, not an error."""

    @property
    def _where(self):
        return tuple(self._servers)

    def _is_resting(self):
        return time.monotonic() < _down_until.get(self._where, 0.0)

    def _failed(self, error):
        with _lock:
            first = not self._is_resting()
            _down_until[self._where] = time.monotonic() + RETRY_AFTER
        if first:
            logger.warning("The shared cache is unavailable; serving without it: %s", error)

    def _call(self, default, method, *args, **kwargs):
        if self._is_resting():
            return default
        try:
            return method(*args, **kwargs)
        except RedisError as error:
            self._failed(error)
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        if self._is_resting():
            raise ValueError(f"Key '{key}' not found (the shared cache is unavailable).")
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            self._failed(error)
            raise ValueError(f"Key '{key}' not found (the shared cache is unavailable).") from None

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(None, super().delete_many, keys, version)

    def clear(self):
        return self._call(None, super().clear)

    def ping(self):
        """Ask Redis now, whatever happened before: True when it answers."""
        try:
            self._cache.get_client(write=True).ping()
        except RedisError as error:
            self._failed(error)
            return False
        with _lock:
            _down_until.pop(self._where, None)
        return True


def cache_status():
    """'ok' when the default cache works, 'degraded' when it is a shared cache that does not answer."""
    cache = caches["default"]
    if isinstance(cache, ResilientRedisCache):
        return "ok" if cache.ping() else "degraded"
    return "ok"
