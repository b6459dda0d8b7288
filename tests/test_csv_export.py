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
