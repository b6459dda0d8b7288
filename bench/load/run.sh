#!/usr/bin/env bash
# Load test (issue 7): 50 concurrent users for 60 s against gunicorn (gthread) on 127.0.0.1, on a
# PostgreSQL database holding 100,000 organisations. Writes docs/load-test.md. Loopback only.
#   bench/load/run.sh            # seeds hubdir_load with 100k demo organisations if it has fewer
#   USERS=50 DURATION=60s COUNT=100000 bench/load/run.sh
#   LOAD_DB=hubdir_bench_100k REDIS_URL=redis://127.0.0.1:6379/5 LOAD_NOTE="what else ran" bench/load/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
users=${USERS:-50}; duration=${DURATION:-60s}; count=${COUNT:-100000}; port=${PORT:-8123}
db=${LOAD_DB:-hubdir_load}
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${db}"
export DJANGO_SECRET_KEY="load-test-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1 DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_HSTS_SECONDS=0
export DJANGO_STATIC_ROOT="$root/bench/results/static"
# Each simulated user sends its own X-Forwarded-For (bench/load/locustfile.py); the app believes it
# from 127.0.0.1 only, as it would from the reverse proxy in production (core/client_ip.py), so the
# per-client rate limits count each visitor rather than throttling the whole test as one client.
export DJANGO_TRUSTED_PROXY_HEADER=HTTP_X_FORWARDED_FOR DJANGO_TRUSTED_PROXIES=127.0.0.1 DJANGO_TRUSTED_PROXY_COUNT=1
# Four gunicorn workers share their cached counts through Redis, as several app servers would.
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/3}
redis-cli -u "$REDIS_URL" flushdb >/dev/null
py=$root/.venv/bin/python

[ -x bench/load/.venv/bin/locust ] || { python3 -m venv bench/load/.venv; bench/load/.venv/bin/pip install -q -r bench/load/requirements.txt; }
psql -h 127.0.0.1 -U postgres -tc "select 1 from pg_database where datname='${db}'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -qc "create database ${db}"
"$py" manage.py migrate --noinput -v0
"$py" manage.py load_initial_data -v0
demo=$("$py" manage.py shell -v0 -c "from organisations.models import Organisation as O; print(O.objects.demo().count())")
have=$("$py" manage.py shell -v0 -c "from organisations.models import Organisation as O; print(O.objects.published().count())")
if [ "$demo" -lt "$count" ]; then
  DJANGO_DEBUG=1 "$py" manage.py seed_demo --clear --count "$count" --seed 7 --no-progress
  have=$("$py" manage.py shell -v0 -c "from organisations.models import Organisation as O; print(O.objects.published().count())")
fi
"$py" manage.py collectstatic --noinput -v0

mkdir -p bench/results
# Visitors read a page for 2–8 s and then reuse their connection, as browsers do through the reverse
# proxy in production; with gunicorn's default 2 s keep-alive, a request sent just as the server
# closes the idle connection is reset, which measures the test rig rather than the site.
.venv/bin/gunicorn hubdir.wsgi:application --bind "127.0.0.1:${port}" --worker-class gthread \
  --workers 4 --threads 8 --timeout 120 --keep-alive 10 \
  --access-logfile /dev/null --error-logfile bench/results/gunicorn.log &
gunicorn_pid=$!
trap 'kill $gunicorn_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:${port}/healthz" >/dev/null && break; sleep 1; done

bench/load/.venv/bin/locust -f bench/load/locustfile.py --headless -u "$users" -r 10 -t "$duration" \
  --host "http://127.0.0.1:${port}" --csv bench/results/load --only-summary --stop-timeout 10 \
  >bench/results/locust.log 2>&1 || true

LOAD_DB="$db" "$py" bench/load/report.py bench/results/load_stats.csv bench/results/load_failures.csv \
  --users "$users" --duration "$duration" --organisations "$have" >docs/load-test.md
cat docs/load-test.md
