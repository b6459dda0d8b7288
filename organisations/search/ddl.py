"""Every database object search keeps, written once: migrations create them from here, and
`rebuild_index()` and `ensure_sqlite_triggers()` repair them from here.

PostgreSQL: a weighted tsvector column kept by a trigger, its GIN index, a trigram index on the
names, the vocabulary of published words (organisations_search_term, the SearchTerm model)
kept by statement-level triggers, and a narrow copy of what a search reads of each published row
(organisations_search_row, the SearchRow model), kept by statement-level triggers too. SQLite:
external-content FTS5 tables kept by triggers.

What the objects read is a `Document`: the organisation columns searched and their weights. A
migration passes the document it was written for, so that replaying an old migration on a new
database never names a column that did not exist yet; `DOCUMENT` is the current one.
"""

from dataclasses import dataclass
from itertools import groupby

TABLE = "organisations_organisation"
FTS_TABLE = "organisations_organisation_fts"
EXACT_FTS_TABLE = "organisations_organisation_fts_exact"
TERM_TABLE = "organisations_search_term"
ROW_TABLE = "organisations_search_row"
CONFIG = "pg_catalog.english"

# Columns holding several values separated by semicolons ("LTHT; HSCIC").
LIST_COLUMNS = {"alternative_names"}


@dataclass(frozen=True)
class Document:
    columns: tuple  # ((column, weight A–D), …), in the order of the function's arguments
    vocabulary: tuple  # columns whose words "did you mean" and typo tolerance may offer
    names: tuple = ("name", "alternative_names")  # what the trigram index on names covers
    # Whole words as written, beside the stemmed ones: PostgreSQL keeps them in the same vector as
    # upper-case lexemes ('NICE' beside 'nice', the stem of "nicely"), SQLite in a second FTS5
    # table without a stemmer. Acronyms and short words are matched against them.
    exact: bool = False
    # Words leave the vocabulary as soon as no published entry uses them (archived, unpublished,
    # edited or deleted), so "did you mean" never offers what only a hidden entry said.
    prune: bool = False
    # The narrow table of published rows that the public list searches (organisations_search_row,
    # the SearchRow model), kept by statement-level triggers: from migration 0018 on.
    rows: bool = False

    @property
    def column_names(self):
        return [column for column, _weight in self.columns]

    @property
    def arity(self):
        return ", ".join("text" for _ in self.columns)

    def columns_weighted(self, weights):
        """The columns of these weights ("AB"): an FTS5 column filter."""
        return [column for column, weight in self.columns if weight in weights]


DOCUMENT = Document(
    columns=(
        ("name", "A"),
        ("legal_name", "A"),
        ("alternative_names", "A"),
        ("sector_names", "B"),
        ("topic_names", "B"),
        ("summary", "C"),
        ("description", "D"),
        ("town", "D"),
        ("postcode", "D"),
        ("local_authority", "D"),
    ),
    vocabulary=("name", "legal_name", "alternative_names", "sector_names", "topic_names", "summary", "town"),
    names=("name", "legal_name", "alternative_names"),
    exact=True,
    prune=True,
    rows=True,
)


def _text(column, prefix=""):
    value = f"coalesce({prefix}{column}, '')"
    return f"replace({value}, ';', ' ')" if column in LIST_COLUMNS else value


# --- PostgreSQL ---------------------------------------------------------------------------------

# The words of a text as written (lower-cased by 'simple', then upper-cased so that no stem can be
# mistaken for them), with their positions, in tsvector's text form. Backslashes and quotes are
# escaped as that form needs.
EXACT_WORDS_FUNCTION = """
CREATE FUNCTION organisations_search_exact(body text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(
        '''' || replace(replace(upper(lexeme), '\\', '\\\\'), '''', '''''') || ''':'
            || array_to_string(positions, ','), ' '), '')
    FROM unnest(to_tsvector('pg_catalog.simple', body))
$$
"""

# Stems and exact words of one weighted part, at the same positions, so that a phrase may mix them.
WEIGHTED_FUNCTION = f"""
CREATE FUNCTION organisations_search_weighted(body text, weight "char") RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(
        (to_tsvector('{CONFIG}', body)::text || ' ' || organisations_search_exact(body))::tsvector,
        weight)
$$
"""


