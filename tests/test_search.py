"""Search (ARCHITECTURE.md §6): ranking, composition, highlighting, "did you mean", the index and
its rebuild, and hostile input. Quality over the real fixtures is in test_search_quality.py."""

import datetime
import warnings

import pytest
from django.core.cache.backends.base import CacheKeyWarning, memcache_key_warnings
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.utils.safestring import SafeString

from core.dataversion import cache_key
from organisations.filters import OrganisationFilter
from organisations.models import Organisation, Status
from organisations.search import did_you_mean, highlight, prepare, rebuild_index, search
from organisations.search.suggest import VOCABULARY_CACHE_PREFIX, published_vocabulary
from tests.factories import OrganisationFactory, SectorFactory

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
postgres_only = [pytest.mark.postgres_only, needs_postgresql]
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")

HOSTILE_QUERIES = [
    "\x00",
    "leeds\x00 trust",
    "x" * 10_000,
    "leeds " * 2_000,
    "'; DROP TABLE organisations_organisation; --",
    "1' OR '1'='1",
    '"',
    '""',
    '"unterminated phrase',
    "-",
    "--",
    "- -",
    "OR",
    "or or or",
    "*",
    "NEAR(leeds trust)",
    "name:leeds",
    "^leeds",
    "leeds AND OR NOT",
    "(leeds",
    "<script>alert(1)</script>",
    "<b>bold</b>",
    "%_\\",
    "\u202eevil\u200b\u0007",
    "\ufeff\ud7ff",
    "🏥 hospital",
    "café naïve",
    "&amp; &lt;",
    ":*",
    "!!!",
    "a:* & b",
]


def slugs(queryset):
    return list(queryset.values_list("slug", flat=True))


# --- Matching and ranking ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_name_match_ranks_above_a_summary_and_a_description_match():
    described = OrganisationFactory(name="Alpha", summary="A company.", description="Works on radiology.")
    summarised = OrganisationFactory(name="Beta", summary="Radiology software.")
    named = OrganisationFactory(name="Radiology Partners", summary="A company.")

    assert slugs(search(Organisation.objects.all(), "radiology")) == [
        named.slug,
        summarised.slug,
        described.slug,
    ]


@pytest.mark.django_db
def test_a_sector_match_ranks_above_a_description_match():
    genomics = SectorFactory(name="Genomics", slug="genomics")
    in_sector = OrganisationFactory(name="Alpha", summary="A company.", sectors=[genomics])
    described = OrganisationFactory(name="Beta", summary="A company.", description="Some genomics work.")

    assert slugs(search(Organisation.objects.all(), "genomics")) == [in_sector.slug, described.slug]


@pytest.mark.django_db
def test_an_exact_acronym_ranks_first():
    trust = OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust", alternative_names="LTHT; LGI")
    OrganisationFactory(name="LTHT Innovation Friends", summary="Works with LTHT and LTHT staff on LTHT.")

    assert slugs(search(Organisation.objects.all(), "LTHT"))[0] == trust.slug
    assert slugs(search(Organisation.objects.all(), "lgi"))[0] == trust.slug


@pytest.mark.django_db
def test_results_carry_a_float_rank_best_first():
    OrganisationFactory(name="Telehealth Hub", summary="Telehealth.")
    OrganisationFactory(name="Other", summary="Some telehealth.")

    ranks = [o.search_rank for o in search(Organisation.objects.all(), "telehealth")]

    assert len(ranks) == 2
    assert all(isinstance(rank, float) for rank in ranks)
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] > ranks[1]


@pytest.mark.django_db
def test_every_word_must_match():
    both = OrganisationFactory(name="Leeds Imaging")
    OrganisationFactory(name="Leeds Pharmacy")

    assert slugs(search(Organisation.objects.all(), "leeds imaging")) == [both.slug]


