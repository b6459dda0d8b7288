"""As an app server starts it makes what the first visitors would otherwise wait for: each process
its facet index, in a thread; the server, once, the whole CSV export's and the sitemap's files, in a
process of their own at the lowest CPU priority (hubdir/warm_up.py)."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hubdir import make_files, sitemaps, warm_up
from organisations import export, facet_index
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

ROWS_READ = '"organisations_organisation"."slug"'


def rows_read(client, path):
    """(status, body, how many statements read organisations' rows) of one request."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body, sum(ROWS_READ in q["sql"] for q in captured.captured_queries)


def test_after_the_warm_up_the_first_whole_export_and_sitemaps_read_no_rows(client):
    OrganisationFactory(name="Acme", slug="acme")

    warm_up.make_files()

    for path in ["/organisations/export.csv", "/sitemap-organisations.xml", "/sitemap-sectors.xml"]:
        status, body, reads = rows_read(client, path)
        assert status == 200, path
        assert reads == 0, path
    assert b"Acme" in rows_read(client, "/organisations/export.csv")[1]
    assert b"http://testserver/organisations/acme/" in rows_read(client, "/sitemap-organisations.xml")[1]


def test_a_sitemap_section_made_once_serves_every_address_with_its_own_links(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "directory.example"]
    OrganisationFactory(name="Acme", slug="acme")
    warm_up.make_files()

    status, body, reads = rows_read(client, "/sitemap-organisations.xml")
    other = client.get("/sitemap-organisations.xml", HTTP_HOST="directory.example", secure=True)

    assert reads == 0
    assert b"<loc>http://testserver/organisations/acme/</loc>" in body
    assert b"<loc>https://directory.example/organisations/acme/</loc>" in other.content
    assert sitemaps.SITEMAP_ORIGIN.encode() not in body + other.content


def test_a_write_after_the_warm_up_is_in_the_next_export(client):
    OrganisationFactory(name="Acme")
    warm_up.make_files()
    OrganisationFactory(name="Borealis Health")

    assert b"Borealis Health" in rows_read(client, "/organisations/export.csv")[1]


def test_without_a_database_the_files_are_left_to_the_first_requests(monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise export.DatabaseError("connection refused")

    monkeypatch.setattr(export, "export_body", unreachable)
    monkeypatch.setattr(sitemaps, "section_file", unreachable)

    warm_up.make_files()

    assert "The whole export was not made at start: connection refused" in caplog.text
    assert "The sitemap was not made at start: connection refused" in caplog.text


def test_each_process_makes_its_facet_index_in_a_thread_of_its_own():
    with mock.patch.object(facet_index, "warm_up") as made:
        thread = warm_up.warm_up_in_background()
        thread.join(timeout=30)
    made.assert_called_once_with()
    assert thread.daemon and not thread.is_alive()


def test_the_files_are_made_at_the_lowest_processor_priority():
    with mock.patch("os.nice") as nice, mock.patch.object(make_files, "make_files") as made:
        make_files.main()
    nice.assert_called_once_with(19)
    made.assert_called_once_with()


def test_gunicorn_starts_the_files_process_once_the_server_is_ready():
    path = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)

    with mock.patch.object(subprocess, "Popen") as started:
        conf.when_ready(server=None)

    started.assert_called_once_with([sys.executable, "-m", "hubdir.make_files"])
