"""Bulk writes for imports: one statement per chunk, with the history simple-history would record.

ARCHITECTURE.md §4 asks bulk changes to go through history-aware bulk helpers. simple-history's own
(`bulk_create_with_history`, `bulk_update_with_history`) build a historical model instance per row in
Python, and Django's `bulk_update` a CASE WHEN per row and field: at 100,000 rows those took most of an
import's two minutes. These helpers do the same writes in the database: tests check that
`copy_to_history` writes exactly the rows `bulk_history_create` writes.
"""

from django.conf import settings
from django.db import connection


def copy_to_history(model, pks, *, history_type, user, reason, when):
    """Record the stored state of rows `pks` in the model's simple-history table, in one statement.

    `history_type` is "+" (created) or "~" (changed), as simple-history writes them. The database copies
    the rows it has just stored (INSERT … SELECT), so the history shows exactly what was written.
    """
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in history.tracked_fields]
    own = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    # Names come from model metadata; every value is a bound parameter.
    target = f"{quote(history._meta.db_table)} ({', '.join(columns + [quote(c) for c in own])})"
    source = f"{quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)}"
    user_id = user.pk if user is not None else None
    params = [connection.ops.adapt_datetimefield_value(when), reason or "", history_type, user_id]
    pks = list(pks)
    with connection.cursor() as cursor:
        # In slices, under SQLite's limit on bound variables per statement.
        for start in range(0, len(pks), 5000):
            batch = pks[start : start + 5000]
            placeholders = ", ".join(["%s"] * len(batch))
            sql = f"INSERT INTO {target} SELECT {', '.join(columns)}, %s, %s, %s, %s FROM {source} IN ({placeholders})"  # noqa: S608
            cursor.execute(sql, params + batch)


def update_rows(model, objs, fields):
    """Save `fields` of every object in one statement per call.

    On PostgreSQL the new values travel as one array per column (UPDATE … FROM UNNEST): Django's
    bulk_update builds a CASE WHEN per row and field, which took over two minutes of CPU for
    100,000 updated rows.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields=fields)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    columns = [pk, *(model._meta.get_field(name) for name in fields)]
    casts = ", ".join(_array_placeholder(field) for field in columns)
    names = ", ".join(quote(field.column) for field in columns)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in columns[1:])
    table, key = quote(model._meta.db_table), quote(pk.column)
    params = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs] for field in columns
    ]
    with connection.cursor() as cursor:
        # Names come from model metadata; every value is a bound parameter.
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM UNNEST({casts}) AS v({names}) WHERE t.{key} = v.{key}",  # noqa: S608
            params,
        )


def insert_pairs(model, columns, rows):
    """Insert (a, b) rows into a two-column link table without building a model instance per row.

    A 100,000-row import writes about 350,000 sector, care-setting and mark links.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(column) for column in columns]
    # Names come from model metadata; every value is a bound parameter.
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(_array_placeholder(field) for field in fields)
            cursor.execute(
                f"{insert} SELECT * FROM UNNEST({arrays})",  # noqa: S608
                [list(values) for values in zip(*rows, strict=True)],
            )
        else:
            cursor.executemany(f"{insert} VALUES (%s, %s)", rows)


def _array_placeholder(field):
    """`%s::type[]` for one column's values as a PostgreSQL array, as Django's own UNNEST insert writes
    it: without the type's length, so that no value is cut short (varchar[], not varchar(200)[])."""
    return f"%s::{field.db_type(connection).split('(')[0]}[]"
