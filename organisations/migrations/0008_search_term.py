# The vocabulary table becomes a model. PostgreSQL has had the table (and its trigram index) since
# 0002_search, so there only the state changes; SQLite gets the table, so that the model works on
# both engines.
from django.db import migrations, models

from organisations.search import ddl


def create_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(ddl.SEARCH_TERM_TABLE)


def drop_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {ddl.TERM_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("organisations", "0007_lower_name_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchTerm",
                    fields=[("word", models.TextField(primary_key=True, serialize=False))],
                    options={"db_table": "organisations_search_term", "ordering": ["word"]},
                ),
            ],
            database_operations=[migrations.RunPython(create_on_sqlite, drop_on_sqlite)],
        ),
    ]
