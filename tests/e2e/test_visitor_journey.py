"""A visitor's journey through the directory in a real browser: search, typo tolerance,
"Did you mean", filters and their chips, paging, profile to initiative, CSV download."""

import csv
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.db.models import Count, Q

from initiatives.models import Initiative
from organisations.models import Organisation, Sector, Status

pytestmark = pytest.mark.e2e


def query_of(page):
    return parse_qs(urlparse(page.url).query)


def result_names(page):
    """The organisation names on a results page, in order (each result card's heading link)."""
    return [name.strip() for name in page.locator("main article h2, main article h3").all_inner_texts()]


def search_from_home(page, text):
    page.goto("/")
    # The header's search box, the home page's only one (a combobox once the type-ahead runs).
    box = page.locator("header input[name=q]")
    box.fill(text)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/organisations/\?"))


def misspell(word):
    # Drop one letter from the middle: what a hurried typist does.
    middle = len(word) // 2
    return word[:middle] + word[middle + 1 :]


def distinctive_word():
    """A long word found in exactly one published organisation's name, and that organisation."""
    names = list(Organisation.objects.published().values_list("name", flat=True))
    words = {}
    for name in names:
        for word in set(re.findall(r"[A-Za-z]{8,}", name)):
            words.setdefault(word.lower(), []).append(name)
    word, owners = sorted(((w, n) for w, n in words.items() if len(n) == 1), key=lambda item: -len(item[0]))[
        0
    ]
    return word, owners[0]


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="typo tolerance needs PostgreSQL's pg_trgm; SQLite's FTS5 search has none (README)",
)
def test_a_visitor_finds_an_organisation_despite_a_misspelling(site, page):
    word, name = distinctive_word()
    typo = misspell(word)
    assert not Organisation.objects.published().filter(name__icontains=typo).exists()

    search_from_home(page, typo)

    assert query_of(page)["q"] == [typo]
    assert name in result_names(page), f"{typo!r} (for {word!r}) did not find {name!r}: {result_names(page)}"
    page.get_by_role("link", name=name, exact=True).first.click()
    assert page.locator("h1").inner_text().strip() == name


def typos(word):
    middle = len(word) // 2
    yield word[:middle] + word[middle + 1 :]  # a dropped letter
    yield word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]  # swapped letters
    yield word[:-1]  # the last letter missing


def query_with_no_results_but_a_correction():
    """A misspelling of a word from the directory that finds nothing as typed, yet has a correction.

    Chosen from the data rather than written down, because each engine tolerates different typos
    (PostgreSQL's trigrams find most single typos by themselves).
    """
    from organisations.search import did_you_mean, search

    published = Organisation.objects.published()
    text = " ".join(" ".join(row) for row in published.values_list("name", "summary", "sector_names"))
    for word in sorted({w.lower() for w in re.findall(r"[A-Za-z]{7,}", text)}):
        for typo in typos(word):
            if not search(published, typo).exists() and did_you_mean(typo):
                return typo
    raise AssertionError("no misspelling of the directory's words lacks results but has a correction")


def test_a_visitor_follows_did_you_mean_when_nothing_matches(site, page):
    typo = query_with_no_results_but_a_correction()
    search_from_home(page, typo)
    assert result_names(page) == [], f"{typo!r} unexpectedly matched {result_names(page)}"

    suggestion = page.locator("main").get_by_text(re.compile(r"Did you mean", re.I)).first
    assert suggestion.is_visible()
    link = suggestion.get_by_role("link")
    corrected = link.inner_text().strip()
    assert corrected and corrected != typo
    link.click()
    page.wait_for_load_state()
    assert query_of(page)["q"] == [corrected]
    assert result_names(page), f"the suggested query {corrected!r} found nothing"


def busiest_sector_and_initiative():
    """A sector and an initiative that share several published organisations."""
    pairs = (
        Organisation.objects.published()
        .values("sectors__slug", "sectors__name", "initiatives__slug", "initiatives__name")
        .exclude(sectors=None)
        .exclude(initiatives=None)
        .filter(initiatives__status=Status.PUBLISHED)
        .annotate(n=Count("pk"))
        .order_by("-n", "sectors__slug", "initiatives__slug")
    )
    return pairs.first()


