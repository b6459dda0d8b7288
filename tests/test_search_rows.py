"""The narrow table of published rows that the public list searches on PostgreSQL
(organisations_search_row, organisations/search/ddl.py): its triggers keep it exactly in step with
publishing, editing, deleting, merging and importing; a rebuild renews it; and searching it gives
the same ids in the same order as searching the organisations themselves."""

import io
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, transaction
from django.http import QueryDict

from organisations import facet_index
from organisations.bulk import update_rows
from organisations.csv import import_csv
from organisations.filters import OrganisationFilter
from organisations.models import Organisation, SearchRow, Status
from organisations.search import ddl, rebuild_index, search
from organisations.search.postgresql import names_text
from organisations.search.quality import load_cases
from organisations.search.ranking import lowered_names
from organisations.services import organisation_merge
from tests.factories import InitiativeFactory, MembershipFactory, OrganisationFactory, SectorFactory
from tests.test_csv_import import csv_bytes

pytestmark = pytest.mark.django_db


def on_postgresql(test):
    test = pytest.mark.skipif(connection.vendor != "postgresql", reason="the narrow table is PostgreSQL's")(
        test
    )
    return pytest.mark.postgres_only(test)


def published_rows():
    """What the narrow table must hold: every published organisation's vector, and its names as
    search computes them from the organisation's columns."""
    name_lower, other_names = lowered_names(Organisation)
    published = Organisation.objects.published().annotate(
        _name_lower=name_lower, _other_names=other_names, _names=names_text(Organisation)
    )
    return list(
        published.order_by("pk").values_list("pk", "search_vector", "_name_lower", "_other_names", "_names")
    )


def narrow_rows():
    rows = SearchRow.objects.order_by("pk")
    return list(rows.values_list("pk", "search_vector", "name_lower", "other_names", "names"))


def assert_in_step():
    expected = published_rows()
    assert narrow_rows() == expected
    return expected


