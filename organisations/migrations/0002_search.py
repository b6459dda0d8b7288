# Search support (issue 3): PostgreSQL full-text and trigram indexes, SQLite FTS5.
# Reserved in the foundation so that parallel work keeps one linear migration history.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]

    operations = []
