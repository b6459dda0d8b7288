# Search support (ARCHITECTURE.md §6): PostgreSQL full-text and trigram indexes, SQLite FTS5.
# Each engine gets only its own objects (organisations/search/ddl.py); on others this is a no-op.
import django.contrib.postgres.search
from django.db import migrations

from organisations.search import ddl

# The columns search read when this migration was written; later documents come with their own
# migration, so that this one never names a column a new database does not have yet.
DOCUMENT = ddl.Document(
    columns=(
        ("name", "A"),
        ("alternative_names", "A"),
        ("sector_names", "B"),
        ("summary", "C"),
        ("description", "D"),
    ),
    vocabulary=("name", "alternative_names", "sector_names", "summary"),
)


def forwards(apps, schema_editor):
    ddl.install(schema_editor, DOCUMENT)


def backwards(apps, schema_editor):
    ddl.uninstall(schema_editor, DOCUMENT)


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
