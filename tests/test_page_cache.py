"""Whole pages for anonymous visitors (core/pagecache.py): served again without the view's queries,
changed at once by any write, never for staff, forms, cookies or the back office."""

import datetime

import pytest
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.pagecache import is_storable
from organisations.models import Contact
from organisations.services import contact_erase
from tests.factories import (
    ContactFactory,
    InitiativeFactory,
    KeyFigureFactory,
    MembershipFactory,
    OrganisationFactory,
)
from tests.helpers import version_reads

pytestmark = pytest.mark.django_db


def visit(url):
    """A new anonymous visitor (no cookies) asks for `url`."""
    return Client().get(url)


def page(url):
    response = visit(url)
    assert response.status_code == 200
    return response.content.decode()


def queries_other_than_the_version(captured):
    # PostgreSQL sets the public statement timeout before a request's first query (core/errors.py).
    return [
        query["sql"]
        for query in captured.captured_queries
        if "data_version" not in query["sql"] and "statement_timeout" not in query["sql"]
    ]


def test_a_second_anonymous_visitor_gets_the_page_from_the_cache_with_no_query_but_the_version():
    organisation = OrganisationFactory(name="Aire Imaging")
    first = visit(organisation.get_absolute_url())
    assert first["X-Cache"] == "miss"

    with CaptureQueriesContext(connection) as captured:
        second = visit(organisation.get_absolute_url())

    assert second.status_code == 200
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert queries_other_than_the_version(captured) == []
    assert len(version_reads(captured)) == 1


@pytest.mark.parametrize("url", ["/", "/organisations/", "/initiatives/", "/stats/", "/api/organisations/"])
def test_public_pages_and_api_reads_are_cached(url):
    OrganisationFactory()
    assert visit(url)["X-Cache"] == "miss"
    assert visit(url)["X-Cache"] == "hit"


def test_a_cached_page_still_gets_the_security_headers_and_its_own_request_id():
    url = OrganisationFactory().get_absolute_url()
    first = visit(url)
    second = visit(url)
    assert second["X-Cache"] == "hit"
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "Permissions-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
    ):
        assert second[header] == first[header], header
    assert second["X-Request-ID"] != first["X-Request-ID"]


def test_a_model_save_of_an_organisation_changes_the_page_at_once():
    organisation = OrganisationFactory(summary="Scans for every clinic.")
    url = organisation.get_absolute_url()
    assert "Scans for every clinic." in page(url)
    organisation.summary = "Scans for every hospital."
    organisation.save()
    content = page(url)
    assert "Scans for every hospital." in content
    assert "Scans for every clinic." not in content


def test_an_admin_edit_of_an_organisation_changes_the_page_at_once(admin_client):
    organisation = OrganisationFactory(summary="Old summary")
    url = organisation.get_absolute_url()
    assert "Old summary" in page(url)

    change = reverse("admin:organisations_organisation_change", args=[organisation.pk])
    form = admin_client.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v not in (None, "") and k not in {"logo", "parent"}}
    for m2m in ("sectors", "care_settings", "regulatory_marks"):
        data.pop(m2m, None)
    data.update(
        {
            "summary": "New summary",
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        }
    )
    assert admin_client.post(change, data).status_code == 302

    content = page(url)
    assert "New summary" in content
    assert "Old summary" not in content


def test_a_list_page_follows_a_new_organisation_at_once():
    OrganisationFactory(name="Aire Imaging")
    assert "Calder Diagnostics" not in page("/organisations/")
    OrganisationFactory(name="Calder Diagnostics")
    assert "Calder Diagnostics" in page("/organisations/")


def test_an_erased_contact_leaves_the_cached_page_at_once(admin_user):
    organisation = OrganisationFactory()
    contact = ContactFactory(
        organisation=organisation,
        name="Priya Sharma",
        is_public=True,
        consent_recorded_on=datetime.date(2025, 1, 1),
    )
    url = organisation.get_absolute_url()
    assert "Priya Sharma" in page(url)
    assert "Priya Sharma" in page(url)  # now from the cache

    contact_erase(contact=contact, user=admin_user)

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert "Priya Sharma" not in page(url)


def test_an_initiative_change_shows_at_once_on_its_page_and_its_members_pages():
    organisation = OrganisationFactory()
    initiative = InitiativeFactory(name="Aire Valley Hub", description="A place for start-ups.")
    MembershipFactory(organisation=organisation, initiative=initiative)
    assert "A place for start-ups." in page(initiative.get_absolute_url())
    assert "Aire Valley Hub" in page(organisation.get_absolute_url())

    initiative.description = "A place for scale-ups."
    initiative.save()
    assert "A place for scale-ups." in page(initiative.get_absolute_url())

    initiative.name = "Calder Valley Hub"
    initiative.save()
    assert "Calder Valley Hub" in page(organisation.get_absolute_url())


def test_a_key_figure_change_shows_at_once_on_the_home_page():
    figure = KeyFigureFactory(label="health tech jobs in the region", value="22,000")
    assert "22,000" in page("/")
    figure.value = "23,000"
    figure.save()
    assert "23,000" in page("/")


def test_signed_in_staff_never_get_nor_fill_cached_pages(admin_client):
    url = OrganisationFactory().get_absolute_url()
    for _ in range(2):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "X-Cache" not in response
    # What staff were served was not kept for anyone.
    assert visit(url)["X-Cache"] == "miss"


def test_a_visitor_with_a_cached_page_waiting_still_gets_it_fresh_once_signed_in(admin_client):
    url = OrganisationFactory().get_absolute_url()
    visit(url)
    assert visit(url)["X-Cache"] == "hit"
    assert "X-Cache" not in admin_client.get(url)


