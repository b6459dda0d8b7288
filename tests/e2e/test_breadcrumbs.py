"""Breadcrumbs on a phone: no chevron is left at the end of a line away from the crumb it leads to, and the
trail never makes the page scroll sideways, at 320 px and 375 px.

The chevron is the `::before` of the crumb it leads to, so it has no element of its own to measure. An inline
item's client rects are one per line it spans, and the chevron opens the item's first one: the chevron sits
on the same line as its crumb exactly when that first rect and the crumb label's first rect share a top.
"""

import pytest
from django.db.models.functions import Length

from initiatives.models import Initiative
from organisations.models import Organisation

from .helpers import NARROWEST, PHONE

pytestmark = pytest.mark.e2e

WIDTHS = {"320": NARROWEST, "375": PHONE}

CRUMBS_JS = """() => {
    const trail = document.querySelector('nav.breadcrumbs');
    if (!trail) return null;
    const lineTops = new Set();
    const separators = [...trail.querySelectorAll('li + li')].map(li => {
        const label = li.firstElementChild;
        const separatorLine = li.getClientRects()[0];
        const labelLine = label.getClientRects()[0];
        [...li.getClientRects()].forEach(rect => lineTops.add(Math.round(rect.top)));
        return {
            text: label.innerText.trim(),
            separator: getComputedStyle(li, '::before').content,
            separatorTop: separatorLine.top,
            labelTop: labelLine.top,
        };
    });
    return {
        separators,
        lines: lineTops.size,
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
    };
}"""


def longest_name(queryset):
    # The longest name wraps soonest: the hardest trail the directory's own data can make.
    return queryset.annotate(length=Length("name")).order_by("-length", "name").first()


def initiative_path():
    return longest_name(Initiative.objects.published()).get_absolute_url()


def profile_path():
    return longest_name(Organisation.objects.published()).get_absolute_url()


def suggest_update_path():
    return f"{profile_path()}suggest-update/"


PAGES = {
    "initiative": initiative_path,
    "profile": profile_path,
    "stats": lambda: "/stats/",
    "suggest-update": suggest_update_path,
}


def measure(new_context, path, viewport, **context_options):
    page = new_context(viewport=viewport, **context_options).new_page()
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"
    crumbs = page.evaluate(CRUMBS_JS)
    assert crumbs is not None, f"{path} has no breadcrumb trail"
    assert crumbs["separators"], f"{path}: the trail has no separator to check"
    return page, crumbs


def chevrons_apart_from_their_crumb(crumbs):
    return [
        crumb
        for crumb in crumbs["separators"]
        if crumb["separator"] in ("none", "normal") or abs(crumb["separatorTop"] - crumb["labelTop"]) > 1
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_each_chevron_stays_on_the_line_of_its_crumb_and_nothing_overflows(site, new_context, name, subtests):
    path = PAGES[name]()
    for label, viewport in WIDTHS.items():
        with subtests.test(msg=f"{name} at {label}px"):
            _page, crumbs = measure(new_context, path, viewport)
            assert chevrons_apart_from_their_crumb(crumbs) == [], (
                f"{path} at {label}px: a chevron sits on another line than its crumb: {crumbs['separators']}"
            )
            assert crumbs["scrollWidth"] <= crumbs["innerWidth"], (
                f"{path} at {label}px is {crumbs['scrollWidth']}px wide: {crumbs['separators']}"
            )


def test_the_longest_trails_do_wrap_at_320_pixels_so_the_check_above_means_something(site, new_context):
    for path in (profile_path(), suggest_update_path()):
        _page, crumbs = measure(new_context, path, NARROWEST)
        assert crumbs["lines"] > 1, f"{path}: the trail fits one line at 320px, so no wrap was tried"


def test_the_check_notices_a_chevron_left_at_the_end_of_a_line(site, new_context):
    # The layout the fix replaced: items that may break after their chevron, labels that may not.
    path = profile_path()
    # The site's CSP forbids inline styles, so this context bypasses it to inject the old layout.
    page, _crumbs = measure(new_context, path, NARROWEST, bypass_csp=True)
    page.add_style_tag(
        content=".breadcrumbs li { white-space: normal; }"
        " .breadcrumbs li > a, .breadcrumbs__current { white-space: nowrap; }"
    )
    crumbs = page.evaluate(CRUMBS_JS)
    assert chevrons_apart_from_their_crumb(crumbs), f"the check missed a stranded chevron: {crumbs}"
