import pytest

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


def attempt_as(client, username, **headers):
    return client.post(LOGIN, {"username": username, "password": "wrong"}, **headers)


def test_failures_from_one_address_across_usernames_lock_that_address_out(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_IP_FAILURE_LIMIT = 8
    # Fewer than five tries per username, so no username+address pair is locked.
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert attempt_as(client, f"someone-{n}").status_code == 200
    assert attempt_as(client, "someone-else").status_code == 429

    # Even the right password for a real account is refused from that address now...
    assert attempt(client, "the-right-password-42").status_code == 429
    # ...but not from another one.
    assert attempt(client, "the-right-password-42", REMOTE_ADDR="192.0.2.80").status_code == 302


def test_one_persons_typos_do_not_lock_out_the_other_accounts_at_that_address(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_IP_FAILURE_LIMIT = 8
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt_as(client, "typist")

    assert attempt_as(client, "typist").status_code == 429
    assert attempt(client, "the-right-password-42").status_code == 302
