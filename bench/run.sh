#!/usr/bin/env bash
# `make bench`: the benchmark suite of docs/performance.md (issue 6).
# The app runs from the project's .venv (requirements.txt); Datasette runs from bench/.venv
# (bench/requirements.txt) so that its pins never meet the app's.
# BENCH_SIZES=1000,10000 runs a subset; see bench/run.py for the other knobs.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit("Python 3.11 or newer is required.") if sys.version_info < (3, 11) else None'

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
if [ ! -f .venv/.runtime-installed ] || [ requirements.txt -nt .venv/.runtime-installed ]; then
    .venv/bin/python -m pip install --quiet -r requirements.txt
    touch .venv/.runtime-installed
fi

if [ ! -x bench/.venv/bin/python ]; then
    "$PYTHON" -m venv bench/.venv
fi
if [ ! -f bench/.venv/.installed ] || [ bench/requirements.txt -nt bench/.venv/.installed ]; then
    bench/.venv/bin/python -m pip install --quiet -r bench/requirements.txt
    touch bench/.venv/.installed
fi

exec .venv/bin/python bench/run.py "$@"
