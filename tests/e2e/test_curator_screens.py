"""Curator screens at 1280 px in a real browser: no column of the organisation list, the change form or
the suggestion review is clipped, and the summary's character count is live."""

import pytest
from django.contrib.auth import get_user_model

from organisations.models import Organisation, Submission

from .helpers import DESKTOP

pytestmark = pytest.mark.e2e

# Cells whose content is wider than the cell, or a page wider than the window: what "clipped" means.
CLIPPED = """() => {
  const clipped = [];
  for (const cell of document.querySelectorAll("#content th, #content td")) {
    if (cell.offsetParent !== null && cell.scrollWidth > cell.clientWidth + 1) {
      clipped.push(cell.innerText.trim().slice(0, 60) || cell.className);
    }
  }
  const page = document.documentElement;
  return {clipped, pageWider: page.scrollWidth > page.clientWidth + 1};
}"""


@pytest.fixture
def curator_page(site, new_context, log_in):
    user = get_user_model().objects.create_superuser("curator", "curator@example.org", None)
    context = new_context(viewport=DESKTOP)
    log_in(context, user)
    return context.new_page()


def assert_nothing_clipped(page, path):
    page.goto(path)
    result = page.evaluate(CLIPPED)
    assert result == {"clipped": [], "pageWider": False}, path


def test_the_organisation_list_and_forms_fit_1280_pixels(curator_page):
    assert DESKTOP["width"] == 1280
    longest = max(Organisation.objects.all(), key=lambda organisation: len(organisation.name))
    assert_nothing_clipped(curator_page, "/admin/organisations/organisation/")
    assert_nothing_clipped(curator_page, "/admin/organisations/organisation/?verification=never")
    assert_nothing_clipped(curator_page, f"/admin/organisations/organisation/{longest.pk}/change/")


def test_the_suggestion_review_fits_1280_pixels(curator_page):
    organisation = Organisation.objects.published().order_by("pk").first()
    submission = Submission.objects.create(
        kind=Submission.Kind.UPDATE,
        organisation=organisation,
        proposed={"summary": "A much longer summary " * 12, "website": "https://example.org/" + "x" * 150},
    )
    assert_nothing_clipped(curator_page, f"/admin/organisations/submission/{submission.pk}/change/")


def test_the_summary_counts_the_characters_left_as_you_type(curator_page):
    curator_page.goto("/admin/organisations/organisation/add/")
    summary = curator_page.locator("textarea[name=summary]")
    counter = curator_page.locator(".character-count")
    assert counter.inner_text() == "400 characters left"
    summary.fill("Online pharmacy.")
    assert counter.inner_text() == "384 characters left"