@pytest.mark.django_db
def test_english_stems_match():
    pharmacy = OrganisationFactory(name="Online Pharmacy")

    assert slugs(search(Organisation.objects.all(), "pharmacies")) == [pharmacy.slug]


@pytest.mark.django_db
def test_the_last_word_matches_as_a_prefix():
    radiology = OrganisationFactory(name="Radiology Partners")
    OrganisationFactory(name="Radar Systems")

    assert slugs(search(Organisation.objects.all(), "radiol")) == [radiology.slug]
    assert slugs(search(Organisation.objects.all(), "partners radiol")) == [radiology.slug]


@pytest.mark.django_db
def test_a_quoted_phrase_matches_only_in_order():
    in_order = OrganisationFactory(name="A", summary="A clinical research unit.")
    OrganisationFactory(name="B", summary="Research on clinical things.")

    assert slugs(search(Organisation.objects.all(), '"clinical research"')) == [in_order.slug]


@pytest.mark.django_db
def test_a_minus_excludes_a_word():
    kept = OrganisationFactory(name="Bradford Hospital", town="Bradford", local_authority="bradford")
    OrganisationFactory(name="Leeds Hospital")

    assert slugs(search(Organisation.objects.all(), "hospital -leeds")) == [kept.slug]


@pytest.mark.django_db
def test_or_matches_either_word():
    first = OrganisationFactory(name="SystmOne Makers")
    second = OrganisationFactory(name="dCELL Makers")
    OrganisationFactory(name="Other Makers")

    assert set(slugs(search(Organisation.objects.all(), "systmone OR dcell"))) == {first.slug, second.slug}


@pytest.mark.django_db
def test_only_exclusions_or_punctuation_match_nothing():
    OrganisationFactory(name="Leeds Hospital")

    assert slugs(search(Organisation.objects.all(), "-leeds")) == []
    assert slugs(search(Organisation.objects.all(), "!!!")) == []


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["", "   ", None])
def test_an_empty_query_leaves_the_queryset_unchanged(q):
    OrganisationFactory.create_batch(2)
    queryset = Organisation.objects.published()

    assert search(queryset, q) is queryset


@pytest.mark.django_db
def test_the_queryset_method_is_the_same_search():
    OrganisationFactory(name="Tunstall Healthcare")
    OrganisationFactory(name="Other")

    assert slugs(Organisation.objects.search("tunstall")) == ["tunstall-healthcare"]
    assert slugs(Organisation.objects.published().search("tunstall")) == ["tunstall-healthcare"]


@pytest.mark.django_db
def test_a_prepared_search_runs_no_query_until_the_results_are_read(django_assert_num_queries):
    # Reading the query against the thesaurus (and the vocabulary) happens once, in prepare();
    # the FilterSet then reuses the plan for the results and every facet.
    plan = prepare("leeds pharmacey")
    with django_assert_num_queries(0):
        queryset = search(Organisation.objects.published(), plan)
    with django_assert_num_queries(1):
        list(queryset)


# --- Composition ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_drafts_and_archived_entries_never_come_back_through_published():
    published = OrganisationFactory(name="Imaging Public")
    OrganisationFactory(name="Imaging Draft", status=Status.DRAFT)
    OrganisationFactory(name="Imaging Archived", status=Status.ARCHIVED)

    assert slugs(search(Organisation.objects.published(), "imaging")) == [published.slug]
    assert slugs(search(Organisation.objects.all(), "imaging").published()) == [published.slug]


@pytest.mark.django_db
def test_search_composes_with_filters_before_and_after():
    company = OrganisationFactory(name="Leeds Imaging Ltd", organisation_type=Organisation.Type.COMPANY)
    OrganisationFactory(name="Leeds Imaging Trust", organisation_type=Organisation.Type.NHS)

    before = search(Organisation.objects.filter(organisation_type="company"), "imaging")
    after = search(Organisation.objects.all(), "imaging").filter(organisation_type="company")

    assert slugs(before) == slugs(after) == [company.slug]


