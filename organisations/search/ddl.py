"""Every database object search keeps, written once: migrations create them from here, and
`rebuild_index()` and `ensure_sqlite_triggers()` repair them from here.

PostgreSQL: a weighted tsvector column kept by a trigger, its GIN index, a trigram index on the
names, and the vocabulary of published words (organisations_search_term, the SearchTerm model)
kept by statement-level triggers. SQLite: an external-content FTS5 table kept by triggers.

What the objects read is a `Document`: the organisation columns searched and their weights. A
migration passes the document it was written for, so that replaying an old migration on a new
database never names a column that did not exist yet; `DOCUMENT` is the current one.
"""

from dataclasses import dataclass
from itertools import groupby

TABLE = "organisations_organisation"
FTS_TABLE = "organisations_organisation_fts"
TERM_TABLE = "organisations_search_term"
CONFIG = "pg_catalog.english"

# Columns holding several values separated by semicolons ("LTHT; HSCIC").
LIST_COLUMNS = {"alternative_names"}
# bm25 weight of an FTS5 column for each tsvector weight: names 10, sectors 4, summary 2, text 1.
FTS5_WEIGHT_OF = {"A": 10.0, "B": 4.0, "C": 2.0, "D": 1.0}
# ts_rank weights for D, C, B, A.
POSTGRESQL_WEIGHTS = [0.1, 0.2, 0.4, 1.0]


@dataclass(frozen=True)
class Document:
    columns: tuple  # ((column, weight A–D), …), in the order of the function's arguments
    vocabulary: tuple  # columns whose words "did you mean" and typo tolerance may offer
    names: tuple = ("name", "alternative_names")  # what the trigram index on names covers

    @property
    def column_names(self):
        return [column for column, _weight in self.columns]

    @property
    def arity(self):
        return ", ".join("text" for _ in self.columns)

    def fts5_weights(self):
        return ", ".join(str(FTS5_WEIGHT_OF[weight]) for _column, weight in self.columns)


DOCUMENT = Document(
    columns=(
        ("name", "A"),
        ("alternative_names", "A"),
        ("sector_names", "B"),
        ("summary", "C"),
        ("description", "D"),
    ),
    vocabulary=("name", "alternative_names", "sector_names", "summary"),
)


def _text(column, prefix=""):
    value = f"coalesce({prefix}{column}, '')"
    return f"replace({value}, ';', ' ')" if column in LIST_COLUMNS else value


# --- PostgreSQL ---------------------------------------------------------------------------------


def _document_function(document):
    arguments = ", ".join(f"{column} text" for column in document.column_names)
    parts = []
    for weight, columns in groupby(document.columns, key=lambda item: item[1]):
        text = " || ' ' || ".join(_text(column) for column, _weight in columns)
        parts.append(f"setweight(to_tsvector('{CONFIG}', {text}), '{weight}')")
    body = "\n            || ".join(parts)
    return f"""
    CREATE FUNCTION organisations_search_document({arguments})
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT {body}
    $$
    """


def _document_of(document, row):
    """organisations_search_document() applied to the columns of `row` (NEW, o, or the table)."""
    prefix = f"{row}." if row else ""
    return "organisations_search_document(" + ", ".join(prefix + c for c in document.column_names) + ")"


def _words_function(document):
    arguments = ", ".join(f"{column} text" for column in document.vocabulary)
    text = ", ".join(
        f"replace({column}, ';', ' ')" if column in LIST_COLUMNS else column for column in document.vocabulary
    )
    # Lower-cased and unstemmed ('simple'), so that a correction reads naturally.
    return f"""
    CREATE FUNCTION organisations_search_words({arguments})
    RETURNS SETOF text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT word FROM unnest(tsvector_to_array(to_tsvector('pg_catalog.simple',
            concat_ws(' ', {text})))) AS word
        WHERE length(word) BETWEEN 2 AND 40
    $$
    """


