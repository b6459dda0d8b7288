import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.cache import cache

import organisations.admin_submissions  # noqa: F401 - registers the queue when admin.py has not yet
from organisations.models import Organisation, Status, Submission
from tests.factories import OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "private.person.7731@example.org"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    settings.STAFF_NOTIFICATION_EMAILS = ["curators@example.org"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def csrf_client(client):
    client.handler.enforce_csrf_checks = True
    return client


def new_suggestion(**overrides):
    data = {
        "name": "Acme Health",
        "website": "https://acme.example.org",
        "summary": "Software for GP practices.",
        "town": "Leeds",
        "submitter_name": "Sam",
        "submitter_email": SECRET_EMAIL,
        "message": "I work there.",
        "homepage": "",
    }
    return {**data, **overrides}


def update_data(org, **changes):
    data = {
        field: getattr(org, field) if getattr(org, field) is not None else ""
        for field in [
            "name",
            "alternative_names",
            "summary",
            "description",
            "website",
            "email",
            "phone",
            "address_line",
            "town",
            "postcode",
            "founded_year",
            "employees_band",
        ]
    }
    data["sectors"] = [s.slug for s in org.sectors.all()]
    data.update({"submitter_name": "", "submitter_email": SECRET_EMAIL, "message": "", "homepage": ""})
    return {**data, **changes}


def staff(django_user_model, *codenames, username="reviewer"):
    user = django_user_model.objects.create_user(username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return django_user_model.objects.get(pk=user.pk)


def test_the_suggest_page_has_a_form_with_csrf_protection_and_a_hidden_honeypot(client):
    response = client.get("/suggest/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<div class="honeypot" hidden aria-hidden="true">' in html
    assert 'name="homepage"' in html


def test_a_suggestion_is_queued_and_staff_are_emailed(client):
    SectorFactory(name="Digital health", slug="digital-health")

    response = client.post("/suggest/", new_suggestion(sectors=["digital-health"]))

    assert response.status_code == 302
    assert response["Location"] == "/suggest/thanks/"
    submission = Submission.objects.get()
    assert submission.kind == Submission.Kind.NEW
    assert submission.state == Submission.State.PENDING
    assert submission.proposed == {
        "name": "Acme Health",
        "website": "https://acme.example.org",
        "summary": "Software for GP practices.",
        "sectors": ["digital-health"],
        "town": "Leeds",
    }
    assert submission.submitter_email == SECRET_EMAIL
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["curators@example.org"]
    assert f"/admin/organisations/submission/{submission.pk}/change/" in mail.outbox[0].body
    assert SECRET_EMAIL not in mail.outbox[0].body
    assert Organisation.objects.count() == 0


def test_a_post_without_a_csrf_token_is_refused(csrf_client):
    response = csrf_client.post("/suggest/", new_suggestion())

    assert response.status_code == 403
    assert Submission.objects.count() == 0


def test_bots_that_fill_the_honeypot_see_thanks_but_nothing_is_stored(client):
    response = client.post("/suggest/", new_suggestion(homepage="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == "/suggest/thanks/"
    assert Submission.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("website", "javascript:alert(1)", "Enter a valid URL."),
        ("website", "ftp://files.example.org", "http:// or https://"),
        # urlsplit raises ValueError for an empty bracketed host: found by the fuzz test.
        ("website", "[]", "Enter a valid URL."),
        ("submitter_email", "not-an-email", "Enter a valid email address."),
        ("summary", "x" * 401, "at most 400 characters"),
        ("sectors", "no-such-sector", "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_error_and_nothing_is_stored(client, field, value, message):
    response = client.post("/suggest/", new_suggestion(**{field: value}))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert Submission.objects.count() == 0


def test_markup_in_input_is_shown_as_text(client):
    response = client.post("/suggest/", new_suggestion(name="", summary="<script>alert(1)</script>"))

    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


def test_each_ip_may_send_five_suggestions_an_hour(client):
    for n in range(5):
        assert client.post("/suggest/", new_suggestion(name=f"Org {n}")).status_code == 302

    refused = client.post("/suggest/", new_suggestion(name="Org 6"))
    other_ip = client.post("/suggest/", new_suggestion(name="Org 7"), REMOTE_ADDR="192.0.2.55")

    assert refused.status_code == 429
    assert "Too many suggestions" in refused.content.decode()
    assert other_ip.status_code == 302
    assert sorted(Submission.objects.values_list("proposed__name", flat=True)) == [
        "Org 0",
        "Org 1",
        "Org 2",
        "Org 3",
        "Org 4",
        "Org 7",
    ]


def test_the_rate_limit_uses_the_trusted_proxy_header(client, settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(5):
        client.post("/suggest/", new_suggestion(name=f"Org {n}"), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    # Same proxy address, different visitors: none of them is limited yet.
    assert Submission.objects.count() == 5
    again = client.post("/suggest/", new_suggestion(name="Again"), HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert again.status_code == 302


def test_the_update_form_shows_current_values_and_resolves_before_the_profile_route(client):
    org = OrganisationFactory(name="Acme Health", slug="acme-health", town="Wakefield")

    response = client.get("/organisations/acme-health/suggest-update/")

    assert response.status_code == 200
    assert response.resolver_match.url_name == "suggest-update"
    html = response.content.decode()
    assert "Currently: Wakefield" in html
    assert f'value="{org.name}"' in html


def test_update_suggestions_are_only_for_published_organisations(client):
    OrganisationFactory(slug="hidden", status=Status.DRAFT)

    assert client.get("/organisations/hidden/suggest-update/").status_code == 404
    assert client.post("/organisations/hidden/suggest-update/", {}).status_code == 404


def test_an_update_suggestion_stores_only_the_changed_fields(client):
    medtech = SectorFactory(name="Medtech", slug="medtech")
    SectorFactory(name="Imaging", slug="imaging")
    org = OrganisationFactory(slug="acme", town="Leeds", postcode="LS1 4AP", sectors=[medtech])

    response = client.post(
        "/organisations/acme/suggest-update/",
        update_data(
            org, town="York", postcode="yo105dd", sectors=["medtech", "imaging"], founded_year="2015"
        ),
    )

    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.kind == Submission.Kind.UPDATE
    assert submission.organisation == org
    assert submission.proposed == {
        "town": "York",
        "postcode": "YO10 5DD",
        "founded_year": 2015,
        "sectors": ["imaging", "medtech"],
    }
    assert len(mail.outbox) == 1


def test_an_update_with_no_change_and_no_message_is_refused(client):
    org = OrganisationFactory(slug="acme")

    response = client.post("/organisations/acme/suggest-update/", update_data(org))

    assert response.status_code == 200
    assert "Change at least one detail" in response.content.decode()
    assert Submission.objects.count() == 0


def test_the_submitter_email_never_appears_on_a_public_page(client):
    org = OrganisationFactory(slug="acme")
    client.post("/suggest/", new_suggestion())
    client.post("/organisations/acme/suggest-update/", update_data(org, town="York"))
    assert Submission.objects.count() == 2

    for url in [
        "/",
        "/organisations/",
        "/organisations/acme/",
        "/organisations/acme/suggest-update/",
        "/suggest/",
        "/suggest/thanks/",
        "/organisations/export.csv",
        "/api/organisations/",
        "/sitemap.xml",
    ]:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET_EMAIL.encode() not in body, url


def test_accepting_a_new_suggestion_creates_a_draft(client, django_user_model):
    SectorFactory(name="Medtech", slug="medtech")
    client.post("/suggest/", new_suggestion(sectors=["medtech"]))
    submission = Submission.objects.get()
    reviewer = staff(django_user_model, "change_submission", "view_submission", "add_organisation")
    client.force_login(reviewer)

    page = client.get(f"/admin/organisations/submission/{submission.pk}/change/")
    response = client.post(f"/admin/organisations/submission/{submission.pk}/change/", {"action": "accept"})

    assert page.status_code == 200
    assert "Accept as a draft organisation" in page.content.decode()
    assert response.status_code == 302
    org = Organisation.objects.get()
    assert (org.name, org.status, org.town) == ("Acme Health", Status.DRAFT, "Leeds")
    assert list(org.sectors.values_list("slug", flat=True)) == ["medtech"]
    assert org.sector_names == "Medtech"
    submission.refresh_from_db()
    assert submission.state == Submission.State.ACCEPTED
    assert submission.created_organisation == org
    assert submission.reviewed_by == reviewer
    assert org.history.get().history_user == reviewer


def test_accepting_an_update_applies_only_the_picked_fields_with_history(client, django_user_model):
    org = OrganisationFactory(slug="acme", town="Leeds", summary="Old summary")
    client.post("/organisations/acme/suggest-update/", update_data(org, town="York", summary="New summary"))
    submission = Submission.objects.get()
    reviewer = staff(django_user_model, "change_submission", "view_submission", "change_organisation")
    client.force_login(reviewer)

    page = client.get(f"/admin/organisations/submission/{submission.pk}/change/").content.decode()
    response = client.post(
        f"/admin/organisations/submission/{submission.pk}/change/", {"action": "accept", "fields": ["town"]}
    )

    assert "Current value" in page and "Old summary" in page and "New summary" in page
    assert 'name="fields" value="town"' in page
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.town, org.summary, org.status) == ("York", "Old summary", Status.PUBLISHED)
    latest = org.history.first()
    assert latest.history_user == reviewer
    assert latest.town == "York"
    assert latest.history_change_reason == f"Accepted suggestion #{submission.pk}"
    submission.refresh_from_db()
    assert submission.state == Submission.State.ACCEPTED


def test_rejecting_records_the_reason_the_reviewer_and_the_time(client, django_user_model):
    client.post("/suggest/", new_suggestion())
    submission = Submission.objects.get()
    reviewer = staff(django_user_model, "change_submission", "view_submission")
    client.force_login(reviewer)
    url = f"/admin/organisations/submission/{submission.pk}/change/"

    without_reason = client.post(url, {"action": "reject", "rejection_reason": " "})
    response = client.post(url, {"action": "reject", "rejection_reason": "Not a health tech organisation."})

    assert "Give a reason" in without_reason.content.decode()
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == Submission.State.REJECTED
    assert submission.rejection_reason == "Not a health tech organisation."
    assert submission.reviewed_by == reviewer
    assert submission.reviewed_at is not None
    assert Organisation.objects.count() == 0


def test_a_reviewer_without_the_change_permission_cannot_accept(client, django_user_model):
    client.post("/suggest/", new_suggestion())
    submission = Submission.objects.get()
    client.force_login(staff(django_user_model, "view_submission"))

    response = client.post(f"/admin/organisations/submission/{submission.pk}/change/", {"action": "accept"})

    assert response.status_code == 403
    assert Organisation.objects.count() == 0


def test_line_breaks_sent_by_the_browser_are_not_a_change(client):
    org = OrganisationFactory(slug="acme", description="First line\nSecond line")

    response = client.post(
        "/organisations/acme/suggest-update/",
        update_data(org, description="First line\r\nSecond line", town="York"),
    )

    assert response.status_code == 302
    assert Submission.objects.get().proposed == {"town": "York"}


def test_deleting_an_organisation_keeps_its_pending_update_suggestions_for_review(db):
    organisation = OrganisationFactory()
    submission = Submission.objects.create(
        kind=Submission.Kind.UPDATE, organisation=organisation, proposed={"summary": "New words."}
    )
    organisation.delete()
    submission.refresh_from_db()
    assert submission.organisation is None
    assert submission.state == Submission.State.PENDING
