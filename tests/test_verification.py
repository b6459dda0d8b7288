"""Verification that means something: a curator records who checked an entry, when and how."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from organisations.models import Organisation, Verification, stale_cutoff
from organisations.services import verification_record
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x-unused-password")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def months_ago(months):
    today = timezone.localdate()
    return today - datetime.timedelta(days=round(months * 30.5))


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_recording_a_check_keeps_who_when_and_how_and_sets_last_verified(superuser):
    organisation = OrganisationFactory(last_verified_on=None)

    check = verification_record(
        organisation=organisation, user=superuser, method="register", note="Companies House: active"
    )

    organisation.refresh_from_db()
    assert (check.checked_by, check.method, check.checked_on) == (superuser, "register", timezone.localdate())
    assert organisation.last_verified_on == timezone.localdate()
    latest = organisation.history.first()
    assert latest.history_user == superuser
    assert latest.history_change_reason.startswith("Register checked on")


def test_an_older_check_does_not_move_last_verified_back(superuser):
    today = timezone.localdate()
    organisation = OrganisationFactory(last_verified_on=today)
    verification_record(
        organisation=organisation,
        user=superuser,
        method="website",
        checked_on=today - datetime.timedelta(days=40),
    )
    organisation.refresh_from_db()
    assert organisation.last_verified_on == today
    assert organisation.verifications.count() == 1


def test_a_check_in_the_future_is_refused(superuser):
    organisation = OrganisationFactory()
    with pytest.raises(ValidationError):
        verification_record(
            organisation=organisation,
            user=superuser,
            method="website",
            checked_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert not Verification.objects.exists()


def test_stale_means_last_checked_longer_ago_than_the_setting(settings):
    settings.VERIFICATION_STALE_MONTHS = 12
    stale = OrganisationFactory(last_verified_on=months_ago(13))
    recent = OrganisationFactory(last_verified_on=months_ago(11))
    never = OrganisationFactory(last_verified_on=None)

    assert set(Organisation.objects.stale()) == {stale}
    assert set(Organisation.objects.recently_verified()) == {recent}
    assert set(Organisation.objects.never_verified()) == {never}

    settings.VERIFICATION_STALE_MONTHS = 6
    assert set(Organisation.objects.stale()) == {stale, recent}


def test_the_cutoff_is_the_same_day_months_ago_or_the_months_last_day():
    today = timezone.localdate()
    cutoff = stale_cutoff(12)
    assert (cutoff.year, cutoff.month) == (today.year - 1, today.month)
    assert cutoff.day == today.day or cutoff.day >= 28


def test_the_admin_filter_shows_how_many_are_stale_never_checked_and_recent(admin_client, settings):
    settings.VERIFICATION_STALE_MONTHS = 12
    stale = OrganisationFactory(last_verified_on=months_ago(14))
    OrganisationFactory(last_verified_on=months_ago(15))
    recent = OrganisationFactory(last_verified_on=months_ago(1))
    never = OrganisationFactory(last_verified_on=None)
    url = reverse("admin:organisations_organisation_changelist")

    page = admin_client.get(url).content.decode()
    assert "Stale: last checked over 12 months ago (2)" in page
    assert "Never checked (1)" in page
    assert "Checked in the last 12 months (1)" in page

    def shown(value):
        return {org.pk for org in admin_client.get(url, {"verification": value}).context["cl"].result_list}

    assert stale.pk in shown("stale") and len(shown("stale")) == 2
    assert shown("never") == {never.pk}
    assert shown("recent") == {recent.pk}


def test_the_record_check_action_asks_how_then_records_each(admin_client, superuser):
    first, second = OrganisationFactory.create_batch(2, last_verified_on=None)
    url = reverse("admin:organisations_organisation_changelist")
    selection = {"action": "record_check", "_selected_action": [first.pk, second.pk]}

    page = admin_client.post(url, selection)
    assert page.status_code == 200
    assert "How was it checked?" in page.content.decode()
    assert not Verification.objects.exists()

    response = admin_client.post(
        url,
        {
            **selection,
            "post": "yes",
            "method": "organisation",
            "checked_on": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    assert "Recorded a check (organisation confirmed) of 2 organisations." in messages_of(response)
    assert Verification.objects.filter(checked_by=superuser, method="organisation").count() == 2
    first.refresh_from_db()
    assert first.last_verified_on == timezone.localdate()


def test_a_check_without_how_is_refused_with_a_message(admin_client):
    organisation = OrganisationFactory()
    url = reverse("admin:organisations_organisation_record_check", args=[organisation.pk])
    response = admin_client.post(url, {"checked_on": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Verification.objects.exists()


def test_one_entry_can_be_checked_from_its_change_form(admin_client, superuser):
    organisation = OrganisationFactory()
    change_url = reverse("admin:organisations_organisation_change", args=[organisation.pk])
    check_url = reverse("admin:organisations_organisation_record_check", args=[organisation.pk])
    assert check_url in admin_client.get(change_url).content.decode()

    response = admin_client.post(
        check_url,
        {"method": "website", "checked_on": timezone.localdate().isoformat(), "note": "About page current"},
    )
    assert response.status_code == 302
    page = admin_client.get(change_url).content.decode()
    assert "Website checked by root: About page current" in page
    form = admin_client.get(change_url).context["adminform"].form
    # Last verified follows the checks: it is not typed in.
    assert "last_verified_on" not in form.fields


def test_an_editor_can_record_a_check_but_not_a_viewer(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="x-unused-password", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    organisation = OrganisationFactory()
    client.force_login(viewer)
    url = reverse("admin:organisations_organisation_record_check", args=[organisation.pk])
    assert (
        client.post(url, {"method": "website", "checked_on": timezone.localdate().isoformat()}).status_code
        == 403
    )


def test_the_public_page_shows_the_month_of_the_last_check_or_nothing(client, superuser):
    organisation = OrganisationFactory(name="Checked Entry")
    page = client.get("/organisations/checked-entry/").content.decode()
    assert "Checked" not in page.replace("Checked Entry", "")
    assert "Not yet checked" not in page

    verification_record(
        organisation=organisation, user=superuser, method="website", checked_on=datetime.date(2026, 2, 9)
    )
    page = client.get("/organisations/checked-entry/").content.decode()
    assert '<dt>Checked</dt><dd><time datetime="2026-02">February 2026</time></dd>' in page
    # Who checked and how stay in the back office.
    assert "root" not in page and "Website checked" not in page


def test_more_than_a_hundred_at_once_is_refused(admin_client):
    organisations = OrganisationFactory.create_batch(101)
    url = reverse("admin:organisations_organisation_changelist")
    response = admin_client.post(
        url, {"action": "record_check", "_selected_action": [o.pk for o in organisations]}, follow=True
    )
    assert "Select at most 100 organisations to record a check of." in messages_of(response)
