"""The search thesaurus (ARCHITECTURE.md §4, §6): curated groups of equivalent terms, edited in the
back office and applied as queries are read, on both engines, with no rebuild."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from organisations.models import Organisation, Synonym
from organisations.search import search
from organisations.search.lexicon import phrase_words
from tests.factories import OrganisationFactory, SectorFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "synonyms.json"


def names(q):
    return list(search(Organisation.objects.published(), q).values_list("name", flat=True))


def test_a_search_for_any_phrase_of_a_group_finds_what_the_others_find():
    Synonym.objects.create(term="AI", equivalents="artificial intelligence\nmachine learning")
    written = OrganisationFactory(name="Deep Thought", summary="Machine learning for radiology.")
    acronym = OrganisationFactory(name="Aire Analytics", summary="AI for GP practices.")

    assert set(names("artificial intelligence")) == {written.name, acronym.name}
    assert set(names("AI")) == {written.name, acronym.name}
    assert set(names("machine learning")) == {written.name, acronym.name}


def test_a_multi_word_equivalent_matches_as_a_phrase():
    Synonym.objects.create(term="telehealth", equivalents="remote monitoring")
    phrase = OrganisationFactory(name="Home Signs", summary="Remote monitoring of blood pressure.")
    OrganisationFactory(name="Scattered", summary="Remote offices, monitoring nothing.")

    assert names("telehealth") == [phrase.name]


def test_a_synonym_of_a_sector_name_finds_the_tagged_organisations():
    Synonym.objects.create(term="medtech", equivalents="med tech\nmedical technology")
    medtech = SectorFactory(name="Medtech", slug="medtech")
    tagged = OrganisationFactory(name="Bone Works", sectors=[medtech])

    assert names("med tech") == [tagged.name]
    assert names("medical technology") == [tagged.name]


def test_spellings_of_a_word_find_each_other():
    Synonym.objects.create(term="spinout", equivalents="spin-out")
    Synonym.objects.create(term="start-up", equivalents="startup")
    spinout = OrganisationFactory(name="Uni Spin", summary="A University of Leeds spin-out.")
    startup = OrganisationFactory(name="New Co", summary="A startup in Leeds.")

    assert names("spinout") == [spinout.name]
    assert names("start-up") == [startup.name]


def test_an_edit_counts_at_once_without_a_rebuild():
    organisation = OrganisationFactory(name="Vital Signs Ltd", summary="Telemedicine for care homes.")
    assert names("telehealth") == []

    group = Synonym.objects.create(term="telehealth", equivalents="telecare")
    assert names("telehealth") == []
    group.equivalents = "telecare\ntelemedicine"
    group.save()
    assert names("telehealth") == [organisation.name]

    group.delete()
    assert names("telehealth") == []


def test_an_edit_counts_at_once_within_a_request(client):
    # The thesaurus is kept under the data version, which the edit moves.
    organisation = OrganisationFactory(name="Vital Signs Ltd", summary="Telemedicine for care homes.")
    assert organisation.name not in client.get("/organisations/?q=telehealth").content.decode()

    Synonym.objects.create(term="telehealth", equivalents="telemedicine")

    assert organisation.name in client.get("/organisations/?q=telehealth").content.decode()


def test_a_term_is_unique_whatever_its_case():
    Synonym.objects.create(term="EPR", equivalents="electronic patient record")

    with pytest.raises(IntegrityError), transaction.atomic():
        Synonym.objects.create(term="epr", equivalents="patient record")


def test_a_group_says_clearly_what_is_wrong_with_it():
    Synonym.objects.create(term="AI", equivalents="artificial intelligence")

    with pytest.raises(ValidationError) as error:
        Synonym(
            term="ML", equivalents="machine learning\nMachine  learning\nArtificial Intelligence\n!!!"
        ).full_clean()

    messages = error.value.message_dict["equivalents"]
    assert "“Machine  learning” repeats “machine learning”." in messages
    assert "“!!!” has no letters or digits to search for." in messages
    assert any("already in the group “AI”" in m for m in messages)


def test_a_group_needs_an_equivalent():
    with pytest.raises(ValidationError) as error:
        Synonym(term="AI", equivalents="  \n ").full_clean()

    assert error.value.message_dict["equivalents"] == ["Give at least one other word for the term."]


def test_saving_tidies_the_lines():
    group = Synonym.objects.create(term="  AI ", equivalents="  machine learning \n\n deep learning\n")

    assert (group.term, group.equivalents) == ("AI", "machine learning\ndeep learning")
    assert group.phrases() == ["AI", "machine learning", "deep learning"]


def test_the_fixture_holds_at_least_forty_groups_each_phrase_in_one_group():
    rows = json.loads(FIXTURE.read_text())
    phrases = [
        phrase_words(p)[0]
        for row in rows
        for p in [row["fields"]["term"], *row["fields"]["equivalents"].split("\n")]
    ]

    assert len(rows) >= 40
    assert len(phrases) == len(set(phrases))
    assert {("ai",), ("epr",), ("telehealth",), ("medtech",), ("spinout",), ("start", "up")} <= set(phrases)


def test_the_fixture_loads_twice_without_duplicates():
    call_command("loaddata", "synonyms", verbosity=0)
    count = Synonym.objects.count()
    call_command("loaddata", "synonyms", verbosity=0)

    assert Synonym.objects.count() == count >= 40
    for group in Synonym.objects.all():
        group.full_clean()


def test_load_initial_data_loads_the_thesaurus():
    call_command("load_initial_data", verbosity=0)

    assert Synonym.objects.filter(term="AI").exists()


def test_the_admin_lists_searches_and_edits_groups(admin_client):
    Synonym.objects.create(term="EPR", equivalents="electronic patient record\nEHR")
    Synonym.objects.create(term="AI", equivalents="machine learning")

    listing = admin_client.get("/admin/organisations/synonym/", {"q": "patient"}).content.decode()
    assert "EPR" in listing
    assert "electronic patient record; EHR" in listing
    assert ">AI<" not in listing

    response = admin_client.post(
        "/admin/organisations/synonym/add/", {"term": "NICE", "equivalents": "machine learning"}
    )
    assert response.status_code == 200
    assert "already in the group “AI”" in response.content.decode()
    response = admin_client.post(
        "/admin/organisations/synonym/add/",
        {"term": "NICE", "equivalents": "National Institute for Health and Care Excellence"},
    )
    assert response.status_code == 302
    assert Synonym.objects.filter(term="NICE").exists()


def test_editors_may_edit_the_thesaurus_and_only_publishers_delete_it():
    from django.contrib.auth.models import Group

    from organisations.permissions import EDITORS, PUBLISHERS, ensure_groups

    ensure_groups()
    editors = set(Group.objects.get(name=EDITORS).permissions.values_list("codename", flat=True))
    publishers = set(Group.objects.get(name=PUBLISHERS).permissions.values_list("codename", flat=True))

    assert {"add_synonym", "change_synonym", "view_synonym"} <= editors
    assert "delete_synonym" not in editors
    assert "delete_synonym" in publishers
