"""The header's search box: a WAI-ARIA combobox that suggests organisations, initiatives and sectors
as you type, driven here by the keyboard alone; without JavaScript, a plain search form."""

import re

import pytest
from playwright.sync_api import expect

from .helpers import format_violations, run_axe

pytestmark = pytest.mark.e2e

ORGANISATION = "Leeds Teaching Hospitals NHS Trust"


def search_box(page):
    return page.get_by_role("combobox", name="Search the directory")


def type_slowly(page, text):
    page.keyboard.type(text, delay=60)


def open_suggestions(page, text):
    box = search_box(page)
    box.focus()
    type_slowly(page, text)
    listbox = page.get_by_role("listbox", name="Suggestions")
    listbox.wait_for(state="visible")
    return box, listbox


def test_a_keyboard_user_picks_a_suggestion_with_the_arrows_and_enter(site, page):
    page.goto("/about/")
    box, listbox = open_suggestions(page, "leeds teach")

    options = listbox.get_by_role("option")
    # The list may still show an earlier prefix's answer: wait for the last keystroke's.
    expect(options.first).to_have_text(re.compile(f"^{re.escape(ORGANISATION)}"))
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == listbox.get_attribute("id")
    assert box.get_attribute("aria-activedescendant") is None

    page.keyboard.press("ArrowDown")
    first = options.first
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    # Focus stays in the box while the visitor moves through the list.
    assert page.evaluate("() => document.activeElement.id") == "site-search-q"

    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/organisations/leeds-teaching-hospitals-nhs-trust/$", page.url)
    assert page.get_by_role("heading", level=1).inner_text() == ORGANISATION


def test_arrow_keys_wrap_and_escape_closes_then_clears(site, page):
    page.goto("/")
    box, listbox = open_suggestions(page, "lee")
    count = listbox.get_by_role("option").count()
    assert count >= 2

    page.keyboard.press("ArrowUp")  # from nothing chosen to the last suggestion
    last = listbox.get_by_role("option").nth(count - 1)
    assert box.get_attribute("aria-activedescendant") == last.get_attribute("id")
    page.keyboard.press("ArrowDown")  # and round to the first
    assert box.get_attribute("aria-activedescendant") == listbox.get_by_role("option").first.get_attribute(
        "id"
    )

    page.keyboard.press("Escape")
    assert listbox.is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None
    assert box.input_value() == "lee"

    page.keyboard.press("Escape")
    assert box.input_value() == ""


def test_enter_without_a_chosen_suggestion_searches_for_the_text(site, page):
    page.goto("/about/")
    open_suggestions(page, "hospital")

    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith("/organisations/?q=hospital")
    assert page.locator("ol.results > li").count() > 0


def test_the_open_suggestions_pass_axe(site, new_context):
    page = new_context(bypass_csp=True).new_page()
    page.goto("/")
    open_suggestions(page, "lee")
    page.keyboard.press("ArrowDown")

    violations = run_axe(page)

    assert violations == [], format_violations(page.url, violations)


def test_without_javascript_the_box_is_a_plain_search_form(site, new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/about/")
    box = page.get_by_role("searchbox", name="Search the directory")
    assert box.get_attribute("role") is None

    box.fill("imaging")
    with page.expect_navigation():
        box.press("Enter")

    assert page.url.endswith("/organisations/?q=imaging")
