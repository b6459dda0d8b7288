# The vocabulary of "did you mean" loses a word as soon as no published organisation uses it: an
# archived, unpublished, edited or deleted entry's words no longer leak through suggestions.
# PostgreSQL only; elsewhere the vocabulary is read from the published rows when it is needed.
import dataclasses

from django.db import migrations

from organisations.search import ddl

# Without the narrow table of published rows, which 0018 adds.
BEFORE = dataclasses.replace(ddl.DOCUMENT, prune=False, rows=False)
AFTER = dataclasses.replace(ddl.DOCUMENT, prune=True, rows=False)


def change(before, after):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            ddl.change(schema_editor, before, after)

    return run


class Migration(migrations.Migration):
    dependencies = [("organisations", "0014_synonym_rights")]

    operations = [migrations.RunPython(change(BEFORE, AFTER), change(AFTER, BEFORE))]
