"""ops/backup.sh and ops/restore.sh against real PostgreSQL databases (the CI run has them)."""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection

from .factories import ContactFactory, MembershipFactory, OrganisationFactory

PROJECT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump backups need PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def database_url(name):
    params = connection.settings_dict
    user = params["USER"] or "postgres"
    return f"postgres://{user}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"


def run(script, *args, env):
    return subprocess.run(
        [str(PROJECT / "ops" / script), *map(str, args)],
        cwd=PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def empty_database():
    name = f"hubdir_restore_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_an_empty_database_with_the_same_counts(tmp_path, settings, empty_database):
    MembershipFactory.create_batch(3)
    ContactFactory.create_batch(2)
    logo = Path(settings.MEDIA_ROOT) / "logos" / "a.png"
    logo.parent.mkdir(parents=True)
    logo.write_bytes(b"\x89PNG fake but present")
    source = {
        "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }

    backup = run("backup.sh", tmp_path / "backup", env=source)
    assert backup.returncode == 0, backup.stderr
    counts = json.loads((tmp_path / "backup" / "counts.json").read_text())
    assert counts["organisations.Organisation"] == 5

    target = {"DATABASE_URL": database_url(empty_database), "MEDIA_ROOT": str(tmp_path / "restored-media")}
    restore = run("restore.sh", tmp_path / "backup", env=target)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "row counts match" in restore.stdout
    assert (tmp_path / "restored-media" / "logos" / "a.png").read_bytes() == logo.read_bytes()


def test_restore_refuses_a_database_that_is_not_empty(tmp_path, settings):
    OrganisationFactory()
    source = {
        "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    assert run("backup.sh", tmp_path / "backup", env=source).returncode == 0
    restore = run("restore.sh", tmp_path / "backup", env={**source, "MEDIA_ROOT": str(tmp_path / "m")})
    assert restore.returncode == 2
    assert "already has" in restore.stderr
