import csv
import filecmp
import shutil

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from core import validators
from initiatives.models import Initiative, KeyFigure, Membership
from organisations.models import CareSetting, Organisation, RegulatoryMark, Sector

FIXTURE_DIR = settings.BASE_DIR / "fixtures"
# As a shell expands `fixtures/*.json`: alphabetical.
GLOB_ORDER = sorted(str(path) for path in FIXTURE_DIR.glob("*.json"))
BUILT_FIXTURES = ["organisations.json", "key_figures.json"]
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
    call_command("loaddata", *GLOB_ORDER, verbosity=0)


@pytest.fixture
def source_dir():
    path = settings.SHARED_DATA_DIR
    if not (path / "leeds_organisations.csv").exists():
        pytest.skip(f"The shared source data is not at {path} (set HUBDIR_SHARED_DATA).")
    return path


def read_rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def split(cell):
    return [part.strip() for part in cell.split(";") if part.strip()]


@pytest.fixture
def organisation_rows(source_dir):
    return read_rows(source_dir / "leeds_organisations.csv")


@pytest.fixture
def copied_data(tmp_path, source_dir):
    """A copy of the shared data to change one cell of; returns a function that edits a file."""
    data = tmp_path / "data"
    data.mkdir()
    for path in source_dir.glob("*.csv"):
        shutil.copy(path, data)

    def edit(name, old, new):
        path = data / name
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return data

    edit.data = data
    return edit


def build(data, output):
    call_command("build_fixtures", data_dir=data, output_dir=output, verbosity=0)


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


# --- Loading -----------------------------------------------------------------------------------------


def test_the_fixture_files_are_the_reference_data_the_entries_and_the_key_figures():
    assert [path.rsplit("/", 1)[1] for path in GLOB_ORDER] == [
        "care_settings.json",
        "key_figures.json",
        "organisations.json",
        "regulatory_marks.json",
        "sectors.json",
        "synonyms.json",
    ]


@pytest.mark.parametrize("order", ["glob", "reversed"])
def test_the_fixtures_load_in_any_order_on_an_empty_database(db, order):
    files = GLOB_ORDER if order == "glob" else list(reversed(GLOB_ORDER))

    call_command("loaddata", *files, verbosity=0)
    call_command("rebuild_search_index", verbosity=0)

    assert Organisation.objects.count() == 110
    assert Membership.objects.filter(
        organisation__slug="university-of-leeds", initiative__slug="nexus"
    ).exists()
    assert KeyFigure.objects.get(slug="innovation-hub-jobs").initiative.slug == "health-tech-innovation-hub"
    assert Organisation.objects.get(slug="emis").sectors.count() == 3
    assert Organisation.objects.get(slug="nexus").parent.slug == "university-of-leeds"
    assert Organisation.objects.get(slug="nhs-digital").merged_into.slug == "nhs-england"
    assert "leeds-teaching-hospitals-nhs-trust" in Organisation.objects.search("LTHT").values_list(
        "slug", flat=True
    )


def test_the_fixtures_load_twice_without_changing_anything(fixtures_loaded):
    first, counts = snapshot(), history_counts()
    assert sum(len(rows) for rows in first.values()) > 150

    call_command("loaddata", *GLOB_ORDER, verbosity=0)

    assert snapshot() == first
    assert history_counts() == counts


def test_loaddata_writes_no_history(fixtures_loaded):
    assert all(count == 0 for count in history_counts().values())


def test_load_initial_data_loads_every_fixture_file(db):
    call_command("load_initial_data", verbosity=0)
    loaded = {"organisations.json", "key_figures.json", "sectors.json"}
    assert loaded <= {path.rsplit("/", 1)[1] for path in GLOB_ORDER}
    assert Organisation.objects.count() == 110
    assert Initiative.objects.count() == 10
    assert KeyFigure.objects.count() == 14


# --- Reference data ----------------------------------------------------------------------------------


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


# --- Organisations: every column mapped one to one ----------------------------------------------------


