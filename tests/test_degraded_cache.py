"""Redis down (REDIS_URL pointing at a dead server): every page, the API, the suggestion form and the
back-office login still work, and /healthz says the cache is degraded with a 200 (core/cache.py)."""

import logging
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import OperationalError

from core import cache as resilient
from organisations.models import RateLimitCounter, Submission
from tests.factories import InitiativeFactory, OrganisationFactory, SectorFactory
from tests.test_rate_limits import redis_cache, redis_is_up
from tests.test_suggestions import new_suggestion

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"


def resilient_cache(location):
    return {**redis_cache(location), "BACKEND": "core.cache.ResilientRedisCache"}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": resilient_cache(DEAD_REDIS), "ratelimit": redis_cache(DEAD_REDIS)}
    settings.RATELIMIT_USE_CACHE = "ratelimit"
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    resilient._down_until.clear()
    yield
    resilient._down_until.clear()


@pytest.fixture
def directory():
    medtech = SectorFactory(name="Medtech", slug="medtech")
    OrganisationFactory(name="Acme Health", slug="acme-health", sectors=[medtech])
    InitiativeFactory(name="Nexus", slug="nexus")


PAGES = [
    "/",
    "/organisations/",
    "/organisations/?q=acme",
    "/organisations/?sector=medtech",
    "/organisations/acme-health/",
    "/organisations/export.csv",
    "/sectors/medtech/",
    "/initiatives/",
    "/initiatives/nexus/",
    "/stats/",
    "/api/",
    "/api/organisations/",
    "/api/organisations/?q=acme",
    "/api/organisations/acme-health/",
    "/api/key-figures/",
    "/sitemap.xml",
    "/sitemap-organisations.xml",
    "/feeds/organisations.atom",
    "/suggest/",
    "/admin/login/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_works_with_redis_down(client, redis_down, directory, path):
    response = client.get(path)

    assert response.status_code == 200, path


def test_the_suggestion_form_works_and_is_limited_in_the_database(client, redis_down):
    answers = [client.post("/suggest/", new_suggestion(name=f"Org {n}")).status_code for n in range(6)]

    assert answers == [302] * 5 + [429]
    assert Submission.objects.count() == 5
    assert RateLimitCounter.objects.get().count == 6


def test_staff_can_sign_in_with_redis_down(client, redis_down, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.org", "a-long-password-42")

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": "a-long-password-42"}
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_healthz_reports_the_degraded_cache_with_a_200(client, redis_down):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}


def test_healthz_is_503_only_when_the_database_is_down(client, redis_down):
    with mock.patch("core.health.connection.cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable", "cache": "degraded"}


def test_the_outage_is_logged_once_and_redis_is_left_alone_for_a_while(redis_down, caplog):
    cache = caches["default"]
    with (
        caplog.at_level(logging.WARNING, logger="core.cache"),
        mock.patch.object(type(cache._cache), "get", wraps=cache._cache.get) as calls,
    ):
        assert cache.get("a") is None
        assert cache.get("b", "fallback") == "fallback"
        cache.set("c", 1)
        assert cache.add("d", 1) is False
        assert cache.get_many(["e"]) == {}
        with pytest.raises(ValueError):
            cache.incr("f")

    assert calls.call_count == 1
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "The shared cache is unavailable; serving without it"
    ]


@pytest.mark.skipif(not redis_is_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_healthz_says_ok_when_redis_answers(client, settings):
    settings.CACHES = {"default": resilient_cache("redis://127.0.0.1:6379/15")}
    resilient._down_until.clear()

    response = client.get("/healthz")

    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    caches["default"].set("probe", "seen", 30)
    assert caches["default"].get("probe") == "seen"
