"""The CSV parts of curation: the legal_name column, likely duplicates in the import preview, and the
sample file and column reference on the import page."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from organisations.admin_import import COLUMN_REFERENCE
from organisations.csv import CSV_COLUMNS, export_rows, import_csv
from organisations.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/organisations/organisation/import/"


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "unused-pw"))
    return client


def csv_file(rows, columns=None):
    columns = columns or list(rows[0])
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("organisations.csv", stream.getvalue().encode(), content_type="text/csv")


def test_legal_name_is_a_column_after_the_slug_and_round_trips(tmp_path):
    assert CSV_COLUMNS[:4] == ["name", "slug", "legal_name", "alternative_names"]
    path = tmp_path / "in.csv"
    path.write_text("name,legal_name\nRadar Healthcare,Smartgate Solutions Ltd\n", encoding="utf-8")

    result = import_csv(file=path)

    assert result.ok, result.errors
    radar = Organisation.objects.get(slug="radar-healthcare")
    assert radar.legal_name == "Smartgate Solutions Ltd"
    header, row = list(export_rows(Organisation.objects.filter(pk=radar.pk)))
    assert dict(zip(header, row, strict=True))["legal_name"] == "Smartgate Solutions Ltd"


def test_the_import_page_offers_a_sample_file_and_describes_every_column(admin_client):
    page = admin_client.get(IMPORT_URL).content.decode()

    assert reverse("admin:organisations_organisation_import_sample") in page
    assert set(COLUMN_REFERENCE) == set(CSV_COLUMNS)
    for column in CSV_COLUMNS:
        assert f"<code>{column}</code>" in page, column
    assert "The registered name" in page


def test_the_sample_file_has_every_column_and_imports_cleanly(admin_client, reference_data, tmp_path):
    response = admin_client.get(reverse("admin:organisations_organisation_import_sample"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == CSV_COLUMNS
    assert all(".example.org" in row["website"] for row in rows)
    path = tmp_path / "sample.csv"
    path.write_bytes(response.content)
    result = import_csv(file=path, dry_run=True)
    assert result.ok, [str(error) for error in result.errors]
    assert result.created == len(rows) == 2


def test_the_preview_links_the_entries_a_new_row_may_repeat(admin_client):
    pharmacy = OrganisationFactory(name="Pharmacy2U", website="https://www.pharmacy2u.co.uk")
    upload = csv_file(
        [
            {"name": "Pharmacy 2U", "website": "https://pharmacy2u.co.uk"},
            {"name": "Tunstall Healthcare", "website": ""},
            {"name": "Tunstall Health Care Ltd", "website": ""},
        ]
    )

    preview = admin_client.post(IMPORT_URL, {"file": upload})

    html = preview.content.decode()
    assert "3 new rows look like entries already in the directory or in this file" in html
    change_url = reverse("admin:organisations_organisation_change", args=[pharmacy.pk])
    assert f'<a href="{change_url}" target="_blank">Pharmacy2U</a>' in html
    assert "Tunstall Health Care Ltd (line 4 of this file) — similar name" in html
    assert 'name="duplicates_checked"' in html


def test_importing_likely_duplicates_needs_the_explicit_confirmation(admin_client):
    OrganisationFactory(name="Pharmacy2U", website="https://www.pharmacy2u.co.uk")
    preview = admin_client.post(IMPORT_URL, {"file": csv_file([{"name": "Pharmacy 2U Ltd"}])})
    token = preview.context["token"]

    refused = admin_client.post(IMPORT_URL, {"token": token}, follow=True)
    assert "tick “I have checked the likely duplicates”" in refused.content.decode()
    assert not Organisation.objects.filter(name="Pharmacy 2U Ltd").exists()

    confirmed = admin_client.post(IMPORT_URL, {"token": token, "duplicates_checked": "yes"})
    assert confirmed.status_code == 302
    assert Organisation.objects.filter(name="Pharmacy 2U Ltd").exists()


def test_a_file_without_likely_duplicates_imports_without_the_question(admin_client):
    OrganisationFactory(name="Pharmacy2U", website="https://www.pharmacy2u.co.uk")
    preview = admin_client.post(IMPORT_URL, {"file": csv_file([{"name": "Tunstall Healthcare"}])})
    assert 'name="duplicates_checked"' not in preview.content.decode()
    confirmed = admin_client.post(IMPORT_URL, {"token": preview.context["token"]})
    assert confirmed.status_code == 302
    assert Organisation.objects.filter(name="Tunstall Healthcare").exists()
