import pytest
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_factor_admin(settings):
    settings.TWO_FACTOR_ADMIN = True


@pytest.fixture
def staff_with_device():
    user = User.objects.create_superuser("curator", "curator@example.org", "a-long-passphrase-42")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def current_code(device):
    return str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)


def test_without_the_setting_a_password_is_enough(client, staff_with_device):
    response = client.post("/admin/login/", {"username": "curator", "password": "a-long-passphrase-42"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_with_2fa_a_password_alone_does_not_sign_in(client, two_factor_admin, staff_with_device):
    response = client.post("/admin/login/", {"username": "curator", "password": "a-long-passphrase-42"})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_with_2fa_a_wrong_code_does_not_sign_in(client, two_factor_admin, staff_with_device):
    _, device = staff_with_device
    wrong = str((int(current_code(device)) + 1) % 10**6).zfill(6)
    client.post(
        "/admin/login/",
        {
            "username": "curator",
            "password": "a-long-passphrase-42",
            "otp_device": device.persistent_id,
            "otp_token": wrong,
        },
    )
    assert client.get("/admin/").status_code == 302


def test_with_2fa_the_password_and_a_current_code_sign_in(client, two_factor_admin, staff_with_device):
    _, device = staff_with_device
    response = client.post(
        "/admin/login/",
        {
            "username": "curator",
            "password": "a-long-passphrase-42",
            "otp_device": device.persistent_id,
            "otp_token": current_code(device),
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
