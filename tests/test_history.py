import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from initiatives.models import Membership
from organisations.models import Contact, Organisation, Submission
from organisations.services import contact_erase
from tests.factories import ContactFactory, InitiativeFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x-unused-password")


@pytest.fixture
def publisher(django_user_model):
    user = django_user_model.objects.create_user("publisher", "p@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name="Publishers"))
    return user


def organisation_form_data(client, url):
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v not in (None, "") and k not in {"logo", "parent"}}
    for m2m in ("sectors", "care_settings", "regulatory_marks"):
        data.pop(m2m, None)
    data.update(
        {
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        }
    )
    return data


def test_organisations_initiatives_contacts_and_memberships_keep_history():
    for model in (Organisation, Contact, Membership, InitiativeFactory._meta.model):
        assert hasattr(model, "history"), model


def test_an_admin_edit_records_who_and_when(client, superuser):
    organisation = OrganisationFactory(summary="Old summary")
    url = reverse("admin:organisations_organisation_change", args=[organisation.pk])
    client.force_login(superuser)
    data = organisation_form_data(client, url)
    data["summary"] = "New summary"
    assert client.post(url, data).status_code == 302
    latest = organisation.history.first()
    assert latest.summary == "New summary"
    assert latest.history_user == superuser
    assert latest.history_date is not None
    page = client.get(reverse("admin:organisations_organisation_history", args=[organisation.pk]))
    assert page.status_code == 200
    assert "root" in page.content.decode()


def test_reverting_in_admin_restores_a_previous_value(client, superuser):
    organisation = OrganisationFactory(summary="Original summary", sectors=[])
    first = organisation.history.get()
    organisation.summary = "Vandalised summary"
    organisation.save()
    client.force_login(superuser)
    url = reverse("admin:organisations_organisation_simple_history", args=[organisation.pk, first.history_id])
    data = organisation_form_data(client, url)
    assert data["summary"] == "Original summary"
    assert client.post(url, data).status_code == 302
    organisation.refresh_from_db()
    assert organisation.summary == "Original summary"
    assert organisation.history.first().history_user == superuser
    assert organisation.history.count() == 3


def test_a_membership_edit_in_admin_is_recorded_with_its_user(client, superuser):
    contact = ContactFactory(job_title="Director")
    membership = MembershipFactory(organisation=contact.organisation)
    client.force_login(superuser)
    url = reverse("admin:initiatives_membership_change", args=[membership.pk])
    response = client.post(
        url,
        {
            "organisation": membership.organisation_id,
            "initiative": membership.initiative_id,
            "role": "partner",
        },
    )
    assert response.status_code == 302
    assert membership.history.first().role == "partner"
    assert membership.history.first().history_user == superuser


def test_erasing_a_contact_leaves_no_trace(publisher):
    contact = ContactFactory(name="Jane Example", email="jane@example.org", phone="0113 496 0000")
    contact.job_title = "Chief Executive"
    contact.save()
    pk = contact.pk
    kept = ContactFactory(organisation=contact.organisation, name="Someone Else")
    Submission.objects.create(
        kind=Submission.Kind.UPDATE,
        organisation=contact.organisation,
        proposed={"email": "JANE@example.org", "notes": ["Call Jane Example on 0113 4960000"]},
        message="Please ask Jane Example (jane@example.org, tel. 0113-496-0000) for details.",
        submitter_name="Jane Example",
        submitter_email="jane@example.org",
    )
    untouched = Submission.objects.create(
        kind=Submission.Kind.NEW, proposed={"name": "Pharmacy2U"}, message="Hi"
    )

    scrubbed = contact_erase(contact=contact, user=publisher)

    assert scrubbed == 1
    assert not Contact.objects.filter(pk=pk).exists()
    assert not Contact.history.filter(id=pk).exists()
    assert Contact.history.filter(id=kept.pk).exists()
    for submission in Submission.objects.all():
        text = f"{submission.proposed} {submission.message} {submission.submitter_name} {submission.submitter_email}"
        assert "jane" not in text.lower()
        assert "496" not in text
    untouched.refresh_from_db()
    assert untouched.proposed == {"name": "Pharmacy2U"}


def test_the_erase_action_reports_without_naming_the_person(client, publisher):
    contact = ContactFactory(name="Jane Example")
    client.force_login(publisher)
    url = reverse("admin:organisations_contact_changelist")
    response = client.post(url, {"action": "erase", "_selected_action": [contact.pk]}, follow=True)
    text = response.content.decode()
    assert "Erased 1 person, with their history" in text
    assert "Jane Example" not in text
    assert not Contact.history.filter(id=contact.pk).exists()
    assert not LogEntry.objects.filter(object_repr__contains="Jane").exists()
