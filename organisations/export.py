"""/organisations/export.csv: exactly the list the visitor is looking at, as a re-importable CSV.

The same OrganisationFilter as the page (lenient: a value it cannot use is dropped, and the dropped
parameters are named in a response header, since a CSV has no room for a notice), streamed row by row
through `organisations/csv` so that memory stays flat however many rows there are.

Its cost is bounded: each client may start EXPORT_RATE exports; the whole list (no filter) is made
once per data version and then served from a file (core/downloads.py); and the first rows are read
before the response starts, so that a database that is down or too slow is a 503 in JSON, not a 200
cut short.
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from core import ratelimit
from core.downloads import Busy, cached_download, first_chunks
from core.errors import service_unavailable

from .csv import stream_csv
from .filters import OrganisationFilter
from .models import Organisation, RateLimitCounter

logger = logging.getLogger(__name__)

FILENAME = "leeds-health-tech-organisations.csv"
CONTENT_TYPE = "text/csv; charset=utf-8"
# Exports one client may start; each may be the whole directory.
EXPORT_RATE = "10/m"


@require_safe
def organisation_export(request):
    try:
        if over_limit(request):
            return refusal(429, "Too many exports from your address; please wait a minute.", retry_after=60)
        filterset = OrganisationFilter(request.GET, queryset=Organisation.objects.published())
        response = export_response(filterset)
    except Busy:
        return refusal(503, "The export is being prepared; please try again in a few seconds.", retry_after=5)
    except (OperationalError, InterfaceError):
        return service_unavailable(request, json=True)
    ignored = sorted({parameter for parameter, _value, _reason in filterset.ignored})
    if ignored:
        # Only parameter names, which come from the FilterSet: nothing the visitor typed is echoed.
        response["X-Ignored-Parameters"] = ", ".join(ignored)
    return response


def over_limit(request):
    return ratelimit.over_limit(
        request,
        group="export",
        rate=EXPORT_RATE,
        increment=True,
        database_counter=RateLimitCounter.objects.hit,
    )


def export_body(filterset):
    """The file stored for the whole directory (an open file), or the CSV chunks of a filtered list."""

    def generate():
        return stream_csv(filterset.qs, public=True)

    if filterset.active_filters():
        return generate()
    # The whole directory, in one of the few sort orders: the same file for everyone.
    return cached_download("export", filterset.current_sort, generate)


def export_response(filterset):
    body = export_body(filterset)
    if hasattr(body, "read"):
        return FileResponse(body, as_attachment=True, filename=FILENAME, content_type=CONTENT_TYPE)
    # The byte-order mark, the header and the first row: the first queries have run.
    _head, body = first_chunks(body, 3)
    response = StreamingHttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
    return response


def refusal(status, detail, *, retry_after):
    response = JsonResponse({"detail": detail}, status=status)
    response["Retry-After"] = str(retry_after)
    return response


def warm_up():
    """Make the whole directory's file for the current data, in the default order, before anyone
    asks: otherwise the first request after a start makes it (seconds of CPU at 100,000 rows) while
    others wait for the processor, and a burst of requests at that moment finds the site slow."""
    try:
        body = export_body(OrganisationFilter({}, queryset=Organisation.objects.published()))
        if hasattr(body, "read"):
            body.close()
        else:
            # Read to the end: the file is stored as the chunks pass (core/downloads.py).
            for _chunk in body:
                pass
    except Busy:
        pass  # another process of this server is making it
    except DatabaseError as error:
        logger.warning("The whole export was not made at start: %s", error)