def _document_function(document):
    arguments = ", ".join(f"{column} text" for column in document.column_names)
    parts = []
    for weight, columns in groupby(document.columns, key=lambda item: item[1]):
        text = " || ' ' || ".join(_text(column) for column, _weight in columns)
        if document.exact:
            parts.append(f"organisations_search_weighted({text}, '{weight}')")
        else:
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


def names_words(document):
    """The words of the names as written: the type-ahead's index, whose statistics tell the planner
    how rare a word is among names (the vector's cannot: weights have none)."""
    names = " || ' ' || ".join(document.names)
    return f"to_tsvector('pg_catalog.simple', {names})"


def _document_objects(document):
    """The document function, the trigger that keeps each row's vector and, for an exact
    document, the index of the names' words."""
    old_columns = ", ".join(f"OLD.{column}" for column in document.column_names)
    new_columns = ", ".join(f"NEW.{column}" for column in document.column_names)
    helpers = [EXACT_WORDS_FUNCTION, WEIGHTED_FUNCTION] if document.exact else []
    names_index = (
        [f"CREATE INDEX org_names_words_gin ON {TABLE} USING gin (({names_words(document)}))"]
        if document.exact
        else []
    )
    return [
        *names_index,
        *helpers,
        _document_function(document),
        # The trigger names no column: PostgreSQL refuses to change the type of a column that a
        # trigger's definition names, and a later migration widening one would fail. The function
        # compares the searched columns itself; a NULL vector (what a model save writes) is always
        # recomputed.
        f"""
        CREATE FUNCTION organisations_organisation_search_vector_trigger() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' OR NEW.search_vector IS NULL
                OR ({old_columns}) IS DISTINCT FROM ({new_columns}) THEN
                NEW.search_vector := {_document_of(document, "NEW")};
            END IF;
            RETURN NEW;
        END
        $$
        """,
        f"""
        CREATE TRIGGER organisations_organisation_search_vector
        BEFORE INSERT OR UPDATE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION organisations_organisation_search_vector_trigger()
        """,
    ]


def _drop_document_objects(document):
    helpers = (
        [
            'DROP FUNCTION IF EXISTS organisations_search_weighted(text, "char")',
            "DROP FUNCTION IF EXISTS organisations_search_exact(text)",
            "DROP INDEX IF EXISTS org_names_words_gin",
        ]
        if document.exact
        else []
    )
    return [
        f"DROP TRIGGER IF EXISTS organisations_organisation_search_vector ON {TABLE}",
        "DROP FUNCTION IF EXISTS organisations_organisation_search_vector_trigger()",
        f"DROP FUNCTION IF EXISTS organisations_search_document({document.arity})",
        *helpers,
    ]


