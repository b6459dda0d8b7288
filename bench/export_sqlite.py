"""Copy the published organisations from PostgreSQL into a SQLite file for Datasette.

One `organisations` table (sectors as a JSON array text column, as Datasette's `_facet_array`
expects) and an FTS5 table `organisations_fts` over name, summary and description with
`content="organisations"`, the layout `sqlite-utils enable-fts` makes and Datasette detects.
Indexes on the faceted columns and on name give Datasette the same help our schema gets.

Usage: python bench/export_sqlite.py POSTGRES_URL OUT.sqlite
"""

import json
import sqlite3
import sys
from pathlib import Path

import psycopg

COLUMNS = [
    "id",
    "name",
    "slug",
    "summary",
    "description",
    "organisation_type",
    "employees_band",
    "local_authority",
    "postcode_district",
    "town",
    "founded_year",
    "website",
    "headquartered_in_leeds",
    "sectors",
]

SELECT = """
SELECT o.id, o.name, o.slug, o.summary, o.description, o.organisation_type, o.employees_band,
       o.local_authority, o.postcode_district, o.town, o.founded_year, o.website,
       o.headquartered_in_leeds,
       COALESCE((SELECT json_agg(s.name ORDER BY s.name)
                 FROM organisations_organisation_sectors os
                 JOIN organisations_sector s ON s.id = os.sector_id
                 WHERE os.organisation_id = o.id), '[]'::json)::text
FROM organisations_organisation o
WHERE o.status = 'published'
ORDER BY o.id
"""


def export(postgres_url, out_path):
    out_path = Path(out_path)
    out_path.unlink(missing_ok=True)
    db = sqlite3.connect(out_path)
    db.execute(
        """CREATE TABLE organisations (
            id INTEGER PRIMARY KEY, name TEXT, slug TEXT, summary TEXT, description TEXT,
            organisation_type TEXT, employees_band TEXT, local_authority TEXT,
            postcode_district TEXT, town TEXT, founded_year INTEGER, website TEXT,
            headquartered_in_leeds INTEGER, sectors TEXT)"""
    )
    placeholders = ", ".join("?" for _ in COLUMNS)
    rows = 0
    with psycopg.connect(postgres_url) as pg, pg.cursor(name="export") as cursor:
        cursor.itersize = 5000
        cursor.execute(SELECT)
        while batch := cursor.fetchmany(5000):
            db.executemany(f"INSERT INTO organisations VALUES ({placeholders})", batch)
            rows += len(batch)
    for column in ("name", "slug", "organisation_type", "employees_band", "postcode_district"):
        db.execute(f"CREATE INDEX organisations_{column} ON organisations ({column})")
    db.execute(
        "CREATE VIRTUAL TABLE organisations_fts USING fts5("
        'name, summary, description, content="organisations", content_rowid="id")'
    )
    db.execute(
        "INSERT INTO organisations_fts (rowid, name, summary, description) "
        "SELECT id, name, summary, description FROM organisations"
    )
    db.commit()
    db.execute("ANALYZE")
    db.execute("VACUUM")
    db.close()
    return rows


def main():
    postgres_url, out_path = sys.argv[1], sys.argv[2]
    rows = export(postgres_url, out_path)
    print(json.dumps({"rows": rows, "path": str(out_path)}))


if __name__ == "__main__":
    main()
