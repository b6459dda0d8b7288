import csv
import datetime
import filecmp
import shutil

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from core import validators
from initiatives.models import Initiative, KeyFigure, Membership
from organisations.models import CareSetting, Organisation, RegulatoryMark, Sector

FIXTURES = [
    "sectors",
    "care_settings",
    "regulatory_marks",
    "organisations",
    "initiatives",
    "memberships",
    "key_figures",
]
BUILT_FIXTURES = ["organisations.json", "initiatives.json", "memberships.json"]
MODELS = [Sector, CareSetting, RegulatoryMark, Organisation, Initiative, Membership, KeyFigure]
HISTORY_MODELS = [Organisation, Initiative, Membership]

ARCHITECTURE_SECTORS = [
    "digital health",
    "electronic health records",
    "medtech",
    "medical devices",
    "diagnostics",
    "imaging",
    "pharmaceuticals",
    "biotech",
    "regenerative medicine",
    "genomics",
    "AI and data",
    "telehealth",
    "health analytics",
    "pharmacy",
    "orthopaedics",
    "wellbeing",
    "research",
    "healthcare services",
    "public health",
]


@pytest.fixture
def fixtures_loaded(db):
    call_command("loaddata", *FIXTURES, verbosity=0)


@pytest.fixture
def source_dir():
    path = settings.SHARED_DATA_DIR
    if not (path / "leeds_organisations.csv").exists():
        pytest.skip(f"The shared source data is not at {path} (set HUBDIR_SHARED_DATA).")
    return path


