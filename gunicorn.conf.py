"""Read by gunicorn from the folder it is started in (docs/operations.md §3); the command line sets
the rest."""

import subprocess
import sys


def when_ready(server):
    # Once the workers are up: the big files the first requests would otherwise make, in a process
    # of their own at the lowest CPU priority (hubdir/warm_up.py says why).
    subprocess.Popen([sys.executable, "-m", "hubdir.make_files"])  # noqa: S603
