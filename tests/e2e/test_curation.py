"""The back office in a real browser: an Editor imports a CSV (preview, then confirm) and uploads
a logo; a Publisher publishes the new entry, and visitors then find it in search."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from PIL import Image

from organisations import permissions
from organisations.models import Organisation, Status

pytestmark = pytest.mark.e2e

NEW_NAME = "Quillfeather Diagnostics"
CSV_TEXT = (
    "name,summary,website,town,local_authority,sectors\n"
    f"{NEW_NAME},Point-of-care sepsis tests for emergency departments.,https://quillfeather.example.org,"
    "Leeds,Leeds,diagnostics\n"
)


def staff_member(username, role):
    """A staff user in the Editors or Publishers group, with the rights migration 0003 gives it."""
    # A transactional test database is flushed between tests, which drops the migration's groups.
    permissions.ensure_groups()
    group = Group.objects.get(name=role)
    user = get_user_model().objects.create_user(username=username, password=None, is_staff=True)
    user.groups.add(group)
    return user


def png_logo():
    image = Image.new("RGB", (240, 120), (0, 94, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"name": "quillfeather.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def admin_message(page):
    return page.locator(".messagelist, ul.messages, [role=status], [role=alert]").first.inner_text()


def test_an_editor_imports_and_illustrates_an_entry_and_a_publisher_publishes_it(site, new_context, log_in):
    editor = staff_member("edith", permissions.EDITORS)
    publisher = staff_member("percy", permissions.PUBLISHERS)

    # The Editor imports a CSV: a preview first, and nothing is written until they confirm.
    editor_context = new_context()
    log_in(editor_context, editor)
    page = editor_context.new_page()
    page.goto("/admin/organisations/organisation/")
    page.get_by_role("link", name=re.compile(r"import", re.I)).first.click()
    page.locator("input[type=file]").first.set_input_files(
        {"name": "new.csv", "mimeType": "text/csv", "buffer": CSV_TEXT.encode()}
    )
    page.get_by_role("button", name=re.compile(r"preview|upload|check", re.I)).first.click()
    page.wait_for_load_state()
    assert page.get_by_text(NEW_NAME).first.is_visible(), "the preview does not show the new row"
    assert not Organisation.objects.filter(name=NEW_NAME).exists(), "the preview wrote to the database"
    page.get_by_role("button", name=re.compile(r"confirm|import", re.I)).first.click()
    page.wait_for_load_state()
    assert re.search(r"1\b.*(created|new|added)|(created|added).*\b1\b", admin_message(page), re.I | re.S)
    organisation = Organisation.objects.get(name=NEW_NAME)
    assert organisation.status == Status.DRAFT, "an Editor's import must arrive as a draft"
    assert list(organisation.sectors.values_list("slug", flat=True)) == ["diagnostics"]

    # The Editor uploads a logo on the change form.
    page.goto(f"/admin/organisations/organisation/{organisation.pk}/change/")
    page.locator("input[type=file][name=logo]").set_input_files(png_logo())
    page.locator("input[name=_save], button[name=_save]").first.click()
    page.wait_for_load_state()
    assert "successfully" in admin_message(page).lower() or "changed" in admin_message(page).lower()
    organisation.refresh_from_db()
    assert organisation.logo.name.endswith(".png") or organisation.logo.name, "the logo was not saved"
    assert organisation.status == Status.DRAFT

    # A draft never shows in public search.
    visitor = new_context().new_page()
    visitor.goto("/organisations/?q=Quillfeather")
    assert visitor.get_by_role("link", name=NEW_NAME).count() == 0

    # The Publisher publishes it with the admin action.
    publisher_context = new_context()
    log_in(publisher_context, publisher)
    page = publisher_context.new_page()
    page.goto("/admin/organisations/organisation/?q=Quillfeather")
    page.locator(f"input[name=_selected_action][value='{organisation.pk}']").check()
    action = page.locator("select[name=action]")
    publish_value = (
        action.locator("option").filter(has_text=re.compile(r"publish", re.I)).first.get_attribute("value")
    )
    action.select_option(publish_value)
    page.locator("button[name=index], button[type=submit]").filter(
        has_text=re.compile(r"go|run", re.I)
    ).first.click()
    page.wait_for_load_state()
    confirm = page.get_by_role("button", name=re.compile(r"yes|confirm|publish", re.I))
    if confirm.count():
        # Some actions ask "are you sure?" first.
        confirm.first.click()
        page.wait_for_load_state()
    organisation.refresh_from_db()
    assert organisation.status == Status.PUBLISHED

    visitor.goto("/organisations/?q=Quillfeather")
    visitor.get_by_role("link", name=NEW_NAME).first.click()
    assert visitor.locator("h1").inner_text().strip() == NEW_NAME
    logo = visitor.locator("main img").first
    assert logo.is_visible() and logo.evaluate("img => img.naturalWidth") > 0, (
        "the published logo does not load"
    )
