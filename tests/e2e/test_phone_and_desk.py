"""The directory as visitors use it on a phone and a desk, in a real browser: the "Filters (n)" panel and
its "Show N results", the filter column on a desk, the table view, copying a link to the results, chart
labels that never break inside a word, everything without JavaScript, and the pages' heights on a phone
(written to test-artifacts/page-heights.json, and printed)."""

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.db.models import Count, Q

from organisations.models import Organisation, Sector, Status

from .helpers import DESKTOP, NARROWEST, format_violations, run_axe, screenshot

pytestmark = pytest.mark.e2e

# The phone of the brief: an iPhone SE's viewport.
SMALL_PHONE = {"width": 375, "height": 667}
HEIGHTS = Path(settings.BASE_DIR) / "test-artifacts" / "page-heights.json"
# The home page fits in two and a half phone screens.
HOME_SCREENS = 2.5


def query_of(page):
    return parse_qs(urlparse(page.url).query)


def busiest_sector():
    return (
        Sector.objects.annotate(n=Count("organisations", filter=Q(organisations__status=Status.PUBLISHED)))
        .order_by("-n", "name")
        .first()
    )


def listed_in(sector):
    return Organisation.objects.listed().filter(sectors=sector).count()


def document_height(page):
    return page.evaluate("() => document.documentElement.scrollHeight")


def results_in_view(page):
    """Whether the top of the results is on screen."""
    return page.evaluate(
        """() => {
            const box = document.getElementById('results').getBoundingClientRect();
            return box.top >= -1 && box.top < window.innerHeight;
        }"""
    )


def open_filters(page):
    page.locator(".filters-panel__toggle").click()
    page.locator(".filters").wait_for(state="visible")


def tick(page, facet, label):
    """Tick an option of a facet, opening the facet first if it is closed."""
    group = page.locator(f"details.facet[data-facet='{facet}']")
    if group.get_attribute("open") is None:
        group.locator("summary").first.click()
    group.get_by_label(re.compile(rf"^{re.escape(label)}\b")).first.check()


def test_page_heights_on_a_phone_are_recorded_and_the_home_page_fits_two_and_a_half_screens(
    site, new_context
):
    page = new_context(viewport=SMALL_PHONE).new_page()
    heights = {"viewport": SMALL_PHONE}

    page.goto("/")
    heights["home"] = document_height(page)
    screenshot(page, "phone-home")

    page.goto("/organisations/")
    heights["list"] = document_height(page)
    open_filters(page)
    heights["list with filters open"] = document_height(page)
    # What the visitor sees: the open panel with its footer at the foot of the screen (a full-page
    # picture would draw the sticky footer where the first screen ends).
    page.locator(".filters").scroll_into_view_if_needed()
    screenshot(page, "phone-list-filters-open", full_page=False)

    page.goto("/stats/")
    heights["stats"] = document_height(page)
    screenshot(page, "phone-stats")

    HEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    HEIGHTS.write_text(json.dumps(heights, indent=2) + "\n")
    print(f"\nPage heights at {SMALL_PHONE['width']}x{SMALL_PHONE['height']}: {json.dumps(heights)}")

    limit = HOME_SCREENS * SMALL_PHONE["height"]
    assert heights["home"] <= limit, f"the home page is {heights['home']}px tall on a phone, over {limit}px"


