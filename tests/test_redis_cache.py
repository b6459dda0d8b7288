"""The site on the shared Redis cache that several app servers use (REDIS_URL)."""

import os
import socket
import uuid

import pytest
from django.core.cache import caches

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_is_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not redis_is_up() and not os.environ.get("CI"), reason="Redis is not running on 127.0.0.1:6379"
    ),
]


@pytest.fixture
def redis_cache(settings):
    prefix = f"hubdir-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # pytest-django's settings fixture makes Django rebuild its cache handlers from CACHES.
    yield caches["default"]
    caches["default"].clear()


def test_the_cache_is_redis_and_shared_between_clients(redis_cache):
    import redis

    redis_cache.set("probe", "seen", 30)
    raw = redis.Redis.from_url(REDIS_URL)
    assert any(b"probe" in key for key in raw.keys("*hubdir-test-*"))


def test_the_public_pages_work_on_the_redis_cache(client, redis_cache):
    for path in ["/", "/organisations/", "/organisations/?q=leeds", "/api/organisations/", "/healthz"]:
        assert client.get(path).status_code == 200, path


def test_staff_sessions_work_on_the_redis_cache(client, redis_cache, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.org", "x")
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
