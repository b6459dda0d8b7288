"""Curator screens worth using: the back office's titles and sections, the suggestion review, the
organisation form."""

import pytest
from django.urls import reverse

from organisations.models import Organisation, Submission
from tests.factories import OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "unused-pw"))
    return client


def test_the_back_office_is_titled_for_the_directory(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Leeds Health Tech Directory: back office" in page
    assert "<title>Curate the directory | Directory back office</title>" in page
    assert "Django administration" not in page


def test_the_curators_apps_come_first_and_the_security_apps_are_grouped_last(admin_client):
    apps = admin_client.get(reverse("admin:index")).context["app_list"]
    labels = [app["app_label"] for app in apps]

    assert labels[:2] == ["organisations", "initiatives"]
    assert labels[-1] == "security"
    assert not {"axes", "otp_totp", "otp_static"} & set(labels)
    security = apps[-1]
    assert security["name"] == "Security: sign-in lockouts and two-factor devices"
    assert len(security["models"]) >= 4
    organisations = [model["object_name"] for model in apps[0]["models"]]
    assert organisations[:2] == ["Organisation", "Submission"]


def test_an_apps_own_page_still_lists_its_models(admin_client):
    response = admin_client.get(reverse("admin:app_list", args=["axes"]))
    assert response.status_code == 200
    assert [app["app_label"] for app in response.context["app_list"]] == ["axes"]


def test_the_summary_is_a_two_line_field_with_a_live_character_count(admin_client):
    page = admin_client.get(reverse("admin:organisations_organisation_add")).content.decode()
    assert '<textarea name="summary"' in page
    assert 'data-character-count="400"' in page and 'maxlength="400"' in page
    assert "/static/js/admin.js" in page
    assert "/static/css/admin.css" in page


def test_the_change_form_previews_the_current_logo(admin_client):
    organisation = OrganisationFactory(logo="logos/acme.png")
    page = admin_client.get(
        reverse("admin:organisations_organisation_change", args=[organisation.pk])
    ).content.decode()
    assert '<p class="logo-preview"><img src="/media/logos/acme.png" alt="The current logo"></p>' in page

    plain = OrganisationFactory(logo="")
    page = admin_client.get(
        reverse("admin:organisations_organisation_change", args=[plain.pk])
    ).content.decode()
    assert "logo-preview" not in page


def test_the_change_form_groups_legal_name_and_lifecycle(admin_client):
    organisation = OrganisationFactory()
    response = admin_client.get(reverse("admin:organisations_organisation_change", args=[organisation.pk]))
    fieldsets = {name: options["fields"] for name, options in response.context["adminform"].fieldsets}
    assert "legal_name" in fieldsets[None]
    assert fieldsets["Merged or closed"] == ["lifecycle", "merged_into", "successor_text", "ended_year"]


@pytest.fixture
def update_suggestion():
    digital = SectorFactory(name="Digital health", slug="digital-health")
    SectorFactory(name="Medtech", slug="medtech")
    organisation = OrganisationFactory(name="Acme Health", summary="Old summary.", sectors=[digital])
    return Submission.objects.create(
        kind=Submission.Kind.UPDATE,
        organisation=organisation,
        proposed={
            "summary": "New summary.",
            "sectors": ["digital-health", "medtech"],
            "employees_band": "small",
        },
        submitter_name="Sam",
    )


def test_the_review_page_is_styled_like_the_rest_of_the_admin(admin_client, update_suggestion):
    page = admin_client.get(
        reverse("admin:organisations_submission_change", args=[update_suggestion.pk])
    ).content.decode()
    assert "/static/admin/css/forms.css" in page
    assert 'class="review-table"' in page
    assert "Leeds Health Tech Directory: back office" in page


def test_the_review_page_shows_field_labels_and_sector_names_side_by_side(admin_client, update_suggestion):
    response = admin_client.get(reverse("admin:organisations_submission_change", args=[update_suggestion.pk]))
    page = response.content.decode()
    rows = {row["field"]: row for row in response.context["rows"]}

    assert rows["sectors"]["label"] == "Sectors"
    assert rows["sectors"]["current"] == "Digital health"
    assert rows["sectors"]["proposed"] == "Digital health, Medtech"
    assert rows["employees_band"]["proposed"] == "Small (10–49)"
    assert "medtech" not in page.replace('value="sectors"', "")
    assert '<th scope="col">Current value</th>' in page and '<th scope="col">Suggested value</th>' in page
    assert '<td class="review-current">Old summary.</td>' in page
    assert '<td class="review-suggested">New summary.</td>' in page


def test_no_organisation_list_column_is_clipped(admin_client):
    OrganisationFactory(name="An organisation with a long name " * 4)
    page = admin_client.get(reverse("admin:organisations_organisation_changelist")).content.decode()
    table = page[page.index('id="result_list"') :]
    header = table[: table.index("</thead>")]
    # Seven columns and the checkbox: what fits at 1280 px (tests/e2e checks it in a browser).
    assert header.count('<th scope="col"') == 8
    assert Organisation.objects.count() == 1