@pytest.mark.django_db
def test_search_works_as_a_subquery_as_facet_counts_use_it():
    sector = SectorFactory(name="Diagnostics", slug="diagnostics")
    OrganisationFactory(name="Leeds Imaging", sectors=[sector])
    OrganisationFactory(name="Leeds Pharmacy", sectors=[sector])
    matching = search(Organisation.objects.published(), "imaging").values("pk")

    through = Organisation.sectors.through
    assert through.objects.filter(organisation_id__in=matching).count() == 1
    assert Organisation.objects.filter(pk__in=matching, sectors=sector).count() == 1


@pytest.mark.django_db
def test_a_later_order_by_replaces_the_relevance_order():
    OrganisationFactory(name="Zeta Imaging", summary="Imaging imaging imaging.")
    OrganisationFactory(name="Alpha", summary="Imaging.")

    assert slugs(search(Organisation.objects.all(), "imaging").order_by("name")) == ["alpha", "zeta-imaging"]


# --- Typo tolerance (PostgreSQL) --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("Pharmacey2u", "pharmacy2u", marks=postgres_only),
        # The prefix match finds this one on SQLite too.
        pytest.param("Tunstal", "tunstall-healthcare"),
        pytest.param("telehelth", "immedicare", marks=postgres_only),
        pytest.param("Leeds Teching Hospitals", "leeds-teaching-hospitals-nhs-trust", marks=postgres_only),
    ],
)
def test_a_misspelt_name_or_word_still_finds_it(q, expected):
    OrganisationFactory(name="Pharmacy2U", summary="Online pharmacy.")
    OrganisationFactory(name="Tunstall Healthcare", summary="Home sensors.")
    OrganisationFactory(name="Immedicare", summary="Telehealth for care homes.")
    OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust", summary="Hospitals.")

    assert slugs(search(Organisation.objects.published(), q))[:1] == [expected]


@pytest.mark.django_db
@pytest.mark.postgres_only
@needs_postgresql
def test_typo_tolerance_respects_exclusions():
    OrganisationFactory(name="Immedicare", summary="Telehealth for care homes.")
    OrganisationFactory(name="Airedale", summary="Telehealth hub.")

    assert slugs(search(Organisation.objects.published(), "telehelth -airedale")) == ["immedicare"]


# --- Highlighting -----------------------------------------------------------------------------


def test_highlight_marks_matched_words_case_insensitively():
    html = highlight("Leeds teaching hospitals and LEEDS city", "leeds")

    assert isinstance(html, SafeString)
    assert html == "<mark>Leeds</mark> teaching hospitals and <mark>LEEDS</mark> city"


def test_highlight_marks_stems_and_prefixes():
    assert highlight("An online pharmacy", "pharmacies") == "An online <mark>pharmacy</mark>"
    assert highlight("Radiology services", "radi") == "<mark>Radiology</mark> services"
    assert highlight("Orthopaedics devices", "orthopaedic") == "<mark>Orthopaedics</mark> devices"


def test_highlight_escapes_markup_from_the_text_and_the_query():
    html = highlight('<script>alert("x")</script> & script', "<script>")

    assert "<script>" not in html
    assert "&lt;" in html and "&amp;" in html
    assert "<mark>script</mark>" in html
    assert highlight("Leeds", '<img src=x onerror="alert(1)">') == "Leeds"
    assert "<img" not in highlight("<img src=x>", "img")


def test_highlight_does_not_mark_excluded_words():
    assert highlight("Leeds hospital", "hospital -leeds") == "Leeds <mark>hospital</mark>"


def test_highlight_without_a_query_only_escapes():
    assert highlight("<b>Bold</b>", "") == "&lt;b&gt;Bold&lt;/b&gt;"
    assert highlight(None, "x") == ""


