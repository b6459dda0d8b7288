"""A visitor suggests a new organisation in a real browser; the suggestion waits for review."""

import re

import pytest

from organisations.models import Organisation, Submission

pytestmark = pytest.mark.e2e

# What a visitor would type into each kind of required field the form may have.
ANSWERS = {
    "email": "ada@example.org",
    "url": "https://wound-sense.example.org",
    "tel": "0113 496 0000",
}


def test_a_visitor_suggests_an_organisation(site, page):
    page.goto("/suggest/")
    form = page.locator("main form").filter(has=page.locator("[name=name]")).first
    form.locator("[name=name]").fill("WoundSense Leeds")
    # Fill what the form requires, whatever its exact design, the way a visitor would.
    required = form.locator("input[required], textarea[required], select[required]")
    for index in range(required.count()):
        field = required.nth(index)
        if field.get_attribute("name") == "name" or not field.is_visible():
            continue
        kind = field.evaluate(
            "el => el.tagName.toLowerCase() === 'input' ? el.type : el.tagName.toLowerCase()"
        )
        if kind == "checkbox":
            field.check()
        elif kind == "select":
            field.select_option(index=1)
        elif kind == "textarea":
            field.fill("Wireless wound monitoring for community nurses, spun out in Leeds.")
        else:
            field.fill(ANSWERS.get(kind, "WoundSense Leeds"))
    for name, value in (
        ("website", "https://wound-sense.example.org"),
        ("summary", "Wireless wound monitoring for community nurses."),
    ):
        optional = form.locator(f"[name={name}]")
        if optional.count() and not optional.first.input_value():
            optional.first.fill(value)

    form.locator("[type=submit]").last.click()
    page.wait_for_load_state()

    assert page.get_by_text(re.compile(r"thank|received|review", re.I)).first.is_visible()
    submission = Submission.objects.get()
    assert submission.kind == Submission.Kind.NEW
    assert submission.state == Submission.State.PENDING
    assert "WoundSense Leeds" in str(submission.proposed) or "WoundSense Leeds" in submission.message
    # A suggestion is moderated: nothing public changes until a person reviews it.
    assert not Organisation.objects.filter(name="WoundSense Leeds").exists()
