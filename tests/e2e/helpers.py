"""Helpers for the browser tests: axe-core, screenshots and the public pages under test."""

import json
from pathlib import Path

from django.conf import settings

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

# Every WCAG 2.0/2.1/2.2 A and AA rule that axe-core knows.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
NARROWEST = {"width": 320, "height": 640}


def run_axe(page):
    """Inject the vendored axe-core and return its WCAG A/AA violations on the current page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )
    return result


def format_violations(url, violations):
    lines = [f"{len(violations)} axe violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:10]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:200]}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def screenshot(page, name, *, full_page=True):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# The public page templates (ARCHITECTURE.md §5), each addressed by a name in test ids.
# A value is a path, or a function of the loaded data that returns one.
def _first_profile():
    from organisations.models import Organisation

    org = Organisation.objects.published().exclude(summary="").order_by("name").first()
    return org.get_absolute_url()


def _busiest_sector():
    from django.db.models import Count, Q

    from organisations.models import Sector, Status

    sector = (
        Sector.objects.annotate(n=Count("organisations", filter=Q(organisations__status=Status.PUBLISHED)))
        .order_by("-n", "name")
        .first()
    )
    return sector.get_absolute_url()


def _busiest_initiative():
    from django.db.models import Count

    from initiatives.models import Initiative

    initiative = Initiative.objects.published().annotate(n=Count("members")).order_by("-n", "name").first()
    return initiative.get_absolute_url()


def _filtered_list():
    from django.db.models import Count, Q

    from organisations.models import Sector, Status

    sector = (
        Sector.objects.annotate(n=Count("organisations", filter=Q(organisations__status=Status.PUBLISHED)))
        .order_by("-n", "name")
        .first()
    )
    return f"/organisations/?sector={sector.slug}&sort=name"


PUBLIC_PAGES = {
    "home": "/",
    "list": "/organisations/",
    "list-filtered": _filtered_list,
    "list-table": "/organisations/?view=table&per_page=50",
    "empty-results": "/organisations/?q=zzqxvbnonsense",
    "profile": _first_profile,
    "initiatives": "/initiatives/",
    "initiative": _busiest_initiative,
    "sector": _busiest_sector,
    "sector-table": lambda: _busiest_sector() + "?view=table",
    "stats": "/stats/",
    "suggest": "/suggest/",
    "about": "/about/",
    "privacy": "/privacy/",
    "accessibility": "/accessibility/",
    "404": "/no-such-page-here/",
}


def page_path(name):
    target = PUBLIC_PAGES[name]
    return target() if callable(target) else target


def open_public_page(page, name):
    """Go to a public page and check it answers as it should (404 for the not-found page, else 200)."""
    path = page_path(name)
    response = page.goto(path)
    expected = 404 if name == "404" else 200
    assert response.status == expected, f"{name} ({path}) answered {response.status}, expected {expected}"
    return path