# --- Did you mean ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_did_you_mean_corrects_a_misspelling_from_the_directory_vocabulary():
    OrganisationFactory(name="Immedicare", summary="Telehealth for care homes.")
    OrganisationFactory(name="Tunstall Healthcare", summary="Home sensors.")

    assert did_you_mean("telehelth") == "telehealth"
    assert did_you_mean("tunstal helthcare") == "tunstall healthcare"


@pytest.mark.django_db
def test_did_you_mean_offers_nothing_for_known_words_or_hopeless_queries():
    OrganisationFactory(name="Immedicare", summary="Telehealth for care homes.")

    assert did_you_mean("telehealth") is None
    assert did_you_mean("qqqzzzxxx") is None
    assert did_you_mean("") is None
    assert did_you_mean("\x00") is None


@pytest.mark.django_db
def test_did_you_mean_never_offers_a_word_only_a_draft_uses():
    draft = OrganisationFactory(name="Zyxorbiotics", summary="Secret.", status=Status.DRAFT)

    assert did_you_mean("zyxorbiotix") is None

    draft.status = Status.PUBLISHED
    draft.save()
    assert did_you_mean("zyxorbiotix") == "zyxorbiotics"


# --- Hostile input ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("q", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_never_raise(q):
    OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust", summary="Hospital trust.")

    results = list(search(Organisation.objects.published(), q))
    did_you_mean(q)
    html = highlight("<b>Leeds</b> hospital", q)

    assert len(results) <= 1
    assert "<b>" not in html


@pytest.mark.django_db
def test_a_very_long_query_is_cut_at_a_word_boundary_and_still_searches():
    OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust")

    # The 10,000-character word is cut off whole rather than searched as a 194-letter word.
    assert slugs(search(Organisation.objects.all(), "leeds " + "x" * 10_000)) == [
        "leeds-teaching-hospitals-nhs-trust"
    ]
    assert slugs(search(Organisation.objects.all(), "leeds " * 2_000)) == [
        "leeds-teaching-hospitals-nhs-trust"
    ]
    assert slugs(search(Organisation.objects.all(), "x" * 10_000)) == []


# --- Keeping the index current -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_index_follows_edits_and_deletions():
    organisation = OrganisationFactory(name="Oldname Labs", summary="Imaging.")

    organisation.name = "Newname Labs"
    organisation.save()
    assert slugs(search(Organisation.objects.all(), "oldname")) == []
    assert slugs(search(Organisation.objects.all(), "newname")) == [organisation.slug]

    organisation.summary = "Genomics."
    organisation.save()
    assert slugs(search(Organisation.objects.all(), "imaging")) == []
    assert slugs(search(Organisation.objects.all(), "genomics")) == [organisation.slug]


@pytest.mark.django_db
def test_sector_names_become_searchable_once_refreshed():
    organisation = OrganisationFactory(name="Alpha")
    organisation.sectors.set([SectorFactory(name="Regenerative medicine", slug="regenerative-medicine")])
    organisation.refresh_search_names()

    assert slugs(search(Organisation.objects.all(), "regenerative")) == [organisation.slug]


def fts_rowids(word):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM organisations_organisation_fts WHERE organisations_organisation_fts MATCH %s",
            [f'"{word}"'],
        )
        return [row[0] for row in cursor.fetchall()]


@sqlite_only
@pytest.mark.django_db
def test_fts5_triggers_keep_the_index_current_after_update_and_delete():
    organisation = OrganisationFactory(name="Oldname Labs")
    assert fts_rowids("oldname") == [organisation.pk]

    organisation.name = "Newname Labs"
    organisation.save()
    assert fts_rowids("oldname") == []
    assert fts_rowids("newname") == [organisation.pk]

    organisation.delete()
    assert fts_rowids("newname") == []


