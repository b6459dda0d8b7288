"""manage.py register_candidates: candidates from Companies House and NHS ODS files.

The files under tests/data/registers/ are in the registers' published layouts (Companies House Basic
Company Data with its header; ODS files without one), with made-up "EXAMPLE" entries.
"""

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from organisations.models import Candidate, Organisation, RegisterFlag
from organisations.registers import services
from organisations.registers.config import load_rules
from organisations.registers.readers import CH_COLUMNS
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "registers"
CH_FILE = DATA / "BasicCompanyData-2026-11-01-part1_1.csv"
ETR = DATA / "etr.csv"
ECCG = DATA / "eccg.csv"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("register_candidates", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def candidate_ids():
    return set(Candidate.objects.values_list("register_id", flat=True))


def zipped(tmp_path, source, member_name):
    target = tmp_path / "BasicCompanyDataAsOneFile-2026-11-01.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(source, member_name)
    return target


# The companies in the fixture that are live, in the region and meet a rule.
EXPECTED_COMPANIES = {"99000001", "99000002", "99000005", "99000007", "99000010", "SC990016"}


def test_it_keeps_live_health_tech_companies_in_the_region_as_candidates():
    out, _ = run("companies-house", CH_FILE)

    assert candidate_ids() == EXPECTED_COMPANIES
    leeds = Candidate.objects.get(register_id="99000001")
    assert leeds.name == "EXAMPLE SURGICAL INSTRUMENTS LIMITED"
    assert leeds.register == "companies_house" and leeds.state == Candidate.State.NEW
    assert (leeds.postcode, leeds.postcode_district, leeds.local_authority) == ("LS1 4AP", "LS1", "leeds")
    assert leeds.reasons == ["SIC 32500: manufacture of medical and dental instruments and supplies"]
    assert leeds.register_url == "https://find-and-update.company-information.service.gov.uk/company/99000001"
    assert leeds.facts["incorporated_on"] == "2019-03-14"
    assert leeds.facts["founded_year"] == 2019
    assert leeds.facts["sic_codes"] == ["32500 - Manufacture of medical and dental instruments and supplies"]
    assert leeds.facts["address"]["line_1"] == "1 EXAMPLE STREET"
    assert leeds.facts["region"] == "LS postcode area"
    assert not Organisation.objects.exists()
    assert "18 rows read" not in out  # a record spanning two lines is one row
    assert "16 rows read" in out and "6 new" in out


def test_it_reads_the_zip_as_published_without_extracting_it(tmp_path):
    archive = zipped(tmp_path, CH_FILE, "BasicCompanyDataAsOneFile-2026-11-01.csv")

    out, _ = run("companies-house", archive)

    assert candidate_ids() == EXPECTED_COMPANIES
    assert out.startswith("BasicCompanyDataAsOneFile-2026-11-01.csv: 16 rows read")


def test_a_zip_without_exactly_one_csv_is_refused(tmp_path):
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as target:
        target.write(CH_FILE, "a.csv")
        target.write(CH_FILE, "b.csv")

    with pytest.raises(CommandError, match=r"should hold one CSV file; it holds 2 \(a.csv, b.csv\)"):
        run("companies-house", archive)


def test_the_region_takes_in_craven_and_selby_sectors_but_not_their_neighbours():
    run("companies-house", CH_FILE)

    bentham = Candidate.objects.get(register_id="99000005")  # LA2 7: Craven
    eggborough = Candidate.objects.get(register_id="99000007")  # DN14 0: Selby
    assert bentham.facts["region"] == "LA2 7 (Craven)"
    assert eggborough.facts["region"] == "DN14 0 (Selby)"
    # Sectors shared with other authorities: the curator decides the local authority.
    assert bentham.local_authority == "" and eggborough.local_authority == ""
    ids = candidate_ids()
    assert "99000006" not in ids  # LA1: Lancaster
    assert "99000008" not in ids  # DN14 6: Goole, East Riding
    assert "99000003" not in ids  # EC1A: London


def test_sic_codes_and_name_keywords_give_their_reasons():
    run("companies-house", CH_FILE)

    software = Candidate.objects.get(register_id="99000002")
    assert software.reasons == [
        "name has “HEALTH” (SIC 62012): a health word in the name of a software, data, testing or research company"
    ]
    biotech = Candidate.objects.get(register_id="99000010")
    assert biotech.reasons == ["name has “BIOTECH”: a health-tech word in the name"]
    assert "99000004" not in candidate_ids()  # a restaurant in Leeds: no rule
    assert "99000009" not in candidate_ids()  # in liquidation: not live


def test_quoted_commas_and_line_breaks_stay_in_their_field():
    run("companies-house", CH_FILE)

    quoted = Candidate.objects.get(register_id="99000010")
    assert quoted.name == 'EXAMPLE "QUOTED", COMMA BIOTECH LIMITED'
    assert quoted.facts["address"]["line_1"] == "FLOOR 2\nEXAMPLE HOUSE, 10 EXAMPLE STREET"
    assert quoted.postcode == "LS11 5DR"


def test_malformed_rows_are_reported_with_their_line_and_skipped():
    out, err = run("companies-house", CH_FILE)

    # The header is line 1 and one earlier record spans two lines.
    assert err.splitlines() == [
        "line 16: 5 fields where the header has 55",
        "line 17: IncorporationDate '31/02/2019' is not a date (dd/mm/yyyy)",
    ]
    assert "Skipped: 2 bad rows." in out
    assert "99000015" not in candidate_ids()
    assert "SC990016" in candidate_ids()  # the row after them


def test_a_file_in_another_layout_is_refused_naming_the_missing_columns(tmp_path):
    lines = CH_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].replace("RegAddress.PostCode", "Postcode").replace("SICCode.SicText_2", "SIC2")
    damaged = tmp_path / "damaged.csv"
    damaged.write_text(header + "".join(lines[1:]), encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        run("companies-house", damaged)

    assert str(refused.value) == (
        "This is not Companies House Basic Company Data: the header has no RegAddress.PostCode, "
        "SICCode.SicText_2 columns."
    )
    assert not Candidate.objects.exists()


def test_an_ods_file_given_as_companies_house_is_refused_as_such():
    with pytest.raises(CommandError) as refused:
        run("companies-house", ETR)

    assert str(refused.value) == (
        "This is not Companies House Basic Company Data: its first row is not the register's header (it "
        "has none of its columns, such as CompanyName, CompanyNumber and RegAddress.PostCode)."
    )


def test_the_header_may_have_spaces_around_names_as_the_real_file_does():
    header = CH_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert " CompanyNumber" in header.split(",")
    assert set(CH_COLUMNS) <= {name.strip() for name in header.split(",")}


def test_an_ods_file_takes_nhs_bodies_in_the_region():
    out, err = run("ods", ETR)

    assert candidate_ids() == {"ZZA", "ZZD"}  # not Manchester, not the closed York trust
    trust = Candidate.objects.get(register_id="ZZA")
    assert trust.register == "ods"
    assert trust.reasons == ["NHS trust: an NHS body with its address in the region"]
    assert trust.facts["kind"] == "NHS trust"
    assert trust.facts["opened_on"] == "1998-04-01"
    assert trust.facts["national_grouping"] == "Y63"
    assert trust.register_url == "https://directory.spineservices.nhs.uk/ORD/2-0-0/organisations/ZZA"
    assert (
        err
        == "line 5: 3 columns; missing 4 High Level Health Geography, 5 Address Line 1, 6 Address Line 2, 7 Address Line 3, 8 Address Line 4, 9 Address Line 5, 10 Postcode, 11 Open Date, 12 Close Date\n"
    )


def test_commissioners_files_are_read_the_same_way():
    run("ods", ECCG)

    commissioner = Candidate.objects.get()
    assert commissioner.register_id == "99X"
    assert commissioner.reasons == [
        "sub-ICB location (commissioner): an NHS body with its address in the region"
    ]
    assert commissioner.local_authority == "bradford"


def test_an_ods_run_refuses_a_file_with_a_header_or_too_few_columns(tmp_path):
    with pytest.raises(CommandError) as refused:
        run("ods", CH_FILE)
    message = str(refused.value)
    assert message.startswith("This is not an NHS ODS file (they have no header row")
    assert "column 1 Organisation Code holds 'CompanyName'" in message
    assert "column 11 Open Date holds 'CompanyCategory', not a date as YYYYMMDD" in message

    short = tmp_path / "etr.csv"
    short.write_text('"ZZA","EXAMPLE TRUST","Y63","QWO","1 EXAMPLE ROAD","","","","","LS1 4AP"\n')
    with pytest.raises(
        CommandError, match=r"first row has 10 columns.*Missing: 11 Open Date, 12 Close Date\."
    ):
        run("ods", short)
    assert not Candidate.objects.exists()


def test_a_dismissed_candidate_stays_dismissed_and_its_facts_refresh(tmp_path):
    run("companies-house", CH_FILE)
    Candidate.objects.filter(register_id="99000001").update(state=Candidate.State.DISMISSED)
    moved = tmp_path / "BasicCompanyData-2026-12-01-part1_1.csv"
    moved.write_text(CH_FILE.read_text(encoding="utf-8").replace("LS1 4AP", "LS2 7EW"), encoding="utf-8")

    out, _ = run("companies-house", moved)

    dismissed = Candidate.objects.get(register_id="99000001")
    assert dismissed.state == Candidate.State.DISMISSED
    assert dismissed.postcode == "LS2 7EW" and dismissed.facts["postcode"] == "LS2 7EW"
    assert dismissed.source_file == moved.name
    assert dismissed.first_seen_at < dismissed.last_seen_at
    assert Candidate.objects.count() == len(EXPECTED_COMPANIES)
    assert "0 new, 6 refreshed (1 of them dismissed before, and still dismissed)" in out


def test_an_accepted_candidate_keeps_its_organisation_on_the_next_import():
    run("companies-house", CH_FILE)
    candidate = Candidate.objects.get(register_id="99000002")
    organisation = services.accept_candidate(candidate=candidate, user=None)

    out, _ = run("companies-house", CH_FILE)

    candidate.refresh_from_db()
    assert candidate.state == Candidate.State.ACCEPTED
    assert candidate.organisation == organisation
    assert "0 new, 6 refreshed" in out


def test_a_company_already_listed_is_checked_not_queued():
    OrganisationFactory(
        name="Example Surgical Instruments", companies_house_number="99000001", postcode="LS1 4AP"
    )

    out, _ = run("companies-house", CH_FILE)

    assert "99000001" not in candidate_ids()
    assert "1 already listed" in out
    assert "Checks: 1 listed organisation found in the file" in out
    assert not RegisterFlag.objects.exists()  # same name (suffix aside), same postcode


def test_a_dry_run_writes_nothing():
    out, _ = run("companies-house", CH_FILE, "--dry-run")

    assert not Candidate.objects.exists()
    assert "6 new" in out and out.endswith("Dry run: nothing was written.\n")


def test_an_interruption_while_reading_leaves_nothing_written(monkeypatch):
    written_before = []
    real = services.candidate_reasons

    def interrupted(entry, rules):
        if entry.register_id == "99000011":  # half-way through the file
            written_before.append(Candidate.objects.count())
            raise KeyboardInterrupt
        return real(entry, rules)

    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    monkeypatch.setattr(services, "candidate_reasons", interrupted)
    with pytest.raises(CommandError, match="Interrupted: nothing was written."):
        run("companies-house", CH_FILE)
    assert written_before == [4]  # batches already written inside the import's transaction
    assert not Candidate.objects.exists()


def test_candidates_are_written_in_batches_with_the_same_result(monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    OrganisationFactory(companies_house_number="99000002", postcode="BD7 1DP")

    out, _ = run("companies-house", CH_FILE)

    assert candidate_ids() == EXPECTED_COMPANIES - {"99000002"}
    assert "5 new, 0 refreshed (0 of them dismissed before, and still dismissed), 1 already listed" in out


def test_an_interruption_while_writing_rolls_back_what_was_written(monkeypatch):
    OrganisationFactory(companies_house_number="99000012", postcode="LS1 4AP")

    def interrupted(run, result, file_name):
        assert Candidate.objects.count() == len(EXPECTED_COMPANIES)  # written, not yet committed
        raise KeyboardInterrupt

    monkeypatch.setattr(services, "_write_findings", interrupted)
    with pytest.raises(CommandError, match="Interrupted: nothing was written."):
        run("companies-house", CH_FILE)
    assert not Candidate.objects.exists()
    assert not RegisterFlag.objects.exists()


def test_no_progress_bar_away_from_a_terminal():
    _, err = run("companies-house", CH_FILE)
    assert "Reading" not in err and "\r" not in err


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_progress_bar_on_a_terminal_counts_the_bytes_read():
    terminal = Terminal()
    call_command(
        "register_candidates", "companies-house", str(CH_FILE), stdout=io.StringIO(), stderr=terminal
    )

    bar = terminal.getvalue().split("\r")[-1].splitlines()[0]
    size = f"{CH_FILE.stat().st_size / 1000:.2f}k"
    assert bar.startswith(f"Reading: 100%|##########| {size}/{size} [")


def test_another_rules_file_can_be_named_in_the_settings(settings, tmp_path):
    rules = (DATA.parent.parent.parent / "organisations" / "registers" / "rules.toml").read_text()
    other = tmp_path / "manchester.toml"
    other.write_text(
        rules.replace('postcode_areas = ["LS", "BD", "WF", "HD", "HX", "HG", "YO"]', 'postcode_areas = ["M"]')
    )
    settings.REGISTER_RULES_FILE = other

    run("companies-house", CH_FILE)

    # Manchester now counts; Craven's and Selby's parts still do; the West Yorkshire areas no longer.
    assert candidate_ids() == {"99000012", "99000005", "99000007"}


def test_a_broken_rules_file_stops_the_import_with_a_message(settings, tmp_path):
    broken = tmp_path / "rules.toml"
    shutil.copy(DATA.parent.parent.parent / "organisations" / "registers" / "rules.toml", broken)
    broken.write_text(broken.read_text().replace("\nleeds = [", "\nleeds_city = ["))
    settings.REGISTER_RULES_FILE = broken

    with pytest.raises(CommandError, match=r"\[local_authorities\] 'leeds_city' is not a local authority"):
        run("companies-house", CH_FILE)


def test_the_default_rules_load():
    rules = load_rules()
    assert rules.region.place("ls1 4ap").label == "LS postcode area"
    assert rules.region.place("LA2 8AB").label == "LA2 8 (Craven)"
    assert rules.region.place("M1 1AE") is None
    assert rules.region.place("not a postcode") is None
    # The first test on a raw cell lets through what normalising would accept.
    assert rules.region.might_contain(" ls1 4ap") and rules.region.place(" ls1 4ap").postcode == "LS1 4AP"
    assert not rules.region.might_contain("M1 1AE")
    assert rules.local_authority("HD6") == "calderdale"
    assert rules.local_authority("LS25") == ""  # Leeds and Selby


def test_the_shipped_rules_give_a_local_authority_only_where_a_district_lies_in_one():
    rules = load_rules()

    assert rules.local_authority("LS1") == "leeds"
    assert rules.local_authority("BD23") == "craven"  # Skipton: wholly in Craven
    assert rules.local_authority("YO8") == ""  # Selby and East Riding: the curator decides
    assert rules.local_authority("LS21") == ""  # Otley: Leeds and Harrogate
