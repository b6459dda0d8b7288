"""What every app's API shares: absolute links, the 400 that names a parameter, JSON errors."""

import re

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

from .pagination import CachedCountPaginator

NULLABLE_URL = {"type": "string", "format": "uri", "nullable": True}


ParameterErrorSerializer = inline_serializer(
    name="ParameterError",
    fields={
        "detail": serializers.CharField(),
        "parameter": serializers.CharField(help_text="The query parameter at fault."),
    },
)
NotFoundSerializer = inline_serializer(name="NotFound", fields={"detail": serializers.CharField()})
BAD_PARAMETER = OpenApiResponse(ParameterErrorSerializer, description="A malformed parameter value.")
NOT_FOUND = OpenApiResponse(NotFoundSerializer, description="No such published entry, or no such page.")


class AbsoluteUrlMixin:
    def absolute(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ParameterError(APIException):
    """A query parameter whose value the API cannot use: a 400 that names the parameter."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_parameter"

    def __init__(self, parameter, message):
        self.parameter = parameter
        super().__init__(detail=f"{parameter}: {message}")


def exception_handler(exc, context):
    if isinstance(exc, ValidationError) and isinstance(exc.detail, dict) and exc.detail:
        # django-filter's backend names each bad parameter as a key: answer with the first.
        parameter, messages = next(iter(exc.detail.items()))
        exc = ParameterError(parameter, " ".join(str(message) for message in messages))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ParameterError):
        response.data = {"detail": str(exc.detail), "parameter": exc.parameter}
    return response


# Where hubdir/urls.py mounts the API: every answer under it is JSON, errors included.
API_PREFIX = "/api/"


def is_api_request(request):
    return request.path.startswith(API_PREFIX)


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any other address under /api/ answers in JSON too."""
    return JsonResponse({"detail": "Not found."}, status=404)


def api_error(status, detail):
    """The JSON error for a request under /api/ that failed outside DRF (hubdir's error handlers)."""
    return JsonResponse({"detail": detail}, status=status)


WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def positive_int_param(request, name):
    """The parameter as a whole number ≥ 1, None when absent, or a 400 naming it."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return None
    if not WHOLE_NUMBER.fullmatch(raw) or int(raw) < 1:
        raise ParameterError(name, f"must be a whole number of 1 or more, not {raw[:40]!r}.")
    return int(raw)


class PagePagination(PageNumberPagination):
    """`count`/`next`/`previous`/`results`; a malformed page is a 400, one past the end a 404."""

    django_paginator_class = CachedCountPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_query_description = "A page number (1 or more). A page beyond the last answers 404."
    page_size_query_description = "Results per page: 20 unless given; larger values are capped at 100."

    def get_page_size(self, request):
        size = positive_int_param(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        # Checked here so that "page=abc" is a 400 rather than DRF's 404 for any bad page.
        positive_int_param(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)
