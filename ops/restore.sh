#!/usr/bin/env bash
# Restore a backup made by ops/backup.sh into an EMPTY database and media folder, then compare the row
# counts with those recorded at backup time. Exits non-zero on any difference.
#   DATABASE_URL=postgres://…/fresh MEDIA_ROOT=/srv/media-new ops/restore.sh /backups/2026-11-28
set -euo pipefail
src=${1:?usage: ops/restore.sh BACKUP_DIR}
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
: "${DATABASE_URL:?DATABASE_URL must point at an empty PostgreSQL database}"
media_root=${MEDIA_ROOT:-$PWD/media}

( cd "$src" && sha256sum --check --quiet SHA256SUMS )
tables=$(psql "$DATABASE_URL" -Atc "select count(*) from information_schema.tables where table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "Refusing to restore: the target database already has $tables tables." >&2
  exit 2
fi
if [ -d "$media_root" ] && [ -n "$(ls -A "$media_root")" ]; then
  echo "Refusing to restore: $media_root is not empty." >&2
  exit 2
fi

pg_restore --no-owner --no-privileges --exit-on-error --dbname="$DATABASE_URL" "$src/database.dump"
mkdir -p "$media_root"
tar -C "$media_root" -xzf "$src/media.tar.gz"

"$python" manage.py count_rows >"$src/counts-restored.json"
if ! diff -u "$src/counts.json" "$src/counts-restored.json"; then
  echo "Row counts differ after the restore." >&2
  exit 1
fi
echo "Restored $src: row counts match."
