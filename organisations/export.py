"""/organisations/export.csv: exactly the list the visitor is looking at, as a re-importable CSV.

The same OrganisationFilter as the page (lenient: a value it cannot use is dropped, and the dropped
parameters are named in a response header, since a CSV has no room for a notice), streamed row by row
through `csv_io` so that memory stays flat however many rows there are.
"""

import csv

from django.http import StreamingHttpResponse
from django.views.decorators.http import require_safe

from initiatives.models import Initiative

from . import csv_io
from .filters import OrganisationFilter
from .models import Organisation, Status

FILENAME = "leeds-health-tech-organisations.csv"


class _Echo:
    def write(self, value):
        return value


def public_rows(queryset):
    """csv_io's export rows with anything not public taken out of the relation cells.

    A published organisation may still point at a draft parent or belong to a draft initiative;
    neither may show in a public file. Both sets are small, so they are read once up front.
    """
    rows = csv_io.export_rows(queryset)
    header = next(rows)
    yield header
    parent_at, initiatives_at = header.index("parent"), header.index("initiatives")
    hidden_parents = set(
        Organisation.objects.exclude(status=Status.PUBLISHED)
        .filter(children__status=Status.PUBLISHED)
        .values_list("slug", flat=True)
    )
    hidden_initiatives = set(
        Initiative.objects.exclude(status=Status.PUBLISHED).values_list("name", flat=True)
    )
    for row in rows:
        if row[parent_at] in hidden_parents:
            row[parent_at] = ""
        if hidden_initiatives and row[initiatives_at]:
            names = csv_io.unguard_formula(row[initiatives_at]).split("; ")
            row[initiatives_at] = csv_io.guard_formula(
                "; ".join(name for name in names if name not in hidden_initiatives)
            )
        yield row


def stream_public_csv(queryset):
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()
    for row in public_rows(queryset):
        yield writer.writerow(row).encode()


@require_safe
def organisation_export(request):
    filterset = OrganisationFilter(request.GET, queryset=Organisation.objects.published())
    response = StreamingHttpResponse(stream_public_csv(filterset.qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
    ignored = sorted({parameter for parameter, _value, _reason in filterset.ignored})
    if ignored:
        # Only parameter names, which come from the FilterSet: nothing the visitor typed is echoed.
        response["X-Ignored-Parameters"] = ", ".join(ignored)
    return response
