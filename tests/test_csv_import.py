import csv
import io

import pytest
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path

from initiatives.models import Membership
from organisations.admin_import import OrganisationImportExportMixin, upload_dir
from organisations.csv import CSV_COLUMNS, import_csv
from organisations.models import Organisation, OrganisationSlugRedirect, Status
from tests.factories import (
    CareSettingFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def csv_bytes(rows, columns=None, *, bom=False):
    columns = columns or list(rows[0])
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def run(data, **kwargs):
    return import_csv(file=io.BytesIO(data), **kwargs)


def errors_of(result):
    return [(e.line, e.column, e.reason) for e in result.errors]


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_organisation", "change_organisation"])
    )
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def publisher(django_user_model):
    user = django_user_model.objects.create_user("publisher", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_organisation", "change_organisation", "publish_organisation"]
        )
    )
    return django_user_model.objects.get(pk=user.pk)


def test_it_creates_organisations_with_normalised_values_and_relations():
    SectorFactory(name="Medtech", slug="medtech")
    SectorFactory(name="Digital health", slug="digital-health")
    CareSettingFactory(name="Hospital", slug="hospital")
    initiative = InitiativeFactory(name="Nexus", slug="nexus")
    data = csv_bytes(
        [
            {
                "name": "Acme Health",
                "postcode": "ls14ap",
                "companies_house_number": "1234567",
                "headquartered_in_leeds": "yes",
                "founded_year": "2015",
                "organisation_type": "Company",
                "local_authority": "leeds",
                "sectors": "medtech; Digital health",
                "care_settings": "hospital",
                "initiatives": "Nexus",
                "website": "https://acme.example.org",
                "last_verified_on": "2024-05-01",
            }
        ]
    )

    result = run(data)

    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    org = Organisation.objects.get(slug="acme-health")
    assert org.status == Status.DRAFT
    assert org.postcode == "LS1 4AP"
    assert org.postcode_district == "LS1"
    assert org.companies_house_number == "01234567"
    assert org.headquartered_in_leeds is True
    assert org.founded_year == 2015
    assert sorted(org.sectors.values_list("slug", flat=True)) == ["digital-health", "medtech"]
    assert org.sector_names == "Digital health Medtech"
    assert list(org.care_settings.values_list("slug", flat=True)) == ["hospital"]
    assert list(org.initiatives.all()) == [initiative]
    assert org.history.count() == 1
    assert Membership.history.filter(organisation_id=org.pk).count() == 1


def test_it_accepts_a_byte_order_mark_and_strips_formula_guards():
    result = run(csv_bytes([{"name": "Guarded", "phone": "'+44 113 000 0000"}], bom=True))

    assert result.ok, result.errors
    assert Organisation.objects.get(slug="guarded").phone == "+44 113 000 0000"


def test_it_keeps_a_leading_quote_that_is_not_a_formula_guard():
    run(csv_bytes([{"name": "Quoted", "summary": "'Quoted' summary"}]))

    assert Organisation.objects.get(slug="quoted").summary == "'Quoted' summary"


def test_it_updates_by_slug_and_leaves_missing_columns_alone():
    org = OrganisationFactory(name="Old Name", slug="acme", summary="Keep me", town="Leeds")

    result = run(csv_bytes([{"name": "New Name", "slug": "acme", "town": "York"}]))

    assert result.ok, result.errors
    assert (result.created, result.updated) == (0, 1)
    assert result.rows[0].changes == ("name", "town")
    org.refresh_from_db()
    assert (org.name, org.town, org.summary) == ("New Name", "York", "Keep me")
    assert org.history.first().history_change_reason == "CSV import"


def test_it_matches_by_the_slug_derived_from_the_name_when_slug_is_blank():
    org = OrganisationFactory(name="Acme Health", slug="acme-health", town="Leeds")

    result = run(csv_bytes([{"name": "Acme Health", "slug": "", "town": "Wakefield"}]))

    assert (result.created, result.updated) == (0, 1)
    org.refresh_from_db()
    assert org.town == "Wakefield"


