"""The back office's review queue of register candidates and the register's flags."""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organisations.models import Candidate, Organisation, RegisterFlag, Status
from organisations.permissions import EDITORS, PUBLISHERS, ensure_groups
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "registers"
CH_FILE = DATA / "BasicCompanyData-2026-11-01-part1_1.csv"
QUEUE = reverse("admin:organisations_candidate_changelist")
FLAGS = reverse("admin:organisations_registerflag_changelist")
ORGANISATIONS = reverse("admin:organisations_organisation_changelist")


def member_of(django_user_model, group, username):
    ensure_groups()
    user = django_user_model.objects.create_user(username, f"{username}@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(client, django_user_model):
    user = member_of(django_user_model, EDITORS, "editor")
    client.force_login(user)
    return user


@pytest.fixture
def imported():
    call_command(
        "register_candidates", "companies-house", str(CH_FILE), stdout=io.StringIO(), stderr=io.StringIO()
    )
    return {candidate.register_id: candidate for candidate in Candidate.objects.all()}


def act(client, action, candidates, url=QUEUE, **data):
    return client.post(
        url, {"action": action, "_selected_action": [c.pk for c in candidates], **data}, follow=True
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_the_queue_shows_each_candidate_with_its_facts_reasons_and_likely_duplicates(
    client, editor, imported
):
    twin = OrganisationFactory(name="Example Surgical Instruments Ltd")

    response = client.get(QUEUE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "EXAMPLE SURGICAL INSTRUMENTS LIMITED" in page
    assert "SIC 32500: manufacture of medical and dental instruments and supplies" in page
    assert "SIC 32500<br>" in page
    assert "incorporated 2019-03-14" in page
    assert "LS1 4AP<br>Leeds" in page
    twin_url = reverse("admin:organisations_organisation_change", args=[twin.pk])
    assert f'<a href="{twin_url}">Example Surgical Instruments Ltd</a> (similar name)' in page
    assert 'href="https://find-and-update.company-information.service.gov.uk/company/99000001"' in page


def test_the_queue_shows_new_candidates_until_another_state_is_chosen(client, editor, imported):
    imported["99000001"].state = Candidate.State.DISMISSED
    imported["99000001"].save()

    assert "EXAMPLE SURGICAL INSTRUMENTS LIMITED" not in client.get(QUEUE).content.decode()
    assert "EXAMPLE SURGICAL INSTRUMENTS LIMITED" in client.get(QUEUE + "?state=dismissed").content.decode()
    assert "EXAMPLE SURGICAL INSTRUMENTS LIMITED" in client.get(QUEUE + "?state=all").content.decode()


def test_the_queue_costs_the_same_number_of_queries_however_many_rows_it_shows(client, editor, imported):
    OrganisationFactory(name="Example Surgical Instruments Ltd")
    OrganisationFactory(name="Example Health Software", companies_house_number="99000002")

    with CaptureQueriesContext(connection) as six_rows:
        client.get(QUEUE)
    Candidate.objects.exclude(register_id__in=["99000001", "99000002"]).update(
        state=Candidate.State.DISMISSED
    )
    with CaptureQueriesContext(connection) as two_rows:
        client.get(QUEUE)

    assert len(six_rows) == len(two_rows)


def test_an_editor_accepts_a_candidate_as_a_draft_organisation_filled_from_the_register(
    client, editor, imported
):
    candidate = imported["99000001"]

    response = act(client, "accept", [candidate])

    organisation = Organisation.objects.get()
    assert organisation.status == Status.DRAFT
    assert organisation.name == "EXAMPLE SURGICAL INSTRUMENTS LIMITED"
    assert organisation.legal_name == "EXAMPLE SURGICAL INSTRUMENTS LIMITED"
    assert organisation.organisation_type == Organisation.Type.COMPANY
    assert organisation.companies_house_number == "99000001"
    assert (organisation.postcode, organisation.local_authority) == ("LS1 4AP", "leeds")
    assert (organisation.address_line, organisation.town) == ("1 EXAMPLE STREET", "LEEDS")
    assert organisation.founded_year == 2019
    assert organisation.source_url == (
        "https://find-and-update.company-information.service.gov.uk/company/99000001"
    )
    candidate.refresh_from_db()
    assert candidate.state == Candidate.State.ACCEPTED and candidate.organisation == organisation
    assert candidate.reviewed_by == editor
    record = organisation.history.get()
    assert record.history_user == editor and record.history_change_reason == "From Companies House 99000001"
    assert messages_of(response)[0].startswith("Created 1 draft organisation (drafts: check and publish")


def test_an_ods_candidate_becomes_a_draft_nhs_body(client, editor):
    call_command(
        "register_candidates", "ods", str(DATA / "etr.csv"), stdout=io.StringIO(), stderr=io.StringIO()
    )

    act(client, "accept", [Candidate.objects.get(register_id="ZZA")])

    organisation = Organisation.objects.get()
    assert organisation.organisation_type == Organisation.Type.NHS
    assert (organisation.ods_code, organisation.companies_house_number) == ("ZZA", "")
    assert (organisation.address_line, organisation.town) == ("EXAMPLE HOSPITAL, EXAMPLE STREET", "LEEDS")
    assert organisation.founded_year == 1998
    assert organisation.source_url == "https://directory.spineservices.nhs.uk/ORD/2-0-0/organisations/ZZA"
    assert organisation.status == Status.DRAFT


def test_accepting_a_company_listed_meanwhile_is_refused_with_the_reason(client, editor, imported):
    OrganisationFactory(name="Example Instruments", companies_house_number="99000001")

    response = act(client, "accept", [imported["99000001"]])

    assert messages_of(response) == [
        "Not accepted: “EXAMPLE SURGICAL INSTRUMENTS LIMITED”: Another organisation already has this "
        "Companies House number."
    ]
    assert Organisation.objects.count() == 1
    assert Candidate.objects.get(register_id="99000001").state == Candidate.State.NEW


def test_the_link_action_offers_the_likely_twin_first(client, editor, imported):
    twin = OrganisationFactory(name="Example Surgical Instruments Ltd")

    response = act(client, "link", [imported["99000001"]])

    assert response.status_code == 200
    assert response.templates[0].name == "admin/organisations/candidate/link.html"
    assert response.context["form"].initial["organisation"] == twin.pk


def test_an_editor_links_a_candidate_and_the_organisation_gains_its_number(client, editor, imported):
    organisation = OrganisationFactory(name="Example Surgical Instruments Ltd", companies_house_number="")

    response = act(client, "link", [imported["99000001"]], post="yes", organisation=organisation.pk)

    organisation.refresh_from_db()
    assert organisation.companies_house_number == "99000001"
    latest = organisation.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == "Linked to Companies House 99000001"
    candidate = Candidate.objects.get(register_id="99000001")
    assert candidate.state == Candidate.State.LINKED and candidate.organisation == organisation
    url = reverse("admin:organisations_organisation_change", args=[organisation.pk])
    assert messages_of(response) == [
        f'Linked “EXAMPLE SURGICAL INSTRUMENTS LIMITED” to <a href="{url}">Example Surgical Instruments Ltd</a>.'
    ]


def test_linking_never_overwrites_an_organisations_own_number(client, editor, imported):
    organisation = OrganisationFactory(name="Example Instruments", companies_house_number="12345678")
    versions = organisation.history.count()

    response = act(client, "link", [imported["99000001"]], post="yes", organisation=organisation.pk)

    organisation.refresh_from_db()
    assert organisation.companies_house_number == "12345678"
    assert organisation.history.count() == versions
    assert (
        "keeps its own Companies House number 12345678; 99000001 was not copied." in messages_of(response)[0]
    )
    assert Candidate.objects.get(register_id="99000001").state == Candidate.State.LINKED


def test_an_editor_dismisses_candidates_and_can_return_them_to_the_queue(client, editor, imported):
    response = act(client, "dismiss", [imported["99000001"], imported["99000002"]])

    assert messages_of(response) == ["Dismissed 2 candidates; later imports keep them dismissed."]
    assert set(Candidate.objects.filter(state="dismissed").values_list("register_id", flat=True)) == {
        "99000001",
        "99000002",
    }
    act(client, "restore", [imported["99000001"]], url=QUEUE + "?state=all")
    assert Candidate.objects.get(register_id="99000001").state == Candidate.State.NEW


def test_nobody_publishes_from_the_queue(client, django_user_model, imported):
    client.force_login(member_of(django_user_model, PUBLISHERS, "publisher"))

    actions = dict(client.get(QUEUE).context["action_form"].fields["action"].choices)
    act(client, "accept", [imported["99000001"]])

    assert set(actions) == {"", "accept", "link", "dismiss", "restore", "delete_selected"}
    assert Organisation.objects.get().status == Status.DRAFT


def test_editors_may_not_delete_candidates(client, editor, imported):
    actions = dict(client.get(QUEUE).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert (
        client.post(
            reverse("admin:organisations_candidate_delete", args=[imported["99000001"].pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_the_candidate_page_shows_the_register_facts_read_only(client, editor, imported):
    response = client.get(reverse("admin:organisations_candidate_change", args=[imported["99000010"].pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "FLOOR 2\nEXAMPLE HOUSE, 10 EXAMPLE STREET" in page
    assert "EXAMPLE &quot;QUOTED&quot;, COMMA BIOTECH LIMITED" in page
    assert 'name="_save"' not in page


def test_staff_without_the_register_rights_cannot_see_the_queue(client, django_user_model, imported):
    client.force_login(django_user_model.objects.create_user("visitor", is_staff=True))
    assert client.get(QUEUE).status_code == 403
    assert client.get(FLAGS).status_code == 403


@pytest.fixture
def flagged():
    organisation = OrganisationFactory(
        name="Example Moved Medical", companies_house_number="99000012", postcode="LS2 9JT"
    )
    call_command(
        "register_candidates", "companies-house", str(CH_FILE), stdout=io.StringIO(), stderr=io.StringIO()
    )
    return organisation


def test_the_organisation_list_counts_open_flags_and_candidates_to_review(client, editor, flagged):
    page = client.get(ORGANISATIONS).content.decode()

    assert f'<a href="{FLAGS}">1 open register flag</a>' in page
    assert f'<a href="{QUEUE}">6 register candidates to review</a>' in page
    only_flagged = client.get(ORGANISATIONS + "?register_flags=open").context["cl"].result_list
    assert list(only_flagged) == [flagged]


def test_an_editor_resolves_a_flag(client, editor, flagged):
    flag = RegisterFlag.objects.get()
    page = client.get(FLAGS).content.decode()
    assert "The register&#x27;s address has the postcode M1 1AE; the directory has LS2 9JT." in page

    response = act(client, "resolve", [flag], url=FLAGS)

    flag.refresh_from_db()
    assert not flag.is_open and flag.resolved_by == editor
    assert messages_of(response) == ["Resolved 1 flag. The same finding will not be raised again."]
    assert "M1 1AE" not in client.get(FLAGS).content.decode()
    assert "M1 1AE" in client.get(FLAGS + "?open=no").content.decode()
    flagged.refresh_from_db()
    assert flagged.postcode == "LS2 9JT"


def test_the_about_page_attributes_a_register_once_an_entry_from_it_is_published(client, editor, imported):
    about = reverse("about")
    act(client, "accept", [imported["99000001"]])
    client.logout()
    assert "Contains Companies House data" not in client.get(about).content.decode()

    Organisation.objects.update(status=Status.PUBLISHED)
    page = client.get(about).content.decode()

    assert "Contains Companies House data licensed under the" in page
    assert "open-government-licence/version/3/" in page
    assert "NHS Organisation Data Service" not in page


def test_the_about_page_attributes_the_nhs_register_of_a_linked_entry(client, editor):
    call_command(
        "register_candidates", "ods", str(DATA / "etr.csv"), stdout=io.StringIO(), stderr=io.StringIO()
    )
    candidate = Candidate.objects.first()
    organisation = OrganisationFactory(status=Status.PUBLISHED)
    Candidate.objects.filter(pk=candidate.pk).update(state=Candidate.State.LINKED, organisation=organisation)
    client.logout()

    page = client.get(reverse("about")).content.decode()

    assert "Contains NHS Organisation Data Service data licensed under the" in page
    assert "Contains Companies House data" not in page