def test_on_a_phone_the_filters_open_from_a_button_and_show_n_results_lands_on_the_results(site, new_context):
    sector = busiest_sector()
    page = new_context(viewport=SMALL_PHONE).new_page()
    page.goto("/organisations/")
    toggle = page.locator(".filters-panel__toggle")
    assert " ".join(toggle.text_content().split()) == "Filters"
    assert not page.locator(".filters").is_visible(), "on a phone the filters start closed"
    # The button is compact: well under half the screen's height, and not the full panel.
    assert toggle.bounding_box()["height"] < 60

    open_filters(page)
    show = page.locator("[data-show-results]")
    total = Organisation.objects.listed().count()
    assert show.inner_text() == f"Show {total} results"
    # The footer stays on screen while the options scroll under it.
    page.evaluate(
        "() => window.scrollTo(0, document.querySelector('.filters').getBoundingClientRect().top + scrollY + 400)"
    )
    box = show.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= SMALL_PHONE["height"], box

    # Ticking a box does not reload the page; the footer says what the choice gives.
    tick(page, "sector", sector.name)
    expected = listed_in(sector)
    page.wait_for_function(
        "expected => document.querySelector('[data-show-results]').textContent === expected",
        arg=f"Show {expected} result{'s' if expected != 1 else ''}",
    )
    assert page.url.endswith("/organisations/")

    show.click()
    page.wait_for_url(re.compile(r"#results$"))
    assert query_of(page)["sector"] == [sector.slug]
    assert page.locator("#results-heading").inner_text().startswith(f"{expected} organisation")
    assert results_in_view(page), "after applying, the results should be in view"
    assert page.evaluate("() => document.activeElement.id") == "results"
    assert not page.locator(".filters").is_visible(), "the panel closes once applied"
    assert " ".join(page.locator(".filters-panel__toggle").text_content().split()) == "Filters (1 active)"


def test_on_a_desk_the_filter_column_stays_open_beside_the_results(site, new_context):
    page = new_context(viewport=DESKTOP).new_page()
    page.goto("/organisations/")
    assert page.locator(".filters").is_visible()
    assert not page.locator(".filters-panel__toggle").is_visible()
    filters, results = page.locator(".filters").bounding_box(), page.locator("#results").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"], "the filters sit beside the results"
    # Three or two cards a row beside the column.
    lefts = {round(box["x"]) for box in (card.bounding_box() for card in page.locator(".card").all()[:6])}
    assert len(lefts) >= 2
    legends = page.locator("details.facet > summary").all_inner_texts()
    assert legends[0].startswith("Type of organisation") and legends[1].startswith("Sector")


def test_cards_are_one_column_on_a_phone(site, new_context):
    page = new_context(viewport=SMALL_PHONE).new_page()
    page.goto("/organisations/")
    lefts = {round(box["x"]) for box in (card.bounding_box() for card in page.locator(".card").all()[:4])}
    assert len(lefts) == 1


def test_the_table_view_sorts_by_a_column_header(site, page):
    page.goto("/organisations/")
    page.get_by_role("link", name="Table").click()
    page.wait_for_url(re.compile(r"view=table"))
    table = page.locator("table.results-table")
    assert table.is_visible()
    page.locator("thead").get_by_role("link", name=re.compile("^Founded")).click()
    page.wait_for_url(re.compile(r"sort=-founded"))
    assert query_of(page)["view"] == ["table"]
    years = [int(y) for y in page.locator("tbody td.results-table__number").all_inner_texts() if y.strip()]
    assert years and years == sorted(years, reverse=True)
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("Founded")
    # Choosing another page size keeps the table and the sort.
    page.locator("#id_per_page").select_option("50")
    page.wait_for_url(re.compile(r"per_page=50"))
    assert query_of(page)["view"] == ["table"] and query_of(page)["sort"] == ["-founded"]
    assert page.locator("tbody tr").count() == min(50, Organisation.objects.listed().count())


def test_copy_link_to_these_results_copies_the_address_of_the_filtered_list(site, new_context):
    sector = busiest_sector()
    context = new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"/organisations/?sector={sector.slug}&view=table")
    button = page.get_by_role("button", name="Copy link to these results")
    assert button.is_visible()
    assert not page.locator(".share__plain").is_visible(), "with a working button the plain link steps aside"
    button.click()
    page.get_by_text("Link copied.").wait_for()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert urlparse(copied).path == "/organisations/"
    assert parse_qs(urlparse(copied).query) == {"sector": [sector.slug], "view": ["table"]}


# Every word of the visible text inside `selector` whose letters sit on more than one line: a word
# broken inside itself. Words are split at spaces and at hyphens and slashes, where a break is allowed.
# Text for screen readers only (a box a pixel wide) is passed over.
BROKEN_WORDS_JS = """(selector) => {
    const broken = [];
    const shown = (el) => {
        for (; el; el = el.parentElement) {
            const box = el.getBoundingClientRect();
            if (box.width <= 1 || box.height <= 1) return false;
        }
        return true;
    };
    for (const root of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!shown(node.parentElement)) continue;
            const re = /[^\\s\\-\\u2010-\\u2015\\/]+/g;
            let match;
            while ((match = re.exec(node.data))) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                if (tops.size > 1) broken.push(match[0]);
            }
        }
    }
    return broken;
}"""


