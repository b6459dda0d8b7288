"""The initiatives part of the read-only JSON API (ARCHITECTURE.md §8)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.viewsets import ReadOnlyModelViewSet

from core.api import BAD_PARAMETER, NOT_FOUND, PagePagination

from . import serializers as api_serializers
from .models import Initiative, KeyFigure


@extend_schema_view(
    list=extend_schema(
        summary="Published initiatives with their hosts and members",
        responses={200: api_serializers.InitiativeSerializer(many=True), 400: BAD_PARAMETER, 404: NOT_FOUND},
    ),
    retrieve=extend_schema(
        summary="One published initiative with its hosts and members",
        responses={200: api_serializers.InitiativeSerializer, 404: NOT_FOUND},
    ),
)
class InitiativeViewSet(ReadOnlyModelViewSet):
    lookup_field = "slug"
    # Only slug-shaped paths reach the database (a NUL byte cannot even be sent to PostgreSQL).
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = api_serializers.InitiativeSerializer
    pagination_class = PagePagination

    def get_queryset(self):
        return Initiative.objects.published().select_related("operator").with_public_people()


@extend_schema_view(
    list=extend_schema(summary="Key figures as reported by their sources (not computed here)"),
    retrieve=extend_schema(
        summary="One reported key figure",
        responses={200: api_serializers.KeyFigureSerializer, 404: NOT_FOUND},
    ),
)
class KeyFigureViewSet(ReadOnlyModelViewSet):
    lookup_field = "slug"
    # Only slug-shaped paths reach the database (a NUL byte cannot even be sent to PostgreSQL).
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None
    serializer_class = api_serializers.KeyFigureSerializer
    queryset = KeyFigure.objects.public()
