"""Hostile and random input to every public URL, API endpoint and public form.

Nothing may answer 5xx, and nothing from the input may ever become an element or attribute.
"""

import urllib.parse
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organisations.models import Sector

from .factories import InitiativeFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

# The markers hostile values carry: if the page ever holds such an element or attribute, the input
# became markup.
TAG_NAME = "hubdirx"
ATTR_NAME = "hubdirxattr"
HOSTILE = [
    "<hubdirx>",
    '"><hubdirx hubdirxattr=1>',
    "' hubdirxattr='1",
    "<script>alert(1)</script>",
    "'; DROP TABLE organisations_organisation; --",
    "1 OR 1=1",
    "\x00",
    "%00",
    "\u202e\u200b\u0007",
    "../../etc/passwd",
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    '"unterminated',
    "a" * 10_000,
    "🙂" * 500,
    "*",
    "NEAR(",
    "AND OR NOT",
]
PARAMS = [
    "q",
    "sector",
    "initiative",
    "care_setting",
    "regulatory",
    "type",
    "size",
    "local_authority",
    "district",
    "hq_leeds",
    "founded_min",
    "founded_max",
    "sort",
    "page",
    "page_size",
    "modified_after",
    "format",
    "unknown",
]
values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300))
query_strings = st.lists(st.tuples(st.sampled_from(PARAMS), values), max_size=8)

PUBLIC_LIST_URLS = [
    "/",
    "/organisations/",
    "/organisations/export.csv",
    "/stats/",
    "/initiatives/",
    "/api/organisations/",
    "/api/initiatives/",
    "/api/sectors/",
    "/api/care-settings/",
    "/api/regulatory-marks/",
    "/api/key-figures/",
    "/sitemap.xml",
    "/feeds/organisations.atom",
    "/suggest/",
    "/about/",
]


@pytest.fixture
def directory(db):
    sector = Sector.objects.create(name="Medtech", slug="medtech")
    org = OrganisationFactory(name="Fuzz Target Ltd", slug="fuzz-target", sectors=[sector], founded_year=2001)
    MembershipFactory(organisation=org, initiative=InitiativeFactory(slug="nexus", name="Nexus"))
    return org


class MarkupFromInput(HTMLParser):
    """Collects any element or attribute that the hostile values would create if left unescaped."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag == TAG_NAME:
            self.found.append(f"<{tag}>")
        self.found += [f"{tag}[{name}]" for name, _ in attrs if name == ATTR_NAME]


def assert_safe(response, sent):
    assert response.status_code < 500, (response.status_code, sent)
    # Read to the end, as a client does: a streamed export is finished (and stored) when it is read.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if "html" not in content_type:
        return
    parser = MarkupFromInput()
    parser.feed(body.decode("utf-8", "replace"))
    assert not parser.found, (parser.found, sent)


def fuzz_settings(examples):
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.mark.parametrize("url", PUBLIC_LIST_URLS)
def test_public_urls_survive_hostile_query_strings(client, directory, url):
    @fuzz_settings(25)
    @given(pairs=query_strings)
    def check(pairs):
        query = urllib.parse.urlencode(pairs)
        assert_safe(client.get(f"{url}?{query}"), query)

    check()


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "template",
    [
        "/organisations/{}/",
        "/organisations/{}/suggest-update/",
        "/initiatives/{}/",
        "/sectors/{}/",
        "/api/organisations/{}/",
        "/api/initiatives/{}/",
    ],
)
def test_hostile_slugs_never_break_a_page(client, directory, template, value):
    path = template.format(urllib.parse.quote(value, safe=""))
    assert_safe(client.get(path), path)


@pytest.mark.parametrize("url", ["/organisations/", "/api/organisations/", "/organisations/export.csv"])
def test_known_pages_survive_each_hostile_value_in_every_parameter_at_once(client, directory, url):
    # Every parameter, repeated, carries the same value: each parser meets each hostile value once.
    for value in HOSTILE:
        query = urllib.parse.urlencode([(name, value) for name in PARAMS for _ in range(2)])
        assert_safe(client.get(f"{url}?{query}"), f"{url}?{query}")


SUGGEST_FIELDS = [
    "name",
    "website",
    "summary",
    "town",
    "sectors",
    "submitter_name",
    "submitter_email",
    "message",
    "email",
    "description",
    "postcode",
]


def test_public_forms_survive_hostile_values(client, directory, settings):
    # Rate limiting would answer 429 after a few posts, so each example posts from its own address.
    counter = iter(range(1, 10**6))

    @fuzz_settings(40)
    @given(data=st.dictionaries(st.sampled_from(SUGGEST_FIELDS), values, max_size=len(SUGGEST_FIELDS)))
    def check(data):
        n = next(counter)
        address = f"198.51.{n // 250 % 250}.{n % 250}"  # documentation range: a label, never contacted
        for url in ["/suggest/", f"/organisations/{directory.slug}/suggest-update/"]:
            assert_safe(client.post(url, data, REMOTE_ADDR=address), (url, data))

    check()