def _insert_published_words(document, source):
    words = "organisations_search_words(" + ", ".join(f"o.{c}" for c in document.vocabulary) + ")"
    return f"""
    INSERT INTO {TERM_TABLE} (word)
    SELECT DISTINCT w.word FROM {source} AS o, {words} AS w(word)
    WHERE o.status = 'published'
    ON CONFLICT (word) DO NOTHING
    """


SEARCH_TERM_TABLE = f"CREATE TABLE {TERM_TABLE} (word text PRIMARY KEY)"


def postgresql_install(document):
    """Statements creating the search objects, in order (the table's columns must exist)."""
    columns = ", ".join(document.column_names)
    names = " || ' ' || ".join(document.names)
    return [
        # Not Django's TrigramExtension: its reverse queries pg_extension even on SQLite.
        # Reversing leaves the extension in place, as other objects may use it.
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        _document_function(document),
        f"""
        CREATE FUNCTION organisations_organisation_search_vector_trigger() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_vector := {_document_of(document, "NEW")};
            RETURN NEW;
        END
        $$
        """,
        f"""
        CREATE TRIGGER organisations_organisation_search_vector
        BEFORE INSERT OR UPDATE OF {columns} ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION organisations_organisation_search_vector_trigger()
        """,
        f"UPDATE {TABLE} SET search_vector = {_document_of(document, '')}",
        f"CREATE INDEX org_search_vector_gin ON {TABLE} USING gin (search_vector)",
        # Misspelt names: `q <<% (name || ' ' || alternative_names)` uses this index.
        f"CREATE INDEX org_name_trgm_gin ON {TABLE} USING gin (({names}) gin_trgm_ops)",
        SEARCH_TERM_TABLE,
        f"CREATE INDEX org_search_term_trgm_gin ON {TERM_TABLE} USING gin (word gin_trgm_ops)",
        _words_function(document),
        # Newly published words join the vocabulary at once; rebuild_index() also drops words
        # that are no longer public. Statement-level, so that bulk inserts pay once per statement.
        f"""
        CREATE FUNCTION organisations_search_term_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {_insert_published_words(document, "changed_rows").strip()};
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER organisations_search_term_insert AFTER INSERT ON {TABLE}
        REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION organisations_search_term_add()
        """,
        f"""
        CREATE TRIGGER organisations_search_term_update AFTER UPDATE ON {TABLE}
        REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION organisations_search_term_add()
        """,
        _insert_published_words(document, TABLE),
    ]


def postgresql_uninstall(document):
    return [
        f"DROP TRIGGER IF EXISTS organisations_search_term_update ON {TABLE}",
        f"DROP TRIGGER IF EXISTS organisations_search_term_insert ON {TABLE}",
        "DROP FUNCTION IF EXISTS organisations_search_term_add()",
        "DROP FUNCTION IF EXISTS organisations_search_words("
        + ", ".join("text" for _ in document.vocabulary)
        + ")",
        f"DROP TABLE IF EXISTS {TERM_TABLE}",
        "DROP INDEX IF EXISTS org_name_trgm_gin",
        "DROP INDEX IF EXISTS org_search_vector_gin",
        f"DROP TRIGGER IF EXISTS organisations_organisation_search_vector ON {TABLE}",
        "DROP FUNCTION IF EXISTS organisations_organisation_search_vector_trigger()",
        f"DROP FUNCTION IF EXISTS organisations_search_document({document.arity})",
    ]


def postgresql_rebuild(document):
    document_sql = _document_of(document, "")
    return [
        # Only rows whose vector is stale: rewriting all 100,000 after a seed took 20–38 s.
        f"UPDATE {TABLE} SET search_vector = {document_sql} WHERE search_vector IS DISTINCT FROM {document_sql}",
        f"DELETE FROM {TERM_TABLE}",
        _insert_published_words(document, TABLE),
        f"ANALYZE {TERM_TABLE}",
        # Bulk loads leave the planner's statistics stale, and it then skips the GIN indexes.
        f"ANALYZE {TABLE}",
    ]


