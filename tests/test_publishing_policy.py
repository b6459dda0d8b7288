"""Publishing covers people and figures: a contact an Editor makes public, or a key figure an Editor
adds, waits as a draft for a Publisher (the same draft -> publish flow as organisations); what a
Publisher does goes live at once."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from initiatives.models import KeyFigure
from organisations.models import Contact, Status
from tests.factories import ContactFactory, InitiativeFactory, KeyFigureFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

CONSENT = "2025-01-01"


def member_of(django_user_model, group_name, username):
    user = django_user_model.objects.create_user(username, f"{username}@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor(django_user_model):
    return member_of(django_user_model, "Editors", "editor")


@pytest.fixture
def publisher(django_user_model):
    return member_of(django_user_model, "Publishers", "publisher")


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def as_posted(value):
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [as_posted(item) for item in value]
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def resubmitted(page):
    """The data an admin change page would post back unchanged: its form and every inline."""
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        value = as_posted(form[name].value())
        if value != "":
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(name)] = value
        for row in formset.forms:
            for name in row.fields:
                value = as_posted(row[name].value())
                if value != "":
                    data[row.add_prefix(name)] = value
    return data


def shown_publicly(client, text, paths):
    client.logout()
    return any(text in client.get(path).content.decode() for path in paths)


PROFILE = ["/organisations/acme/", "/api/organisations/acme/"]
FIGURES = ["/", "/stats/", "/api/key-figures/", "/initiatives/hub/"]


# --- Contacts ---------------------------------------------------------------------------------------


def add_contact(client, user, organisation, **fields):
    client.force_login(user)
    data = {
        "organisation": organisation.pk,
        "name": "Casey Contact",
        "job_title": "Director",
        "is_public": "on",
        "consent_recorded_on": CONSENT,
        **fields,
    }
    response = client.post(admin_url(Contact, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Contact.objects.get(name=data["name"])


def test_a_contact_an_editor_adds_as_public_waits_for_a_publisher(client, editor, publisher):
    organisation = OrganisationFactory(slug="acme")

    contact = add_contact(client, editor, organisation, status=Status.PUBLISHED)

    assert contact.status == Status.DRAFT
    assert not shown_publicly(client, "Casey Contact", PROFILE)
    client.force_login(publisher)
    client.post(admin_url(Contact, "changelist"), {"action": "publish", "_selected_action": [contact.pk]})
    contact.refresh_from_db()
    assert contact.status == Status.PUBLISHED
    assert shown_publicly(client, "Casey Contact", PROFILE)


def test_a_contact_a_publisher_adds_as_public_goes_live_at_once(client, publisher):
    organisation = OrganisationFactory(slug="acme")

    contact = add_contact(client, publisher, organisation, status=Status.PUBLISHED)

    assert contact.status == Status.PUBLISHED
    assert shown_publicly(client, "Casey Contact", PROFILE)


def test_an_editor_making_a_published_private_contact_public_sends_it_back_to_draft(client, editor):
    organisation = OrganisationFactory(slug="acme")
    contact = ContactFactory(organisation=organisation, name="Private Pat", status=Status.PUBLISHED)
    client.force_login(editor)
    url = admin_url(Contact, "change", contact.pk)
    data = {**resubmitted(client.get(url)), "is_public": "on", "consent_recorded_on": CONSENT}

    assert client.post(url, data).status_code == 302

    contact.refresh_from_db()
    assert (contact.is_public, contact.status) == (True, Status.DRAFT)
    assert not shown_publicly(client, "Private Pat", PROFILE)


def test_an_editor_cannot_publish_a_contact_through_the_form_or_an_action(client, editor):
    organisation = OrganisationFactory(slug="acme")
    contact = ContactFactory(
        organisation=organisation,
        name="Waiting Wes",
        is_public=True,
        consent_recorded_on=datetime.date(2025, 1, 1),
    )
    contact.status = Status.DRAFT
    contact.save()
    client.force_login(editor)
    url = admin_url(Contact, "change", contact.pk)
    page = client.get(url)
    assert "status" not in page.context["adminform"].form.fields

    client.post(url, {**resubmitted(page), "status": Status.PUBLISHED, "job_title": "Chair"})
    client.post(admin_url(Contact, "changelist"), {"action": "publish", "_selected_action": [contact.pk]})

    contact.refresh_from_db()
    assert (contact.job_title, contact.status) == ("Chair", Status.DRAFT)
    assert not shown_publicly(client, "Waiting Wes", PROFILE)


def test_a_contact_an_editor_makes_public_in_the_organisation_page_waits_too(client, editor, publisher):
    organisation = OrganisationFactory(slug="acme", name="Acme")
    ContactFactory(organisation=organisation, name="Inline Ida", status=Status.PUBLISHED)
    url = admin_url(type(organisation), "change", organisation.pk)
    client.force_login(editor)
    data = resubmitted(client.get(url))
    data.update({"contacts-0-is_public": "on", "contacts-0-consent_recorded_on": CONSENT})

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    contact = Contact.objects.get(name="Inline Ida")
    assert (contact.is_public, contact.status) == (True, Status.DRAFT)
    assert not shown_publicly(client, "Inline Ida", PROFILE)

    client.force_login(publisher)
    data = resubmitted(client.get(url))
    data["contacts-0-status"] = Status.PUBLISHED
    assert client.post(url, data).status_code == 302
    assert shown_publicly(client, "Inline Ida", PROFILE)


# --- Key figures ------------------------------------------------------------------------------------


def add_figure(client, user, **fields):
    client.force_login(user)
    data = {
        "label": "companies in the region",
        "value": "123",
        "source_name": "A Source",
        "source_url": "https://example.org/source",
        "slug": "regional-companies",
        "order": "0",
        **fields,
    }
    response = client.post(admin_url(KeyFigure, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return KeyFigure.objects.get(slug=data["slug"])


def test_a_key_figure_an_editor_adds_waits_for_a_publisher(client, editor, publisher):
    InitiativeFactory(slug="hub")

    figure = add_figure(client, editor, status=Status.PUBLISHED)

    assert figure.status == Status.DRAFT
    assert not shown_publicly(client, "companies in the region", FIGURES)
    client.force_login(publisher)
    client.post(admin_url(KeyFigure, "changelist"), {"action": "publish", "_selected_action": [figure.pk]})
    assert shown_publicly(client, "companies in the region", FIGURES)


def test_a_key_figure_a_publisher_adds_goes_live_at_once(client, publisher):
    InitiativeFactory(slug="hub")

    figure = add_figure(client, publisher, status=Status.PUBLISHED)

    assert figure.status == Status.PUBLISHED
    assert shown_publicly(client, "companies in the region", FIGURES)


def test_a_key_figure_an_editor_adds_in_the_initiative_page_waits_too(client, editor):
    hub = InitiativeFactory(slug="hub", name="Hub")
    url = admin_url(type(hub), "change", hub.pk)
    client.force_login(editor)
    data = resubmitted(client.get(url))
    data.update(
        {
            "key_figures-TOTAL_FORMS": "1",
            "key_figures-0-label": "members of the hub",
            "key_figures-0-value": "40",
            "key_figures-0-source_name": "Hub report",
            "key_figures-0-source_url": "https://example.org/hub",
            "key_figures-0-slug": "hub-members",
            "key_figures-0-order": "0",
            "key_figures-0-status": Status.PUBLISHED,
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert KeyFigure.objects.get(slug="hub-members").status == Status.DRAFT
    assert not shown_publicly(client, "members of the hub", FIGURES)


def test_an_editor_may_still_correct_a_published_key_figure(client, editor):
    InitiativeFactory(slug="hub")
    figure = KeyFigureFactory(label="firms in Leeds", value="100")
    client.force_login(editor)
    url = admin_url(KeyFigure, "change", figure.pk)

    client.post(url, {**resubmitted(client.get(url)), "value": "120"})

    figure.refresh_from_db()
    assert (figure.value, figure.status) == ("120", Status.PUBLISHED)
    assert shown_publicly(client, "120", ["/api/key-figures/"])


def test_publishers_hold_the_rights_to_publish_people_and_figures(editor, publisher):
    assert not editor.has_perm("organisations.publish_contact")
    assert not editor.has_perm("initiatives.publish_keyfigure")
    assert publisher.has_perm("organisations.publish_contact")
    assert publisher.has_perm("initiatives.publish_keyfigure")
