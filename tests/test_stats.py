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
    assert "Not something the directory counts." in html


def test_the_stats_page_makes_one_query_per_dimension(client, directory, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert client.get("/stats/").status_code == 200


def test_an_empty_directory_still_has_a_stats_page(client):
    response = client.get("/stats/")

    assert response.status_code == 200
    assert "Nothing to count yet." in response.content.decode()