@pytest.mark.django_db
def test_the_rebuild_command_refreshes_sector_names_in_bulk(django_assert_max_num_queries):
    genomics = SectorFactory(name="Genomics", slug="genomics")
    imaging = SectorFactory(name="Imaging", slug="imaging")
    organisations = OrganisationFactory.create_batch(30)
    for organisation in organisations:
        # As after `loaddata`: sectors set, the denormalised names not yet refreshed.
        organisation.sectors.set([imaging, genomics])

    # A fixed number whatever the row count (on PostgreSQL three of them switch the vocabulary's
    # triggers off and on again around the rebuild, and four renew the narrow table of published
    # rows: delete, upsert, its GIN index's pending list, ANALYZE).
    with django_assert_max_num_queries(16):
        call_command("rebuild_search_index", verbosity=0)

    organisations[0].refresh_from_db()
    assert organisations[0].sector_names == "Genomics Imaging"
    assert len(slugs(search(Organisation.objects.all(), "genomics"))) == 30


@sqlite_only
@pytest.mark.django_db
def test_the_rebuild_restores_a_lost_fts5_index_and_its_triggers():
    organisation = OrganisationFactory(name="Tunstall Healthcare")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO organisations_organisation_fts(organisations_organisation_fts) VALUES ('delete-all')"
        )
        # As when a later migration rebuilds the organisation table.
        cursor.execute("DROP TRIGGER organisations_organisation_fts_update")
    assert slugs(search(Organisation.objects.all(), "tunstall")) == []

    rebuild_index()

    assert slugs(search(Organisation.objects.all(), "tunstall")) == [organisation.slug]
    organisation.name = "Renamed Healthcare"
    organisation.save()
    assert slugs(search(Organisation.objects.all(), "renamed")) == [organisation.slug]


@pytest.mark.django_db
@pytest.mark.postgres_only
@needs_postgresql
def test_the_rebuild_drops_words_that_are_no_longer_public():
    organisation = OrganisationFactory(name="Zyxorbiotics")
    organisation.status = Status.DRAFT
    organisation.save()
    assert did_you_mean("zyxorbiotix") is None  # nothing public matches the correction

    rebuild_index()

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM organisations_search_term WHERE word = 'zyxorbiotics'")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_a_query_that_matches_nothing_still_has_printable_sql():
    OrganisationFactory(name="Leeds Hospital")
    queryset = search(Organisation.objects.published(), "--")

    assert "search_rank" in str(queryset.query)
    assert list(queryset) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 triggers exist only on SQLite")
def test_migrate_puts_back_fts_triggers_that_a_table_rebuild_dropped(db):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER organisations_organisation_fts_insert")
    call_command("migrate", verbosity=0)
    OrganisationFactory(name="Rebuiltrigger Health")
    assert list(search(Organisation.objects.all(), "Rebuiltrigger").values_list("name", flat=True)) == [
        "Rebuiltrigger Health"
    ]


# --- Query shape ------------------------------------------------------------------------------

# Plan steps that SQLite runs once per query, whatever the number of rows around them.
RUN_ONCE_STEPS = ("LIST SUBQUERY", "SCALAR SUBQUERY", "CO-ROUTINE", "MATERIALIZE")