def _vocabulary_objects(document):
    """The words function and the triggers that add newly published words to the vocabulary."""
    return [
        _words_function(document),
        # Newly published words join the vocabulary at once; rebuild_index() also drops words
        # that are no longer public. Statement-level, so that bulk inserts pay once per statement.
        f"""
        CREATE FUNCTION organisations_search_term_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('organisations.rebuilding_vocabulary', true) = 'on' THEN RETURN NULL; END IF;
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
        *(_pruning_objects(document) if document.prune else []),
    ]


def _pruned_words(document, source, condition, kept=""):
    """Delete from the vocabulary the words of `source`'s rows meeting `condition` that no published
    organisation uses any more. The stemmed vector's GIN index finds the few rows that could still
    use a word; its words as written then decide. A word without a stem (a stop word) is kept.

    `kept` (a query of words) leaves out words known to stay in use without looking: an edit of
    100,000 summaries that drops one word checks that word, not every word of every summary
    (checking them all made a bulk update five times slower)."""
    words = ", ".join(f"o.{c}" for c in document.vocabulary)
    published_words = ", ".join(f"p.{c}" for c in document.vocabulary)
    except_kept = f" EXCEPT {kept}" if kept else ""
    return f"""
    DELETE FROM {TERM_TABLE} AS t
    WHERE t.word IN (
        SELECT w.word FROM {source}, organisations_search_words({words}) AS w(word) WHERE {condition}
        {except_kept})
    AND numnode(plainto_tsquery('{CONFIG}', t.word)) > 0
    AND NOT EXISTS (
        SELECT 1 FROM {TABLE} AS p
        WHERE p.status = 'published'
          AND p.search_vector @@ plainto_tsquery('{CONFIG}', t.word)
          AND t.word IN (SELECT organisations_search_words({published_words})))
    """


def _pruning_objects(document):
    vocabulary_changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in document.vocabulary)
    new_words = ", ".join(f"n.{c}" for c in document.vocabulary)
    updated = _pruned_words(
        document,
        "old_rows AS o JOIN new_rows AS n ON n.id = o.id",
        f"o.status = 'published' AND (n.status <> 'published' OR {vocabulary_changed})",
        # The words the statement's rows still publish stay in use.
        kept=f"SELECT w.word FROM new_rows AS n, organisations_search_words({new_words}) AS w(word) "
        "WHERE n.status = 'published'",
    )
    deleted = _pruned_words(document, "old_rows AS o", "o.status = 'published'")
    return [
        f"""
        CREATE FUNCTION organisations_search_term_prune_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('organisations.rebuilding_vocabulary', true) = 'on' THEN RETURN NULL; END IF;
            {updated.strip()};
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE FUNCTION organisations_search_term_prune_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('organisations.rebuilding_vocabulary', true) = 'on' THEN RETURN NULL; END IF;
            {deleted.strip()};
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER organisations_search_term_prune_update AFTER UPDATE ON {TABLE}
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION organisations_search_term_prune_updated()
        """,
        f"""
        CREATE TRIGGER organisations_search_term_prune_delete AFTER DELETE ON {TABLE}
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION organisations_search_term_prune_deleted()
        """,
    ]


def _drop_pruning_objects():
    return [
        f"DROP TRIGGER IF EXISTS organisations_search_term_prune_delete ON {TABLE}",
        f"DROP TRIGGER IF EXISTS organisations_search_term_prune_update ON {TABLE}",
        "DROP FUNCTION IF EXISTS organisations_search_term_prune_deleted()",
        "DROP FUNCTION IF EXISTS organisations_search_term_prune_updated()",
    ]


def _drop_vocabulary_objects(document):
    return [
        *(_drop_pruning_objects() if document.prune else []),
        f"DROP TRIGGER IF EXISTS organisations_search_term_update ON {TABLE}",
        f"DROP TRIGGER IF EXISTS organisations_search_term_insert ON {TABLE}",
        "DROP FUNCTION IF EXISTS organisations_search_term_add()",
        "DROP FUNCTION IF EXISTS organisations_search_words("
        + ", ".join("text" for _ in document.vocabulary)
        + ")",
    ]


def _names_index(document):
    # Misspelt names: `q <<% (name || ' ' || alternative_names)` uses this index.
    names = " || ' ' || ".join(document.names)
    return f"CREATE INDEX org_name_trgm_gin ON {TABLE} USING gin (({names}) gin_trgm_ops)"


# --- The narrow table of published rows ----------------------------------------------------------

# What a search reads of a published organisation: its vector, and the names that ranking and the
# name order read (search/ranking.py, search/postgresql.py), as the same expressions would compute
# them from the organisation's columns: lowered_names() and names_text(). The table (the SearchRow
# model) is created by its migration; these objects fill it and keep it in step.
ROW_COLUMNS = {
    "search_vector": "o.search_vector",
    "name_lower": "lower(o.name)",
    # As Django's Concat writes it, each part coalesced.
    "other_names": "';' || coalesce(replace(lower(o.alternative_names), '; ', ';'), '') || ';' "
    "|| coalesce(lower(o.legal_name), '') || ';'",
    "names": "o.name || ' ' || o.legal_name || ' ' || o.alternative_names",
}
ROW_VECTOR_INDEX = "org_search_row_vector_gin"
ROW_TRIGGERS = (
    ("organisations_search_row_insert", "AFTER INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("organisations_search_row_update", "AFTER UPDATE", "REFERENCING NEW TABLE AS new_rows"),
    ("organisations_search_row_delete", "AFTER DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ("organisations_search_row_truncate", "AFTER TRUNCATE", ""),
)
# The rows of a rebuild are renewed by the rebuild itself (see VOCABULARY_TRIGGERS_OFF).
_SKIP_WHILE_REBUILDING = (
    "IF current_setting('organisations.rebuilding_vocabulary', true) = 'on' THEN RETURN NULL; END IF;"
)


def _upsert_rows(source):
    """Copy the published rows of `source` into the narrow table, writing only those that differ
    (an edit of a published entry's phone number rewrites nothing here)."""
    columns = ", ".join(ROW_COLUMNS)
    values = ", ".join(ROW_COLUMNS.values())
    excluded = ", ".join(f"EXCLUDED.{column}" for column in ROW_COLUMNS)
    current = ", ".join(f"r.{column}" for column in ROW_COLUMNS)
    return f"""
    INSERT INTO {ROW_TABLE} AS r (organisation_id, {columns})
    SELECT o.id, {values} FROM {source} AS o WHERE o.status = 'published'
    ON CONFLICT (organisation_id) DO UPDATE SET ({columns}) = ({excluded})
    WHERE ({current}) IS DISTINCT FROM ({excluded})
    """


def _row_trigger_bodies():
    return {
        "organisations_search_row_insert": [_upsert_rows("new_rows")],
        "organisations_search_row_update": [
            # Unpublished, archived or merged away: out of search at once.
            f"DELETE FROM {ROW_TABLE} AS r USING new_rows AS n "
            "WHERE r.organisation_id = n.id AND n.status <> 'published'",
            _upsert_rows("new_rows"),
        ],
        "organisations_search_row_delete": [
            f"DELETE FROM {ROW_TABLE} AS r USING old_rows AS o WHERE r.organisation_id = o.id"
        ],
        "organisations_search_row_truncate": [f"DELETE FROM {ROW_TABLE}"],
    }


def _row_objects():
    """The trigger functions and triggers that keep the narrow table in step. Statement-level, with
    transition tables, so that a bulk insert or update (seed_demo, a CSV import) pays once per
    statement; and, like the vector's trigger, naming no column, so that a later migration may
    change a column's type."""
    bodies = _row_trigger_bodies()
    statements = []
    for name, event, referencing in ROW_TRIGGERS:
        body = ";\n            ".join(sql.strip() for sql in bodies[name])
        statements += [
            f"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {_SKIP_WHILE_REBUILDING}
                {body};
                RETURN NULL;
            END
            $$
            """,
            f"CREATE TRIGGER {name} {event} ON {TABLE} {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _drop_row_objects():
    statements = []
    for name, _event, _referencing in ROW_TRIGGERS:
        statements += [f"DROP TRIGGER IF EXISTS {name} ON {TABLE}", f"DROP FUNCTION IF EXISTS {name}()"]
    return statements


def _refresh_rows():
    """The narrow table made equal to the published rows, writing only what differs."""
    return [
        f"""
        DELETE FROM {ROW_TABLE} AS r WHERE NOT EXISTS (
            SELECT 1 FROM {TABLE} AS o WHERE o.id = r.organisation_id AND o.status = 'published')
        """,
        _upsert_rows(TABLE),
    ]


def _analyse_rows():
    return [
        # Rows written since the last vacuum wait in the GIN index's pending list, which every
        # search then reads through.
        f"SELECT gin_clean_pending_list('{ROW_VECTOR_INDEX}'::regclass)",
        f"ANALYZE {ROW_TABLE}",
    ]


def postgresql_install_rows():
    """Fill the narrow table (already created by its migration), index it, and keep it in step."""
    return [
        # A vector is read by up to nine conditions per match while ranking: kept uncompressed and
        # in the row (EXTERNAL: never compressed; a tuple target of a whole page: moved out of the
        # row only when it cannot fit), so that none of them decompresses or fetches it.
        f"ALTER TABLE {ROW_TABLE} ALTER COLUMN search_vector SET STORAGE EXTERNAL",
        f"ALTER TABLE {ROW_TABLE} SET (toast_tuple_target = 8160)",
        *_refresh_rows(),
        f"CREATE INDEX {ROW_VECTOR_INDEX} ON {ROW_TABLE} USING gin (search_vector)",
        *_row_objects(),
        *_analyse_rows(),
    ]


def postgresql_uninstall_rows():
    return [*_drop_row_objects(), f"DROP INDEX IF EXISTS {ROW_VECTOR_INDEX}", f"DELETE FROM {ROW_TABLE}"]


def postgresql_install(document):
    """Statements creating the search objects, in order (the table's columns must exist)."""
    return [
        # Not Django's TrigramExtension: its reverse queries pg_extension even on SQLite.
        # Reversing leaves the extension in place, as other objects may use it.
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        *_document_objects(document),
        f"UPDATE {TABLE} SET search_vector = {_document_of(document, '')}",
        f"CREATE INDEX org_search_vector_gin ON {TABLE} USING gin (search_vector)",
        _names_index(document),
        SEARCH_TERM_TABLE,
        f"CREATE INDEX org_search_term_trgm_gin ON {TERM_TABLE} USING gin (word gin_trgm_ops)",
        *_vocabulary_objects(document),
        _insert_published_words(document, TABLE),
        *(postgresql_install_rows() if document.rows else []),
    ]


def postgresql_uninstall(document):
    return [
        *(postgresql_uninstall_rows() if document.rows else []),
        *_drop_vocabulary_objects(document),
        f"DROP TABLE IF EXISTS {TERM_TABLE}",
        "DROP INDEX IF EXISTS org_name_trgm_gin",
        "DROP INDEX IF EXISTS org_search_vector_gin",
        *_drop_document_objects(document),
    ]


def postgresql_change(old, new):
    """From one document to another: new functions and triggers, every vector and the vocabulary
    recomputed. The table, its indexes and the vocabulary table stay."""
    statements = [*_drop_vocabulary_objects(old), *_drop_document_objects(old)]
    if old.names != new.names:
        statements += ["DROP INDEX IF EXISTS org_name_trgm_gin", _names_index(new)]
    if old.rows and not new.rows:
        statements += postgresql_uninstall_rows()
    rows = postgresql_install_rows() if new.rows and not old.rows else []
    return [
        *statements,
        *_document_objects(new),
        *_vocabulary_objects(new),
        *rows,
        *postgresql_rebuild(new),
    ]


# A rebuild empties the vocabulary and fills it again from every published row (and renews the
# narrow table of published rows), so the triggers that keep them between rebuilds only slow its
# bulk updates down (seeding 20,000 organisations: the
# rebuild took 147 s with them). Transaction-local, and switched back on at the end of the rebuild so
# that later writes in the same transaction (a test's) keep the vocabulary again.
VOCABULARY_TRIGGERS_OFF = "SELECT set_config('organisations.rebuilding_vocabulary', 'on', true)"
VOCABULARY_TRIGGERS_ON = "SELECT set_config('organisations.rebuilding_vocabulary', 'off', true)"


def postgresql_rebuild(document):
    document_sql = _document_of(document, "")
    return [
        VOCABULARY_TRIGGERS_OFF,
        # Only rows whose vector is stale: rewriting all 100,000 after a seed took 20–38 s.
        f"UPDATE {TABLE} SET search_vector = {document_sql} WHERE search_vector IS DISTINCT FROM {document_sql}",
        f"DELETE FROM {TERM_TABLE}",
        _insert_published_words(document, TABLE),
        # The narrow table's triggers were off too: it is renewed from the rows as they now are.
        *(_refresh_rows() if document.rows else []),
        VOCABULARY_TRIGGERS_ON,
        f"ANALYZE {TERM_TABLE}",
        *(_analyse_rows() if document.rows else []),
        # Bulk loads leave the planner's statistics stale, and it then skips the GIN indexes.
        f"ANALYZE {TABLE}",
    ]


# --- SQLite -------------------------------------------------------------------------------------


def _fts_tables(document):
    """(table, tokenizer) of each FTS5 table: stemmed, and, for an exact document, as written."""
    tables = [(FTS_TABLE, "porter unicode61 remove_diacritics 2")]
    if document.exact:
        tables.append((EXACT_FTS_TABLE, "unicode61 remove_diacritics 2"))
    return tables


def fts_table_names(document):
    return [table for table, _tokenizer in _fts_tables(document)]


def _fts_row(document, row):
    return ", ".join(f"{row}.{column}" for column in document.column_names)


def sqlite_trigger_names(document):
    return [
        f"{table}_{event}" for table, _ in _fts_tables(document) for event in ("insert", "delete", "update")
    ]


def sqlite_triggers(document):
    """The FTS5 triggers; IF NOT EXISTS, so that they can be put back after a table rebuild."""
    columns = ", ".join(document.column_names)
    statements = []
    for table, _tokenizer in _fts_tables(document):
        insert = f"INSERT INTO {table} (rowid, {columns}) VALUES (new.id, {_fts_row(document, 'new')});"
        delete = f"INSERT INTO {table} ({table}, rowid, {columns}) VALUES ('delete', old.id, {_fts_row(document, 'old')});"
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {table}_insert AFTER INSERT ON {TABLE} BEGIN {insert} END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_delete AFTER DELETE ON {TABLE} BEGIN {delete} END",
            f"""
            CREATE TRIGGER IF NOT EXISTS {table}_update AFTER UPDATE OF {columns} ON {TABLE}
            BEGIN {delete} {insert} END
            """,
        ]
    return statements


def sqlite_rebuild(document):
    return [f"INSERT INTO {table} ({table}) VALUES ('rebuild')" for table, _ in _fts_tables(document)]


def sqlite_install(document):
    """External content: the text stays in the organisation table, rowid = organisation id."""
    columns = ", ".join(document.column_names)
    tables = [
        f"""
        CREATE VIRTUAL TABLE {table} USING fts5(
            {columns}, content='{TABLE}', content_rowid='id', tokenize='{tokenizer}'
        )
        """
        for table, tokenizer in _fts_tables(document)
    ]
    return [*tables, *sqlite_triggers(document), *sqlite_rebuild(document)]


def sqlite_uninstall(document):
    triggers = [f"DROP TRIGGER IF EXISTS {name}" for name in sqlite_trigger_names(document)]
    return [*triggers, *(f"DROP TABLE IF EXISTS {table}" for table, _ in _fts_tables(document))]


def sqlite_change(old, new):
    return [*sqlite_uninstall(old), *sqlite_install(new)]


# --- Both ---------------------------------------------------------------------------------------


# (column, [(link table, its column naming the reference row, reference table)]): the names each
# organisation carries for search, copied onto its row because the index cannot see many-to-many
# relations. Organisation.refresh_search_names() writes the same for one row.
NAME_COPIES = [
    ("sector_names", [("organisations_organisation_sectors", "sector_id", "organisations_sector")]),
    (
        "topic_names",
        [
            ("organisations_organisation_care_settings", "caresetting_id", "organisations_caresetting"),
            (
                "organisations_organisation_regulatory_marks",
                "regulatorymark_id",
                "organisations_regulatorymark",
            ),
        ],
    ),
]


def _names_of(links):
    return " UNION ALL ".join(
        f"SELECT link.organisation_id, ref.name FROM {link} link JOIN {reference} ref ON ref.id = link.{column}"
        for link, column, reference in links
    )


def copied_names(vendor):
    """UPDATEs setting each copied-names column to the sorted, space-separated names of the row's
    references, where they changed."""
    statements = []
    for column, links in NAME_COPIES:
        if vendor == "postgresql":
            statements.append(f"""
                UPDATE {TABLE} AS o SET {column} = s.names
                FROM (
                    SELECT o2.id, coalesce(string_agg(n.name, ' ' ORDER BY n.name), '') AS names
                    FROM {TABLE} o2 LEFT JOIN ({_names_of(links)}) AS n ON n.organisation_id = o2.id
                    GROUP BY o2.id
                ) AS s
                WHERE s.id = o.id AND o.{column} IS DISTINCT FROM s.names
            """)
        else:
            names = f"""coalesce((
                SELECT group_concat(name, ' ') FROM (
                    SELECT n.name FROM ({_names_of(links)}) AS n
                    WHERE n.organisation_id = {TABLE}.id ORDER BY n.name)), '')"""
            statements.append(f"UPDATE {TABLE} SET {column} = {names} WHERE {column} IS NOT {names}")
    return statements


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


def change(schema_editor, old, new):
    """Replace the search objects of document `old` by those of `new` (a later migration)."""
    statements = {"postgresql": postgresql_change, "sqlite": sqlite_change}.get(
        schema_editor.connection.vendor
    )
    for sql in statements(old, new) if statements else []:
        schema_editor.execute(sql)


def install_rows(schema_editor):
    """Fill and keep the narrow table of published rows (PostgreSQL; elsewhere it stays empty)."""
    if schema_editor.connection.vendor == "postgresql":
        for sql in postgresql_install_rows():
            schema_editor.execute(sql)


def uninstall_rows(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in postgresql_uninstall_rows():
            schema_editor.execute(sql)
