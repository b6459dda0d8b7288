"""CSV export: the service's columns and round trip, the command, and the public download of the
filtered list (ARCHITECTURE.md §7)."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import F

from organisations.csv import CSV_COLUMNS, export_rows, import_csv, stream_csv
from organisations.models import Organisation, Status
from tests.factories import (
    CareSettingFactory,
    ContactFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def exported_bytes(queryset):
    return b"".join(stream_csv(queryset))


def parsed(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def directory():
    medtech = SectorFactory(name="Medtech", slug="medtech")
    imaging = SectorFactory(name="Imaging", slug="imaging")
    hospital = CareSettingFactory(name="Hospital", slug="hospital")
    mark = RegulatoryMarkFactory(name="UKCA class I", slug="ukca-class-i")
    nexus = InitiativeFactory(name="Nexus", slug="nexus")
    parent = OrganisationFactory(name="University of Leeds", slug="university-of-leeds")
    org = OrganisationFactory(
        name="Acme Health",
        slug="acme-health",
        alternative_names="AH; Acme",
        parent=parent,
        description='First line\nsecond line, with a comma and "quotes"',
        phone="+44 113 000 0000",
        summary='=HYPERLINK("http://evil.example")',
        postcode="LS1 4AP",
        companies_house_number="01234567",
        founded_year=2015,
        employees_band=Organisation.EmployeesBand.SMALL,
        headquartered_in_leeds=True,
        last_verified_on=datetime.date(2024, 5, 1),
        sectors=[medtech, imaging],
    )
    org.care_settings.set([hospital])
    org.regulatory_marks.set([mark])
    MembershipFactory(organisation=org, initiative=nexus)
    OrganisationFactory(name="Draft Co", status=Status.DRAFT, town="")
    return org


def test_the_header_is_the_documented_columns_in_order(directory):
    rows = parsed(exported_bytes(Organisation.objects.all()))

    assert rows[0] == CSV_COLUMNS
    assert len(rows) == 4


def test_it_writes_names_for_sectors_and_initiatives_and_slugs_for_the_rest(directory):
    rows = parsed(exported_bytes(Organisation.objects.filter(pk=directory.pk)))
    row = dict(zip(rows[0], rows[1], strict=True))

    assert row["sectors"] == "Imaging; Medtech"
    assert row["initiatives"] == "Nexus"
    assert row["care_settings"] == "hospital"
    assert row["regulatory_marks"] == "ukca-class-i"
    assert row["parent"] == "university-of-leeds"
    assert row["headquartered_in_leeds"] == "true"
    assert row["last_verified_on"] == "2024-05-01"
    assert row["description"] == directory.description


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_guarded(directory):
    rows = parsed(exported_bytes(Organisation.objects.filter(pk=directory.pk)))
    row = dict(zip(rows[0], rows[1], strict=True))

    assert row["summary"] == '\'=HYPERLINK("http://evil.example")'
    assert row["phone"] == "'+44 113 000 0000"
    for cell in rows[1]:
        assert cell[:1] not in {"=", "+", "-", "@", "\t", "\r"}


def test_an_export_reimports_with_no_changes(directory):
    data = exported_bytes(Organisation.objects.all())
    history_before = Organisation.history.count()

    result = import_csv(file=io.BytesIO(data))

    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert Organisation.history.count() == history_before


def test_a_quote_that_looks_like_a_guard_survives_the_round_trip():
    org = OrganisationFactory(name="Odd", slug="odd", summary="'=not a formula")

    data = exported_bytes(Organisation.objects.all())
    result = import_csv(file=io.BytesIO(data))

    assert result.unchanged == 1
    org.refresh_from_db()
    assert org.summary == "'=not a formula"


def test_an_export_recreates_the_directory_in_an_empty_database(directory):
    # Parents first: a parent must be in the directory or earlier in the file.
    data = exported_bytes(Organisation.objects.order_by(F("parent").asc(nulls_first=True), "name"))
    expected = parsed(data)
    Organisation.objects.all().delete()

    result = import_csv(file=io.BytesIO(data))

    assert result.ok, result.errors
    assert result.created == 3
    # Recreated rows arrive exactly as exported (status included: the command has full rights).
    assert sorted(parsed(exported_bytes(Organisation.objects.all()))) == sorted(expected)


def test_export_rows_uses_a_constant_number_of_queries(directory, django_assert_max_num_queries):
    for n in range(30):
        MembershipFactory(
            organisation=OrganisationFactory(sectors=[SectorFactory(name=f"S{n}")]),
            initiative=InitiativeFactory(),
        )

    with django_assert_max_num_queries(7):
        rows = list(export_rows(Organisation.objects.all()))

    assert len(rows) == 34


def test_the_command_writes_a_file_that_reimports_unchanged(directory, tmp_path):
    path = tmp_path / "out.csv"

    call_command("export_organisations", str(path))
    result = import_csv(file=path)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)


# --- The public download: /organisations/export.csv ------------------------------------------------

EXPORT = "/organisations/export.csv"


def download(client, params=None):
    response = client.get(EXPORT, params or {})
    assert response.status_code == 200
    assert response.streaming
    return response, b"".join(response.streaming_content)


def read_rows(content):
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def medtech():
    return SectorFactory(name="Medtech", slug="medtech")


def test_it_downloads_as_an_attachment_with_the_csv_columns(client, medtech):
    OrganisationFactory(sectors=[medtech])

    response, content = download(client)

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="leeds-health-tech-organisations.csv"'
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == CSV_COLUMNS


def test_it_exports_exactly_the_filtered_list_in_the_page_order(client, medtech):
    for n in range(30):
        OrganisationFactory(name=f"Org {n:02d}", sectors=[medtech] if n % 2 else [], founded_year=1980 + n)
    OrganisationFactory(name="Draft Org", status=Status.DRAFT, sectors=[medtech])
    params = {"sector": "medtech", "sort": "-founded"}

    _response, content = download(client, params)
    page = client.get("/organisations/", params)

    rows = read_rows(content)
    expected = list(page.context["filterset"].qs.values_list("slug", flat=True))
    assert [row["slug"] for row in rows] == expected
    assert len(rows) == page.context["paginator"].count == 15
    assert {row["status"] for row in rows} == {"published"}


def test_a_bad_parameter_is_ignored_as_on_the_page_and_named_in_a_header(client):
    OrganisationFactory.create_batch(3)

    response, content = download(client, {"founded_min": "abc", "type": "spaceship"})

    assert len(read_rows(content)) == 3
    assert response["X-Ignored-Parameters"] == "founded_min, type"


def test_only_published_organisations_and_public_relations_are_exported(client):
    draft_parent = OrganisationFactory(name="Secret Parent", status=Status.DRAFT)
    child = OrganisationFactory(name="Child", parent=draft_parent)
    MembershipFactory(
        organisation=child, initiative=InitiativeFactory(name="Hidden Programme", status="draft")
    )
    MembershipFactory(organisation=child, initiative=InitiativeFactory(name="Nexus"))
    OrganisationFactory(name="Archived Org", status=Status.ARCHIVED)
    ContactFactory(
        organisation=child, name="Private Person", email="private@example.org", internal_notes="Secret"
    )

    _response, content = download(client)

    text = content.decode("utf-8-sig")
    (row,) = read_rows(content)
    assert row["slug"] == child.slug
    assert row["parent"] == ""
    assert row["initiatives"] == "Nexus"
    for hidden in (
        "Secret Parent",
        draft_parent.slug,
        "Hidden Programme",
        "Archived Org",
        "private@example.org",
    ):
        assert hidden not in text


def test_cells_that_look_like_formulas_are_guarded(client):
    OrganisationFactory(name="=HYPERLINK(1)", summary="+44 0113", description="@SUM(A1)")

    _response, content = download(client)

    (row,) = read_rows(content)
    assert row["name"] == "'=HYPERLINK(1)"
    assert row["summary"] == "'+44 0113"
    assert row["description"] == "'@SUM(A1)"


def test_an_export_reimports_unchanged(client, medtech):
    hospital = CareSettingFactory(name="Hospital", slug="hospital")
    mark = RegulatoryMarkFactory(name="UKCA class I", slug="ukca-class-i")
    nexus = InitiativeFactory(name="Nexus")
    parent = OrganisationFactory(name="University of Leeds", organisation_type="university")
    for n in range(12):
        organisation = OrganisationFactory(
            name=f"=Formula Company {n}" if n == 0 else f"Company {n}",
            sectors=[medtech],
            parent=parent if n % 3 == 0 else None,
            alternative_names="ACME; Acme Ltd" if n == 1 else "",
            postcode="LS1 4AP",
            companies_house_number=f"{n + 1:08d}",
            founded_year=2000 + n,
            employees_band="small",
            headquartered_in_leeds=n % 2 == 0,
            last_verified_on=datetime.date(2025, 6, 1),
            phone="-0113 496 0000" if n == 2 else "",
        )
        organisation.care_settings.add(hospital)
        organisation.regulatory_marks.add(mark)
        MembershipFactory(organisation=organisation, initiative=nexus)
    before = list(Organisation.objects.order_by("pk").values())

    _response, content = download(client)
    result = import_csv(file=io.BytesIO(content))

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, 13)
    assert list(Organisation.objects.order_by("pk").values()) == before


def test_the_export_costs_the_same_queries_for_ten_or_a_hundred_rows(
    client, django_assert_max_num_queries, medtech
):
    nexus = InitiativeFactory()
    for organisation in OrganisationFactory.create_batch(100, sectors=[medtech]):
        MembershipFactory(organisation=organisation, initiative=nexus)

    with django_assert_max_num_queries(12):
        _response, content = download(client, {"sector": "medtech"})

    assert len(read_rows(content)) == 100
