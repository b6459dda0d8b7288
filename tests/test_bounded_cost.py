"""Every public request has a ceiling: a statement timeout on PostgreSQL answered with a 503, the whole
export and the sitemaps made once per data version and then served from a file, and a per-client
limit on exports. (The search's own limits on words and plans are tested with the search.)"""

from unittest import mock

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from core import downloads
from organisations import export
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"
)


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def statement_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def sleep_in_the_database(*args, **kwargs):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(2)")


# --- The statement timeout --------------------------------------------------------------------------


@postgresql_only
def test_public_reads_run_under_the_statement_timeout_and_the_back_office_does_not(
    client, admin_client, settings
):
    settings.PUBLIC_STATEMENT_TIMEOUT = 1500

    client.get("/organisations/")
    assert statement_timeout() == "1500ms"

    admin_client.get("/admin/organisations/organisation/")
    assert statement_timeout() == "0"

    client.get("/api/organisations/")
    assert statement_timeout() == "1500ms"
    client.post("/suggest/", {})
    assert statement_timeout() == "0"


@postgresql_only
def test_a_statement_cancelled_by_the_timeout_is_a_friendly_503_page(client, settings):
    settings.PUBLIC_STATEMENT_TIMEOUT = 50

    with mock.patch("organisations.views.facet_counts", side_effect=sleep_in_the_database):
        response = client.get("/organisations/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "the directory is busy" in response.content.decode()


@postgresql_only
def test_a_statement_cancelled_by_the_timeout_in_the_api_is_a_503_in_json(client, settings):
    settings.PUBLIC_STATEMENT_TIMEOUT = 50

    with mock.patch("organisations.api.facet_counts", side_effect=sleep_in_the_database):
        response = client.get("/api/organisations/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "try again" in response.json()["detail"]


@postgresql_only
def test_the_timeout_can_be_turned_off(client, settings):
    settings.PUBLIC_STATEMENT_TIMEOUT = 0

    client.get("/organisations/")

    assert statement_timeout() == "0"


def timeout_statements(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in captured.captured_queries if "statement_timeout" in q["sql"]]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_session_that_already_has_the_timeout_is_not_sent_it_again(client, admin_client, settings):
    settings.PUBLIC_STATEMENT_TIMEOUT = 1500
    connection.close()

    assert len(timeout_statements(client, "/about/")) == 1
    assert timeout_statements(client, "/organisations/") == []
    assert statement_timeout() == "1500ms"

    assert timeout_statements(admin_client, "/admin/") == ["RESET statement_timeout"]
    assert statement_timeout() == "0"
    assert len(timeout_statements(client, "/about/")) == 1

    # A new session starts with the server's setting, and is sent the timeout again.
    connection.close()
    assert len(timeout_statements(client, "/about/")) == 1
    assert statement_timeout() == "1500ms"


@postgresql_only
def test_inside_a_transaction_the_timeout_is_sent_on_every_request(client, settings):
    # A rollback would undo it, so a setting made in a transaction is never taken as kept.
    settings.PUBLIC_STATEMENT_TIMEOUT = 1500

    assert len(timeout_statements(client, "/about/")) == 1
    assert len(timeout_statements(client, "/about/")) == 1


# --- The whole export -------------------------------------------------------------------------------


def export_queries(client, path="/organisations/export.csv"):
    """The response, its body, and the queries that read organisations' rows (not the data version)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        body = body_of(response)
    rows = [q["sql"] for q in captured.captured_queries if '"organisations_organisation"."slug"' in q["sql"]]
    return response, body, rows


def test_the_whole_export_is_made_once_per_change_of_the_data(client, settings):
    OrganisationFactory(name="Acme")

    first, first_body, first_queries = export_queries(client)
    again, again_body, again_queries = export_queries(client)

    assert first.status_code == again.status_code == 200
    assert first_queries
    # Served from the stored file: the data version is read, no organisation is.
    assert again_queries == []
    assert again_body == first_body
    assert again["Content-Disposition"] == 'attachment; filename="leeds-health-tech-organisations.csv"'
    assert again["Content-Type"] == "text/csv; charset=utf-8"

    OrganisationFactory(name="Zenith")
    _response, changed_body, changed_queries = export_queries(client)
    assert b"Zenith" in changed_body and b"Zenith" not in first_body
    assert changed_queries
    # The file of the old version is gone.
    assert len([p for p in settings.DOWNLOAD_CACHE_DIR.iterdir() if p.name.startswith("export-")]) == 1


def test_a_filtered_export_is_made_for_each_request(client, settings):
    OrganisationFactory(name="Acme")

    export_queries(client, "/organisations/export.csv?q=acme")
    _response, body, queries = export_queries(client, "/organisations/export.csv?q=acme")

    assert b"Acme" in body and queries
    assert not settings.DOWNLOAD_CACHE_DIR.exists() or not list(settings.DOWNLOAD_CACHE_DIR.iterdir())


def test_while_the_whole_export_is_being_made_others_are_asked_to_come_back(client):
    OrganisationFactory(name="Acme")
    first = client.get("/organisations/export.csv")
    assert first.streaming  # being made: nothing is stored until it is complete

    waiting = client.get("/organisations/export.csv")

    assert waiting.status_code == 503
    assert waiting["Retry-After"] == "5"
    assert "being prepared" in waiting.json()["detail"]
    body_of(first)
    assert client.get("/organisations/export.csv").status_code == 200


def test_an_export_cut_short_stores_nothing(client, settings):
    OrganisationFactory(name="Acme")
    response = client.get("/organisations/export.csv")
    # The visitor went away before the end; the test's database connection stays open.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    assert [p.name for p in settings.DOWNLOAD_CACHE_DIR.iterdir()] == []
    assert b"Acme" in body_of(client.get("/organisations/export.csv"))


def test_each_client_may_start_ten_exports_a_minute(client):
    OrganisationFactory(name="Acme")

    answers = [client.get("/organisations/export.csv?q=acme").status_code for _ in range(11)]
    other = client.get("/organisations/export.csv?q=acme", REMOTE_ADDR="192.0.2.9")

    assert answers == [200] * 10 + [429]
    assert export.EXPORT_RATE == "10/m"
    refused = client.get("/organisations/export.csv")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Too many exports" in refused.json()["detail"]
    assert other.status_code == 200


# --- Sitemaps ---------------------------------------------------------------------------------------


def test_a_sitemap_section_is_made_once_per_change_of_the_data(client):
    OrganisationFactory(name="Acme", slug="acme")

    first, first_body, first_queries = export_queries(client, "/sitemap-organisations.xml")
    again, again_body, again_queries = export_queries(client, "/sitemap-organisations.xml")

    assert first.status_code == again.status_code == 200
    assert b"/organisations/acme/" in again_body and again_body == first_body
    assert first_queries
    assert again_queries == []
    assert again["Content-Type"] == "application/xml"


def test_sitemap_pages_that_do_not_exist_are_404_and_leave_nothing_behind(client, settings):
    OrganisationFactory(name="Acme")

    for path in [
        "/sitemap-organisations.xml?p=2",
        "/sitemap-organisations.xml?p=x",
        "/sitemap-organisations.xml?p=0",
        "/sitemap-organisations.xml?p=" + "9" * 5000,
        "/sitemap-nope.xml",
    ]:
        assert client.get(path).status_code == 404, path

    folder = settings.DOWNLOAD_CACHE_DIR
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_sitemap_names_the_address_it_was_asked_at(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    OrganisationFactory(name="Acme", slug="acme")

    client.get("/sitemap-organisations.xml")
    other = body_of(client.get("/sitemap-organisations.xml", HTTP_HOST="other.example"))

    assert b"http://other.example/organisations/acme/" in other


# --- Downloads ----------------------------------------------------------------------------------------


def test_a_download_is_generated_only_by_the_request_that_makes_it(settings):
    made = []

    def generate():
        made.append(1)
        return iter([b"a", b"b"])

    chunks = downloads.cached_download("test", "q", generate)
    with pytest.raises(downloads.Busy):
        downloads.cached_download("test", "q", generate)
    assert b"".join(chunks) == b"ab"

    stored = downloads.cached_download("test", "q", generate)
    assert stored.read() == b"ab"
    stored.close()
    assert made == [1]
