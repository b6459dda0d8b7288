# Search support (ARCHITECTURE.md §6): PostgreSQL full-text and trigram indexes, SQLite FTS5.
# Each engine gets only its own objects; the other engine's operations are no-ops.
import django.contrib.postgres.search
from django.db import migrations

# One definition of the weighted document, used by the trigger and by rebuild_index().
POSTGRESQL_FORWARDS = [
    # Not Django's TrigramExtension: its reverse queries pg_extension even on SQLite. Reversing
    # leaves the extension in place, as other objects may use it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE FUNCTION organisations_search_document(
        name text, alternative_names text, sector_names text, summary text, description text
    ) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('pg_catalog.english',
                   coalesce(name, '') || ' ' || replace(coalesce(alternative_names, ''), ';', ' ')), 'A')
            || setweight(to_tsvector('pg_catalog.english', coalesce(sector_names, '')), 'B')
            || setweight(to_tsvector('pg_catalog.english', coalesce(summary, '')), 'C')
            || setweight(to_tsvector('pg_catalog.english', coalesce(description, '')), 'D')
    $$
    """,
    """
    CREATE FUNCTION organisations_organisation_search_vector_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := organisations_search_document(
            NEW.name, NEW.alternative_names, NEW.sector_names, NEW.summary, NEW.description);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER organisations_organisation_search_vector
    BEFORE INSERT OR UPDATE OF name, alternative_names, sector_names, summary, description
    ON organisations_organisation
    FOR EACH ROW EXECUTE FUNCTION organisations_organisation_search_vector_trigger()
    """,
    """
    UPDATE organisations_organisation SET search_vector = organisations_search_document(
        name, alternative_names, sector_names, summary, description)
    """,
    "CREATE INDEX org_search_vector_gin ON organisations_organisation USING gin (search_vector)",
    # Misspelt names: `q <% (name || ' ' || alternative_names)` uses this index.
    """
    CREATE INDEX org_name_trgm_gin ON organisations_organisation
    USING gin ((name || ' ' || alternative_names) gin_trgm_ops)
    """,
    # The vocabulary of published entries: the words "Did you mean" and typo tolerance may offer.
    # Words are lower-cased and unstemmed ('simple' configuration), so a correction reads naturally.
    "CREATE TABLE organisations_search_term (word text PRIMARY KEY)",
    "CREATE INDEX org_search_term_trgm_gin ON organisations_search_term USING gin (word gin_trgm_ops)",
    """
    CREATE FUNCTION organisations_search_words(
        name text, alternative_names text, sector_names text, summary text
    ) RETURNS SETOF text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT word FROM unnest(tsvector_to_array(to_tsvector('pg_catalog.simple',
            concat_ws(' ', name, replace(alternative_names, ';', ' '), sector_names, summary)))) AS word
        WHERE length(word) BETWEEN 2 AND 40
    $$
    """,
    # Newly published words join the vocabulary at once; rebuild_index() also drops words that
    # are no longer public. Statement-level, so that bulk inserts pay once per statement.
    """
    CREATE FUNCTION organisations_search_term_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO organisations_search_term (word)
        SELECT DISTINCT w.word FROM changed_rows AS o,
            organisations_search_words(o.name, o.alternative_names, o.sector_names, o.summary) AS w(word)
        WHERE o.status = 'published'
        ON CONFLICT (word) DO NOTHING;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER organisations_search_term_insert AFTER INSERT ON organisations_organisation
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organisations_search_term_add()
    """,
    """
    CREATE TRIGGER organisations_search_term_update AFTER UPDATE ON organisations_organisation
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organisations_search_term_add()
    """,
    """
    INSERT INTO organisations_search_term (word)
    SELECT DISTINCT w.word FROM organisations_organisation AS o,
        organisations_search_words(o.name, o.alternative_names, o.sector_names, o.summary) AS w(word)
    WHERE o.status = 'published'
    ON CONFLICT (word) DO NOTHING
    """,
]

POSTGRESQL_BACKWARDS = [
    "DROP TRIGGER IF EXISTS organisations_search_term_update ON organisations_organisation",
    "DROP TRIGGER IF EXISTS organisations_search_term_insert ON organisations_organisation",
    "DROP FUNCTION IF EXISTS organisations_search_term_add()",
    "DROP FUNCTION IF EXISTS organisations_search_words(text, text, text, text)",
    "DROP TABLE IF EXISTS organisations_search_term",
    "DROP INDEX IF EXISTS org_name_trgm_gin",
    "DROP INDEX IF EXISTS org_search_vector_gin",
    "DROP TRIGGER IF EXISTS organisations_organisation_search_vector ON organisations_organisation",
    "DROP FUNCTION IF EXISTS organisations_organisation_search_vector_trigger()",
    "DROP FUNCTION IF EXISTS organisations_search_document(text, text, text, text, text)",
]

# External-content FTS5 table: the text stays in organisations_organisation, rowid = organisation id.
SQLITE_FORWARDS = [
    """
    CREATE VIRTUAL TABLE organisations_organisation_fts USING fts5(
        name, alternative_names, sector_names, summary, description,
        content='organisations_organisation', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER organisations_organisation_fts_insert AFTER INSERT ON organisations_organisation
    BEGIN
        INSERT INTO organisations_organisation_fts
            (rowid, name, alternative_names, sector_names, summary, description)
        VALUES (new.id, new.name, new.alternative_names, new.sector_names, new.summary, new.description);
    END
    """,
    """
    CREATE TRIGGER organisations_organisation_fts_delete AFTER DELETE ON organisations_organisation
    BEGIN
        INSERT INTO organisations_organisation_fts
            (organisations_organisation_fts, rowid, name, alternative_names, sector_names, summary, description)
        VALUES ('delete', old.id, old.name, old.alternative_names, old.sector_names, old.summary,
                old.description);
    END
    """,
    """
    CREATE TRIGGER organisations_organisation_fts_update
    AFTER UPDATE OF name, alternative_names, sector_names, summary, description ON organisations_organisation
    BEGIN
        INSERT INTO organisations_organisation_fts
            (organisations_organisation_fts, rowid, name, alternative_names, sector_names, summary, description)
        VALUES ('delete', old.id, old.name, old.alternative_names, old.sector_names, old.summary,
                old.description);
        INSERT INTO organisations_organisation_fts
            (rowid, name, alternative_names, sector_names, summary, description)
        VALUES (new.id, new.name, new.alternative_names, new.sector_names, new.summary, new.description);
    END
    """,
    "INSERT INTO organisations_organisation_fts (organisations_organisation_fts) VALUES ('rebuild')",
]

SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS organisations_organisation_fts_update",
    "DROP TRIGGER IF EXISTS organisations_organisation_fts_delete",
    "DROP TRIGGER IF EXISTS organisations_organisation_fts_insert",
    "DROP TABLE IF EXISTS organisations_organisation_fts",
]

STATEMENTS = {
    "postgresql": (POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS),
    "sqlite": (SQLITE_FORWARDS, SQLITE_BACKWARDS),
}


def run(schema_editor, direction):
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements:
        for sql in statements[direction]:
            schema_editor.execute(sql)


def forwards(apps, schema_editor):
    run(schema_editor, 0)


def backwards(apps, schema_editor):
    run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
