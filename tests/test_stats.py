import re

import pytest

from organisations.models import Organisation, Status
from tests.factories import (
    CareSettingFactory,
    InitiativeFactory,
    KeyFigureFactory,
    MembershipFactory,
    OrganisationFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    medtech = SectorFactory(name="Medtech", slug="medtech")
    digital = SectorFactory(name="Digital health", slug="digital-health")
    SectorFactory(name="Genomics", slug="genomics")  # no organisations: not charted
    hospital = CareSettingFactory(name="Hospital", slug="hospital")
    nexus = InitiativeFactory(name="Nexus", slug="nexus")
    for n in range(7):
        organisation = OrganisationFactory(
            sectors=[medtech] if n < 4 else [digital],
            organisation_type=Organisation.Type.COMPANY if n < 5 else Organisation.Type.NHS,
            headquartered_in_leeds=n < 3,
            employees_band="small" if n < 2 else "",
            founded_year=1995 + n if n < 6 else None,
        )
        if n < 2:
            organisation.care_settings.add(hospital)
            MembershipFactory(organisation=organisation, initiative=nexus)
    OrganisationFactory(sectors=[medtech], status=Status.DRAFT, headquartered_in_leeds=True)
    KeyFigureFactory(
        slug="health-tech-companies",
        label="health tech companies headquartered locally",
        value="250+",
        source_name="Savills blog",
        source_url="https://example.org/savills",
    )
    KeyFigureFactory(slug="sector-turnover", label="combined turnover", value=">£3bn", source_name="LAHP")
    return locals()


def row(html, href):
    """The count in the table row that links to `href`."""
    match = re.search(
        rf'<tr><th scope="row"><a href="{re.escape(href)}">[^<]*</a></th><td[^>]*>([\d,]+)</td></tr>', html
    )
    assert match, f"no table row links to {href}"
    return int(match.group(1).replace(",", ""))


def test_it_counts_published_organisations_by_each_dimension(client, directory):
    html = client.get("/stats/").content.decode()

    assert row(html, "/organisations/?sector=medtech") == 4
    assert row(html, "/organisations/?sector=digital-health") == 3
    assert "?sector=genomics" not in html
    assert row(html, "/organisations/?type=company") == 5
    assert row(html, "/organisations/?type=nhs") == 2
    assert row(html, "/organisations/?size=small") == 2
    assert row(html, "/organisations/?care_setting=hospital") == 2
    assert row(html, "/organisations/?local_authority=leeds") == 7
    assert row(html, "/organisations/?founded_min=1990&amp;founded_max=1999") == 5
    assert row(html, "/organisations/?founded_min=2000&amp;founded_max=2009") == 1
    assert row(html, "/organisations/?initiative=nexus") == 2


def test_every_number_matches_the_list_it_links_to(client, directory):
    html = client.get("/stats/").content.decode()

    for href, count in re.findall(
        r'<tr><th scope="row"><a href="(/organisations/\?[^"]+)">[^<]*</a></th><td[^>]*>([\d,]+)</td>', html
    ):
        page = client.get(href.replace("&amp;", "&"))
        assert page.context["paginator"].count == int(count), href


def test_the_charts_are_accessible_svg_with_a_link_per_bar(client, directory):
    html = client.get("/stats/").content.decode()

    bars = re.findall(r'<a class="bar-chart__row" href="([^"]+)">', html)
    assert "/organisations/?sector=medtech" in bars
    svgs = re.findall(r'<svg class="bar-chart__bar" role="img" aria-labelledby="([^"]+)"', html)
    assert len(svgs) == len(bars) > 0
    for label_id in svgs:
        assert f'<title id="{label_id}">' in html
    assert "<script" not in html.split("<main", 1)[1]


def test_reported_figures_show_their_source_beside_the_directory_count(client, directory):
    html = client.get("/stats/").content.decode()

    assert "250+" in html and "Savills blog" in html and 'href="https://example.org/savills"' in html
    assert "The directory lists 3 companies headquartered in Leeds." in html
    assert "/organisations/?type=company&amp;hq_leeds=1" in html
    assert "&gt;£3bn" in html
    # Where the directory counts nothing alike, its cell is empty rather than a placeholder.
    assert directory_cell(html, "combined turnover") == ("", None)


def test_the_stats_page_makes_one_query_per_dimension(client, directory, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert client.get("/stats/").status_code == 200


def test_an_empty_directory_still_has_a_stats_page(client):
    response = client.get("/stats/")

    assert response.status_code == 200
    page = response.content.decode()
    # Charts with nothing to count are left out rather than shown empty.
    assert "Nothing to count" not in page
    assert "stats-chart " not in page and "bar-chart" not in page


def directory_cell(html, label):
    """The "The directory" cell of the reported figure with this label: (its text, its link or None)."""
    match = re.search(
        rf"{re.escape(label)}(?: \([^)]*\))?</th>\s*<td[^>]*>(?:<a href=\"([^\"]+)\">)?([^<]*)(?:</a>)?</td>",
        html,
        re.S,
    )
    assert match, f"no reported figure labelled {label!r}"
    return match.group(2), match.group(1)


def words(html):
    """The page's text with tags dropped and white space collapsed, as a reader sees it."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",").replace(" .", ".")


@pytest.mark.parametrize(
    ("large", "sentence"),
    [
        (
            0,
            "The directory does not record headcounts, and none of its organisations states 250 or more employees.",
        ),
        (1, "The directory does not record headcounts; it lists 1 organisation employing 250 or more."),
        (2, "The directory does not record headcounts; it lists 2 organisations employing 250 or more."),
    ],
)
def test_the_large_employers_sentence_reads_right_for_0_1_and_2(client, large, sentence):
    KeyFigureFactory(slug="sector-employees", label="people employed in the sector", value="~16,000")
    for _ in range(large):
        OrganisationFactory(employees_band=Organisation.EmployeesBand.LARGE)
    OrganisationFactory(employees_band="small")

    html = client.get("/stats/").content.decode()

    text, link = directory_cell(html, "people employed in the sector")
    assert text == sentence
    # A link to an empty list helps nobody: zero is said, not linked.
    assert link == ("/organisations/?size=large" if large else None)
    assert "0 organisations" not in html


def test_zero_counts_beside_reported_figures_are_said_plainly_and_not_linked(client):
    nexus = InitiativeFactory(name="Nexus", slug="nexus")
    KeyFigureFactory(slug="health-tech-companies", label="companies headquartered locally")
    KeyFigureFactory(slug="nexus-residents", label="residents at Nexus", initiative=nexus)
    OrganisationFactory(organisation_type=Organisation.Type.NHS, headquartered_in_leeds=True)

    html = client.get("/stats/").content.decode()

    assert directory_cell(html, "companies headquartered locally") == (
        "The directory lists no company headquartered in Leeds.",
        None,
    )
    assert directory_cell(html, "residents at Nexus") == (
        "The directory lists no organisation at Nexus.",
        None,
    )


def test_a_single_member_or_company_is_counted_in_the_singular(client):
    nexus = InitiativeFactory(name="Nexus", slug="nexus")
    KeyFigureFactory(slug="health-tech-companies", label="companies headquartered locally")
    KeyFigureFactory(slug="nexus-residents", label="residents at Nexus", initiative=nexus)
    company = OrganisationFactory(organisation_type=Organisation.Type.COMPANY, headquartered_in_leeds=True)
    MembershipFactory(organisation=company, initiative=nexus)

    html = client.get("/stats/").content.decode()

    assert directory_cell(html, "companies headquartered locally") == (
        "The directory lists 1 company headquartered in Leeds.",
        "/organisations/?type=company&amp;hq_leeds=1",
    )
    assert directory_cell(html, "residents at Nexus") == (
        "The directory lists 1 organisation at Nexus.",
        "/organisations/?initiative=nexus",
    )


@pytest.mark.parametrize(
    ("organisations", "companies", "lead"),
    [
        (0, 0, "The directory lists no published organisations yet."),
        (1, 0, "The directory lists 1 published organisation. Every number"),
        (1, 1, "The directory lists 1 published organisation, a company. Every number"),
        (2, 1, "The directory lists 2 published organisations, 1 of them a company. Every number"),
        (2, 2, "The directory lists 2 published organisations, all of them companies. Every number"),
        (3, 2, "The directory lists 3 published organisations, 2 of them companies. Every number"),
    ],
)
def test_the_lead_sentence_reads_right_for_any_count(client, organisations, companies, lead):
    for n in range(organisations):
        kind = Organisation.Type.COMPANY if n < companies else Organisation.Type.CHARITY
        OrganisationFactory(organisation_type=kind)

    html = client.get("/stats/").content.decode()

    assert lead in words(html.split('<p class="stats__lead">', 1)[1].split("</p>", 1)[0])


@pytest.mark.parametrize(
    ("unstated", "note"),
    [
        (0, None),
        (1, "1 organisation does not state its size."),
        (2, "2 organisations do not state their size."),
    ],
)
def test_the_note_on_unstated_sizes_reads_right_for_0_1_and_2(client, unstated, note):
    OrganisationFactory(employees_band="small")
    for _ in range(unstated):
        OrganisationFactory(employees_band="")

    html = client.get("/stats/").content.decode()

    notes = re.findall(r'<p class="stats-chart__note">([^<]*)</p>', html)
    assert [n for n in notes if "size" in n] == ([note] if note else [])
    assert not any(n.startswith("0 ") for n in notes), notes


def test_every_section_of_the_stats_page_is_spaced_alike(client, directory):
    html = client.get("/stats/").content.decode()
    main = html.split("<main", 1)[1]

    sections = re.findall(r"<section\b[^>]*>", main)
    # The reported figures and every chart: one spacing class each, so each heading has the same space above.
    assert len(sections) == 8
    for tag in sections:
        assert re.search(r'class="section(?: [^"]*)?"', tag), tag


@pytest.mark.usefixtures("without_page_cache")  # reads the context of a repeated page
def test_every_chart_is_sorted_by_count_most_first(client, directory):
    for chart in client.get("/stats/").context["charts"]:
        counts = [row["count"] for row in chart["rows"]]
        assert counts == sorted(counts, reverse=True), chart["key"]
    decades = next(c for c in client.get("/stats/").context["charts"] if c["key"] == "founded")
    assert [row["label"] for row in decades["rows"]] == ["1990s", "2000s"]


@pytest.mark.usefixtures("without_page_cache")  # reads the context of a repeated page
def test_each_chart_keeps_its_table_behind_a_show_as_table_disclosure(client, directory):
    html = client.get("/stats/").content.decode()
    sections = html.split('<section class="section stats-chart"')[1:]
    assert len(sections) == len(client.get("/stats/").context["charts"]) > 0
    for section in sections:
        section = section[: section.index("</section>")]
        details = section[section.index('<details class="stats-chart__table">') :]
        assert details.startswith('<details class="stats-chart__table">\n      <summary>Show as table')
        assert "<table" in details and "<table" not in section[: section.index("<details")]


def test_chart_labels_may_wrap_between_words_but_never_inside_one(client):
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static/css/stats.css").read_text()
    assert "break-all" not in css and "overflow-wrap: anywhere" not in css
    label = re.search(r"^\.bar-chart__label \{([^}]*)\}", css, re.M).group(1)
    assert "overflow-wrap: normal" in label and "word-break: normal" in label


def test_reported_figures_name_each_source_once(client, directory):
    KeyFigureFactory(slug="other", label="another Savills figure", source_name="Savills blog")
    html = client.get("/stats/").content.decode()
    assert html.count(">Savills blog</a>") == 1
