"""Answers for when the site cannot answer: a busy or absent database is a 503, never a 500 or a
hang, in JSON under the API and as a short page elsewhere.

Public reads run under a PostgreSQL `statement_timeout` (PublicStatementTimeoutMiddleware), so that
no visitor can hold a database connection and a worker thread for long; a statement it cancels, like a
database that does not answer, becomes the 503.
"""

import logging
import weakref

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse

from .api import is_api_request

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again.
RETRY_AFTER = 30
UNAVAILABLE_DETAIL = "The directory cannot answer this request just now. Please try again in a minute."


def service_unavailable(request, *, json=False):
    if json or is_api_request(request):
        response = JsonResponse({"detail": UNAVAILABLE_DETAIL}, status=503)
    else:
        # Rendered without a request context: nothing here may need the database.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def is_unavailable(exception):
    """A database that does not answer, or a statement cancelled by its timeout (psycopg's
    QueryCanceled is an OperationalError)."""
    return isinstance(exception, OperationalError | InterfaceError)


class DatabaseUnavailableMiddleware:
    """Any view or template that finds the database unavailable answers 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_unavailable(exception):
            return None
        logger.warning("Database unavailable or statement cancelled on %s: %s", request.path, exception)
        return service_unavailable(request)


def is_public_read(request):
    """A GET or HEAD outside the back office: what any visitor can send, as often as they like."""
    return request.method in {"GET", "HEAD"} and not request.path.startswith(reverse("admin:index"))


# What each open PostgreSQL session's statement_timeout was last set to by the middleware below, by
# raw connection: a session not in it has the server's own (None), as a new one does, and a closed
# one drops out.
_session_timeouts = weakref.WeakKeyDictionary()
# Set inside a transaction, which may yet be rolled back.
_UNKNOWN = object()


class PublicStatementTimeoutMiddleware:
    """Public reads run with DJANGO_PUBLIC_STATEMENT_TIMEOUT (milliseconds) on PostgreSQL; every
    other request (the back office, form posts) with the server's own setting.

    Set per request on the connection (not in settings' connection options), so that management
    commands, migrations and imports never run under it; reset for the requests that should not
    have it, because a thread keeps its connection from one request to the next. Sent just before
    the request's first query, so that a request that needs no database opens no connection, and
    only when the session does not have it already: a page served from the page cache then costs
    one round trip to the database (the data version), not two.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if connection.vendor != "postgresql":
            return self.get_response(request)
        timeout = settings.PUBLIC_STATEMENT_TIMEOUT
        wanted = f"{timeout}ms" if timeout and is_public_read(request) else None
        first = [True]

        def before_the_first_query(execute, sql, params, many, context):
            if first:
                first.clear()
                set_session_timeout(context["cursor"], wanted)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(before_the_first_query):
            return self.get_response(request)


def set_session_timeout(cursor, wanted):
    session = connection.connection
    if _session_timeouts.get(session) == wanted:
        return
    if wanted:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [wanted])
    else:
        cursor.execute("RESET statement_timeout")
    _session_timeouts[session] = _UNKNOWN if connection.in_atomic_block else wanted
