# A one-line summary of up to 400 characters, as an initiative's: the shared data holds one of 307.
# On PostgreSQL a column that a trigger lists cannot change type, so the search objects are taken
# down and put back around the change (organisations/search/ddl.py), with the document they were
# built from; SQLite rebuilds the table, and post_migrate puts its search triggers back.
from django.db import migrations, models

from organisations.search import ddl

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


def search_objects_down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        ddl.uninstall(schema_editor, DOCUMENT)


def search_objects_up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        ddl.install(schema_editor, DOCUMENT)


class Migration(migrations.Migration):
    dependencies = [("organisations", "0011_lifecycle_legal_name_verification")]

    operations = [
        migrations.RunPython(search_objects_down, search_objects_up),
        migrations.AlterField(
            model_name="historicalorganisation",
            name="summary",
            field=models.CharField(blank=True, help_text="One line, read on result cards.", max_length=400),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="summary",
            field=models.CharField(blank=True, help_text="One line, read on result cards.", max_length=400),
        ),
        migrations.RunPython(search_objects_up, search_objects_down),
    ]
