import re

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from organisations.pagination import CachedCountPaginator

from .errors import ParameterError

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


FACET_SCHEMA = {
    "type": "object",
    "description": (
        "For each filter, its values with the number of results they would give, counted with all the "
        "other active filters applied."
    ),
    "additionalProperties": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "value": {"type": "string", "example": "medtech"},
                "label": {"type": "string", "example": "Medtech"},
                "count": {"type": "integer", "example": 12},
            },
            "required": ["value", "label", "count"],
        },
    },
}

REMOVED_SCHEMA = {
    "type": "array",
    "description": (
        "With `modified_after`: organisations archived, unpublished, merged or deleted at or after that "
        "instant (empty otherwise). Remove them from your copy."
    ),
    "items": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"},
            "removed_at": {"type": "string", "format": "date-time"},
        },
        "required": ["slug", "removed_at"],
    },
}


class FacetedPagination(PagePagination):
    """Pages of organisations, with facet counts and the removals since `modified_after`."""

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["facets"] = self.view.get_facets()
        response.data["removed"] = self.view.get_removed()
        return Response(response.data)

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["facets"] = FACET_SCHEMA
        paginated["properties"]["removed"] = REMOVED_SCHEMA
        paginated["required"] = ["count", "next", "previous", "results", "facets", "removed"]
        return paginated