def snapshot():
    """Every stored value of every fixture model, M2M links included, independent of history."""

    def values(obj):
        row = {
            f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.name != "search_vector"
        }
        for field in obj._meta.many_to_many:
            row[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
        return row

    return {model.__name__: [values(obj) for obj in model._base_manager.order_by("pk")] for model in MODELS}


def history_counts():
    return {model.__name__: model.history.count() for model in HISTORY_MODELS}


def test_the_fixtures_load_twice_without_changing_anything(fixtures_loaded):
    first, counts = snapshot(), history_counts()
    assert sum(len(rows) for rows in first.values()) > 150

    call_command("loaddata", *FIXTURES, verbosity=0)

    assert snapshot() == first
    assert history_counts() == counts


def test_loaddata_writes_no_history(fixtures_loaded):
    assert all(count == 0 for count in history_counts().values())


def test_the_sectors_are_exactly_the_nineteen_of_the_architecture(fixtures_loaded):
    names = list(Sector.objects.order_by("pk").values_list("name", flat=True))
    assert [name.lower() for name in names] == [name.lower() for name in ARCHITECTURE_SECTORS]
    assert Sector.objects.get(slug="ai-and-data").name == "AI and data"
    assert Sector.objects.get(slug="digital-health").name == "Digital health"
    assert not Sector.objects.filter(description="").exists()


def test_care_settings_and_regulatory_marks_are_the_reference_slugs(fixtures_loaded):
    assert set(CareSetting.objects.values_list("slug", flat=True)) == {
        "hospital",
        "primary-care",
        "community",
        "home",
        "social-care",
        "mental-health",
    }
    assert set(RegulatoryMark.objects.values_list("slug", flat=True)) == {
        "ukca-class-i",
        "ukca-class-iia",
        "ukca-class-iib",
        "ukca-class-iii",
        "ivd",
        "dtac-assessed",
        "nice-esf-tier-a",
        "nice-esf-tier-b",
        "nice-esf-tier-c",
        "dspt-standards-met",
    }
    assert not RegulatoryMark.objects.filter(description="").exists()


def test_every_csv_row_becomes_exactly_one_published_organisation(fixtures_loaded, source_dir):
    with open(source_dir / "leeds_organisations.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    assert Organisation.objects.count() == len(rows)
    for row in rows:
        organisation = Organisation.objects.get(name=row["name"])
        assert organisation.source_url == row["source_url"]
        assert organisation.status == "published"
        assert organisation.town == row["town_or_district"]
        assert not organisation.is_demo
        assert organisation.last_verified_on is None
        listed = {name.strip() for name in row["initiatives"].split(";") if name.strip()}
        assert set(organisation.memberships.values_list("initiative__name", flat=True)) == listed
    assert Membership.objects.count() == sum(
        len([n for n in r["initiatives"].split(";") if n.strip()]) for r in rows
    )


def test_every_initiative_row_is_loaded_with_its_source(fixtures_loaded, source_dir):
    with open(source_dir / "leeds_initiatives.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    assert Initiative.objects.count() == len(rows)
    for row in rows:
        initiative = Initiative.objects.get(name=row["name"])
        assert initiative.source_url == row["source_url"]
        assert initiative.kind == row["kind"]
        assert initiative.status == "published"


def test_hosts_parents_and_partners_follow_the_data(fixtures_loaded):
    leeds = Organisation.objects.get(name="University of Leeds")
    nexus = Initiative.objects.get(slug="nexus")
    assert list(nexus.hosts.all()) == [leeds]
    assert (
        Organisation.objects.get(slug="leeds-institute-for-data-analytics-university-of-leeds").parent
        == leeds
    )
    assert Organisation.objects.get(slug="nexus-university-of-leeds").parent == leeds
    assert Organisation.objects.get(name="University of Leeds").parent is None

    hub = Initiative.objects.get(slug="health-tech-innovation-hub")
    assert list(hub.hosts.values_list("slug", flat=True)) == ["leeds-teaching-hospitals-nhs-trust"]
    assert hub.partners_text == "Scarborough Group International"
    assert (
        "Leeds NHS organisations"
        in Initiative.objects.get(slug="leeds-academic-health-partnership").partners_text
    )

    incubator = Initiative.objects.get(slug="health-innovation-leeds-incubator")
    assert "nexus-university-of-leeds" in incubator.hosts.values_list("slug", flat=True)


def test_memberships_follow_the_initiatives_column(fixtures_loaded):
    def role(organisation, initiative):
        return Membership.objects.get(organisation__slug=organisation, initiative__slug=initiative).role

    assert role("pinpoint-data-science", "nexus") == "resident"
    assert role("3d-lifeprints", "ltht-innovation-pop-up") == "resident"
    assert role("university-of-leeds", "nexus") == "partner"
    assert role("leeds-teaching-hospitals-nhs-trust", "healthtech-leeds") == "partner"
    assert role("leeds-health-and-care-academy", "leeds-academic-health-partnership") == "member"


def test_organisation_values_are_canonical_because_loaddata_skips_save(fixtures_loaded):
    for organisation in Organisation.objects.prefetch_related("sectors"):
        assert organisation.postcode == validators.normalise_postcode(organisation.postcode)
        assert organisation.postcode_district == validators.postcode_district(organisation.postcode)
        assert organisation.companies_house_number == validators.normalise_companies_house_number(
            organisation.companies_house_number
        )
        expected = " ".join(sorted(sector.name for sector in organisation.sectors.all()))
        assert organisation.sector_names == expected
        assert organisation.sectors.exists()
        assert organisation.published_at is not None
    emis = Organisation.objects.get(slug="emis-egton-medical-information-systems-ltd")
    assert (emis.postcode, emis.postcode_district, emis.companies_house_number) == (
        "LS19 6BA",
        "LS19",
        "02117205",
    )


def test_refreshing_sector_names_changes_nothing(fixtures_loaded):
    for organisation in Organisation.objects.all():
        stored = organisation.sector_names
        organisation.refresh_search_names()
        organisation.refresh_from_db()
        assert organisation.sector_names == stored


def test_local_authority_and_headquarters_come_from_the_place_words(fixtures_loaded):
    def get(slug):
        return Organisation.objects.get(slug=slug)

    assert get("emis-egton-medical-information-systems-ltd").local_authority == "leeds"
    assert get("avacta-group").local_authority == "leeds"  # Wetherby
    assert get("immedicare").local_authority == "bradford"  # Keighley
    assert get("locala-community-partnerships-cic").local_authority == "kirklees"  # Batley
    assert get("tunstall-healthcare").local_authority == "other"  # Selby
    assert get("emis-egton-medical-information-systems-ltd").headquartered_in_leeds
    assert not get("depuy-synthes").headquartered_in_leeds
    assert not get("dedalus").headquartered_in_leeds
    assert not get("tissue-regenix").headquartered_in_leeds


def test_alternative_names_hold_acronyms_and_former_names(fixtures_loaded):
    def alternatives(name):
        return Organisation.objects.get(name=name).alternative_names_list

    assert "LTHT" in alternatives("Leeds Teaching Hospitals NHS Trust")
    assert "HSCIC" in alternatives("NHS Digital")
    assert "DHSC" in alternatives("Department of Health and Social Care (DHSC)")
    assert "Neoligaments" in alternatives("Xiros (Neoligaments)")
    assert "Covance" in alternatives("Labcorp Drug Development (Harrogate site, formerly Covance)")
    assert alternatives("Nexus (University of Leeds)") == []


def test_care_settings_only_where_the_summary_says_so(fixtures_loaded):
    def settings_of(slug):
        return set(Organisation.objects.get(slug=slug).care_settings.values_list("slug", flat=True))

    assert settings_of("emis-egton-medical-information-systems-ltd") == {"primary-care"}
    assert settings_of("leeds-teaching-hospitals-nhs-trust") == {"hospital"}
    assert "mental-health" in settings_of("south-west-yorkshire-partnership-nhs-foundation-trust")
    assert "home" in settings_of("tunstall-healthcare")
    # Mentioning Leeds Teaching Hospitals as a partner does not make a blood test a hospital service.
    assert settings_of("pinpoint-data-science") == set()


def test_key_figures_are_present_with_their_source(fixtures_loaded):
    figures = {figure.slug: figure for figure in KeyFigure.objects.select_related("initiative")}
    values = {figure.value for figure in figures.values()}
    assert {
        "250+",
        ">£3bn",
        "~16,000",
        "third",
        "almost 2 in 100",
        "~4,000",
        "£13bn",
        "61%",
        "11,000+",
    } <= values
    assert "~3,000" in values
    for figure in figures.values():
        assert "From analogue to digital" in figure.source_name
        assert "Leeds Academic Health Partnership" in figure.source_name
        assert figure.source_url.startswith("http://www.propertynorthwales.net/from-analogue-to-digital")
    hub_figures = [f for f in figures.values() if f.initiative]
    assert {f.value for f in hub_figures} == {"~4,000", "£13bn"}
    assert {f.initiative.slug for f in hub_figures} == {"health-tech-innovation-hub"}
    assert figures["office-take-up"].as_of == datetime.date(2025, 3, 31)
    assert figures["office-take-up"].as_of_label == "Q1 2025"


def test_build_fixtures_reproduces_the_committed_fixtures(tmp_path, source_dir):
    call_command("build_fixtures", data_dir=source_dir, output_dir=tmp_path, verbosity=0)

    for name in BUILT_FIXTURES:
        assert filecmp.cmp(tmp_path / name, settings.BASE_DIR / "fixtures" / name, shallow=False), name


def test_build_fixtures_fails_loudly_on_an_unknown_sector(tmp_path, source_dir):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(source_dir / "leeds_initiatives.csv", data)
    text = (source_dir / "leeds_organisations.csv").read_text(encoding="utf-8")
    (data / "leeds_organisations.csv").write_text(
        text.replace("digital health; electronic health records", "astrology; electronic health records", 1),
        encoding="utf-8",
    )

    with pytest.raises(CommandError, match="unknown sector 'astrology'"):
        call_command("build_fixtures", data_dir=data, output_dir=tmp_path / "out", verbosity=0)
    assert not (tmp_path / "out").exists()
