import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from initiatives.models import Initiative, KeyFigure, Membership
from organisations.models import (
    CareSetting,
    Contact,
    Organisation,
    OrganisationSlugRedirect,
    RegulatoryMark,
    Sector,
    Status,
    Submission,
)
from tests.factories import (
    CareSettingFactory,
    ContactFactory,
    InitiativeFactory,
    KeyFigureFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x-unused-password")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def one_of_each():
    organisation = OrganisationFactory(name="Pharmacy2U", sectors=[SectorFactory(name="Pharmacy")])
    organisation.care_settings.add(CareSettingFactory())
    organisation.regulatory_marks.add(RegulatoryMarkFactory())
    initiative = InitiativeFactory()
    MembershipFactory(organisation=organisation, initiative=initiative)
    ContactFactory(organisation=organisation)
    KeyFigureFactory(initiative=initiative, as_of=timezone.localdate())
    OrganisationSlugRedirect.objects.create(old_slug="pharmacy-2u", organisation=organisation)
    Submission.objects.create(kind=Submission.Kind.NEW, proposed={"name": "Somebody New"})


def action(client, model, name, objects, **extra):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    data = {"action": name, "_selected_action": [obj.pk for obj in objects], **extra}
    return client.post(url, data, follow=True)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_every_model_of_the_directory_is_registered():
    registered = set(admin.site._registry)
    for model in [
        Sector,
        CareSetting,
        RegulatoryMark,
        Organisation,
        Contact,
        OrganisationSlugRedirect,
        Initiative,
        Membership,
        KeyFigure,
        Submission,
    ]:
        assert model in registered, model


def test_every_changelist_add_and_change_page_renders_for_a_superuser(admin_client, one_of_each):
    checked = 0
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        response = admin_client.get(reverse(f"{prefix}_changelist"))
        assert response.status_code == 200, (model, "changelist")
        response = admin_client.get(reverse(f"{prefix}_changelist"), {"q": "pharmacy"})
        assert response.status_code == 200, (model, "search")
        if model_admin.has_add_permission(response.wsgi_request):
            assert admin_client.get(reverse(f"{prefix}_add")).status_code == 200, (model, "add")
        obj = model._default_manager.first()
        if obj is not None:
            assert admin_client.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200, (
                model,
                "change",
            )
            assert admin_client.get(reverse(f"{prefix}_history", args=[obj.pk])).status_code == 200
            checked += 1
    assert checked >= 10


def test_the_organisation_filters_render(admin_client, one_of_each):
    url = reverse("admin:organisations_organisation_changelist")
    for params in [
        {"verification": "stale"},
        {"verification": "old"},
        {"verification": "never"},
        {"verification": "recent"},
        {"duplicates": "yes"},
        {"status__exact": "published", "duplicates": "yes"},
    ]:
        assert admin_client.get(url, params).status_code == 200, params


def test_the_organisation_changelist_does_not_query_per_row(admin_client, django_assert_max_num_queries):
    parent = OrganisationFactory()
    OrganisationFactory.create_batch(30, parent=parent)
    url = reverse("admin:organisations_organisation_changelist")
    admin_client.get(url)
    with django_assert_max_num_queries(15):
        assert admin_client.get(url).status_code == 200


def test_publish_reports_what_it_did_and_records_history(admin_client, superuser):
    drafts = OrganisationFactory.create_batch(3, status=Status.DRAFT)
    already = OrganisationFactory(status=Status.PUBLISHED)
    response = action(admin_client, Organisation, "publish", [*drafts, already])
    assert "Published 3 organisations; 1 was already published." in messages_of(response)
    for organisation in drafts:
        organisation.refresh_from_db()
        assert organisation.status == Status.PUBLISHED
        latest = organisation.history.first()
        assert latest.status == Status.PUBLISHED
        assert latest.history_user == superuser


def test_archive_reports_what_it_did(admin_client):
    published = OrganisationFactory.create_batch(2)
    response = action(admin_client, Organisation, "archive", published)
    assert "Archived 2 organisations." in messages_of(response)
    assert set(Organisation.objects.values_list("status", flat=True)) == {Status.ARCHIVED}


def test_publishing_a_merged_entry_is_refused(admin_client):
    target = OrganisationFactory()
    merged = OrganisationFactory(status=Status.ARCHIVED, merged_into=target)
    response = action(admin_client, Organisation, "publish", [merged])
    assert "Published 0 organisations; 1 merged into another entry stays archived." in messages_of(response)
    merged.refresh_from_db()
    assert merged.status == Status.ARCHIVED


def test_initiatives_publish_and_archive(admin_client):
    drafts = InitiativeFactory.create_batch(2, status=Status.DRAFT)
    response = action(admin_client, Initiative, "publish", drafts)
    assert "Published 2 initiatives." in messages_of(response)
    response = action(admin_client, Initiative, "archive", drafts)
    assert "Archived 2 initiatives." in messages_of(response)
    assert drafts[0].history.count() == 3


def test_saving_an_organisation_in_admin_refreshes_its_sector_names(admin_client):
    medtech = SectorFactory(name="Medtech")
    organisation = OrganisationFactory(name="Atlas Endoscopy", website="")
    url = reverse("admin:organisations_organisation_change", args=[organisation.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "name": "Atlas Endoscopy",
            "slug": organisation.slug,
            "organisation_type": "company",
            "status": "published",
            "sectors": [medtech.pk],
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        }
    )
    data.pop("care_settings", None)
    data.pop("regulatory_marks", None)
    data.pop("parent", None)
    data.pop("logo", None)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    organisation.refresh_from_db()
    assert organisation.sector_names == "Medtech"


def test_a_reference_row_in_use_cannot_be_deleted(admin_client):
    used = SectorFactory(name="Genomics")
    unused = SectorFactory(name="Orthopaedics")
    OrganisationFactory(sectors=[used])
    response = admin_client.post(
        reverse("admin:organisations_sector_delete", args=[used.pk]), {"post": "yes"}
    )
    assert response.status_code == 200
    assert "is used by 1 organisation" in response.content.decode()
    assert Sector.objects.filter(pk=used.pk).exists()

    response = action(admin_client, Sector, "delete_selected", [used, unused], post="yes")
    assert Sector.objects.filter(pk=used.pk).exists()
    assert Sector.objects.filter(pk=unused.pk).exists(), "the whole batch is refused, nothing deleted"

    response = action(admin_client, Sector, "delete_selected", [unused], post="yes")
    assert not Sector.objects.filter(pk=unused.pk).exists()


def test_slug_redirects_are_read_only(admin_client, one_of_each):
    redirect = OrganisationSlugRedirect.objects.get()
    url = reverse("admin:organisations_organisationslugredirect_change", args=[redirect.pk])
    response = admin_client.post(
        url, {"old_slug": "something-else", "organisation": redirect.organisation_id}
    )
    assert response.status_code == 403
    redirect.refresh_from_db()
    assert redirect.old_slug == "pharmacy-2u"
