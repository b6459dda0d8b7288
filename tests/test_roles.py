import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from initiatives.models import Initiative
from organisations.models import Organisation, Status
from organisations.permissions import can_erase_contacts, can_publish
from tests.factories import ContactFactory, InitiativeFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


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


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_the_data_migration_creates_both_groups_with_their_rights():
    editors = {p.codename for p in Group.objects.get(name="Editors").permissions.all()}
    publishers = {p.codename for p in Group.objects.get(name="Publishers").permissions.all()}
    assert {"add_organisation", "change_organisation", "view_organisation", "change_submission"} <= editors
    assert not {c for c in editors if c.startswith(("delete_", "publish_"))}
    assert editors < publishers
    assert {
        "delete_organisation",
        "publish_organisation",
        "publish_initiative",
        "delete_contact",
    } <= publishers


def test_only_publishers_may_publish(editor, publisher):
    assert not can_publish(editor)
    assert not can_publish(editor, Initiative)
    assert can_publish(publisher)
    assert can_publish(publisher, Initiative)
    assert can_erase_contacts(publisher) and not can_erase_contacts(editor)


def test_an_editor_sees_no_publish_archive_merge_or_delete_actions(client, editor):
    OrganisationFactory()
    InitiativeFactory()
    client.force_login(editor)
    actions = dict(client.get(changelist(Organisation)).context["action_form"].fields["action"].choices)
    assert "record_check" in actions
    assert not {"publish", "archive", "merge", "delete_selected"} & set(actions)
    # An editor has no action at all on initiatives, so Django shows no action form.
    action_form = client.get(changelist(Initiative)).context["action_form"]
    actions = dict(action_form.fields["action"].choices) if action_form else {}
    assert not {"publish", "archive", "delete_selected"} & set(actions)


def test_a_publisher_sees_them(client, publisher):
    OrganisationFactory()
    client.force_login(publisher)
    actions = dict(client.get(changelist(Organisation)).context["action_form"].fields["action"].choices)
    assert {"publish", "archive", "merge", "delete_selected", "record_check"} <= set(actions)


def test_an_editor_posting_a_publish_action_changes_nothing(client, editor):
    draft = OrganisationFactory(status=Status.DRAFT)
    client.force_login(editor)
    client.post(changelist(Organisation), {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_an_editor_cannot_change_status_and_creates_drafts(client, editor):
    client.force_login(editor)
    add_url = reverse("admin:organisations_organisation_add")
    form = client.get(add_url).context["adminform"].form
    assert "status" not in form.fields
    response = client.post(
        add_url,
        {
            "name": "Videregen",
            "slug": "videregen",
            "organisation_type": "company",
            "status": "published",
            "lifecycle": "current",
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    assert Organisation.objects.get(slug="videregen").status == Status.DRAFT


def test_an_editor_cannot_delete(client, editor):
    organisation = OrganisationFactory()
    client.force_login(editor)
    response = client.post(
        reverse("admin:organisations_organisation_delete", args=[organisation.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_an_editor_reverting_history_cannot_change_status(client, editor):
    organisation = OrganisationFactory(status=Status.DRAFT, summary="First")
    draft_version = organisation.history.get()
    organisation.status = Status.PUBLISHED
    organisation.summary = "Second"
    organisation.save()
    client.force_login(editor)
    url = reverse(
        "admin:organisations_organisation_simple_history", args=[organisation.pk, draft_version.history_id]
    )
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v not in (None, "") and k not in {"logo", "parent"}}
    data["sectors"] = []
    data.pop("sectors")
    data.pop("care_settings", None)
    data.pop("regulatory_marks", None)
    response = client.post(url, data)
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.summary == "First"
    assert organisation.status == Status.PUBLISHED


def test_a_publisher_may_publish_organisations_and_initiatives(client, publisher):
    draft = OrganisationFactory(status=Status.DRAFT)
    initiative = InitiativeFactory(status=Status.DRAFT)
    client.force_login(publisher)
    client.post(changelist(Organisation), {"action": "publish", "_selected_action": [draft.pk]})
    client.post(changelist(Initiative), {"action": "publish", "_selected_action": [initiative.pk]})
    draft.refresh_from_db()
    initiative.refresh_from_db()
    assert draft.status == initiative.status == Status.PUBLISHED


def test_only_a_publisher_may_erase_a_contact(client, editor, publisher):
    contact = ContactFactory()
    url = reverse("admin:organisations_contact_changelist")
    client.force_login(editor)
    assert client.get(url).context["action_form"] is None
    client.post(url, {"action": "erase", "_selected_action": [contact.pk]})
    assert contact.history.exists()
    client.force_login(publisher)
    actions = dict(client.get(url).context["action_form"].fields["action"].choices)
    assert "erase" in actions


def test_ensure_groups_recreates_the_migrations_roles_after_a_flush(db):
    from django.contrib.auth.models import Group

    from organisations.permissions import EDITORS, PUBLISHERS, ensure_groups

    before = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    Group.objects.all().delete()
    ensure_groups()
    after = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert after == before
    assert "publish_organisation" in after[PUBLISHERS] and "publish_organisation" not in after[EDITORS]
