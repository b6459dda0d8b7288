"""Real-browser fixtures: Playwright (Python) driving Debian's Chromium against pytest-django's live server.

Chromium comes from `apt-get install chromium` (/usr/bin/chromium); Playwright never downloads a browser
here. Without it every browser test skips with the reason below, so a laptop without Chromium still runs
the rest of the suite.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands
from django.test import Client

from .helpers import DESKTOP

# Overridable only so that the skip below can itself be tried out.
CHROMIUM = Path(os.environ.get("HUBDIR_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _fixture_names():
    # The fixtures load_initial_data loads (in any order: build_fixtures explains why).
    from organisations.management.commands.load_initial_data import INITIAL_FIXTURES

    return [name for name in INITIAL_FIXTURES if (FIXTURES_DIR / f"{name}.json").exists()]


@pytest.fixture
def directory_data(transactional_db):
    """The real Leeds fixtures, loaded the way `make run` loads them, with the search index rebuilt."""
    from organisations.models import Organisation

    names = _fixture_names()
    if "organisations" not in names:
        # Until the entries exist, only the reference data is real.
        names = [name for name in names if name in {"sectors", "care_settings", "regulatory_marks"}]
    if names:
        call_command("loaddata", *names, verbosity=0)
    if not Organisation.objects.published().exists():
        _fallback_data()
    if "rebuild_search_index" in get_commands():
        call_command("rebuild_search_index", verbosity=0)
    return names


@pytest.fixture
def site(browser, live_server, directory_data):
    """The live server's base URL, with the directory's data loaded."""
    return live_server.url


@pytest.fixture
def new_context(browser, live_server):
    """Open browser contexts (closed after the test); `bypass_csp` only where axe must be injected."""
    contexts = []

    def make(*, viewport=DESKTOP, bypass_csp=False, **kwargs):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            bypass_csp=bypass_csp,
            locale="en-GB",
            accept_downloads=True,
            **kwargs,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A desktop page with the site's own CSP in force."""
    return new_context().new_page()


@pytest.fixture
def log_in(live_server):
    """Put a session for a user into a browser context (login throttling makes password logins fragile)."""

    def log_in(context, user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return log_in


def _fallback_data():
    """A small directory built with factories, used only while fixtures/ holds no entries."""
    from tests.factories import InitiativeFactory, MembershipFactory, OrganisationFactory, SectorFactory

    medtech = SectorFactory(name="Medtech", slug="medtech")
    digital = SectorFactory(name="Digital health", slug="digital-health")
    hub = InitiativeFactory(name="Nexus", slug="nexus")
    for n in range(30):
        org = OrganisationFactory(
            name=f"Physiotherapy Analytics {n:02d}", sectors=[medtech if n % 2 else digital]
        )
        if n % 3 == 0:
            MembershipFactory(organisation=org, initiative=hub)