def test_it_matches_by_companies_house_number_when_no_slug_matches():
    org = OrganisationFactory(name="Acme Ltd", slug="acme-ltd", companies_house_number="01234567")

    result = run(csv_bytes([{"name": "Acme Health Limited", "companies_house_number": "1234567"}]))

    assert result.ok, result.errors
    assert (result.created, result.updated) == (0, 1)
    org.refresh_from_db()
    assert (org.name, org.slug) == ("Acme Health Limited", "acme-ltd")


def test_changing_a_slug_leaves_a_redirect():
    org = OrganisationFactory(name="Acme", slug="acme", companies_house_number="01234567")

    run(csv_bytes([{"name": "Acme", "slug": "acme-health", "companies_house_number": "01234567"}]))

    org.refresh_from_db()
    assert org.slug == "acme-health"
    assert OrganisationSlugRedirect.objects.get(old_slug="acme").organisation == org


def test_a_given_multi_valued_cell_replaces_the_set_and_an_empty_one_clears_it():
    medtech = SectorFactory(name="Medtech", slug="medtech")
    SectorFactory(name="Imaging", slug="imaging")
    keep = InitiativeFactory(name="Keep")
    drop = InitiativeFactory(name="Drop")
    org = OrganisationFactory(slug="acme", sectors=[medtech])
    MembershipFactory(organisation=org, initiative=keep)
    MembershipFactory(organisation=org, initiative=drop)

    result = run(csv_bytes([{"name": org.name, "slug": "acme", "sectors": "imaging", "initiatives": "Keep"}]))

    assert result.ok, result.errors
    assert list(org.sectors.values_list("slug", flat=True)) == ["imaging"]
    assert list(org.initiatives.all()) == [keep]
    assert Membership.history.filter(initiative=drop, history_type="-").exists()
    org.refresh_from_db()
    assert org.sector_names == "Imaging"

    run(csv_bytes([{"name": org.name, "slug": "acme", "sectors": ""}]))

    assert org.sectors.count() == 0
    assert list(org.initiatives.all()) == [keep]


def test_a_parent_may_be_given_by_slug_or_name_in_the_directory_or_earlier_in_the_file():
    OrganisationFactory(name="University of Leeds", slug="university-of-leeds")
    data = csv_bytes(
        [
            {"name": "LIDA", "parent": "University of Leeds"},
            {"name": "LIDA Lab", "parent": "lida"},
            {"name": "Other", "parent": "university-of-leeds"},
        ]
    )

    result = run(data)

    assert result.ok, result.errors
    assert Organisation.objects.get(slug="lida").parent.slug == "university-of-leeds"
    assert Organisation.objects.get(slug="lida-lab").parent.slug == "lida"
    assert Organisation.objects.get(slug="other").parent.slug == "university-of-leeds"


def test_every_bad_row_is_reported_with_line_column_and_reason_and_nothing_is_written():
    data = csv_bytes(
        [
            {"name": "Good", "postcode": "LS1 4AP", "description": "two\nlines"},
            {"name": "Bad postcode", "postcode": "nowhere", "description": ""},
            {"name": "", "postcode": "LS2 9JT", "description": ""},
            {"name": "Bad site", "website": "javascript:alert(1)", "description": ""},
            {"name": "Bad year", "founded_year": "1700", "description": ""},
            {"name": "Bad type", "organisation_type": "spaceship", "description": ""},
            {"name": "Bad flag", "headquartered_in_leeds": "maybe", "description": ""},
            {"name": "Bad date", "last_verified_on": "01/02/2024", "description": ""},
            {"name": "Bad sector", "sectors": "astrology", "description": ""},
            {"name": "Bad parent", "parent": "nobody", "description": ""},
            {"name": "Bad email", "email": "not-an-email", "description": ""},
            {"name": "Bad number", "companies_house_number": "12", "description": ""},
            {"name": "Bad host", "website": "http://[]", "description": ""},
        ],
        columns=[
            "name",
            "postcode",
            "description",
            "website",
            "founded_year",
            "organisation_type",
            "headquartered_in_leeds",
            "last_verified_on",
            "sectors",
            "parent",
            "email",
            "companies_house_number",
        ],
    )

    result = run(data)

    found = {(line, column) for line, column, _reason in errors_of(result)}
    # Line 2 holds a record spanning two lines, so the next record starts on line 4.
    assert found == {
        (4, "postcode"),
        (5, "name"),
        (6, "website"),
        (7, "founded_year"),
        (8, "organisation_type"),
        (9, "headquartered_in_leeds"),
        (10, "last_verified_on"),
        (11, "sectors"),
        (12, "parent"),
        (13, "email"),
        (14, "companies_house_number"),
        (15, "website"),
    }
    assert "Enter a valid UK postcode" in str(result.errors[0])
    assert str(result.errors[0]).startswith("line 4, column postcode: ")
    assert Organisation.objects.count() == 0


