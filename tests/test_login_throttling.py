import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from core.client_ip import get_client_ip

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "curator", "curator@example.org", "the-right-password-42", is_staff=True
    )


def attempt(client, password, **headers):
    return client.post(LOGIN, {"username": "curator", "password": password}, **headers)


def test_the_login_page_still_works(client, staff):
    response = attempt(client, "the-right-password-42")
    assert response.status_code == 302


def test_repeated_failures_lock_the_account_out(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, "wrong")
        assert response.status_code == 200
    response = attempt(client, "wrong")
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    # Locked out even with the right password now.
    assert attempt(client, "the-right-password-42").status_code == 429


def test_the_client_ip_comes_from_the_trusted_proxy_header_when_configured(client, staff, settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
    assert attempt(client, "the-right-password-42", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another visitor behind the same proxy (same REMOTE_ADDR) is not locked out.
    assert attempt(client, "the-right-password-42", HTTP_X_FORWARDED_FOR="192.0.2.44").status_code == 302


def test_the_header_is_ignored_unless_configured(client, staff, settings):
    settings.TRUSTED_PROXY_HEADER = ""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7")
    # Forging the header does not get a fresh allowance.
    assert attempt(client, "the-right-password-42", HTTP_X_FORWARDED_FOR="192.0.2.44").status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("header", "count", "forwarded", "expected"),
    [
        ("", 1, "203.0.113.7", "10.0.0.1"),
        ("HTTP_X_FORWARDED_FOR", 1, "203.0.113.7", "203.0.113.7"),
        ("X-Forwarded-For", 1, "evil, 203.0.113.7", "203.0.113.7"),
        ("HTTP_X_FORWARDED_FOR", 2, "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        ("HTTP_X_FORWARDED_FOR", 2, "203.0.113.7", "10.0.0.1"),
        ("HTTP_X_FORWARDED_FOR", 1, "not-an-ip", "10.0.0.1"),
        ("HTTP_X_FORWARDED_FOR", 1, "", "10.0.0.1"),
        ("HTTP_X_FORWARDED_FOR", 1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_get_client_ip(settings, header, count, forwarded, expected):
    settings.TRUSTED_PROXY_HEADER = header
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert get_client_ip(request) == expected