def test_every_csv_row_becomes_exactly_one_published_organisation(fixtures_loaded, organisation_rows):
    assert len(organisation_rows) == 110
    assert Organisation.objects.count() == len(organisation_rows)
    for row in organisation_rows:
        organisation = Organisation.objects.get(name=row["name"])
        assert organisation.status == "published"
        assert organisation.source_url == row["source_url"]
        assert organisation.summary == row["summary"]
        assert organisation.website == row["website"]
        assert organisation.town == row["town_or_district"]
        assert organisation.organisation_type == row["organisation_type"]
        assert not organisation.is_demo
        assert organisation.last_verified_on is None
        listed = set(split(row["initiatives"]))
        assert set(organisation.memberships.values_list("initiative__name", flat=True)) == listed
    assert Membership.objects.count() == sum(len(split(row["initiatives"])) for row in organisation_rows)


def test_names_legal_names_and_alternative_names_come_from_their_columns(fixtures_loaded, organisation_rows):
    for row in organisation_rows:
        organisation = Organisation.objects.get(name=row["name"])
        assert organisation.legal_name == row["legal_name"]
        assert organisation.alternative_names_list == split(row["alternative_names"])
    radar = Organisation.objects.get(slug="radar-healthcare")
    assert (radar.name, radar.legal_name, radar.alternative_names) == (
        "Radar Healthcare",
        "Smartgate Solutions Ltd",
        "",
    )
    tpp = Organisation.objects.get(slug="tpp")
    assert tpp.legal_name == "The Phoenix Partnership (Leeds) Ltd"
    assert "(" not in tpp.name


def test_parents_local_authorities_and_care_settings_come_from_their_columns(
    fixtures_loaded, organisation_rows
):
    for row in organisation_rows:
        organisation = Organisation.objects.select_related("parent").get(name=row["name"])
        assert (organisation.parent.name if organisation.parent else "") == row["parent"]
        assert organisation.local_authority == row["local_authority"]
        settings_of = set(organisation.care_settings.values_list("slug", flat=True))
        assert settings_of == set(split(row["care_settings"]))
    assert Organisation.objects.get(slug="tunstall-healthcare").local_authority == "selby"
    assert Organisation.objects.get(slug="leeds-test-objects").local_authority == ""


def test_headquarters_yes_is_true_and_no_or_blank_is_false(fixtures_loaded, organisation_rows):
    seen = set()
    for row in organisation_rows:
        organisation = Organisation.objects.get(name=row["name"])
        assert organisation.headquartered_in_leeds is (row["headquartered_in_leeds"] == "yes")
        seen.add(row["headquartered_in_leeds"])
    assert seen == {"yes", "no", ""}


def test_a_merged_organisation_keeps_its_entry_with_its_successor(fixtures_loaded, organisation_rows):
    former = [row for row in organisation_rows if row["status"] != "current"]
    assert [(row["name"], row["status"], row["successor"]) for row in former] == [
        ("NHS Digital", "merged", "NHS England")
    ]
    nhs_digital = Organisation.objects.get(slug="nhs-digital")
    assert nhs_digital.status == "published"
    assert nhs_digital.lifecycle == "merged"
    assert nhs_digital.merged_into == Organisation.objects.get(slug="nhs-england")
    assert nhs_digital.successor_text == ""
    # No column states when it merged: no year is recorded.
    assert nhs_digital.ended_year is None
    assert Organisation.objects.exclude(slug="nhs-digital").filter(lifecycle="current").count() == 109


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
    emis = Organisation.objects.get(slug="emis")
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


# --- Initiatives, memberships and key figures ---------------------------------------------------------


def test_every_initiative_row_is_loaded_with_its_hosts_and_source(fixtures_loaded, source_dir):
    rows = read_rows(source_dir / "leeds_initiatives.csv")

    assert Initiative.objects.count() == len(rows)
    for row in rows:
        initiative = Initiative.objects.get(name=row["name"])
        assert initiative.source_url == row["source_url"]
        assert initiative.kind == row["kind"]
        assert initiative.status == "published"
        hosts = set(initiative.hosts.values_list("name", flat=True))
        partners = set(split(initiative.partners_text))
        assert hosts | partners == set(split(row["host_organisations"]))
        assert not hosts & partners
        # No column says who runs an initiative: the organisation listed under its own name does.
        same_name = Organisation.objects.filter(name__iexact=row["name"]).first()
        assert initiative.operator == same_name


