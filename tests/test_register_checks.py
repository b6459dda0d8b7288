"""Checks of listed organisations against a register: flags for curators, never silent changes."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from organisations.models import Organisation, RegisterFlag
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "registers"
CH_FILE = DATA / "BasicCompanyData-2026-11-01-part1_1.csv"
ETR = DATA / "etr.csv"
Kind = RegisterFlag.Kind


def run(*args):
    out = io.StringIO()
    call_command("register_candidates", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def flags_of(organisation):
    return {(flag.kind, flag.register_value): flag for flag in organisation.register_flags.all()}


@pytest.fixture
def listed():
    """Listed organisations whose Companies House records in the fixture say something new."""
    return {
        # Renamed (the listed name is among the previous names), and a proposal to strike off.
        "renamed": OrganisationFactory(
            name="Example Listed Diagnostics", companies_house_number="99000011", postcode="WF1 2QW"
        ),
        # Registered office now in Manchester.
        "moved": OrganisationFactory(
            name="Example Moved Medical Ltd", companies_house_number="99000012", postcode="LS2 9JT"
        ),
        # Dissolved.
        "closed": OrganisationFactory(
            name="Example Closed Devices", companies_house_number="99000013", postcode="LS9 7TF"
        ),
        # Not in this (partial) file at all.
        "absent": OrganisationFactory(name="Example Absent Ltd", companies_house_number="99000099"),
    }


def test_dissolved_renamed_and_moved_companies_are_flagged(listed):
    out = run("companies-house", CH_FILE)

    renamed = flags_of(listed["renamed"])
    assert set(renamed) == {
        (Kind.STATUS, "Active - Proposal to Strike off"),
        (Kind.RENAMED, "EXAMPLE RENAMED DIAGNOSTICS LIMITED"),
    }
    assert renamed[(Kind.RENAMED, "EXAMPLE RENAMED DIAGNOSTICS LIMITED")].detail == (
        "The register's name is now “EXAMPLE RENAMED DIAGNOSTICS LIMITED”; “EXAMPLE LISTED DIAGNOSTICS "
        "LIMITED”, the name listed here, is among its previous names (until 2024-06-01)."
    )
    moved = flags_of(listed["moved"])
    assert set(moved) == {(Kind.MOVED, "M1 1AE")}
    assert moved[(Kind.MOVED, "M1 1AE")].detail == (
        "The register's address has the postcode M1 1AE; the directory has LS2 9JT."
    )
    closed = flags_of(listed["closed"])
    assert set(closed) == {(Kind.CLOSED, "dissolved on 2025-09-02")}
    assert (
        closed[(Kind.CLOSED, "dissolved on 2025-09-02")].detail == "Companies House: dissolved on 2025-09-02."
    )
    assert all(flag.is_open and flag.register_id for flag in RegisterFlag.objects.all())
    assert "Checks: 3 listed organisations found in the file" in out


def test_a_partial_file_says_nothing_about_organisations_absent_from_it(listed):
    run("companies-house", CH_FILE)

    assert not listed["absent"].register_flags.exists()


def test_the_complete_file_flags_listed_companies_missing_from_it(listed, tmp_path):
    whole = tmp_path / "BasicCompanyDataAsOneFile-2026-11-01.csv"
    whole.write_bytes(CH_FILE.read_bytes())

    run("companies-house", whole, "--complete")

    (flag,) = listed["absent"].register_flags.all()
    assert flag.kind == Kind.MISSING
    assert flag.detail == (
        "Not in BasicCompanyDataAsOneFile-2026-11-01.csv, given as the register's complete list of live "
        "companies: dissolved, struck off or renumbered?"
    )
    assert not listed["renamed"].register_flags.filter(kind=Kind.MISSING).exists()


def test_complete_refuses_one_part_of_the_split_file(listed):
    with pytest.raises(
        CommandError, match=r"BasicCompanyData-2026-11-01-part1_1.csv is one part of the split file"
    ):
        run("companies-house", CH_FILE, "--complete")
    assert not RegisterFlag.objects.exists()


def test_complete_is_only_for_companies_house():
    with pytest.raises(CommandError, match="--complete is for the Companies House file"):
        run("ods", ETR, "--complete")


def test_the_organisations_themselves_never_change(listed):
    before = {org.pk: (org.name, org.postcode, org.status, org.history.count()) for org in listed.values()}

    run("companies-house", CH_FILE)

    after = {
        org.pk: (org.name, org.postcode, org.status, org.history.count())
        for org in Organisation.objects.filter(pk__in=before)
    }
    assert after == before


def test_a_resolved_flag_is_not_raised_again_but_a_new_finding_is(listed, tmp_path):
    run("companies-house", CH_FILE)
    flag = RegisterFlag.objects.get(organisation=listed["moved"])
    flag.resolved_at = flag.last_seen_at
    flag.save()

    run("companies-house", CH_FILE)
    assert RegisterFlag.objects.filter(organisation=listed["moved"]).count() == 1
    flag.refresh_from_db()
    assert not flag.is_open

    moved_again = tmp_path / "BasicCompanyData-2026-12-01-part1_1.csv"
    moved_again.write_text(CH_FILE.read_text(encoding="utf-8").replace("M1 1AE", "M14 5RX"), encoding="utf-8")
    run("companies-house", moved_again)
    assert set(flags_of(listed["moved"])) == {(Kind.MOVED, "M1 1AE"), (Kind.MOVED, "M14 5RX")}
    assert RegisterFlag.objects.get(organisation=listed["moved"], register_value="M14 5RX").is_open


def test_an_open_flag_closes_when_the_register_agrees_again(listed, tmp_path):
    run("companies-house", CH_FILE)
    agreeing = tmp_path / "BasicCompanyData-2026-12-01-part1_1.csv"
    agreeing.write_text(CH_FILE.read_text(encoding="utf-8").replace("M1 1AE", "LS2 9JT"), encoding="utf-8")

    out = run("companies-house", agreeing)

    flag = RegisterFlag.objects.get(organisation=listed["moved"])
    assert not flag.is_open
    assert flag.resolution == f"No longer what the register says ({agreeing.name})."
    assert out.splitlines()[2].endswith("; 1 open flag closed.")


def test_a_trading_name_that_matches_apart_from_suffixes_is_not_a_rename():
    organisation = OrganisationFactory(
        name="Example Surgical Instruments", companies_house_number="99000001", postcode="LS1 4AP"
    )
    other = OrganisationFactory(
        name="Example Knives",
        alternative_names="EK; Example Scottish Medical Ltd",
        companies_house_number="SC990016",
        postcode="YO10 5DD",
    )

    run("companies-house", CH_FILE)

    assert not organisation.register_flags.exists()
    assert not other.register_flags.exists()


def test_a_trading_name_with_the_registered_name_as_legal_name_is_not_a_rename():
    organisation = OrganisationFactory(
        name="Surgical Example",
        legal_name="Example Surgical Instruments Ltd",
        companies_house_number="99000001",
        postcode="LS1 4AP",
    )

    run("companies-house", CH_FILE)

    assert not organisation.register_flags.exists()


def test_ods_closed_and_renamed_bodies_are_flagged():
    closed = OrganisationFactory(name="Example York Community NHS Trust", ods_code="ZZC", postcode="YO31 8HE")
    renamed = OrganisationFactory(name="Example Wakefield Care NHS Trust", ods_code="ZZD", postcode="WF1 3SP")

    run("ods", ETR)

    assert set(flags_of(closed)) == {(Kind.CLOSED, "closed on 2023-03-31")}
    assert set(flags_of(renamed)) == {
        (Kind.RENAMED, "EXAMPLE WEST YORKSHIRE MENTAL HEALTH NHS FOUNDATION TRUST")
    }
