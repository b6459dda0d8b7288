# Search reads a narrow table of what it needs of each published organisation (its vector and its
# names, lower-cased once), kept by statement-level triggers, rather than the wide organisation
# rows: at 100,000 organisations a common word's search scanned 270 MB of rows. The triggers, index
# and filling are written in organisations/search/ddl.py (PostgreSQL only; on SQLite the table stays
# empty).
import django.db.models.deletion
from django.db import migrations, models

import organisations.models
from organisations.search import ddl


def install(apps, schema_editor):
    ddl.install_rows(schema_editor)


def uninstall(apps, schema_editor):
    ddl.uninstall_rows(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0017_vocabulary_pruning_checks_dropped_words"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchRow",
            fields=[
                (
                    "organisation",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="organisations.organisation",
                    ),
                ),
                ("search_vector", organisations.models.SearchDocumentField(editable=False, null=True)),
                ("name_lower", models.TextField(help_text="lower(name): the name order, and exact names.")),
                (
                    "other_names",
                    models.TextField(
                        help_text="The lower-cased alternative names and legal name, each between semicolons."
                    ),
                ),
                (
                    "names",
                    models.TextField(
                        help_text="Name, legal name and alternative names: for trigram similarity."
                    ),
                ),
            ],
            options={
                "db_table": "organisations_search_row",
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
