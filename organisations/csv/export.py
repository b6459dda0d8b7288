"""CSV export: the directory as rows of formula-guarded cells, streamed at flat memory."""

import csv
import datetime

from ..models import Organisation, Status
from .columns import CSV_COLUMNS, MULTI_VALUED, guard_formula

# Memberships belong to the initiatives app, which builds on this one: reached through the relation.
Membership = Organisation.membership_model()

CHUNK_SIZE = 2000
# Plain columns read straight from the organisation row, in one query per chunk; the parent's
# status decides whether a public export may name it.
_EXPORT_FIELDS = [
    "pk",
    "parent__slug",
    "parent__status",
    *(column for column in CSV_COLUMNS if column != "parent" and column not in MULTI_VALUED),
]
# Column: (table, value written, status that a public export requires of the other side).
_RELATED = {
    "sectors": (Organisation.sectors.through, "sector__name", None),
    "care_settings": (Organisation.care_settings.through, "caresetting__slug", None),
    "regulatory_marks": (Organisation.regulatory_marks.through, "regulatorymark__slug", None),
    "initiatives": (Membership, "initiative__name", "initiative__status"),
}


def _related_cells(ids, *, public):
    """{column: {organisation id: "a; b"}} for the multi-valued columns of one chunk: four queries."""
    cells = {}
    for column, (model, value_field, status_field) in _RELATED.items():
        rows = model.objects.filter(organisation_id__in=ids)
        if public and status_field:
            rows = rows.filter(**{status_field: Status.PUBLISHED})
        values = {}
        for organisation_id, value in rows.order_by().values_list("organisation_id", value_field):
            values.setdefault(organisation_id, []).append(value)
        cells[column] = {key: "; ".join(sorted(names)) for key, names in values.items()}
    return cells


def _export_chunks(queryset):
    chunk = []
    for row in queryset.values(*_EXPORT_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def export_rows(queryset, *, public=False):
    """Yield the header, then one list of formula-guarded cells per organisation, in queryset order.

    Plain values per chunk of 2,000 rows plus four queries for the multi-valued cells: no model
    instances, a constant number of queries per chunk and flat memory however many rows there are.
    With `public`, a parent or an initiative that is not published is left out of the cells.
    """
    yield list(CSV_COLUMNS)
    for chunk in _export_chunks(queryset):
        related = _related_cells([row["pk"] for row in chunk], public=public)
        for row in chunk:
            values = dict(row)
            hide_parent = public and values["parent__status"] != Status.PUBLISHED
            values["parent"] = "" if hide_parent else values["parent__slug"]
            for column, by_id in related.items():
                values[column] = by_id.get(row["pk"], "")
            yield [guard_formula(_cell(values[column])) for column in CSV_COLUMNS]


class _Echo:
    def write(self, value):
        return value


def stream_csv(queryset, *, bom=True, public=False):
    """Yield UTF-8 encoded CSV lines for a StreamingHttpResponse (a BOM first, for Excel)."""
    writer = csv.writer(_Echo())
    if bom:
        yield "\ufeff".encode()
    for row in export_rows(queryset, public=public):
        yield writer.writerow(row).encode()


def write_csv(queryset, stream):
    """Write the export to a text stream opened with newline=''."""
    writer = csv.writer(stream)
    for row in export_rows(queryset):
        writer.writerow(row)
