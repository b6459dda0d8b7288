"""Keyboard-only use of the search and the filters: Tab order, Enter and Space, focus kept
where the visitor was, the phone's "Filter" disclosure."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from .helpers import PHONE

pytestmark = pytest.mark.e2e

ACTIVE_JS = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(), type: el.type || null, name: el.name || null, id: el.id || null,
        value: el.value || null, className: String(el.className || ''), href: el.getAttribute('href'),
        text: (el.innerText || '').trim().slice(0, 80),
        insideFilters: !!el.closest('.filters, [data-filters]'),
        focusShown: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
            || style.boxShadow !== 'none',
    };
}"""


def tab_until(page, predicate, *, limit=200, key="Tab"):
    """Press Tab (or `key`) until the focused element satisfies `predicate`; every stop shows focus."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        active = page.evaluate(ACTIVE_JS)
        stops.append(active)
        assert active["focusShown"], f"no visible focus on {active}"
        if predicate(active):
            return active, stops
    raise AssertionError(
        f"never reached the control after {limit} Tabs: {[s['text'] or s['name'] for s in stops]}"
    )


def query_of(page):
    return parse_qs(urlparse(page.url).query)


def test_a_keyboard_user_searches_and_filters_without_a_mouse(site, page):
    page.goto("/")
    # Skip link first, then the header, then the search box: reading order.
    _, stops = tab_until(page, lambda a: a["name"] == "q")
    assert "skip" in stops[0]["text"].lower()
    page.keyboard.type("health")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert query_of(page)["q"] == ["health"]
    assert page.locator("ol.results > li").count() > 0

    # Tab to the first sector option and tick it with Space: the filter applies, focus stays put.
    checkbox, _ = tab_until(page, lambda a: a["type"] == "checkbox" and a["name"] == "sector")
    with page.expect_navigation():
        page.keyboard.press("Space")
    query = query_of(page)
    assert query["sector"] == [checkbox["value"]] and query["q"] == ["health"]
    assert page.evaluate(ACTIVE_JS)["id"] == checkbox["id"], "focus should return to the ticked option"
    assert page.locator(f"#{checkbox['id']}").is_checked()

    # The filter shows as a chip, which comes before the filters: back up to it with Shift+Tab.
    # Enter on it removes that filter and keeps the search.
    tab_until(
        page,
        lambda a: "chip" in a["className"].split() and "sector=" not in (a["href"] or "x"),
        key="Shift+Tab",
    )
    with page.expect_navigation():
        page.keyboard.press("Enter")
    query = query_of(page)
    assert "sector" not in query and query["q"] == ["health"]

    # A closed filter group opens with Enter on its heading; the "Show N results" button submits
    # with Enter too (for browsers without the script) and lands on the results.
    tab_until(page, lambda a: a["tag"] == "summary" and a["text"].startswith("Year founded"))
    page.keyboard.press("Enter")
    tab_until(page, lambda a: a["tag"] == "input" and a["name"] == "founded_min", limit=3)
    page.keyboard.type("2000")
    tab_until(page, lambda a: a["tag"] == "button" and re.search(r"^show \d+ results?$", a["text"], re.I))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert query_of(page)["founded_min"] == ["2000"]
    assert urlparse(page.url).fragment == "results"


def test_on_a_phone_the_filters_open_from_a_filters_button_by_keyboard(site, new_context):
    page = new_context(viewport=PHONE).new_page()
    page.goto("/organisations/")
    filters = page.locator(".filters").first
    assert not filters.is_visible(), "on a phone the filters start collapsed"
    summary, _ = tab_until(page, lambda a: a["tag"] == "summary")
    assert summary["text"].startswith("Filters")
    page.keyboard.press("Enter")
    assert filters.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE_JS)["insideFilters"], "Tab after opening should move into the filters"


def test_the_active_filters_come_before_the_filter_controls_in_tab_order(site, page):
    page.goto("/organisations/?sector=research&sector=digital-health")
    page.locator("#id_q").focus()
    chip, stops = tab_until(page, lambda a: "chip" in a["className"].split())
    assert not any(stop["insideFilters"] for stop in stops), f"a filter came before the chips: {stops}"
    tab_until(page, lambda a: "chips__clear" in a["className"].split(), limit=5)
    # The first filter option comes after the chips and "Clear all".
    tab_until(page, lambda a: a["type"] == "checkbox", limit=10)
