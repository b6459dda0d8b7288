"""Rate limits hold across every worker: counted atomically in Redis when it answers, otherwise in the
database, never in one worker's memory (core/ratelimit.py)."""

import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test import Client

from organisations.models import RateLimitCounter, Submission
from tests.test_suggestions import new_suggestion

SIMULTANEOUS = 30
ALLOWED = 5  # organisations.suggest_views.SUGGESTION_RATE


def redis_is_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def redis_cache(location):
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": f"hubdir-test-{uuid.uuid4().hex[:8]}",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
    }


@pytest.fixture
def no_redis(settings):
    settings.RATELIMIT_USE_CACHE = None


@pytest.fixture
def redis_up(settings):
    if not redis_is_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings.CACHES = {**settings.CACHES, "ratelimit": redis_cache("redis://127.0.0.1:6379/15")}
    settings.RATELIMIT_USE_CACHE = "ratelimit"


@pytest.fixture
def redis_down(settings):
    # Nothing listens on port 1: every call fails at once, as with a dead server.
    settings.CACHES = {**settings.CACHES, "ratelimit": redis_cache("redis://127.0.0.1:1/0")}
    settings.RATELIMIT_USE_CACHE = "ratelimit"


def post_simultaneously(count, address="198.51.100.23"):
    """`count` suggestions from one address, released together from as many threads."""
    barrier = threading.Barrier(count)

    def post(n):
        try:
            barrier.wait(timeout=30)
            return (
                Client().post("/suggest/", new_suggestion(name=f"Org {n}"), REMOTE_ADDR=address).status_code
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return sorted(pool.map(post, range(count)))


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="simultaneous writers from many threads need PostgreSQL (SQLite's test database is one connection)",
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("counter", ["no_redis", "redis_up", "redis_down"])
def test_exactly_five_of_thirty_simultaneous_suggestions_are_accepted(request, counter):
    request.getfixturevalue(counter)

    answers = post_simultaneously(SIMULTANEOUS)

    assert answers.count(302) == ALLOWED, answers
    assert answers.count(429) == SIMULTANEOUS - ALLOWED
    assert Submission.objects.count() == ALLOWED


@pytest.mark.django_db
def test_without_redis_the_count_is_kept_in_the_database_under_a_hash_of_the_address(client, no_redis):
    for n in range(ALLOWED + 1):
        client.post("/suggest/", new_suggestion(name=f"Org {n}"), REMOTE_ADDR="198.51.100.23")

    counter = RateLimitCounter.objects.get()
    assert (counter.group, counter.count) == ("suggestions", ALLOWED + 1)
    assert "198.51.100.23" not in counter.client
    assert Submission.objects.count() == ALLOWED


@pytest.mark.django_db
def test_with_redis_down_suggestions_are_still_limited(client, redis_down):
    answers = [
        client.post("/suggest/", new_suggestion(name=f"Org {n}"), REMOTE_ADDR="198.51.100.23").status_code
        for n in range(ALLOWED + 2)
    ]

    assert answers == [302] * ALLOWED + [429] * 2
    assert RateLimitCounter.objects.get().count == ALLOWED + 1


@pytest.mark.django_db
def test_with_redis_up_the_count_is_kept_in_redis(client, redis_up):
    answers = [
        client.post("/suggest/", new_suggestion(name=f"Org {n}"), REMOTE_ADDR="198.51.100.23").status_code
        for n in range(ALLOWED + 1)
    ]

    assert answers == [302] * ALLOWED + [429]
    assert not RateLimitCounter.objects.exists()


@pytest.mark.django_db
def test_each_window_has_its_own_count_and_old_windows_are_forgotten():
    now = datetime.now(UTC).replace(microsecond=0)
    long_ago = now - timedelta(days=2)

    assert RateLimitCounter.objects.hit("g", "client", long_ago, True) == 1
    assert RateLimitCounter.objects.hit("g", "client", long_ago, True) == 2
    assert RateLimitCounter.objects.hit("g", "client", long_ago, False) == 2
    assert RateLimitCounter.objects.hit("g", "client", now, False) == 0
    assert RateLimitCounter.objects.hit("g", "other", long_ago, True) == 1
    assert RateLimitCounter.objects.hit("g", "client", now, True) == 1
    assert list(RateLimitCounter.objects.values_list("client", "window_start", "count")) == [
        ("client", now, 1)
    ]
