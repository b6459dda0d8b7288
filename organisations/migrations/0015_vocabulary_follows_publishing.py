# The vocabulary of "did you mean" loses a word as soon as no published organisation uses it: an
# archived, unpublished, edited or deleted entry's words no longer leak through suggestions.
# PostgreSQL only; elsewhere the vocabulary is read from the published rows when it is needed.
import dataclasses

from django.db import migrations

from organisations.search import ddl

BEFORE = dataclasses.replace(ddl.DOCUMENT, prune=False)
AFTER = dataclasses.replace(ddl.DOCUMENT, prune=True)


def change(before, after):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            ddl.change(schema_editor, before, after)

    return run


class Migration(migrations.Migration):
    dependencies = [("organisations", "0014_synonym_rights")]

    operations = [migrations.RunPython(change(BEFORE, AFTER), change(AFTER, BEFORE))]
