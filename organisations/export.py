"""/organisations/export.csv: exactly the list the visitor is looking at, as a re-importable CSV.

The same OrganisationFilter as the page (lenient: a value it cannot use is dropped, and the dropped
parameters are named in a response header, since a CSV has no room for a notice), streamed row by row
through `organisations/csv` so that memory stays flat however many rows there are.
"""

from django.http import StreamingHttpResponse
from django.views.decorators.http import require_safe

from .csv import stream_csv
from .filters import OrganisationFilter
from .models import Organisation

FILENAME = "leeds-health-tech-organisations.csv"


@require_safe
def organisation_export(request):
    filterset = OrganisationFilter(request.GET, queryset=Organisation.objects.published())
    response = StreamingHttpResponse(
        stream_csv(filterset.qs, public=True), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
    ignored = sorted({parameter for parameter, _value, _reason in filterset.ignored})
    if ignored:
        # Only parameter names, which come from the FilterSet: nothing the visitor typed is echoed.
        response["X-Ignored-Parameters"] = ", ".join(ignored)
    return response
