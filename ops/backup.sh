#!/usr/bin/env bash
# Back up the directory: a pg_dump of DATABASE_URL, the media files and the row counts to check a restore.
#   DATABASE_URL=postgres://… MEDIA_ROOT=/srv/media ops/backup.sh /backups/2026-11-28
set -euo pipefail
dest=${1:?usage: ops/backup.sh DEST_DIR}
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database to back up}"
media_root=${MEDIA_ROOT:-$PWD/media}

mkdir -p "$dest"
pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.dump" "$DATABASE_URL"
if [ -d "$media_root" ]; then
  tar -C "$media_root" -czf "$dest/media.tar.gz" .
else
  tar -czf "$dest/media.tar.gz" --files-from /dev/null
fi
"$python" manage.py count_rows >"$dest/counts.json"
( cd "$dest" && sha256sum database.dump media.tar.gz counts.json >SHA256SUMS )
echo "Backup written to $dest"