@pytest.mark.parametrize("viewport", [NARROWEST, SMALL_PHONE, DESKTOP], ids=["320", "375", "1280"])
def test_the_statistics_never_break_a_word_across_lines(site, new_context, viewport):
    page = new_context(viewport=viewport).new_page()
    page.goto("/stats/")
    # The tables too, opened as a visitor would.
    for summary in page.locator(".stats-chart__table > summary").all():
        summary.click()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    labels = page.locator(".bar-chart__label").all_inner_texts()
    assert labels, "no chart labels"
    broken = page.evaluate(BROKEN_WORDS_JS, ".stats")
    assert broken == [], f"words split across lines at {viewport['width']}px: {broken}"
    # The word the old page split ("companie s") stays whole in the lead.
    companies = page.evaluate(BROKEN_WORDS_JS, ".stats__lead")
    assert "companies" not in companies and "companies" in page.locator(".stats__lead").inner_text()


def test_the_statistics_bars_take_the_full_width_on_a_phone(site, new_context):
    page = new_context(viewport=SMALL_PHONE).new_page()
    page.goto("/stats/")
    chart = page.locator(".bar-chart").first.bounding_box()
    bar = page.locator(".bar-chart__bar").first.bounding_box()
    assert bar["width"] >= chart["width"] - 1, (bar, chart)
    # Each chart is sorted by count, most first.
    for rows in page.locator(".bar-chart__rows").all():
        counts = [int(c.replace(",", "")) for c in rows.locator(".bar-chart__count").all_inner_texts()]
        assert counts == sorted(counts, reverse=True)
    # Its table waits behind a disclosure.
    assert not page.locator(".stats-chart__table table").first.is_visible()
    page.locator(".stats-chart__table > summary").first.click()
    assert page.locator(".stats-chart__table table").first.is_visible()


def test_without_javascript_a_visitor_filters_pages_and_switches_the_view(site, new_context):
    sector = busiest_sector()
    page = new_context(viewport=SMALL_PHONE, java_script_enabled=False).new_page()
    page.goto("/organisations/")
    page.locator(".filters-panel__toggle").click()
    assert page.locator(".filters").is_visible()
    tick(page, "sector", sector.name)
    page.locator("[data-show-results]").click()
    page.wait_for_url(re.compile(r"#results$"))
    assert query_of(page)["sector"] == [sector.slug]
    assert results_in_view(page)
    count = listed_in(sector)
    assert page.locator("#results-heading").inner_text().startswith(f"{count} organisation")

    # The plain link to these results stands in for the copy button.
    assert page.locator(".share__plain").is_visible()
    assert not page.get_by_role("button", name="Copy link to these results").is_visible()

    page.get_by_role("link", name=re.compile(r"^\s*Next", re.I)).first.click()
    page.wait_for_url(re.compile(r"page=2"))
    assert query_of(page)["sector"] == [sector.slug]
    first_on_two = page.locator("main article h3").first.inner_text()

    # Sort and page size apply with the Update button the script would have made unnecessary.
    page.locator("#id_per_page").select_option("50")
    page.get_by_role("button", name="Update").click()
    page.wait_for_url(re.compile(r"per_page=50"))
    assert query_of(page)["sector"] == [sector.slug]
    assert page.locator("main article").count() == min(50, count)
    assert first_on_two in page.locator("main article h3").all_inner_texts()

    page.get_by_role("link", name="Table").click()
    page.wait_for_url(re.compile(r"view=table"))
    assert page.locator("table.results-table tbody tr").count() == min(50, count)


@pytest.mark.parametrize("path", ["/organisations/", "/organisations/?view=table", "/stats/", "/"])
def test_phone_layouts_have_no_wcag_a_or_aa_violations(site, new_context, path):
    page = new_context(viewport=SMALL_PHONE, bypass_csp=True).new_page()
    page.goto(path)
    if path == "/organisations/":
        open_filters(page)
    violations = run_axe(page)
    assert violations == [], format_violations(f"{path} at 375px", violations)