def check_filter(page, facet, label):
    """Tick a filter option by its visible label within its group, opening the group if it is closed."""
    group = page.locator(f"details.facet[data-facet='{facet}']")
    if group.get_attribute("open") is None:
        group.locator("summary").first.click()
    group.get_by_label(label, exact=False).first.check()


def apply_filters(page):
    # The filter panel's own button, not the search box's in the header.
    page.locator("main").get_by_role("button", name=re.compile(r"^show \d+ results?$", re.I)).click()
    page.wait_for_load_state()


def test_a_visitor_filters_by_sector_and_initiative_removes_a_chip_and_pages(site, page):
    pair = busiest_sector_and_initiative()
    both = set(
        Organisation.objects.published()
        .filter(sectors__slug=pair["sectors__slug"])
        .filter(initiatives__slug=pair["initiatives__slug"])
        .values_list("name", flat=True)
    )

    page.goto("/organisations/")
    check_filter(page, "sector", pair["sectors__name"])
    check_filter(page, "initiative", pair["initiatives__name"])
    apply_filters(page)

    query = query_of(page)
    assert query["sector"] == [pair["sectors__slug"]] and query["initiative"] == [pair["initiatives__slug"]]
    shown = result_names(page)
    assert shown and set(shown) <= both, f"expected only {sorted(both)}, got {shown}"

    # Each active filter is a chip that removes just that filter.
    chip = page.get_by_role("link", name=re.compile(re.escape(pair["sectors__name"]), re.I)).filter(
        has_text=re.compile(r"remove|×|✕", re.I)
    )
    chip.or_(
        page.locator(f"a[aria-label*='{pair['sectors__name']}' i][aria-label*='remove' i]")
    ).first.click()
    page.wait_for_load_state()
    query = query_of(page)
    assert "sector" not in query and query["initiative"] == [pair["initiatives__slug"]]

    # Paging keeps the filters; the busiest sector fills more than one page.
    sector = (
        Sector.objects.annotate(n=Count("organisations", filter=Q(organisations__status=Status.PUBLISHED)))
        .order_by("-n")
        .first()
    )
    page.goto(f"/organisations/?sector={sector.slug}")
    first_page = result_names(page)
    next_link = page.get_by_role("link", name=re.compile(r"^\s*next", re.I)).first
    assert next_link.is_visible(), f"{sector.n} results for {sector.slug} but no Next link"
    next_link.click()
    page.wait_for_load_state()
    assert query_of(page)["page"] == ["2"] and query_of(page)["sector"] == [sector.slug]
    second_page = result_names(page)
    assert second_page and not set(second_page) & set(first_page)


def test_a_visitor_opens_a_profile_and_follows_to_an_initiative(site, page):
    membership_org = (
        Organisation.objects.published().filter(initiatives__status=Status.PUBLISHED).order_by("name").first()
    )
    initiative = Initiative.objects.published().filter(members=membership_org).order_by("name").first()

    search_from_home(page, membership_org.name)
    page.get_by_role("link", name=membership_org.name, exact=True).first.click()
    page.wait_for_url(f"**{membership_org.get_absolute_url()}")
    assert page.locator("h1").inner_text().strip() == membership_org.name

    page.locator("main").get_by_role("link", name=initiative.name, exact=True).first.click()
    page.wait_for_url(f"**{initiative.get_absolute_url()}")
    assert page.locator("h1").inner_text().strip() == initiative.name
    assert page.locator("main").get_by_role("link", name=membership_org.name, exact=True).count() >= 1


def test_a_visitor_downloads_the_filtered_list_as_csv(site, page):
    from organisations.csv import CSV_COLUMNS

    sector = Sector.objects.filter(organisations__status=Status.PUBLISHED).order_by("name").first()
    expected = sorted(
        Organisation.objects.published().filter(sectors=sector).values_list("name", flat=True), key=str.lower
    )
    page.goto(f"/organisations/?sector={sector.slug}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"csv", re.I)).first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[0] == list(CSV_COLUMNS)
    names = [row[0] for row in rows[1:]]
    assert sorted(names, key=str.lower) == expected
