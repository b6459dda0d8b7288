# Back-office curation (issue 4): roles, logos, history, submissions.
# Reserved in the foundation so that parallel work keeps one linear migration history.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("organisations", "0002_search")]

    operations = []