def test_an_initiative_and_the_organisation_of_the_same_name_are_one_body_run_by_it(fixtures_loaded):
    operated = dict(Initiative.objects.filter(operator__isnull=False).values_list("slug", "operator__slug"))
    assert operated == {
        "nexus": "nexus",
        "leeds-academic-health-partnership": "leeds-academic-health-partnership",
    }


def test_hosts_are_linked_where_listed_and_kept_as_text_where_not(fixtures_loaded):
    assert list(Initiative.objects.get(slug="nexus").hosts.values_list("slug", flat=True)) == [
        "university-of-leeds"
    ]
    hub = Initiative.objects.get(slug="health-tech-innovation-hub")
    assert list(hub.hosts.values_list("slug", flat=True)) == ["leeds-teaching-hospitals-nhs-trust"]
    assert hub.partners_text == "Scarborough Group International"
    incubator = Initiative.objects.get(slug="health-innovation-leeds-incubator")
    assert "nexus" in incubator.hosts.values_list("slug", flat=True)


def test_a_host_is_a_partner_and_every_other_member_a_member(fixtures_loaded):
    def role(organisation, initiative):
        return Membership.objects.get(organisation__slug=organisation, initiative__slug=initiative).role

    assert role("university-of-leeds", "nexus") == "partner"
    assert role("leeds-teaching-hospitals-nhs-trust", "healthtech-leeds") == "partner"
    # The data gives no role: a company at Nexus is a member, not guessed to be a resident.
    assert role("pinpoint-data-science", "nexus") == "member"
    assert role("leeds-health-and-care-academy", "leeds-academic-health-partnership") == "member"


def test_every_key_figure_row_is_loaded_with_its_source(fixtures_loaded, source_dir):
    rows = read_rows(source_dir / "leeds_key_figures.csv")
    assert len(rows) == 14
    assert KeyFigure.objects.count() == len(rows)
    for order, row in enumerate(rows, start=1):
        figure = KeyFigure.objects.select_related("initiative").get(slug=row["slug"])
        assert (figure.label, figure.value, figure.as_of_label) == (
            row["label"],
            row["value"],
            row["as_of_label"],
        )
        assert (figure.source_name, figure.source_url) == (row["source_name"], row["source_url"])
        assert (figure.initiative.slug if figure.initiative else "") == row["initiative"]
        assert figure.order == order
        # The data words the period ("Q1 2025"); no date is made up from it.
        assert figure.as_of is None
    leeds_share = KeyFigure.objects.get(slug="leeds-share-of-regional-healthtech")
    assert leeds_share.value == "144"
    assert "250 healthtech businesses" in leeds_share.label
    assert "Leeds Academic Health Partnership" in leeds_share.source_name


# --- Building --------------------------------------------------------------------------------------


def test_build_fixtures_reproduces_the_committed_fixtures(tmp_path, source_dir):
    build(source_dir, tmp_path)

    for name in BUILT_FIXTURES:
        assert filecmp.cmp(tmp_path / name, FIXTURE_DIR / name, shallow=False), name


def test_build_fixtures_run_twice_gives_the_same_bytes(tmp_path, source_dir):
    build(source_dir, tmp_path / "first")
    build(source_dir, tmp_path / "second")

    for name in BUILT_FIXTURES:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


def test_facts_come_from_columns_not_from_summaries_or_towns(copied_data, tmp_path):
    # A summary that mentions hospitals and a town in Bradford change nothing the columns state.
    data = copied_data(
        "leeds_organisations.csv",
        "Software company in Horsforth that develops SystmOne",
        "Hospital software company in Horsforth near Bradford that develops SystmOne",
    )
    build(data, tmp_path / "out")
    built = (tmp_path / "out" / "organisations.json").read_text(encoding="utf-8")
    committed = (FIXTURE_DIR / "organisations.json").read_text(encoding="utf-8")

    changed = [
        (old, new) for old, new in zip(committed.splitlines(), built.splitlines(), strict=True) if old != new
    ]
    assert len(changed) == 1
    assert "Hospital software company" in changed[0][1]


