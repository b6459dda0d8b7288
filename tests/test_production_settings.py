"""Settings as production runs them: each check starts a fresh interpreter with a clean environment."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "directory.example.org",
    "DIRECTORY_OPERATOR_NAME": "Directory Operator Ltd",
    "DIRECTORY_CONTACT_EMAIL": "directory@example.org",
}


def run_django(code, **env):
    clean_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DIRECTORY_", "DATABASE_URL"))
    }
    clean_env.update(env, DJANGO_SETTINGS_MODULE="hubdir.settings")
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=clean_env, capture_output=True, text=True, timeout=120
    )


def settings_as_json(**env):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG','SECURE_SSL_REDIRECT','SECURE_HSTS_SECONDS','SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        "'SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SESSION_COOKIE_NAME','CSRF_COOKIE_NAME',"
        "'SECURE_PROXY_SSL_HEADER','SECURE_REDIRECT_EXEMPT','X_FRAME_OPTIONS')}))"
    )
    result = run_django(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_django("import django; django.setup()")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off" in result.stderr


def test_debug_is_off_by_default():
    assert settings_as_json(**PRODUCTION_ENV)["DEBUG"] is False


def test_a_malformed_boolean_fails_loudly():
    result = run_django("import django; django.setup()", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true/false" in result.stderr


def test_check_deploy_passes_with_the_documented_environment():
    result = run_django(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_nobody_is_named_to_run_the_directory():
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("DIRECTORY_")}
    result = run_django(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **env,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "hubdir.W001" in output and "hubdir.W002" in output and "hubdir.W003" in output


def test_production_uses_hsts_secure_host_cookies_and_ssl_redirect():
    values = settings_as_json(**PRODUCTION_ENV)
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["X_FRAME_OPTIONS"] == "DENY"


def test_the_proxy_ssl_header_is_configurable():
    values = settings_as_json(**PRODUCTION_ENV, DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.django_db
def test_healthz_is_exempt_from_the_ssl_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code != 301
    response = client.get("/about/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_every_environment_variable_settings_read_is_in_the_readme_table():
    settings_source = (PROJECT / "hubdir" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z0-9_]+)"', settings_source))
    table_rows = [line for line in (PROJECT / "README.md").read_text().splitlines() if line.startswith("|")]
    documented = {name for row in table_rows for name in re.findall(r"`([A-Z0-9_]+)`", row)}
    assert read, "the settings read no variable through their helpers?"
    assert sorted(read - documented) == []
