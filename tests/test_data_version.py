"""The data version (core/dataversion.py) moves with every write behind a cached read, on PostgreSQL
and on SQLite alike, and `cached()` keeps a value only while it stays."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.dataversion import _version_sql, cached, data_version
from organisations.models import Contact, Organisation, Synonym
from organisations.services import contact_erase
from tests.factories import (
    ContactFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def test_the_version_stays_while_nothing_is_written():
    OrganisationFactory()
    assert data_version() == data_version()
    assert data_version() is not None


def test_the_version_is_one_statement():
    sql, _params = _version_sql()
    assert sql.startswith("SELECT ") and sql.endswith(" AS data_version")
    with connection.cursor() as cursor:
        cursor.execute(*_version_sql())
        assert len(cursor.fetchall()) == 1


def test_the_statement_is_compiled_once_per_vendor_and_again_when_a_part_is_added(monkeypatch):
    from core import dataversion

    first = _version_sql()
    assert _version_sql() is first  # not compiled again for the next request
    monkeypatch.setattr(dataversion, "_parts", list(dataversion._parts))
    dataversion.track_latest(Organisation, "created_at")
    try:
        again = _version_sql()
        assert again is not first and again[0].count("data_version") == 1
        assert "created_at" in again[0]
    finally:
        dataversion._compiled_statements.clear()


def test_an_initiative_description_and_a_key_figure_move_the_version():
    from tests.factories import KeyFigureFactory

    initiative = InitiativeFactory()
    before = data_version()
    initiative.description = "A new description."
    initiative.save()
    described = data_version()
    figure = KeyFigureFactory()
    added = data_version()
    figure.value = "43"
    figure.save()
    assert len({before, described, added, data_version()}) == 4


def test_a_new_edited_or_deleted_organisation_moves_the_version():
    organisation = OrganisationFactory()
    before = data_version()
    OrganisationFactory()
    added = data_version()
    organisation.summary = "Edited."
    organisation.save()
    edited = data_version()
    Organisation.objects.filter(pk=organisation.pk).delete()
    deleted = data_version()
    assert len({before, added, edited, deleted}) == 4


def test_a_renamed_or_retired_sector_moves_the_version():
    sector = SectorFactory(name="Imaging", slug="imaging")
    before = data_version()
    sector.name = "Radiology"
    sector.save()
    renamed = data_version()
    sector.is_active = False
    sector.save()
    assert len({before, renamed, data_version()}) == 3


def test_an_edited_synonym_or_initiative_or_a_new_membership_moves_the_version():
    synonym = Synonym.objects.create(term="AI", equivalents="machine learning")
    initiative = InitiativeFactory(name="Nexus")
    versions = [data_version()]
    synonym.equivalents = "machine learning\nartificial intelligence"
    synonym.save()
    versions.append(data_version())
    initiative.summary = "A hub."
    initiative.save()
    versions.append(data_version())
    MembershipFactory(initiative=initiative)
    versions.append(data_version())
    assert len(set(versions)) == 4


def test_a_new_or_edited_contact_moves_the_version():
    organisation = OrganisationFactory()
    before = data_version()
    contact = ContactFactory(organisation=organisation)
    added = data_version()
    contact.job_title = "Director"
    contact.save()
    assert len({before, added, data_version()}) == 3


def test_erasing_a_person_moves_the_version_though_no_history_row_is_left():
    organisation = OrganisationFactory()
    older = ContactFactory(organisation=organisation, name="Ada Lovelace")
    ContactFactory(organisation=organisation, name="Grace Hopper")
    publisher = get_user_model().objects.create_user("publisher")
    before = data_version()

    contact_erase(contact=older, user=publisher)

    assert not Contact.history.filter(id=older.pk).exists()
    assert data_version() != before


def test_cached_keeps_a_value_until_the_data_changes():
    computed = []

    def compute():
        computed.append(1)
        return Organisation.objects.count()

    OrganisationFactory()
    assert cached("test", "count", compute) == 1
    assert cached("test", "count", compute) == 1
    assert len(computed) == 1

    OrganisationFactory()
    assert cached("test", "count", compute) == 2
    assert len(computed) == 2


def version_statements(read):
    with CaptureQueriesContext(connection) as captured:
        value = read()
    return value, [query["sql"].split(" AS ")[0] for query in captured.captured_queries]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_session_prepares_the_version_statement_once_and_then_runs_it():
    OrganisationFactory()
    connection.close()
    sql, params = _version_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        plain = cursor.fetchone()[0]

    first, statements = version_statements(data_version)
    assert first == plain
    # Prepared on the session, past the query log: one read per request, as without it.
    assert len(statements) == 1 and statements[0].startswith("EXECUTE data_version_")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'data_version_%%'")
        assert cursor.fetchone()[0] == 1
    again, statements = version_statements(data_version)
    assert again == plain
    assert len(statements) == 1 and statements[0].startswith("EXECUTE data_version_")

    # A write moves the version read through the prepared statement too.
    OrganisationFactory()
    assert data_version() != plain

    # A new session prepares it again.
    connection.close()
    assert data_version() != plain
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'data_version_%%'")
        assert cursor.fetchone()[0] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_connection_closed_after_each_request_is_not_worth_preparing_for(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    connection.close()

    _value, statements = version_statements(data_version)

    assert len(statements) == 1 and statements[0].startswith("SELECT ")