def test_unknown_columns_are_refused_by_name():
    result = run(b"name,colour,size\nAcme,red,big\n")

    assert len(result.errors) == 1
    assert "colour" in result.errors[0].reason and "size" in result.errors[0].reason
    assert Organisation.objects.count() == 0


def test_an_undecodable_file_is_refused_with_a_clear_message():
    result = run("name,town\nCafé,Leeds\n".encode("latin-1"))

    assert len(result.errors) == 1
    assert "UTF-8" in result.errors[0].reason
    assert Organisation.objects.count() == 0


def test_a_file_without_a_name_column_or_rows_is_refused():
    assert "name" in run(b"town\nLeeds\n").errors[0].reason
    assert "empty" in run(b"").errors[0].reason


def test_duplicate_slugs_and_companies_house_numbers_in_one_file_are_errors():
    data = csv_bytes(
        [
            {"name": "Acme", "companies_house_number": "01234567"},
            {"name": "ACME", "companies_house_number": "1234567"},
        ]
    )

    result = run(data)

    assert {(e.line, e.column) for e in result.errors} == {(3, "slug"), (3, "companies_house_number")}
    assert Organisation.objects.count() == 0


def test_a_companies_house_number_held_by_another_organisation_is_an_error():
    OrganisationFactory(name="Holder", companies_house_number="01234567")
    OrganisationFactory(name="Newcomer", slug="newcomer")

    result = run(csv_bytes([{"name": "Newcomer", "companies_house_number": "01234567"}]))

    assert errors_of(result)[0][:2] == (2, "companies_house_number")
    assert "Holder" in result.errors[0].reason


def test_a_row_with_the_wrong_number_of_cells_is_an_error():
    result = run(b"name,town\nAcme,Leeds,extra\n")

    assert errors_of(result) == [(2, None, "This row has 3 cells but the header has 2 columns.")]


def test_a_nul_character_is_an_error_of_its_cell_and_nothing_is_written():
    result = run(b"name,town,summary\nAc\x00me,Leeds,\x00\nBeta,York,Fine\n")

    assert errors_of(result) == [
        (2, "name", "This cell contains a NUL character (an invisible 0x00); remove it."),
        (2, "summary", "This cell contains a NUL character (an invisible 0x00); remove it."),
    ]
    assert Organisation.objects.count() == 0


def test_a_dry_run_counts_but_writes_nothing():
    OrganisationFactory(name="Acme", slug="acme", town="Leeds")

    result = run(csv_bytes([{"name": "Acme", "town": "York"}, {"name": "New"}]), dry_run=True)

    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert not result.written
    assert Organisation.objects.count() == 1
    assert Organisation.objects.get().town == "Leeds"


def test_an_editor_cannot_set_status_and_new_rows_arrive_as_drafts(editor):
    OrganisationFactory(name="Live", slug="live", status=Status.PUBLISHED)

    refused = run(
        csv_bytes([{"name": "New", "status": "published"}, {"name": "Live", "status": "archived"}]),
        user=editor,
    )
    accepted = run(
        csv_bytes([{"name": "New", "status": ""}, {"name": "Live", "status": "published"}]), user=editor
    )

    assert errors_of(refused) == [
        (2, "status", "Editors cannot set status: leave the status column empty."),
        (3, "status", "Editors cannot set status: leave the status column empty."),
    ]
    assert accepted.ok, accepted.errors
    assert Organisation.objects.get(slug="new").status == Status.DRAFT
    assert Organisation.objects.get(slug="live").status == Status.PUBLISHED
    assert Organisation.objects.get(slug="new").history.get().history_user == editor


def test_a_publisher_can_set_status(publisher):
    result = run(csv_bytes([{"name": "New", "status": "published"}]), user=publisher)

    assert result.ok, result.errors
    org = Organisation.objects.get(slug="new")
    assert org.status == Status.PUBLISHED
    assert org.published_at is not None


