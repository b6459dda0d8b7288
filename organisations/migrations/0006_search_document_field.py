# The search_vector column keeps its type (tsvector); only the field class changes, so that bulk
# inserts on PostgreSQL may use UNNEST. State only: SQLite would otherwise rebuild the whole table.
from django.db import migrations

import organisations.models


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0005_submission_outlives_organisation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="organisation",
                    name="search_vector",
                    field=organisations.models.SearchDocumentField(editable=False, null=True),
                ),
            ],
        ),
    ]