def row_version(pk):
    """The row's transaction id: unchanged when nothing rewrote it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {ddl.ROW_TABLE} WHERE organisation_id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def row_matches(pk, tsquery):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {ddl.ROW_TABLE} WHERE organisation_id = %s AND search_vector @@ %s::tsquery",  # noqa: S608
            [pk, tsquery],
        )
        return cursor.fetchone() is not None


@on_postgresql
def test_a_published_organisation_has_a_row_and_a_draft_has_none():
    published = OrganisationFactory(name="Airedale Scanning", alternative_names="AS; Scan Co")
    draft = OrganisationFactory(name="Hidden Draft", status=Status.DRAFT)

    rows = assert_in_step()

    assert [row[0] for row in rows] == [published.pk]
    assert SearchRow.objects.get().name_lower == "airedale scanning"
    assert SearchRow.objects.get().other_names == ";as;scan co;;"
    assert not SearchRow.objects.filter(pk=draft.pk).exists()


@on_postgresql
def test_publishing_adds_the_row_and_unpublishing_or_archiving_removes_it():
    org = OrganisationFactory(name="Kirkstall Imaging", status=Status.DRAFT)
    other = OrganisationFactory(name="Otley Bio")

    org.status = Status.PUBLISHED
    org.save()
    assert SearchRow.objects.filter(pk=org.pk).exists()
    assert_in_step()

    org.status = Status.DRAFT
    org.save()
    assert not SearchRow.objects.filter(pk=org.pk).exists()
    assert_in_step()

    Organisation.objects.filter(pk=other.pk).update(status=Status.ARCHIVED)
    assert not SearchRow.objects.exists()
    assert_in_step()


@on_postgresql
def test_an_edit_of_a_searched_column_updates_the_row_and_other_edits_rewrite_nothing():
    org = OrganisationFactory(name="Calder Diagnostics", summary="Rapid tests.")
    untouched = row_version(org.pk)

    org.phone = "0113 000 0000"
    org.save()
    assert row_version(org.pk) == untouched

    org.summary = "Rapid tests for sepsis."
    org.name = "Calder Dx"
    org.legal_name = "Calder Diagnostics Limited"
    org.alternative_names = "CDX"
    org.save()
    org.sectors.set([SectorFactory(name="Diagnostics")])
    org.refresh_search_names()

    assert_in_step()
    row = SearchRow.objects.get(pk=org.pk)
    assert (row.name_lower, row.other_names, row.names) == (
        "calder dx",
        ";cdx;calder diagnostics limited;",
        "Calder Dx Calder Diagnostics Limited CDX",
    )
    assert row_matches(org.pk, "sepsi")


@on_postgresql
def test_deleting_organisations_removes_their_rows():
    kept, deleted, also_deleted = OrganisationFactory.create_batch(3)

    deleted.delete()
    Organisation.objects.filter(pk=also_deleted.pk).delete()

    assert [row[0] for row in assert_in_step()] == [kept.pk]


@on_postgresql
def test_a_merge_removes_the_merged_organisation_and_refreshes_its_target(django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "x-unused-password")
    target = OrganisationFactory(name="Pharmacy2U", summary="")
    source = OrganisationFactory(name="Pharmacy2U Ltd", summary="Online pharmacy.")

    organisation_merge(source=source, target=target, user=user)

    assert [row[0] for row in assert_in_step()] == [target.pk]


@on_postgresql
def test_a_csv_import_that_creates_publishes_and_edits_keeps_the_table_in_step(django_user_model):
    user = django_user_model.objects.create_user("publisher", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_organisation", "change_organisation", "publish_organisation"]
        )
    )
    OrganisationFactory(name="Old Name", slug="acme")
    OrganisationFactory(name="Retiring", slug="retiring")
    rows = [
        {"name": "New Name", "slug": "acme", "summary": "Wound care dressings."},
        {"name": "Retiring", "slug": "retiring", "status": "archived"},
        {"name": "Fresh", "slug": "fresh", "status": "published"},
        {"name": "Drafted", "slug": "drafted"},
    ]
    result = import_csv(file=io.BytesIO(csv_bytes(rows, ["name", "slug", "summary", "status"])), user=user)

    assert result.ok, result.errors
    names = {row[2] for row in assert_in_step()}
    assert names == {"new name", "fresh"}


@on_postgresql
def test_a_bulk_update_of_many_rows_in_one_statement_keeps_the_table_in_step():
    orgs = OrganisationFactory.create_batch(4)
    orgs[0].name = "Renamed Holbeck Health"
    orgs[1].status = Status.DRAFT
    orgs[2].summary = "Now about genomics."
    drafts = OrganisationFactory.create_batch(2, status=Status.DRAFT)
    drafts[0].status = Status.PUBLISHED

    update_rows(Organisation, [*orgs, *drafts], ["name", "status", "summary"])

    ids = {row[0] for row in assert_in_step()}
    assert ids == {orgs[0].pk, orgs[2].pk, orgs[3].pk, drafts[0].pk}


@on_postgresql
def test_a_rebuild_fills_an_emptied_table_removes_stray_rows_and_leaves_the_triggers_on():
    orgs = OrganisationFactory.create_batch(3)
    draft = OrganisationFactory(status=Status.DRAFT)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ddl.ROW_TABLE}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {ddl.ROW_TABLE} (organisation_id, search_vector, name_lower, other_names, names) "  # noqa: S608
            "VALUES (%s, to_tsvector('stray'), 'stray', ';;', 'Stray')",
            [draft.pk],
        )

    rebuild_index()

    assert {row[0] for row in assert_in_step()} == {org.pk for org in orgs}
    # Writes after a rebuild in the same transaction are kept again.
    later = OrganisationFactory(name="After The Rebuild")
    assert SearchRow.objects.filter(pk=later.pk).exists()
    assert_in_step()


@on_postgresql
def test_the_rebuild_command_after_bulk_sql_puts_the_copied_names_in_the_rows():
    org = OrganisationFactory(name="Ridings Ortho")
    sector = SectorFactory(name="Orthopaedics")
    Organisation.sectors.through.objects.create(organisation=org, sector=sector)

    call_command("rebuild_search_index", stdout=io.StringIO())

    assert_in_step()
    assert row_matches(org.pk, "orthopaed:B")


def relevance_filterset(q):
    filterset = OrganisationFilter(QueryDict(urlencode({"q": q})))
    filterset.errors  # noqa: B018 — validates the form
    assert filterset.current_sort == "relevance"
    return filterset


def wide_ids(q):
    """The ids in order as searching the organisations themselves gives them."""
    filterset = relevance_filterset(q)
    queryset = search(Organisation.objects.published(), filterset.search_plan)
    return list(queryset.order_by(*filterset.ordering(queryset)).values_list("pk", flat=True))


def narrow_ids(q, *, grouped=True):
    """The ids in order as the public list's search gives them: on PostgreSQL grouped by rank and
    ordered by the facet index (or, not `grouped`, sorted by the statement itself)."""
    filterset = relevance_filterset(q)
    index = facet_index.current_index("default") if grouped else None
    ids = facet_index.search_ids(filterset, filterset.search_plan, ordered=True, using="default", index=index)
    return list(ids)


# Words of the seeded organisations (seed_demo) of every frequency, misspellings, prefixes, phrases,
# places, acronyms, exclusions and OR.
SEEDED_QUERIES = [
    "health",
    "care",
    "digital health",
    "medical devices",
    "genomics",
    "radi",
    "helth",
    "pharmacey",
    "telehelth",
    "diagnostcs",
    "care homes",
    "remote monitoring",
    "machine learning",
    "AI",
    "EPR",
    "Leeds",
    "York",
    "LS9",
    "wound care -devices",
    "imaging OR genomics",
    '"clinical trials"',
    "aire health",
    "tinnitus",
    "the",
    "Nexus members",
]


@pytest.fixture(scope="module")
def leeds_and_seeded(django_db_setup, django_db_blocker):
    """The real fixtures and 400 seeded organisations, loaded once for the module in a
    transaction rolled back at its end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_initial_data", verbosity=0)
            call_command("seed_demo", "--count", "400", "--seed", "7", "--no-progress", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@on_postgresql
def test_searching_the_narrow_table_gives_the_same_ids_in_the_same_order_over_many_queries(
    leeds_and_seeded, db
):
    assert_in_step()
    queries = list(dict.fromkeys([case.query for case in load_cases()] + SEEDED_QUERIES))
    assert len(queries) > 60
    found = 0
    for q in queries:
        expected = wide_ids(q)
        assert narrow_ids(q) == expected, q
        assert narrow_ids(q, grouped=False) == expected, q
        found += bool(expected)
    assert found > 50


@on_postgresql
def test_a_search_reads_its_matches_through_the_index_and_leaves_the_planner_settings_as_they_were():
    OrganisationFactory(name="Holbeck Health")
    settings = "SELECT current_setting('enable_seqscan') || current_setting('enable_sort')"
    with connection.cursor() as cursor:
        during = []

        def spy(execute, sql, params, many, context):
            if "organisations_search_row" in sql:
                cursor.execute(settings)
                during.append(cursor.fetchone()[0])
            return execute(sql, params, many, context)

        with connection.execute_wrapper(spy):
            assert narrow_ids("holbeck") != []
        cursor.execute(settings)
        assert (during, cursor.fetchone()[0]) == (["offoff"], "onon")


@on_postgresql
def test_a_match_published_after_the_index_was_built_is_ordered_by_the_statement():
    alpha = OrganisationFactory(name="Quillstone Alpha")
    index = facet_index.current_index("default")
    # Published while the index stays as it was (as between two reads of the data version).
    beta = OrganisationFactory(name="Quillstone Beta")
    filterset = relevance_filterset("quillstone")

    ids = facet_index.search_ids(filterset, filterset.search_plan, ordered=True, using="default", index=index)

    assert list(ids) == wide_ids("quillstone") == [alpha.pk, beta.pk]


@on_postgresql
def test_the_members_of_a_named_initiative_rank_alike_in_both_tables():
    initiative = InitiativeFactory(name="Quillstone Accelerator", slug="quillstone-accelerator")
    member = OrganisationFactory(name="Quiet Member", summary="Nothing to match.")
    MembershipFactory(initiative=initiative, organisation=member)
    OrganisationFactory(name="Quillstone Partners", summary="Works with the Quillstone Accelerator.")

    assert narrow_ids("Quillstone Accelerator members") == wide_ids("Quillstone Accelerator members")
    assert narrow_ids("Quillstone Accelerator members", grouped=False) == wide_ids(
        "Quillstone Accelerator members"
    )
    assert member.pk in narrow_ids("Quillstone Accelerator members")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite searches its FTS5 tables")
def test_on_sqlite_the_table_stays_empty_and_search_reads_the_organisations():
    OrganisationFactory(name="Holbeck Health")

    assert not SearchRow.objects.exists()
    assert narrow_ids("holbeck") == wide_ids("holbeck") != []