def test_the_command_prints_errors_by_line_and_column_and_exits_non_zero(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([{"name": "Acme", "postcode": "nowhere"}]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 error found: nothing was imported"):
        call_command("import_organisations", str(path), stderr=err, stdout=io.StringIO())

    assert "line 2, column postcode: Enter a valid UK postcode" in err.getvalue()
    assert Organisation.objects.count() == 0


def test_the_command_imports_and_summarises(tmp_path):
    path = tmp_path / "good.csv"
    path.write_bytes(csv_bytes([{"name": "Acme"}, {"name": "Beta"}]))
    out = io.StringIO()

    call_command("import_organisations", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Dry run, nothing written: 2 created" in out.getvalue()
    assert Organisation.objects.count() == 0

    call_command("import_organisations", str(path), stdout=out, stderr=io.StringIO())
    assert "Imported: 2 created, 0 updated, 0 unchanged." in out.getvalue()
    assert Organisation.objects.count() == 2


def test_the_command_applies_the_named_users_role(tmp_path, editor):
    path = tmp_path / "status.csv"
    path.write_bytes(csv_bytes([{"name": "Acme", "status": "published"}]))

    with pytest.raises(CommandError):
        call_command(
            "import_organisations", str(path), "--user", "editor", stdout=io.StringIO(), stderr=io.StringIO()
        )
    with pytest.raises(CommandError, match="No user"):
        call_command("import_organisations", str(path), "--user", "nobody")


def test_the_header_lists_exactly_the_documented_columns():
    assert CSV_COLUMNS[0] == "name"
    assert len(CSV_COLUMNS) == 27


# --- The admin: upload, preview, confirm; export of the filtered list --------------------------------
# Tested on a site of its own, so that these tests exercise the mixin whatever OrganisationAdmin adds.

csv_admin_site = AdminSite(name="admin")


class CsvOrganisationAdmin(OrganisationImportExportMixin, ModelAdmin):
    list_filter = ["status"]
    search_fields = ["name"]


csv_admin_site.register(Organisation, CsvOrganisationAdmin)
urlpatterns = [path("admin/", csv_admin_site.urls)]
admin_urls = pytest.mark.urls(__name__)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def upload_csv(data, name="organisations.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


@admin_urls
def test_the_admin_previews_an_import_and_writes_nothing_until_confirmed(editor_client):
    OrganisationFactory(name="Acme", slug="acme", town="Leeds")
    data = csv_bytes([{"name": "Acme", "town": "York"}, {"name": "Newco", "town": "Leeds"}])

    preview = editor_client.post("/admin/organisations/organisation/import/", {"file": upload_csv(data)})

    html = preview.content.decode()
    assert preview.status_code == 200
    assert "<strong>1</strong> to create, <strong>1</strong> to update" in html
    assert "<td>updated</td><td>town</td>" in html
    assert Organisation.objects.count() == 1
    token = preview.context["token"]

    confirmed = editor_client.post("/admin/organisations/organisation/import/", {"token": token})

    assert confirmed.status_code == 302
    assert Organisation.objects.get(slug="acme").town == "York"
    assert Organisation.objects.get(slug="newco").status == Status.DRAFT
    assert not list(upload_dir().glob(f"{token}*"))


@admin_urls
def test_a_long_preview_lists_the_first_rows_and_counts_the_rest(editor_client, monkeypatch):
    from organisations import admin_import

    monkeypatch.setattr(admin_import, "PREVIEW_ROWS", 3)
    data = csv_bytes([{"name": f"Newco {i}", "town": "Leeds"} for i in range(5)])

    preview = editor_client.post("/admin/organisations/organisation/import/", {"file": upload_csv(data)})

    html = preview.content.decode()
    assert "<strong>5</strong> to create" in html
    assert html.count("<td>created</td>") == 3
    assert "… and 2 more rows to create or update, not listed here." in html
    assert 'value="Import 5 changes"' in html


@admin_urls
def test_the_admin_lists_every_bad_row_and_offers_no_confirmation(editor_client):
    data = csv_bytes(
        [{"name": "Acme", "postcode": "nowhere"}, {"name": "Beta", "status": "published"}],
        columns=["name", "postcode", "status"],
    )

    preview = editor_client.post("/admin/organisations/organisation/import/", {"file": upload_csv(data)})

    html = preview.content.decode()
    assert "2 problems found" in html
    assert "<td>2</td><td>postcode</td><td>Enter a valid UK postcode" in html
    assert "<td>3</td><td>status</td><td>Editors cannot set status" in html
    assert 'name="token"' not in html
    assert Organisation.objects.count() == 0


@admin_urls
def test_the_admin_refuses_unknown_columns_and_undecodable_files(editor_client):
    unknown = editor_client.post(
        "/admin/organisations/organisation/import/", {"file": upload_csv(b"name,colour\nAcme,red\n")}
    )
    latin = editor_client.post(
        "/admin/organisations/organisation/import/", {"file": upload_csv("name\nCafé\n".encode("latin-1"))}
    )

    assert "Unknown column: “colour”" in unknown.content.decode()
    assert "not UTF-8" in latin.content.decode()
    assert Organisation.objects.count() == 0


@admin_urls
def test_a_confirmation_token_from_another_session_is_refused(client, editor, django_user_model, tmp_path):
    client.force_login(editor)
    preview = client.post(
        "/admin/organisations/organisation/import/", {"file": upload_csv(csv_bytes([{"name": "Acme"}]))}
    )
    other = django_user_model.objects.create_superuser("boss")
    client.force_login(other)

    response = client.post("/admin/organisations/organisation/import/", {"token": preview.context["token"]})

    assert response.status_code == 302
    assert Organisation.objects.count() == 0


@admin_urls
def test_staff_without_add_and_change_rights_cannot_import(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    client.force_login(viewer)

    assert client.get("/admin/organisations/organisation/import/").status_code == 403


@admin_urls
def test_the_admin_exports_its_filtered_list(editor_client):
    OrganisationFactory(name="Published One", status=Status.PUBLISHED)
    OrganisationFactory(name="Draft One", status=Status.DRAFT)
    OrganisationFactory(name="Draft Two", status=Status.DRAFT)

    listing = editor_client.get("/admin/organisations/organisation/?status__exact=draft")
    response = editor_client.get("/admin/organisations/organisation/export.csv?status__exact=draft&q=two")

    assert "export.csv?status__exact=draft" in listing.content.decode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Draft Two"]


@admin_urls
def test_the_admin_action_exports_the_selected_rows(editor_client):
    chosen = OrganisationFactory(name="Chosen")
    OrganisationFactory(name="Not chosen")

    response = editor_client.post(
        "/admin/organisations/organisation/",
        {"action": "export_selected_as_csv", "_selected_action": [chosen.pk]},
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Chosen"]


def test_the_real_organisation_admin_offers_import_and_export(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss"))

    listing = client.get("/admin/organisations/organisation/?status__exact=draft").content.decode()
    upload_page = client.get("/admin/organisations/organisation/import/")

    assert "/admin/organisations/organisation/import/" in listing
    assert "/admin/organisations/organisation/export.csv?status__exact=draft" in listing
    assert upload_page.status_code == 200


# --- Writing: history rows, derived columns, statements per chunk ------------------------------------


def test_import_history_rows_are_snapshots_of_what_was_written(publisher):
    org = OrganisationFactory(name="Acme", slug="acme", town="Leeds", status=Status.DRAFT)
    data = csv_bytes(
        [
            {"name": "Acme", "slug": "acme", "town": "York", "status": "published"},
            {"name": "Beta Health", "slug": "", "town": "Leeds", "status": ""},
        ]
    )

    result = run(data, user=publisher)

    assert result.ok, result.errors
    tracked = [f.attname for f in Organisation.history.model.tracked_fields]
    for slug, history_type in (("acme", "~"), ("beta-health", "+")):
        row = Organisation.objects.get(slug=slug)
        record = row.history.first()
        assert record.history_type == history_type
        assert record.history_user == publisher
        assert record.history_change_reason == "CSV import"
        assert {f: getattr(record, f) for f in tracked} == {f: getattr(row, f) for f in tracked}
    assert org.history.count() == 2
    assert org.history.first().prev_record.town == "Leeds"


def test_an_update_keeps_the_derived_columns_current(publisher):
    SectorFactory(name="Imaging", slug="imaging")
    org = OrganisationFactory(slug="acme", status=Status.DRAFT, postcode="LS1 4AP")
    org.refresh_from_db()
    updated_before = org.updated_at

    result = run(
        csv_bytes(
            [
                {
                    "name": org.name,
                    "slug": "acme",
                    "postcode": "bd7 1dp",
                    "status": "Published",
                    "sectors": "Imaging",
                }
            ]
        ),
        user=publisher,
    )

    assert result.ok, result.errors
    org.refresh_from_db()
    assert (org.postcode, org.postcode_district) == ("BD7 1DP", "BD7")
    assert org.status == Status.PUBLISHED and org.published_at is not None
    assert org.sector_names == "Imaging"
    assert org.updated_at > updated_before
    assert Organisation.objects.published().search("imaging").get() == org


def test_a_row_left_unchanged_keeps_its_timestamp_and_history():
    org = OrganisationFactory(slug="acme", town="Leeds")
    changed = OrganisationFactory(slug="other", town="Leeds")
    org.refresh_from_db()

    result = run(
        csv_bytes(
            [
                {"name": org.name, "slug": "acme", "town": "Leeds"},
                {"name": changed.name, "slug": "other", "town": "York"},
            ]
        )
    )

    assert (result.updated, result.unchanged) == (1, 1)
    assert Organisation.objects.get(pk=org.pk).updated_at == org.updated_at
    assert org.history.count() == 1


def _statements(data):
    with CaptureQueriesContext(connection) as queries:
        result = run(data)
    assert result.ok, result.errors
    return [q["sql"] for q in queries.captured_queries]


def test_the_number_of_statements_does_not_grow_with_the_rows():
    # 25 rows: under SQLite's limit of bound variables per statement, which splits Django's inserts.
    SectorFactory(name="Imaging", slug="imaging")
    CareSettingFactory(name="Hospital", slug="hospital")
    InitiativeFactory(name="Nexus", slug="nexus")

    def rows(n, prefix, town):
        return csv_bytes(
            [
                {
                    "name": f"{prefix} {i}",
                    "town": town,
                    "sectors": "imaging",
                    "care_settings": "hospital",
                    "initiatives": "Nexus",
                }
                for i in range(n)
            ]
        )

    few, many = len(_statements(rows(3, "Few", "Leeds"))), len(_statements(rows(25, "Many", "Leeds")))
    assert few == many
    updates_few = len(_statements(rows(3, "Few", "York")))
    updates_many = len(_statements(rows(25, "Many", "York")))
    assert updates_few == updates_many
    assert Organisation.objects.filter(town="York").count() == 28
    assert Organisation.history.filter(history_type="~").count() == 28


def test_on_postgresql_rows_travel_as_one_array_per_column():
    if connection.vendor != "postgresql":
        pytest.skip("UNNEST is PostgreSQL's bulk form; SQLite takes one placeholder per value.")
    SectorFactory(name="Imaging", slug="imaging")
    created = _statements(csv_bytes([{"name": f"Acme {i}", "sectors": "imaging"} for i in range(5)]))
    updated = _statements(csv_bytes([{"name": f"Acme {i}", "town": "York"} for i in range(5)]))

    inserts = [sql for sql in created if sql.startswith('INSERT INTO "organisations_organisation"')]
    assert len(inserts) == 1 and "UNNEST" in inserts[0]
    links = [sql for sql in created if sql.startswith('INSERT INTO "organisations_organisation_sectors"')]
    assert len(links) == 1 and "UNNEST" in links[0]
    updates = [sql for sql in updated if sql.startswith('UPDATE "organisations_organisation"')]
    assert len(updates) == 1 and "UNNEST" in updates[0]


def test_an_import_with_debug_on_does_not_keep_the_sql_of_every_chunk(settings, monkeypatch):
    from organisations.csv import reading

    settings.DEBUG = True
    monkeypatch.setattr(reading, "CHUNK_SIZE", 2)
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = run(csv_bytes([{"name": f"Acme {i}", "town": "Leeds"} for i in range(10)]))

    assert result.ok and result.created == 10
    assert len(connection.queries) < len(executed) / 3