@pytest.mark.parametrize("name", ["suggest", "suggest-update"])
def test_pages_with_a_form_are_never_cached_and_each_visitor_gets_a_working_token(name, settings):
    organisation = OrganisationFactory()
    url = reverse(
        f"suggestions:{name}", **({"args": [organisation.slug]} if name == "suggest-update" else {})
    )
    tokens = set()
    for _ in range(2):
        response = visit(url)
        assert response.status_code == 200
        assert "X-Cache" not in response
        assert "csrfmiddlewaretoken" in response.content.decode()
        tokens.add(response.cookies[settings.CSRF_COOKIE_NAME].value)
    assert len(tokens) == 2


def test_a_form_still_posts_for_a_visitor_who_read_cached_pages_first(settings):
    organisation = OrganisationFactory()
    visitor = Client(enforce_csrf_checks=True)
    visitor.get(organisation.get_absolute_url())
    assert visitor.get(organisation.get_absolute_url())["X-Cache"] == "hit"
    form = visitor.get(reverse("suggestions:suggest"))
    token = form.cookies[settings.CSRF_COOKIE_NAME].value
    response = visitor.post(reverse("suggestions:suggest"), {"csrfmiddlewaretoken": token})
    # The form is answered (invalid: nothing filled in), not refused for its token.
    assert response.status_code != 403


def test_different_query_strings_are_different_pages_and_the_order_of_parameters_is_not():
    OrganisationFactory(name="Aire Imaging", employees_band="small")
    OrganisationFactory(name="Calder Diagnostics", employees_band="large")
    assert visit("/organisations/?size=small")["X-Cache"] == "miss"
    assert visit("/organisations/?size=large")["X-Cache"] == "miss"
    assert "Aire Imaging" not in page("/organisations/?size=large")
    assert visit("/organisations/?size=small&sort=name")["X-Cache"] == "miss"
    assert visit("/organisations/?sort=name&size=small")["X-Cache"] == "hit"


@pytest.mark.parametrize(
    "query",
    ["page=abc&sector=%ff%fe&founded_min=x", "q=%00", "size=huge&size=&type=<b>", "per_page=-1"],
)
def test_a_bad_query_string_still_answers_200_from_the_cache_or_not(query):
    OrganisationFactory()
    for _ in range(2):
        assert visit(f"/organisations/?{query}").status_code == 200


def test_a_bad_api_parameter_is_still_a_400_and_never_cached():
    OrganisationFactory()
    for _ in range(2):
        response = visit("/api/organisations/?size=huge")
        assert response.status_code == 400
        assert "X-Cache" not in response


def test_too_many_parameters_are_still_a_400():
    query = "&".join(f"p{n}=1" for n in range(1100))
    for _ in range(2):
        response = visit(f"/organisations/?{query}")
        assert response.status_code == 400
        assert "X-Cache" not in response


def test_not_found_and_redirects_are_never_cached():
    for _ in range(2):
        missing = visit("/organisations/no-such-organisation/")
        assert missing.status_code == 404
        assert "X-Cache" not in missing
        redirect = visit("/organisations")
        assert redirect.status_code == 301
        assert "X-Cache" not in redirect


def test_health_and_the_csv_export_are_never_cached():
    OrganisationFactory()
    for _ in range(2):
        health = visit(reverse("healthz"))
        assert health.status_code == 200
        assert "X-Cache" not in health
        export = visit(reverse("organisations:organisation-export"))
        assert export.status_code == 200
        assert "X-Cache" not in export
        b"".join(export.streaming_content)  # read to the end, as a visitor would


def test_a_page_made_afresh_reads_the_version_once_for_the_page_cache_and_the_view():
    OrganisationFactory()
    with CaptureQueriesContext(connection) as captured:
        response = visit("/organisations/")
    assert response["X-Cache"] == "miss"
    assert len(version_reads(captured)) == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.set_cookie("chosen", "1"),
        lambda r: r.__setitem__("Vary", "Cookie"),
        lambda r: r.__setitem__("Vary", "Accept"),
        lambda r: r.__setitem__("Cache-Control", "private"),
        lambda r: r.__setitem__("Cache-Control", "no-store, max-age=0"),
        lambda r: setattr(r, "status_code", 201),
    ],
)
def test_a_response_with_a_cookie_vary_no_store_or_another_status_is_never_kept(change):
    response = HttpResponse("page")
    assert is_storable(response)
    change(response)
    assert not is_storable(response)


def test_a_streamed_response_is_never_kept():
    assert not is_storable(StreamingHttpResponse(iter([b"a", b"b"])))


def test_zero_seconds_turns_the_page_cache_off(settings):
    settings.PAGE_CACHE_SECONDS = 0
    url = OrganisationFactory().get_absolute_url()
    visit(url)
    with CaptureQueriesContext(connection) as captured:
        response = visit(url)
    assert response.status_code == 200
    assert "X-Cache" not in response
    assert queries_other_than_the_version(captured)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "300"), ("0", "0"), ("60", "60"), ("-1", "0 or more"), ("soon", "whole")]
)
def test_the_seconds_come_from_the_environment_and_a_bad_value_stops_the_start(value, expected):
    from tests.test_production_settings import run_django

    env = {"DJANGO_DEBUG": "1"} | ({"DJANGO_PAGE_CACHE_SECONDS": value} if value is not None else {})
    result = run_django(
        "import django; django.setup(); from django.conf import settings; print(settings.PAGE_CACHE_SECONDS)",
        **env,
    )
    if expected.isdigit():
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected
    else:
        assert result.returncode != 0
        assert "DJANGO_PAGE_CACHE_SECONDS" in result.stderr and expected in result.stderr
