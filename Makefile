# Quick start: `make run` (serve the directory on http://127.0.0.1:8000) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Local development and tests run with debug on; production never sets it.
DEV_ENV := DJANGO_DEBUG=1

.PHONY: run serve test lint format bench clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required (found %s)." % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_initial_data
	$(DEV_ENV) $(PY) manage.py ensure_admin --url http://$(HOST):$(PORT)/admin/
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# The site as production runs it, on this machine: debug off, gunicorn, collected static files. Plain
# HTTP on loopback, so no HTTPS redirect or HSTS; a throwaway secret key unless DJANGO_SECRET_KEY is set.
LOCAL_PRODUCTION_ENV := DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=$(HOST),localhost \
	DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_HSTS_SECONDS=0 \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-local-$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(24))')}

serve: $(VENV)/.runtime-installed
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_initial_data
	$(DEV_ENV) $(PY) manage.py ensure_admin --url http://$(HOST):$(PORT)/admin/
	$(LOCAL_PRODUCTION_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(LOCAL_PRODUCTION_ENV) $(VENV)/bin/gunicorn hubdir.wsgi:application --bind $(HOST):$(PORT) \
		--worker-class gthread --workers 2 --threads 4 --timeout 30

# The whole suite, in parallel on every core; browser tests skip with a reason without Chromium.
test: $(VENV)/.dev-installed
	$(PY) -m pytest -n auto

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks (docs/performance.md): PostgreSQL at 127.0.0.1:5432; BENCH_SIZES=1000,10000 for a subset.
bench:
	bash bench/run.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
