"""The import's bulk helpers write what Django's and simple-history's own helpers would."""

import datetime

import pytest
from django.utils import timezone

from initiatives.models import Membership
from organisations.bulk import copy_to_history, insert_pairs, update_rows
from organisations.models import Organisation, Status
from tests.factories import InitiativeFactory, OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db

HISTORY_OWN = ("history_type", "history_change_reason", "history_user_id", "history_date")


def history_rows(model, history_type):
    tracked = [f.attname for f in model.history.model.tracked_fields]
    return sorted(
        model.history.filter(history_type=history_type).values_list(*tracked, *HISTORY_OWN),
        key=lambda row: row[0],
    )


def test_copy_to_history_writes_the_rows_simple_history_writes(django_user_model):
    user = django_user_model.objects.create_user("importer")
    parent = OrganisationFactory(name="Parent")
    organisations = [
        OrganisationFactory(
            name=f"Acme {i}",
            parent=parent if i % 2 else None,
            founded_year=2000 + i,
            last_verified_on=datetime.date(2024, 1, i + 1),
            headquartered_in_leeds=bool(i % 2),
            postcode="LS1 4AP",
        )
        for i in range(3)
    ]
    Organisation.history.all().delete()
    when = timezone.now().replace(microsecond=0)

    Organisation.history.bulk_history_create(
        organisations, update=True, default_user=user, default_change_reason="CSV import", default_date=when
    )
    theirs = history_rows(Organisation, "~")
    Organisation.history.all().delete()
    copy_to_history(
        Organisation,
        [o.pk for o in organisations],
        history_type="~",
        user=user,
        reason="CSV import",
        when=when,
    )

    assert history_rows(Organisation, "~") == theirs
    assert len(theirs) == 3


def test_copy_to_history_records_memberships_without_a_user():
    membership = Membership.objects.create(
        organisation=OrganisationFactory(), initiative=InitiativeFactory(), role="member"
    )
    Membership.history.all().delete()
    when = timezone.now()

    copy_to_history(Membership, [membership.pk], history_type="+", user=None, reason="CSV import", when=when)

    record = Membership.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        None,
        "CSV import",
    )
    assert (record.organisation_id, record.initiative_id, record.role) == (
        membership.organisation_id,
        membership.initiative_id,
        "member",
    )
    assert record.history_date == when


def test_update_rows_saves_every_kind_of_column_and_only_the_named_ones():
    parent = OrganisationFactory(name="Parent")
    first = OrganisationFactory(name="First", town="Leeds", summary="Keep")
    second = OrganisationFactory(name="Second", town="Leeds", summary="Keep", founded_year=1999)
    published = timezone.now()
    first.town, first.parent_id, first.founded_year = "York", parent.pk, 2015
    first.last_verified_on, first.headquartered_in_leeds = datetime.date(2025, 3, 1), True
    first.published_at, first.status = published, Status.ARCHIVED
    second.town, second.parent_id, second.founded_year = "", None, None
    second.last_verified_on, second.headquartered_in_leeds = None, False
    second.published_at, second.status = None, Status.DRAFT
    first.summary = second.summary = "Not saved"
    fields = [
        "town",
        "parent",
        "founded_year",
        "last_verified_on",
        "headquartered_in_leeds",
        "published_at",
        "status",
    ]

    update_rows(Organisation, [first, second], fields)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.town, first.parent, first.founded_year, first.last_verified_on) == (
        "York",
        parent,
        2015,
        datetime.date(2025, 3, 1),
    )
    assert (first.headquartered_in_leeds, first.published_at, first.status) == (
        True,
        published,
        Status.ARCHIVED,
    )
    assert (second.town, second.parent, second.founded_year, second.last_verified_on) == (
        "",
        None,
        None,
        None,
    )
    assert (second.headquartered_in_leeds, second.published_at, second.status) == (False, None, Status.DRAFT)
    assert first.summary == second.summary == "Keep"


def test_insert_pairs_links_rows_as_the_through_model_would():
    sectors = [SectorFactory(name="Medtech", slug="medtech"), SectorFactory(name="Imaging", slug="imaging")]
    organisations = [OrganisationFactory(), OrganisationFactory()]

    insert_pairs(
        Organisation.sectors.through,
        ("organisation_id", "sector_id"),
        [
            (organisations[0].pk, sectors[0].pk),
            (organisations[0].pk, sectors[1].pk),
            (organisations[1].pk, sectors[1].pk),
        ],
    )

    assert sorted(organisations[0].sectors.values_list("slug", flat=True)) == ["imaging", "medtech"]
    assert list(organisations[1].sectors.values_list("slug", flat=True)) == ["imaging"]
