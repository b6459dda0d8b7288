"""`python -m hubdir.make_files`: make the whole CSV export's and the sitemap's files for the current
data at the lowest CPU priority, then exit (hubdir/warm_up.py says why; gunicorn.conf.py runs it as
the server starts)."""

import os

import django
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubdir.settings")
django.setup()

# Imported once the apps are loaded.
from hubdir.warm_up import make_files  # noqa: E402


def main():
    # Requests and PostgreSQL come first: this process takes only the processor time they leave.
    os.nice(19)
    make_files()
    connections.close_all()


if __name__ == "__main__":
    main()