# --- SQLite -------------------------------------------------------------------------------------


def _fts_row(document, row):
    return ", ".join(f"{row}.{column}" for column in document.column_names)


def sqlite_triggers(document):
    """The FTS5 triggers; IF NOT EXISTS, so that they can be put back after a table rebuild."""
    columns = ", ".join(document.column_names)
    insert = f"INSERT INTO {FTS_TABLE} (rowid, {columns}) VALUES (new.id, {_fts_row(document, 'new')});"
    delete = (
        f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {columns}) "
        f"VALUES ('delete', old.id, {_fts_row(document, 'old')});"
    )
    return [
        f"""
        CREATE TRIGGER IF NOT EXISTS organisations_organisation_fts_insert AFTER INSERT ON {TABLE}
        BEGIN {insert} END
        """,
        f"""
        CREATE TRIGGER IF NOT EXISTS organisations_organisation_fts_delete AFTER DELETE ON {TABLE}
        BEGIN {delete} END
        """,
        f"""
        CREATE TRIGGER IF NOT EXISTS organisations_organisation_fts_update
        AFTER UPDATE OF {columns} ON {TABLE}
        BEGIN {delete} {insert} END
        """,
    ]


SQLITE_TRIGGER_NAMES = [
    "organisations_organisation_fts_update",
    "organisations_organisation_fts_delete",
    "organisations_organisation_fts_insert",
]

SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')"


def sqlite_install(document):
    """External content: the text stays in the organisation table, rowid = organisation id."""
    columns = ", ".join(document.column_names)
    return [
        f"""
        CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
            {columns},
            content='{TABLE}', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )
        """,
        *sqlite_triggers(document),
        SQLITE_REBUILD,
    ]


def sqlite_uninstall(document):
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES),
        f"DROP TABLE IF EXISTS {FTS_TABLE}",
    ]


# --- Both ---------------------------------------------------------------------------------------

# The sector names each organisation carries for search, refreshed where they changed.
SECTOR_NAMES = {
    "postgresql": f"""
        UPDATE {TABLE} AS o SET sector_names = s.names
        FROM (
            SELECT o2.id, coalesce(string_agg(sec.name, ' ' ORDER BY sec.name), '') AS names
            FROM {TABLE} o2
            LEFT JOIN organisations_organisation_sectors os ON os.organisation_id = o2.id
            LEFT JOIN organisations_sector sec ON sec.id = os.sector_id
            GROUP BY o2.id
        ) AS s
        WHERE s.id = o.id AND o.sector_names IS DISTINCT FROM s.names
    """,
    "sqlite": f"""
        UPDATE {TABLE} SET sector_names = coalesce((
            SELECT group_concat(name, ' ') FROM (
                SELECT sec.name FROM organisations_organisation_sectors os
                JOIN organisations_sector sec ON sec.id = os.sector_id
                WHERE os.organisation_id = {TABLE}.id
                ORDER BY sec.name)), '')
        WHERE sector_names IS NOT coalesce((
            SELECT group_concat(name, ' ') FROM (
                SELECT sec.name FROM organisations_organisation_sectors os
                JOIN organisations_sector sec ON sec.id = os.sector_id
                WHERE os.organisation_id = {TABLE}.id
                ORDER BY sec.name)), '')
    """,
}


def install(schema_editor, document):
    """Create the search objects of `schema_editor`'s engine (none elsewhere)."""
    statements = {"postgresql": postgresql_install, "sqlite": sqlite_install}.get(
        schema_editor.connection.vendor
    )
    for sql in statements(document) if statements else []:
        schema_editor.execute(sql)


def uninstall(schema_editor, document):
    statements = {"postgresql": postgresql_uninstall, "sqlite": sqlite_uninstall}.get(
        schema_editor.connection.vendor
    )
    for sql in statements(document) if statements else []:
        schema_editor.execute(sql)
