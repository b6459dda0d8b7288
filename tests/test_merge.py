import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from initiatives.models import Membership
from organisations.models import Organisation, OrganisationSlugRedirect, Status, Submission
from organisations.services import organisation_merge
from tests.factories import (
    ContactFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x-unused-password")


@pytest.fixture
def pair():
    target = OrganisationFactory(name="Pharmacy2U", slug="pharmacy2u", website="", summary="Online pharmacy.")
    source = OrganisationFactory(
        name="Pharmacy2U Ltd",
        slug="pharmacy2u-ltd",
        website="https://www.pharmacy2u.co.uk",
        companies_house_number="03802593",
        founded_year=1999,
        summary="Another summary.",
        sectors=[SectorFactory(name="Pharmacy")],
    )
    return source, target


def test_merge_moves_everything_and_archives_the_source(pair, superuser):
    source, target = pair
    nexus, hub = InitiativeFactory(name="Nexus"), InitiativeFactory(name="Hub")
    MembershipFactory(organisation=source, initiative=nexus, role="resident")
    MembershipFactory(organisation=source, initiative=hub)
    MembershipFactory(organisation=target, initiative=hub, role="partner")
    contact = ContactFactory(organisation=source)
    child = OrganisationFactory(parent=source)
    submission = Submission.objects.create(kind=Submission.Kind.UPDATE, organisation=source, proposed={})
    OrganisationSlugRedirect.objects.create(old_slug="pharmacy-two-u", organisation=source)

    organisation_merge(source=source, target=target, user=superuser)

    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into == target
    assert source.status == Status.ARCHIVED
    assert set(Membership.objects.filter(organisation=target).values_list("initiative__name", "role")) == {
        ("Nexus", "resident"),
        ("Hub", "partner"),
    }
    assert not Membership.objects.filter(organisation=source).exists()
    contact.refresh_from_db()
    child.refresh_from_db()
    submission.refresh_from_db()
    assert contact.organisation == target
    assert child.parent == target
    assert submission.organisation == target
    # Empty fields filled from the source, filled ones kept.
    assert target.website == "https://www.pharmacy2u.co.uk"
    assert target.companies_house_number == "03802593"
    assert source.companies_house_number == ""
    assert target.founded_year == 1999
    assert target.summary == "Online pharmacy."
    assert "Pharmacy2U Ltd" in target.alternative_names_list
    assert target.sector_names == "Pharmacy"
    # Old addresses lead to the survivor.
    assert OrganisationSlugRedirect.objects.get(old_slug="pharmacy2u-ltd").organisation == target
    assert OrganisationSlugRedirect.objects.get(old_slug="pharmacy-two-u").organisation == target


def test_merge_is_recorded_in_history_with_the_user(pair, superuser):
    source, target = pair
    contact = ContactFactory(organisation=source)
    organisation_merge(source=source, target=target, user=superuser)
    for record in (source.history.first(), target.history.first(), contact.history.first()):
        assert record.history_user == superuser
        assert record.history_change_reason.startswith("Merged")
    assert source.history.first().merged_into_id == target.pk


def test_merge_refuses_itself_and_entries_already_merged(pair, superuser):
    source, target = pair
    with pytest.raises(ValidationError):
        organisation_merge(source=source, target=source, user=superuser)
    organisation_merge(source=source, target=target, user=superuser)
    with pytest.raises(ValidationError):
        organisation_merge(source=source, target=target, user=superuser)
    with pytest.raises(ValidationError):
        organisation_merge(
            source=OrganisationFactory(), target=Organisation.objects.get(pk=source.pk), user=superuser
        )


def test_the_merge_action_with_two_selected_asks_which_to_keep(client, superuser, pair):
    source, target = pair
    client.force_login(superuser)
    url = reverse("admin:organisations_organisation_changelist")
    selected = {"action": "merge", "_selected_action": [source.pk, target.pk]}
    page = client.post(url, selected)
    assert page.status_code == 200
    assert "Merge organisations" in page.content.decode()
    source.refresh_from_db()
    assert source.merged_into is None, "nothing happens before confirmation"

    response = client.post(url, {**selected, "post": "yes", "keep": target.pk}, follow=True)
    assert f"Merged “{source.name}” into “{target.name}”" in response.content.decode()
    source.refresh_from_db()
    assert source.merged_into == target


def test_the_merge_action_with_one_selected_asks_for_the_target(client, superuser, pair):
    source, target = pair
    client.force_login(superuser)
    url = reverse("admin:organisations_organisation_changelist")
    selected = {"action": "merge", "_selected_action": [source.pk]}
    page = client.post(url, selected)
    assert page.status_code == 200
    assert page.context["form"].initial["target"] == target.pk, "the likely twin is offered first"
    client.post(url, {**selected, "post": "yes", "target": target.pk})
    source.refresh_from_db()
    assert source.merged_into == target


def test_the_merge_action_refuses_three(client, superuser):
    orgs = OrganisationFactory.create_batch(3)
    client.force_login(superuser)
    url = reverse("admin:organisations_organisation_changelist")
    response = client.post(url, {"action": "merge", "_selected_action": [o.pk for o in orgs]}, follow=True)
    assert "Choose exactly two organisations" in response.content.decode()
    assert not Organisation.objects.filter(merged_into__isnull=False).exists()
