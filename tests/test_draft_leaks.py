"""Nothing unpublished leaks: key figures and contacts of drafts, `removed` in the API's change feed,
old-slug redirects and "Did you mean" follow publishing at once."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from initiatives.models import KeyFigure
from organisations.models import Organisation, SearchTerm, Status
from organisations.search import did_you_mean, rebuild_index
from organisations.services import organisation_merge
from tests.factories import (
    ContactFactory,
    InitiativeFactory,
    KeyFigureFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

PUBLIC_FIGURE_PAGES = ["/", "/stats/", "/about/", "/api/key-figures/"]


def everywhere(client, paths):
    return "\n".join(client.get(path).content.decode() for path in paths)


# --- Key figures ----------------------------------------------------------------------------------


def test_key_figures_of_a_draft_or_archived_initiative_are_nowhere_public(client):
    shown = InitiativeFactory(name="Shown Hub", slug="shown-hub")
    KeyFigureFactory(initiative=shown, value="111", label="shown figure", source_name="Shown Source")
    for status in (Status.DRAFT, Status.ARCHIVED):
        hidden = InitiativeFactory(name=f"Hidden {status}", status=status)
        KeyFigureFactory(
            initiative=hidden, value=f"9{status}9", label=f"{status} figure", source_name=f"{status} Source"
        )

    text = everywhere(client, [*PUBLIC_FIGURE_PAGES, "/initiatives/shown-hub/"])

    assert "shown figure" in text and "Shown Source" in text
    for status in (Status.DRAFT, Status.ARCHIVED):
        assert f"{status} figure" not in text
        assert f"{status} Source" not in text
        assert f"9{status}9" not in text


def test_draft_and_archived_key_figures_are_nowhere_public(client):
    hub = InitiativeFactory(name="Hub", slug="hub")
    KeyFigureFactory(initiative=hub, label="published figure", slug="published-figure")
    KeyFigureFactory(initiative=hub, label="draft figure", slug="draft-figure", status=Status.DRAFT)
    KeyFigureFactory(label="archived figure", slug="archived-figure", status=Status.ARCHIVED)

    text = everywhere(client, [*PUBLIC_FIGURE_PAGES, "/initiatives/hub/"])

    assert "published figure" in text
    assert "draft figure" not in text and "archived figure" not in text
    assert client.get("/api/key-figures/published-figure/").status_code == 200
    assert client.get("/api/key-figures/draft-figure/").status_code == 404
    assert client.get("/api/key-figures/archived-figure/").status_code == 404


def test_the_figures_fixture_loads_as_published(client):
    call_command("load_initial_data", verbosity=0)

    assert KeyFigure.objects.exists()
    assert set(KeyFigure.objects.values_list("status", flat=True)) == {Status.PUBLISHED}


# --- Contacts -------------------------------------------------------------------------------------


def consenting(**kwargs):
    return ContactFactory(is_public=True, consent_recorded_on=datetime.date(2025, 1, 1), **kwargs)


def test_a_contact_waiting_for_a_publisher_is_nowhere_public(client):
    organisation = OrganisationFactory(slug="acme")
    hub = InitiativeFactory(slug="hub")
    consenting(organisation=organisation, name="Listed Lara")
    consenting(organisation=organisation, name="Waiting Wendy", status=Status.DRAFT)
    consenting(organisation=None, initiative=hub, name="Waiting Walter", status=Status.DRAFT)

    text = everywhere(client, ["/organisations/acme/", "/api/organisations/acme/", "/initiatives/hub/"])

    assert "Listed Lara" in text
    assert "Waiting Wendy" not in text and "Waiting Walter" not in text


def test_public_contacts_of_a_draft_organisation_or_initiative_are_nowhere_public(client):
    draft = OrganisationFactory(slug="draft-co", status=Status.DRAFT)
    hub = InitiativeFactory(slug="draft-hub", status=Status.DRAFT)
    consenting(organisation=draft, name="Draft Dora")
    consenting(organisation=None, initiative=hub, name="Draft Hubert")

    for path in ["/organisations/draft-co/", "/api/organisations/draft-co/", "/initiatives/draft-hub/"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Draft Dora" not in response.content.decode()
        assert "Draft Hubert" not in response.content.decode()


# --- `removed` in the change feed ------------------------------------------------------------------


def removed(client, since):
    response = client.get("/api/organisations/", {"modified_after": since.isoformat()})
    assert response.status_code == 200
    return [row["slug"] for row in response.json()["removed"]]


def save(organisation, **changes):
    for field, value in changes.items():
        setattr(organisation, field, value)
    organisation.save()


def test_a_draft_that_was_never_public_is_never_listed_however_often_it_is_edited(client):
    start = timezone.now()
    draft = OrganisationFactory(slug="secret-plan", status=Status.DRAFT)
    for n in range(3):
        save(draft, summary=f"Edit {n}")
    save(draft, status=Status.ARCHIVED)
    draft.delete()

    assert removed(client, start) == []


def test_an_archived_entry_is_listed_once_under_the_slug_it_had_while_public(client):
    before = timezone.now()
    organisation = OrganisationFactory(slug="public-name")
    start = timezone.now()
    save(organisation, status=Status.ARCHIVED)
    # Renamed and edited after it stopped being public: the new slug never was.
    save(organisation, slug="private-new-name")
    save(organisation, summary="Edited again")

    assert removed(client, start) == ["public-name"]
    assert removed(client, before) == ["public-name"]


def test_an_entry_removed_before_the_moment_asked_for_is_not_listed_again_on_each_edit(client):
    organisation = OrganisationFactory(slug="long-gone")
    save(organisation, status=Status.ARCHIVED)
    start = timezone.now()
    save(organisation, summary="An edit while archived")
    save(organisation, status=Status.DRAFT)

    assert removed(client, start) == []


def test_a_renamed_published_entry_lists_its_old_slug_and_a_deleted_one_its_last(client):
    start = timezone.now()
    renamed = OrganisationFactory(slug="old-name")
    save(renamed, slug="new-name")
    deleted = OrganisationFactory(slug="deleted-co")
    deleted.delete()

    assert sorted(removed(client, start)) == ["deleted-co", "old-name"]


def test_an_entry_public_again_is_not_listed(client):
    start = timezone.now()
    organisation = OrganisationFactory(slug="back-again")
    save(organisation, status=Status.ARCHIVED)
    save(organisation, status=Status.PUBLISHED)

    assert removed(client, start) == []


def test_each_removal_gives_only_a_slug_and_when_it_stopped_being_public(client):
    start = timezone.now()
    organisation = OrganisationFactory(slug="archived-co")
    save(organisation, status=Status.ARCHIVED)
    archived_at = organisation.history.latest().history_date
    save(organisation, summary="Later edit")

    rows = client.get("/api/organisations/", {"modified_after": start.isoformat()}).json()["removed"]

    assert rows == [
        {
            "slug": "archived-co",
            "removed_at": archived_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        }
    ]


# --- Redirects ------------------------------------------------------------------------------------


def test_an_old_slug_redirects_only_to_a_published_entry(client):
    organisation = OrganisationFactory(slug="first-name")
    save(organisation, slug="second-name")
    assert client.get("/organisations/first-name/")["Location"] == "/organisations/second-name/"

    save(organisation, status=Status.ARCHIVED)
    assert client.get("/organisations/first-name/").status_code == 404
    assert client.get("/organisations/second-name/").status_code == 404

    save(organisation, status=Status.DRAFT)
    assert client.get("/organisations/first-name/").status_code == 404


def test_a_merged_entry_and_its_old_slugs_lead_to_its_published_successor_only(client):
    source = OrganisationFactory(slug="merged-away")
    save(source, slug="merged-away-renamed")
    target = OrganisationFactory(slug="survivor")
    organisation_merge(source=source, target=target, user=None)

    assert client.get("/organisations/merged-away-renamed/")["Location"] == "/organisations/survivor/"
    assert client.get("/organisations/merged-away/")["Location"] == "/organisations/survivor/"

    save(target, status=Status.ARCHIVED)
    assert client.get("/organisations/merged-away-renamed/").status_code == 404
    assert client.get("/organisations/merged-away/").status_code == 404


# --- "Did you mean" -------------------------------------------------------------------------------


HIDDEN_WORDS = ("quillaby", "kestrelwing")
QUERIES = ["quillabee", "diagnostix quillabee", "diagnostix kestrelwinx"]


def offered(client):
    """Every correction "Did you mean" would offer for misspellings of the hidden entry's words (a
    page shows one only when the search itself finds nothing, and typo tolerance may find it)."""
    return " ".join(filter(None, (did_you_mean(q) for q in QUERIES)))


def test_did_you_mean_follows_publishing_at_once(client):
    OrganisationFactory(name="Zephyrion Diagnostics", summary="Blood tests.")
    hidden = OrganisationFactory(
        name="Quillaby Robotics", summary="Surgical kestrelwing robots.", status=Status.DRAFT
    )
    assert not any(word in offered(client) for word in HIDDEN_WORDS)

    save(hidden, status=Status.PUBLISHED)
    assert any(word in offered(client) for word in HIDDEN_WORDS)
    assert "Quillaby" in client.get("/search/suggestions.json", {"q": "quil"}).content.decode()

    save(hidden, status=Status.ARCHIVED)
    assert not any(word in offered(client) for word in HIDDEN_WORDS)
    pages = [client.get("/organisations/", {"q": q}).content.decode().lower() for q in QUERIES]
    pages.append(client.get("/search/suggestions.json", {"q": "quil"}).content.decode().lower())
    assert not any(word in page for page in pages for word in HIDDEN_WORDS)
    # On PostgreSQL the vocabulary is a table: its hidden words are gone at once.
    assert not SearchTerm.objects.filter(word__in=HIDDEN_WORDS).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the vocabulary is a table on PostgreSQL only")
def test_a_bulk_edit_drops_only_the_words_no_published_entry_keeps():
    first = OrganisationFactory(summary="Kestrelwing zorblax monitors.")
    second = OrganisationFactory(summary="Plain blood tests.")
    assert SearchTerm.objects.filter(word__in=["kestrelwing", "zorblax"]).count() == 2

    # One statement: the first entry drops both words, the second takes up one of them.
    Organisation.objects.filter(pk__in=[first.pk, second.pk]).update(summary="Kestrelwing monitors.")

    assert set(
        SearchTerm.objects.filter(word__in=["kestrelwing", "zorblax"]).values_list("word", flat=True)
    ) == {"kestrelwing"}
    Organisation.objects.filter(pk__in=[first.pk, second.pk]).update(summary="Blood tests.")
    assert not SearchTerm.objects.filter(word="kestrelwing").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the vocabulary is a table on PostgreSQL only")
def test_a_rebuild_renews_the_vocabulary_and_writes_after_it_keep_it():
    kept = OrganisationFactory(summary="Zorblax monitors.")
    SearchTerm.objects.all().delete()

    rebuild_index()

    assert SearchTerm.objects.filter(word="zorblax").exists()
    OrganisationFactory(summary="Kestrelwing robots.")
    assert SearchTerm.objects.filter(word="kestrelwing").exists()
    Organisation.objects.filter(pk=kept.pk).update(status=Status.ARCHIVED)
    assert not SearchTerm.objects.filter(word="zorblax").exists()
