"""The organisations part of the read-only JSON API (ARCHITECTURE.md §8)."""

import re
from datetime import UTC, datetime, time

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.viewsets import ReadOnlyModelViewSet

from core.api import BAD_PARAMETER, NOT_FOUND, PagePagination, ParameterError

from . import serializers as api_serializers
from .facets import facet_counts
from .filters import StrictOrganisationFilter
from .models import CareSetting, Contact, Organisation, RegulatoryMark, Sector, Status

ISO_OFFSET_WITH_SPACE = re.compile(r"(T[0-9:.]+) ([0-9]{2}(:?[0-9]{2})?)$")


def parse_modified_after(raw):
    """An aware datetime from ISO 8601 (a date means its first instant, here), or a 400."""
    # An unencoded "+01:00" arrives as " 01:00".
    value = ISO_OFFSET_WITH_SPACE.sub(r"\1+\2", raw.strip())
    moment = None
    # Python's ISO parser stops at a NUL byte and ignores what follows it.
    if value.isprintable():
        try:
            moment = parse_datetime(value)
            if moment is None:
                day = parse_date(value)
                moment = datetime.combine(day, time.min) if day else None
        except ValueError:
            moment = None
    if moment is None:
        raise ParameterError(
            "modified_after", "must be an ISO 8601 date or date-time, such as 2025-01-31T09:00:00Z."
        )
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # In UTC: the database accepts offsets up to ±15:59 only, ISO 8601 up to ±23:59.
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ParameterError("modified_after", "is outside the supported range of dates.") from None


def removed_since(moment):
    """Slugs that were public and stopped being public at or after `moment`: archived, unpublished,
    merged, deleted or renamed. Each slug once, as it was while public, with the last time it
    stopped; none that is public again, and none that never was (a draft's slug must not leak)."""
    history = Organisation.history.model
    changed = history.objects.filter(history_date__gte=moment).values("id")
    rows = (
        history.objects.filter(id__in=changed)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "slug", "status", "history_type", "history_date")
    )
    removed, entry, public_slug = {}, None, None
    for pk, slug, status, change, when in rows.iterator(chunk_size=2000):
        if pk != entry:
            entry, public_slug = pk, None
        public = change != "-" and status == Status.PUBLISHED
        if public_slug is not None and (not public or slug != public_slug) and when >= moment:
            removed[public_slug] = max(when, removed.get(public_slug, when))
        public_slug = slug if public else None
    live = set(Organisation.objects.published().filter(slug__in=removed).values_list("slug", flat=True))
    return [
        {"slug": slug, "removed_at": when}
        for slug, when in sorted(removed.items(), key=lambda item: (item[1], item[0]))
        if slug not in live
    ]


MODIFIED_AFTER = OpenApiParameter(
    "modified_after",
    OpenApiTypes.DATETIME,
    description=(
        "ISO 8601 date or date-time, inclusive: only organisations updated at or after it, and under "
        "`removed` the slugs that stopped being public since then (archived, unpublished, merged, "
        "deleted or renamed). A date means its first instant in UK time; a date-time without an "
        "offset is UK time. Organisations that merged or closed stay published but leave the "
        "default list: add `former=1` to follow them too."
    ),
)


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
        "With `modified_after`: each slug that was public and stopped being public at or after that "
        "instant (archived, unpublished, merged, deleted, or renamed to a new slug), once, with the "
        "last time it stopped (empty otherwise). Remove them from your copy."
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
    """Pages of organisations; the view adds `facets` and `removed`, described here for the schema."""

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["facets"] = FACET_SCHEMA
        paginated["properties"]["removed"] = REMOVED_SCHEMA
        paginated["required"] = ["count", "next", "previous", "results", "facets", "removed"]
        return paginated


def facets_as_json(facets):
    return {
        name: [{"value": str(v["value"]), "label": str(v["label"]), "count": v["count"]} for v in values]
        for name, values in facets.items()
    }


@extend_schema_view(
    list=extend_schema(
        summary="Published organisations",
        description=(
            "Every filter, search and sort of the public list page /organisations/, with facet counts. "
            "Repeated values of one filter are OR, different filters are AND."
        ),
        parameters=[MODIFIED_AFTER],
        responses={
            200: api_serializers.OrganisationSerializer(many=True),
            400: BAD_PARAMETER,
            404: NOT_FOUND,
        },
    ),
    retrieve=extend_schema(
        summary="One published organisation",
        responses={200: api_serializers.OrganisationDetailSerializer, 404: NOT_FOUND},
    ),
)
class OrganisationViewSet(ReadOnlyModelViewSet):
    lookup_field = "slug"
    # Only slug-shaped paths reach the database (a NUL byte cannot even be sent to PostgreSQL).
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = StrictOrganisationFilter
    pagination_class = FacetedPagination
    modified_after = None

    def get_serializer_class(self):
        if self.action == "retrieve":
            return api_serializers.OrganisationDetailSerializer
        return api_serializers.OrganisationSerializer

    def get_queryset(self):
        published = Organisation.objects.published()
        queryset = published.for_display("parent", "merged_into").prefetch_related(
            "sectors", "care_settings", "regulatory_marks", published.public_memberships()
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("contacts", queryset=Contact.objects.public(), to_attr="public_contact_list")
            )
        if self.action == "list" and self.modified_after is not None:
            queryset = queryset.filter(updated_at__gte=self.modified_after)
        return queryset

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raw = request.query_params.get("modified_after", "")
        self.modified_after = parse_modified_after(raw) if raw else None

    def filter_queryset(self, queryset):
        # The list's parameters mean nothing to a single entry.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        filterset = self.filterset_class(request.query_params, request=request)
        response.data["facets"] = facets_as_json(facet_counts(filterset))
        response.data["removed"] = removed_since(self.modified_after) if self.modified_after else []
        return response


class ReferenceViewSet(ReadOnlyModelViewSet):
    """Small reference lists: not paginated."""

    lookup_field = "slug"
    # Only slug-shaped paths reach the database (a NUL byte cannot even be sent to PostgreSQL).
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None
    model = None

    def get_queryset(self):
        return self.model.objects.with_published_count().order_by("name")


def reference_schema(kind, serializer):
    return extend_schema_view(
        list=extend_schema(summary=f"{kind}, with how many published organisations have each"),
        retrieve=extend_schema(
            summary=f"One of the {kind.lower()}", responses={200: serializer, 404: NOT_FOUND}
        ),
    )


@reference_schema("Sectors", api_serializers.SectorSerializer)
class SectorViewSet(ReferenceViewSet):
    model = Sector
    serializer_class = api_serializers.SectorSerializer


@reference_schema("Care settings", api_serializers.CareSettingSerializer)
class CareSettingViewSet(ReferenceViewSet):
    model = CareSetting
    serializer_class = api_serializers.CareSettingSerializer


@reference_schema("Regulatory marks", api_serializers.RegulatoryMarkSerializer)
class RegulatoryMarkViewSet(ReferenceViewSet):
    model = RegulatoryMark
    serializer_class = api_serializers.RegulatoryMarkSerializer
