"""Answers for when the site cannot answer: a busy or absent database is a 503, never a 500 or a
hang, in JSON under the API and as a short page elsewhere.

Public reads run under a PostgreSQL `statement_timeout` (PublicStatementTimeoutMiddleware), so that
no visitor can hold a database connection and a worker thread for long; a statement it cancels, like a
database that does not answer, becomes the 503.
"""

import logging

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


class PublicStatementTimeoutMiddleware:
    """Public reads run with DJANGO_PUBLIC_STATEMENT_TIMEOUT (milliseconds) on PostgreSQL; every
    other request (the back office, form posts) with the server's own setting.

    Set per request on the connection (not in settings' connection options), so that management
    commands, migrations and imports never run under it; reset for the requests that should not
    have it, because a thread keeps its connection from one request to the next. Sent just before
    the request's first query, so that a request that needs no database opens no connection.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.PUBLIC_STATEMENT_TIMEOUT
        if not timeout or connection.vendor != "postgresql":
            return self.get_response(request)
        if is_public_read(request):
            pending = [("SELECT set_config('statement_timeout', %s, false)", [f"{timeout}ms"])]
        else:
            pending = [("RESET statement_timeout", None)]

        def before_the_first_query(execute, sql, params, many, context):
            if pending:
                context["cursor"].execute(*pending.pop())
            return execute(sql, params, many, context)

        with connection.execute_wrapper(before_the_first_query):
            return self.get_response(request)
