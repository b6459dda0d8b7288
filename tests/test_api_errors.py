"""Every error a visitor can provoke answers 400/404 (or 503 when the database cannot answer) as the
contract says, never a 500 or a connection cut short; under /api/ every error is JSON. And bad input
in a CSV import is reported with the rest before anything is written."""

import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from organisations.csv import import_csv
from organisations.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    # Errors are answered by the site's own handlers, as in production, not raised into the test.
    client.raise_request_exception = False
    return client


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


# --- modified_after ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["2025-01-01T00:00:00+20:00", "2025-01-01T00:00:00-23:59", "2025-01-01T00:00:00+15:59"]
)
def test_modified_after_takes_any_iso_offset(client, value):
    OrganisationFactory(slug="acme")

    response = client.get("/api/organisations/", {"modified_after": value})

    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == ["acme"]


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2025-01-01T00:00:00+24:00",
        "2025-01-01T00:00:00\x00",
        "2025-13-01",
    ],
)
def test_modified_after_out_of_range_or_malformed_is_a_400_naming_it(client, value):
    response = client.get("/api/organisations/", {"modified_after": value})

    assert_json_error(response, 400)
    assert response.json()["parameter"] == "modified_after"


# --- The schema -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.0\x00", "\r\n", '1"; filename="evil.html', "2"])
def test_the_schema_refuses_a_version_with_a_400_naming_it(client, version):
    response = client.get("/api/schema/", {"version": version})

    assert_json_error(response, 400)
    assert response.json()["parameter"] == "version"
    assert "Content-Disposition" not in response


def test_the_schema_names_one_file(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="Leeds Health Tech Directory API.yaml"'


@pytest.mark.parametrize("path", ["/api/schema/?format=%00", "/api/docs/?format=nope"])
def test_errors_of_the_schema_and_docs_are_json_too(client, path):
    assert_json_error(client.get(path), 404)


# --- API errors are JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/no-such-endpoint/", 404),
        ("post", "/api/no-such-endpoint/", 404),
        ("get", "/api/organisations/no-such-slug/", 404),
        ("get", "/api/organisations/%ff/", 404),
        ("get", "/api/organisations/?format=xml", 404),
        ("post", "/api/organisations/", 405),
        ("delete", "/api/organisations/acme/", 405),
        ("get", "/api/organisations/?page=abc", 400),
        ("get", "/api/organisations/?page=99", 404),
    ],
)
def test_api_errors_are_json(client, method, path, status):
    OrganisationFactory(slug="acme")

    assert_json_error(getattr(client, method)(path), status)


def test_an_unexpected_failure_under_the_api_is_a_json_500(client):
    with mock.patch("organisations.api.facet_counts", side_effect=RuntimeError("boom")):
        response = client.get("/api/organisations/")

    assert_json_error(response, 500)
    assert "boom" not in response.content.decode()


def test_a_bad_host_under_the_api_is_a_json_400(client):
    assert_json_error(client.get("/api/organisations/", HTTP_HOST="evil.example"), 400)


def test_errors_outside_the_api_stay_pages(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- The database does not answer -------------------------------------------------------------------


@pytest.fixture
def database_down():
    with mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("connection refused")):
        yield


@pytest.mark.parametrize("path", ["/api/organisations/", "/api/organisations/acme/", "/api/key-figures/"])
def test_with_the_database_down_the_api_answers_503_json(client, database_down, path):
    response = client.get(path)

    assert_json_error(response, 503)
    assert response["Retry-After"]
    assert "refused" not in response.content.decode()


@pytest.mark.parametrize("path", ["/organisations/export.csv", "/organisations/export.csv?sector=x&q=acme"])
def test_with_the_database_down_the_export_answers_503_json_before_any_body(client, database_down, path):
    response = client.get(path)

    assert not response.streaming
    assert_json_error(response, 503)


@pytest.mark.parametrize("path", ["/", "/organisations/", "/organisations/acme/", "/stats/"])
def test_with_the_database_down_pages_answer_a_503_page(client, database_down, path):
    response = client.get(path)

    assert response.status_code == 503
    assert "the directory is busy" in response.content.decode()


# --- The export -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["'", "--", '"', "-acme", "()", "\x00"])
def test_an_export_of_a_query_with_no_searchable_word_is_a_whole_csv(client, q):
    OrganisationFactory(name="Acme")

    response = client.get("/organisations/export.csv", {"q": q})

    assert response.status_code == 200
    lines = body_of(response).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("name,slug,")


# --- Media ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["a" * 3000 + ".png", "/".join(["b" * 200] * 15) + "/x.png", "x\x00.png", "c" * 300],
)
def test_a_media_path_too_long_or_malformed_is_a_404(client, settings, path):
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)

    assert client.get(f"/media/{path}").status_code == 404


# --- A CSV cell with a NUL byte ------------------------------------------------------------------------

NUL_CSV = b"name,town\r\nAcme,Leeds\r\nNul\x00co,Le\x00eds\r\n"


def test_a_csv_cell_with_a_nul_byte_fails_the_dry_run_with_its_line_and_column():
    result = import_csv(file=io.BytesIO(NUL_CSV), dry_run=True)

    assert [(e.line, e.column) for e in result.errors] == [(3, "name"), (3, "town")]
    assert "NUL character" in result.errors[0].reason


def test_a_csv_cell_with_a_nul_byte_is_refused_by_the_command_and_writes_nothing(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(NUL_CSV)

    with pytest.raises(CommandError):
        call_command("import_organisations", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert not Organisation.objects.exists()


def test_the_admin_preview_lists_a_nul_byte_as_a_problem(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss"))
    upload = SimpleUploadedFile("organisations.csv", NUL_CSV, content_type="text/csv")

    response = client.post("/admin/organisations/organisation/import/", {"file": upload})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<td>3</td><td>name</td><td>This cell contains a NUL character" in html
    assert 'name="token"' not in html
    assert not Organisation.objects.exists()