def add_column(path, column, values):
    """Rewrite a CSV file with one more column, filled from {name: value}."""
    rows = read_rows(path)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*rows[0].keys(), column])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, column: values.get(row["name"], "")})


def test_optional_operator_and_ended_year_columns_are_mapped_where_present(copied_data, tmp_path, db):
    data = copied_data.data
    add_column(data / "leeds_initiatives.csv", "operator", {"Nexus": "University of Leeds"})
    add_column(data / "leeds_organisations.csv", "ended_year", {"NHS Digital": "2023"})
    build(data, tmp_path / "out")

    call_command("loaddata", "sectors", "care_settings", "regulatory_marks", verbosity=0)
    call_command("loaddata", str(tmp_path / "out" / "organisations.json"), verbosity=0)
    # The column wins over the organisation of the same name; without it, that organisation runs it.
    assert Initiative.objects.get(slug="nexus").operator == Organisation.objects.get(
        slug="university-of-leeds"
    )
    assert Initiative.objects.filter(operator__isnull=False).count() == 2
    assert Organisation.objects.get(slug="nhs-digital").ended_year == 2023
    assert Organisation.objects.filter(ended_year__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "leeds_organisations.csv",
            "digital health; electronic health records",
            "astrology; electronic health records",
            "leeds_organisations.csv line 2, sectors: unknown sector 'astrology'",
        ),
        (
            "leeds_organisations.csv",
            ",yes,leeds,primary-care; community,current,",
            ",perhaps,leeds,primary-care; community,current,",
            "line 2, headquartered_in_leeds: 'perhaps' is not one of",
        ),
        (
            "leeds_organisations.csv",
            ",yes,leeds,primary-care; community,current,",
            ",yes,leeds,primary-care; outer-space,current,",
            "line 2, care_settings: 'outer-space' is not one of",
        ),
        (
            "leeds_organisations.csv",
            ",yes,leeds,primary-care; community,current,",
            ",yes,leeds,primary-care; community,dormant,",
            "line 2, status: 'dormant' is not one of",
        ),
        (
            "leeds_organisations.csv",
            ",yes,leeds,primary-care; community,current,",
            ",yes,narnia,primary-care; community,current,",
            "line 2, local_authority: 'narnia' is not one of",
        ),
        (
            "leeds_organisations.csv",
            ",Nexus (University of Leeds),University of Leeds,",
            ",Nexus (University of Leeds),University of Atlantis,",
            "parent: 'University of Atlantis' is not an organisation in the file",
        ),
        (
            "leeds_organisations.csv",
            ",yes,leeds,primary-care; community,current,",
            ",yes,leeds,primary-care; community,current,NHS England",
            "line 2, successor: only a merged organisation has a successor",
        ),
        (
            "leeds_initiatives.csv",
            "Nexus,innovation_hub,",
            "Nexus,castle,",
            "leeds_initiatives.csv line 2, kind: 'castle' is not one of",
        ),
        (
            "leeds_key_figures.csv",
            ",2025,health-tech-innovation-hub,",
            ",2025,atlantis,",
            "leeds_key_figures.csv line 7, initiative: 'atlantis' is not an initiative's slug",
        ),
        (
            "leeds_organisations.csv",
            "Software company in Horsforth that",
            "Software company in Horsforth, Leeds, that",
            "leeds_organisations.csv line 3: more cells than columns",
        ),
        (
            "leeds_organisations.csv",
            "Leeds-based maker of electronic patient record software for GP practices",
            "x" * 401,
            "line 2, summary: 4.. characters, more than the 400 the field holds",
        ),
        (
            "leeds_organisations.csv",
            ",legal_name,alternative_names,",
            ",legal_names,alternative_names,",
            "leeds_organisations.csv has no legal_name column",
        ),
    ],
)
def test_build_fixtures_fails_loudly_and_writes_nothing(copied_data, tmp_path, name, old, new, message):
    data = copied_data(name, old, new)

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(data, tmp_path / "out")
    assert not (tmp_path / "out").exists()
