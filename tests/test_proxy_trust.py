"""Client addresses behind a reverse proxy: X-Forwarded-For is believed only from the proxies named
in DJANGO_TRUSTED_PROXIES, for login throttling and rate limits alike (core/client_ip.py)."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from core.client_ip import get_client_ip
from organisations.models import Submission
from tests.test_production_settings import run_django
from tests.test_suggestions import new_suggestion

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.1.0.0/16"]


def client_ip(remote_addr, forwarded):
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded)
    return get_client_ip(request)


@pytest.mark.parametrize(
    ("remote_addr", "forwarded", "expected"),
    [
        ("10.1.2.3", "203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "evil, 203.0.113.7", "203.0.113.7"),
        ("10.1.2.3", "2001:db8::1", "2001:db8::1"),
        ("10.1.2.3", "not-an-ip", "10.1.2.3"),
        ("10.1.2.3", "", "10.1.2.3"),
    ],
)
def test_the_header_is_believed_from_a_trusted_proxy(behind_proxy, remote_addr, forwarded, expected):
    assert client_ip(remote_addr, forwarded) == expected


@pytest.mark.parametrize("remote_addr", ["198.51.100.20", "10.2.0.1", "::1"])
def test_the_header_is_ignored_from_anyone_else(behind_proxy, remote_addr):
    assert client_ip(remote_addr, "203.0.113.7") == remote_addr


def test_with_two_proxies_the_address_two_hops_from_the_right_is_used(behind_proxy, settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip("10.1.0.9", "198.51.100.1, 203.0.113.7, 10.1.0.8") == "203.0.113.7"
    # Came through only one proxy: nothing in the header is reliable.
    assert client_ip("10.1.0.9", "203.0.113.7") == "10.1.0.9"


def test_without_a_header_setting_the_header_is_never_read(settings):
    settings.TRUSTED_PROXY_HEADER = ""
    settings.TRUSTED_PROXIES = ["10.1.0.0/16"]

    assert client_ip("10.1.2.3", "203.0.113.7") == "10.1.2.3"


def test_naming_a_header_without_the_proxies_refuses_to_start():
    show = "import django; django.setup(); from django.conf import settings; print(settings.TRUSTED_PROXIES)"
    header = {"DJANGO_DEBUG": "1", "DJANGO_TRUSTED_PROXY_HEADER": "HTTP_X_FORWARDED_FOR"}

    missing = run_django(show, **header)
    malformed = run_django(show, **header, DJANGO_TRUSTED_PROXIES="10.0.0.0/8, not-a-network")
    named = run_django(show, **header, DJANGO_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.7")

    assert missing.returncode != 0 and "DJANGO_TRUSTED_PROXIES is not" in missing.stderr
    assert malformed.returncode != 0 and "'not-a-network' is not an IP address" in malformed.stderr
    assert named.returncode == 0, named.stderr
    assert "IPv4Network('10.0.0.0/8'), IPv4Network('192.0.2.7/32')" in named.stdout


def fail_login(client, **headers):
    return client.post(LOGIN, {"username": "curator", "password": "wrong"}, **headers)


def test_login_throttling_counts_the_forwarded_address_from_the_proxy(client, behind_proxy, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail_login(client, HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7")

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True).distinct()) == ["203.0.113.7"]
    assert fail_login(client, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another visitor behind the same proxy is not locked out.
    assert fail_login(client, HTTP_X_FORWARDED_FOR="192.0.2.44").status_code == 200


def test_a_visitor_reaching_the_app_directly_cannot_dodge_login_throttling(client, behind_proxy, settings):
    direct = {"REMOTE_ADDR": "198.51.100.77"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail_login(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", **direct)

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True).distinct()) == ["198.51.100.77"]
    assert fail_login(client, HTTP_X_FORWARDED_FOR="192.0.2.200", **direct).status_code == 429


def test_a_visitor_reaching_the_app_directly_cannot_dodge_the_suggestion_limit(client, behind_proxy):
    direct = {"REMOTE_ADDR": "198.51.100.77"}
    answers = [
        client.post(
            "/suggest/", new_suggestion(name=f"Org {n}"), HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", **direct
        ).status_code
        for n in range(7)
    ]

    assert answers == [302] * 5 + [429] * 2
    assert Submission.objects.count() == 5
