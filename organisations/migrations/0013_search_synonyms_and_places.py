# Search reads more of each organisation: its legal name (as its name), the names of its care
# settings and regulatory marks (copied onto the row as topic_names, like sector_names), its town,
# postcode and local authority, and every word as written beside its stem (acronyms match whole
# words only). And a thesaurus.
from django.db import migrations, models
from django.db.models.functions import Lower

from organisations.search import ddl

# The documents before and after this migration (see 0002_search and 0012_summary_400).
BEFORE = ddl.Document(
    columns=(
        ("name", "A"),
        ("alternative_names", "A"),
        ("sector_names", "B"),
        ("summary", "C"),
        ("description", "D"),
    ),
    vocabulary=("name", "alternative_names", "sector_names", "summary"),
)
AFTER = ddl.Document(
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
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor in {"postgresql", "sqlite"}:
        for sql in ddl.copied_names(schema_editor.connection.vendor):
            schema_editor.execute(sql)
    ddl.change(schema_editor, BEFORE, AFTER)


def backwards(apps, schema_editor):
    ddl.change(schema_editor, AFTER, BEFORE)


class Migration(migrations.Migration):
    dependencies = [("organisations", "0012_summary_400")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="topic_names",
            field=models.TextField(blank=True, editable=False, help_text="Care setting and mark names."),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.CreateModel(
            name="Synonym",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "term",
                    models.CharField(
                        help_text="The main term, as people write it: “AI”, “electronic patient record”.",
                        max_length=100,
                    ),
                ),
                (
                    "equivalents",
                    models.TextField(
                        help_text="One per line: other words for the same thing, such as “artificial "
                        "intelligence” and “machine learning”. Write an acronym in capitals (“EPR”): it then "
                        "matches whole words only."
                    ),
                ),
            ],
            options={
                "ordering": ["term"],
                "constraints": [
                    models.UniqueConstraint(
                        Lower("term"),
                        name="synonym_unique_term",
                        violation_error_message="There is already a group for this term.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("term", ""), _negated=True), name="synonym_term_not_empty"
                    ),
                ],
            },
        ),
    ]
