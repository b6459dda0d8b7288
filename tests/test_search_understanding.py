"""How search reads what people type, the same on both engines: acronyms and short words match
whole words only, stop words are not searched, long queries are cut with a notice, places match
the organisation's location, topics rank tagged organisations first, and naming an initiative
finds its members."""

import pytest
from django.db import connection

from organisations.models import Organisation
from organisations.search import prepare, search
from organisations.search.query import MAX_WORDS, parse_query
from tests.factories import (
    CareSettingFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def names(q, queryset=None):
    return list(search(queryset or Organisation.objects.published(), q).values_list("name", flat=True))


# --- Acronyms and short words --------------------------------------------------------------------


def test_an_acronym_never_matches_the_start_of_a_longer_word():
    OrganisationFactory(name="Airedale NHS Foundation Trust", summary="Hospital trust in Keighley.")
    tagged = OrganisationFactory(
        name="Pinpoint", sectors=[SectorFactory(name="AI and data", slug="ai-and-data")]
    )

    assert names("AI") == [tagged.name]
    assert names("ai") == [tagged.name]


def test_an_acronym_matches_the_word_as_written_not_its_stem():
    about = OrganisationFactory(name="Evidence Ltd", summary="Helps companies meet NICE guidance.")
    OrganisationFactory(name="Nicely Done", summary="Works nicely with hospitals.")

    assert names("NICE") == [about.name]


def test_an_ordinary_last_word_still_matches_as_a_prefix():
    radiology = OrganisationFactory(name="Yorkshire Imaging", summary="Radiology reporting.")

    assert names("radi") == [radiology.name]
    assert names("yorkshire radiol") == [radiology.name]


def test_a_short_word_matches_whole_words_only():
    gp = OrganisationFactory(name="Leeds GP Confederation", summary="General practice.")
    OrganisationFactory(name="Gpsoft", summary="Navigation software.")

    assert names("gp") == [gp.name]


def test_stop_words_are_not_searched():
    university = OrganisationFactory(name="University of Leeds")
    OrganisationFactory(name="Leeds Beckett University", summary="A university.")

    assert names("the university of leeds")[0] == university.name
    assert names("the of and") == []


def test_a_query_is_cut_to_its_first_words_with_a_count_of_the_rest():
    parsed = parse_query(" ".join(f"word{n}" for n in range(MAX_WORDS + 5)))

    assert sum(len(c.words) for c in parsed.clauses) == MAX_WORDS
    assert parsed.dropped == 5


def test_the_list_page_says_when_words_were_left_out(client):
    OrganisationFactory(name="Leeds Imaging")
    words = "leeds " + " ".join(f"extra{n}" for n in range(MAX_WORDS + 2))

    page = client.get("/organisations/", {"q": words}).content.decode()

    assert f"Only the first {MAX_WORDS} words were searched." in page


# --- Places --------------------------------------------------------------------------------------


def test_a_postcode_district_finds_the_organisations_located_there_and_no_other_district():
    ls1 = OrganisationFactory(name="City Centre Health", postcode="LS1 4AP")
    OrganisationFactory(name="Horsforth Health", postcode="LS18 4AP")

    assert names("LS1") == [ls1.name]
    assert names("ls1") == [ls1.name]
    assert names("LS1 4AP") == [ls1.name]
    assert names("ls14ap") == [ls1.name]


def test_a_town_or_local_authority_finds_the_organisations_located_there():
    harrogate = OrganisationFactory(name="Spa Diagnostics", town="Harrogate", local_authority="harrogate")
    keighley = OrganisationFactory(name="Hilltop Care", town="Keighley", local_authority="bradford")
    OrganisationFactory(name="Aire Digital", town="Leeds", local_authority="leeds")

    assert names("Harrogate") == [harrogate.name]
    assert names("Bradford") == [keighley.name]


def test_a_place_combines_with_other_words():
    ai = SectorFactory(name="AI and data", slug="ai-and-data")
    medtech = SectorFactory(name="Medtech", slug="medtech")
    wanted = OrganisationFactory(
        name="Moor Analytics", town="Bradford", local_authority="bradford", sectors=[ai]
    )
    OrganisationFactory(name="Canal Analytics", town="Leeds", local_authority="leeds", sectors=[ai])
    OrganisationFactory(name="Moor Devices", town="Bradford", local_authority="bradford", sectors=[medtech])
    devices = OrganisationFactory(name="St James Devices", postcode="LS9 7TF", sectors=[medtech])

    assert names("AI Bradford") == [wanted.name]
    assert names("medtech LS9") == [devices.name]


# --- Topics --------------------------------------------------------------------------------------


def test_naming_a_topic_ranks_tagged_organisations_above_passing_mentions():
    telehealth = SectorFactory(name="Telehealth", slug="telehealth")
    mention = OrganisationFactory(name="Alpha Software", description="Has worked on telehealth once.")
    tagged = OrganisationFactory(name="Zeta Care", sectors=[telehealth])

    assert names("telehealth") == [tagged.name, mention.name]


def test_care_settings_and_regulatory_marks_are_topics_too():
    home = CareSettingFactory(name="Mental health", slug="mental-health")
    mark = RegulatoryMarkFactory(name="DTAC assessed", slug="dtac-assessed")
    setting = OrganisationFactory(name="Mind Apps")
    setting.care_settings.set([home])
    marked = OrganisationFactory(name="Safe Apps")
    marked.regulatory_marks.set([mark])
    for organisation in (setting, marked):
        organisation.refresh_search_names()
    OrganisationFactory(name="Other Apps", description="A brief mention of mental health.")

    assert names("mental health")[0] == setting.name
    assert names("DTAC") == [marked.name]


def test_renaming_a_care_setting_changes_what_finds_its_organisations():
    setting = CareSettingFactory(name="Community", slug="community")
    organisation = OrganisationFactory(name="Ward Apps")
    organisation.care_settings.set([setting])
    organisation.refresh_search_names()

    setting.name = "Neighbourhood care"
    setting.save()

    assert names("neighbourhood") == [organisation.name]


# --- Initiatives ---------------------------------------------------------------------------------


def test_naming_an_initiative_finds_and_ranks_its_members():
    nexus = InitiativeFactory(name="Nexus")
    member = OrganisationFactory(name="Quiet Robotics", summary="Surgical robots.")
    MembershipFactory(organisation=member, initiative=nexus)
    mention = OrganisationFactory(name="Aardvark Labs", summary="Used to be based at Nexus.")
    OrganisationFactory(name="Unrelated")

    assert names("Nexus members") == [member.name, mention.name]
    assert names("nexus") == [member.name, mention.name]


def test_an_unpublished_initiative_is_not_named():
    hidden = InitiativeFactory(name="Hidden Hub", status="draft")
    member = OrganisationFactory(name="Quiet Robotics")
    MembershipFactory(organisation=member, initiative=hidden)

    assert names("hidden hub") == []


# --- Both engines --------------------------------------------------------------------------------


def test_a_prepared_plan_gives_the_same_results_as_the_query():
    OrganisationFactory(name="Leeds Imaging", summary="Radiology.")
    OrganisationFactory(name="Leeds Pharmacy")

    assert names(prepare("leeds radiology")) == names("leeds radiology") == ["Leeds Imaging"]


@pytest.mark.parametrize(
    "q",
    [
        "health " * 12,
        " ".join(f"zq{n}xw" for n in range(40)),
        "a OR b OR c OR d OR e OR f OR g OR h OR i OR j OR k OR l OR m",
        "-x -y -z",
        '"" "" ""',
        "LS1 BD7 WF1 HD2 YO31 HG1",
        "nhs nhs nhs nhs nhs nhs nhs nhs nhs nhs nhs nhs nhs",
    ],
)
def test_long_and_hostile_queries_still_answer(q):
    OrganisationFactory(name="Leeds Health", summary="Health software.")

    assert len(names(q)) <= 1


@pytest.mark.parametrize(
    "q",
    ["health software leeds", "pharmacey2u leeds", "zqxwv zqxwv zqxwv zqxwv zqxwv", "hospital OR health -x"],
)
@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
def test_postgresql_never_runs_the_search_on_every_row(q):
    OrganisationFactory.create_batch(30, summary="Health software in Leeds.")
    with connection.cursor() as cursor:
        # As on a large table: the planner must find the GIN indexes worth using.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("ANALYZE organisations_organisation")
    # Every organisation, so that no other index can stand in for the search's own.
    queryset = search(Organisation.objects.all(), q)

    plan = queryset.explain()

    assert "Seq Scan on organisations_organisation" not in plan, plan
    assert "Bitmap Index Scan on org_search_vector_gin" in plan, plan
