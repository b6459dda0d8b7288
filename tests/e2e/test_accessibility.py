"""WCAG 2.2 AA in a real browser: axe-core on every public page template, skip link, focus, headings,
announced form errors."""

import pytest

from .helpers import PUBLIC_PAGES, format_violations, open_public_page, run_axe

pytestmark = pytest.mark.e2e

# The computed style of the focused element, as a keyboard user sees it.
FOCUS_STYLE_JS = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(),
        text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
        href: el.getAttribute('href'),
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth) || 0,
        boxShadow: style.boxShadow,
        visible: el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0,
    };
}"""


def focus_is_visible(style):
    outline = style["outlineStyle"] not in ("none", "") and style["outlineWidth"] >= 2
    shadow = style["boxShadow"] not in ("none", "")
    return outline or shadow


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_every_public_page_has_no_wcag_a_or_aa_violations(site, new_context, name):
    page = new_context(bypass_csp=True).new_page()
    path = open_public_page(page, name)
    violations = run_axe(page)
    assert violations == [], format_violations(path, violations)


def check_skip_link(page, path):
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUS_STYLE_JS)
    assert focused["tag"] == "a" and (focused["href"] or "").startswith("#"), f"{path}: first stop {focused}"
    assert "skip" in focused["text"].lower(), focused
    assert focused["visible"], f"{path}: the skip link must be visible when it has focus"
    assert focus_is_visible(focused), focused
    target = focused["href"]
    assert page.locator(target).count() == 1, f"{path}: the skip link points at {target}, not on the page"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == target


def check_headings(page, path):
    levels = page.evaluate(
        "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => [+h.tagName[1], h.innerText])"
    )
    assert [level for level, _ in levels].count(1) == 1, f"{path} needs exactly one h1: {levels}"
    previous = 0
    for level, text in levels:
        assert level <= previous + 1, (
            f"{path}: h{level} {text!r} follows h{previous} (skipped level): {levels}"
        )
        previous = level


def check_focus_is_always_visible(page, path):
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.evaluate("() => window.scrollTo(0, 0)")
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_STYLE_JS)
        if focused["tag"] == "body" or (seen and focused == seen[0]):
            break
        seen.append(focused)
        assert focus_is_visible(focused), f"{path}: no visible focus on {focused}"
    assert len(seen) >= 2, f"{path}: expected several Tab stops, found {seen}"
    # Tab order follows the reading order: nothing jumps the queue with a positive tabindex.
    assert page.locator("[tabindex]:not([tabindex='0']):not([tabindex^='-'])").count() == 0


def check_references_resolve(page, path):
    dangling = page.evaluate(
        """() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby], label[for]')]
            .flatMap(el => ['aria-describedby', 'aria-labelledby', 'for']
                .flatMap(attr => (el.getAttribute(attr) || '').split(/\\s+/).filter(Boolean)
                    .filter(id => !document.getElementById(id))
                    .map(id => `${el.tagName.toLowerCase()}[${attr}=${id}]`)))"""
    )
    assert dangling == [], f"{path}: references to missing ids: {dangling}"


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_every_public_page_has_a_skip_link_ordered_headings_and_visible_focus(site, page, name, subtests):
    path = open_public_page(page, name)
    with subtests.test(msg="the first Tab stop is a working skip link"):
        check_skip_link(page, path)
    with subtests.test(msg="one h1 and no skipped heading levels"):
        check_headings(page, path)
    with subtests.test(msg="labels and descriptions point at elements that exist"):
        check_references_resolve(page, path)
    with subtests.test(msg="every Tab stop shows a visible focus indicator"):
        open_public_page(page, name)
        check_focus_is_always_visible(page, path)


def test_suggest_form_errors_are_announced_and_tied_to_their_fields(site, page):
    page.goto("/suggest/")
    form = page.locator("main form").filter(has=page.locator("[name=name]")).first
    # The server's own messages are what a screen reader must hear (the browser's bubble is not enough
    # for the fields it does not check), so the browser's validation is switched off.
    form.evaluate("f => { f.noValidate = true; }")
    form.locator("[type=submit]").first.click()
    page.wait_for_load_state()

    summary = page.locator("[role=alert], [aria-live=assertive], [aria-live=polite]")
    has_summary = any(summary.nth(i).inner_text().strip() for i in range(summary.count()))
    name_field = page.locator("main form [name=name]").first
    name_marked = name_field.get_attribute("aria-invalid") == "true"
    assert has_summary or name_marked, "an empty submission is neither summarised in an alert nor marked"
    check_references_resolve(page, "/suggest/ after an empty submission")
    invalid = page.locator("[aria-invalid=true]")
    for index in range(invalid.count()):
        field = invalid.nth(index)
        described_by = (field.get_attribute("aria-describedby") or "").split()
        assert described_by, f"invalid field {field.get_attribute('name')} has no aria-describedby"
        messages = " ".join(page.locator(f"[id='{ident}']").inner_text() for ident in described_by)
        assert messages.strip(), f"invalid field {field.get_attribute('name')} points at no message"
