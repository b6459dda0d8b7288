"""Whatever a visitor types into a public URL: never a 500, and nothing of it becomes markup."""

import pytest

from tests.factories import InitiativeFactory, MembershipFactory, OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db

PUBLIC_LIST_PATHS = ["/organisations/", "/sectors/medtech/"]

BAD_QUERIES = [
    "page=-1",
    "page=0",
    "page=99999999999999999999999",
    "page=abc",
    "page=%00",
    "page=1&page=2&page=x",
    "founded_min=abc&founded_max=nineteen",
    "founded_min=-5&founded_max=99999",
    "founded_min=2020&founded_max=1990",
    "founded_min=1e3",
    "q=" + "a" * 10_000,
    "q=%00",
    "q=acme%00health",
    "q=%00%00%00&sector=%00",
    "q=' OR 1=1 --",
    "q=%22; DROP TABLE organisations_organisation; --",
    "q=%27)) UNION SELECT password FROM auth_user --",
    "q=<script>alert(1)</script>",
    'q="><img src=x onerror=alert(1)>',
    "q=%22unclosed phrase",
    "q=-",
    "q=-acme",
    "q=***",
    "q=a OR OR b",
    "q=:*&q=|&q=!",
    "q=%E2%80%8F%F0%9F%98%80",
    "q=%ED%A0%80",
    "sector=<b>x</b>&sector=medtech&sector=medtech",
    "sector=&initiative=&type=&size=&district=",
    "type=company&type=nope&size=<i>&local_authority=atlantis",
    "district=LS1&district=<svg onload=alert(1)>&district=" + "9" * 500,
    "hq_leeds=<b>&hq_leeds=1",
    "sort=<script>&sort=name",
    "sort=relevance",
    "initiative=no-such&care_setting=nope&regulatory=nope",
    "utm_source=x&unknown=<b>bold</b>&%00=%00",
    "sector=" + "&sector=".join(f"s{n}" for n in range(200)),
]

MARKUP = ["<script>alert(1)", "<b>x</b>", "<img src=x", "<svg onload", "<b>bold</b>", "<i>"]


@pytest.fixture
def directory():
    sector = SectorFactory(name="Medtech", slug="medtech")
    for n in range(25):
        organisation = OrganisationFactory(name=f"Acme Health {n}", sectors=[sector], founded_year=1990 + n)
        if n % 5 == 0:
            MembershipFactory(organisation=organisation, initiative=InitiativeFactory())


@pytest.mark.parametrize("path", PUBLIC_LIST_PATHS)
@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_list_parameters_never_break_a_page(client, directory, path, query):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    page = response.content.decode()
    for fragment in MARKUP:
        assert fragment not in page


@pytest.mark.parametrize(
    "path",
    [
        "/organisations/no-such-organisation/",
        "/organisations/%00/",
        "/organisations/<script>/",
        "/organisations/" + "x" * 5000 + "/",
        "/sectors/no-such-sector/",
        "/sectors/%3Cb%3E/",
        "/initiatives/no-such-initiative/",
        "/initiatives/' OR 1=1/",
    ],
)
def test_unknown_or_malformed_slugs_are_not_found(client, directory, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/about/", "/privacy/", "/accessibility/", "/initiatives/"])
def test_site_pages_ignore_any_query_string(client, directory, path):
    response = client.get(f"{path}?q=<script>alert(1)</script>&page=-1&%00=%00")
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_a_search_is_echoed_escaped(client, directory):
    page = client.get("/organisations/?q=<b>acme</b>").content.decode()
    assert "&lt;b&gt;acme&lt;/b&gt;" in page
    assert "<b>acme</b>" not in page


def test_a_very_long_search_is_shortened_with_a_notice(client, directory):
    page = client.get("/organisations/?q=" + "acme " * 2000).content.decode()
    assert "shortened to 200 characters" in page