def query_plan(queryset):
    """[(step, parent step)] of SQLite's EXPLAIN QUERY PLAN for `queryset`."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        rows = cursor.fetchall()
    details = {row[0]: row[3] for row in rows}
    return [(row[3], details.get(row[1], "")) for row in rows]


@sqlite_only
@pytest.mark.django_db
def test_the_fts5_match_runs_once_per_query_and_never_once_per_row():
    # A MATCH re-run for each matching row (a subquery with `rowid = <pk>`) made a common word
    # with a filter take 100 s at 100,000 organisations: FTS5 expands a prefix word every time.
    medtech = SectorFactory(name="Medical technology", slug="medtech")
    OrganisationFactory.create_batch(3, summary="Health software.", sectors=[medtech])
    filterset = OrganisationFilter(QueryDict("q=health&sector=medtech"))

    plan = query_plan(filterset.qs)

    fts_steps = [(step, parent) for step, parent in plan if "organisations_organisation_fts" in step]
    # Once for the matching rows, once for each kind of field of the rank (names; names and
    # topics; and the summary; topics alone; the summary alone; the rest), once for the words as
    # written.
    assert len(fts_steps) == 8, plan
    assert all(parent.startswith(RUN_ONCE_STEPS) for _step, parent in fts_steps), plan
    assert len(filterset.qs) == 3


@pytest.mark.django_db
def test_the_rank_is_where_the_query_matched_the_same_on_both_engines():
    OrganisationFactory(name="Alpha", summary="Radiology software.")
    OrganisationFactory(name="Beta", summary="Imaging.", description="Radiology and radiology reporting.")
    OrganisationFactory(name="Gamma Radiology", summary="A company.")
    OrganisationFactory(name="Delta", summary="Unrelated.")

    ranks = list(search(Organisation.objects.all(), "radiology").values_list("name", "search_rank"))

    # The name (tier 3); the summary (tier 1, and 0.1 for the summary); the description (0.1);
    # and each 0.3 for the word as written.
    assert ranks == [
        ("Gamma Radiology", pytest.approx(3.3)),
        ("Alpha", pytest.approx(1.4)),
        ("Beta", pytest.approx(0.4)),
    ]


# --- Caching ----------------------------------------------------------------------------------


def test_the_vocabulary_cache_key_is_valid_for_memcached():
    updated_at = datetime.datetime(2026, 11, 28, 4, 56, 57, 715268, tzinfo=datetime.UTC)

    key = cache_key(VOCABULARY_CACHE_PREFIX, f"1:1:{updated_at}", "vocabulary")

    assert list(memcache_key_warnings(f":1:{key}")) == []
    assert " " not in key
    later = updated_at + datetime.timedelta(microseconds=1)
    assert key != cache_key(VOCABULARY_CACHE_PREFIX, f"1:1:{later}", "vocabulary")


@pytest.mark.django_db
def test_reading_the_vocabulary_raises_no_cache_key_warning():
    OrganisationFactory(name="Tunstall Healthcare")

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        vocabulary = published_vocabulary()

    assert "tunstall" in vocabulary


@pytest.mark.django_db
def test_the_cached_vocabulary_follows_edits_publishing_and_deletion():
    organisation = OrganisationFactory(name="Oldword Labs")
    draft = OrganisationFactory(name="Draftword Labs", status=Status.DRAFT)
    assert "oldword" in published_vocabulary()
    assert "draftword" not in published_vocabulary()

    organisation.name = "Newword Labs"
    organisation.save()
    draft.status = Status.PUBLISHED
    draft.save()
    vocabulary = published_vocabulary()
    assert "newword" in vocabulary
    assert "oldword" not in vocabulary
    assert "draftword" in vocabulary

    draft.delete()
    assert "draftword" not in published_vocabulary()


@pytest.mark.django_db
@pytest.mark.postgres_only
@needs_postgresql
def test_the_rebuild_repairs_a_stale_vector_and_leaves_current_ones_alone():
    # A summary word: names are also found by trigram similarity, without the vector.
    stale = OrganisationFactory(name="Acme Imaging", summary="Makers of zentrofluor scanners.")
    current = OrganisationFactory(name="Tunstall Healthcare")
    with connection.cursor() as cursor:
        # As after a bulk load that bypassed the trigger (a restore runs without triggers).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE organisations_organisation SET search_vector = NULL WHERE id = %s", [stale.pk])
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("SELECT xmin::text FROM organisations_organisation WHERE id = %s", [current.pk])
        version_before = cursor.fetchone()[0]
    assert slugs(search(Organisation.objects.all(), "zentrofluor")) == []

    rebuild_index()

    assert slugs(search(Organisation.objects.all(), "zentrofluor")) == [stale.slug]
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM organisations_organisation WHERE id = %s", [current.pk])
        # The same row version: the up-to-date row was not rewritten.
        assert cursor.fetchone()[0] == version_before
