import re
from datetime import datetime, time

from django.db.models import Count, Prefetch, Q
from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.viewsets import ReadOnlyModelViewSet

from initiatives.models import Initiative, KeyFigure, Membership
from organisations.facets import facet_counts
from organisations.filters import StrictOrganisationFilter
from organisations.models import CareSetting, Contact, Organisation, RegulatoryMark, Sector, Status

from . import serializers as api_serializers
from .errors import ParameterError
from .pagination import FacetedPagination, PagePagination

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


class StrictFilterBackend(DjangoFilterBackend):
    """The public page's OrganisationFilter, but a value it cannot use is a 400 naming the parameter."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if not filterset.is_valid():
            parameter, messages = next(iter(filterset.errors.items()))
            raise ParameterError(parameter, " ".join(str(m) for m in messages))
        view.filterset = filterset
        return filterset.qs


ISO_OFFSET_WITH_SPACE = re.compile(r"(T[0-9:.]+) ([0-9]{2}(:?[0-9]{2})?)$")


def parse_modified_after(raw):
    """An aware datetime from ISO 8601 (a date means its first instant, here), or a 400."""
    # An unencoded "+01:00" arrives as " 01:00".
    value = ISO_OFFSET_WITH_SPACE.sub(r"\1+\2", raw.strip())
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
    if timezone.is_naive(moment):
        try:
            moment = timezone.make_aware(moment)
        except (ValueError, OverflowError):
            raise ParameterError("modified_after", "is outside the supported range of dates.") from None
    return moment


def removed_since(moment):
    """Organisations once public that were archived, unpublished, merged or deleted at/after `moment`."""
    history = Organisation.history.model
    rows = (
        history.objects.filter(history_date__gte=moment)
        .filter(Q(history_type="-") | ~Q(status=Status.PUBLISHED))
        # Never published means never public: a draft's slug must not leak here.
        .filter(id__in=history.objects.filter(status=Status.PUBLISHED).values("id"))
        .exclude(id__in=Organisation.objects.published().values("id"))
        .order_by("id", "-history_date")
        .values_list("id", "slug", "history_date")
    )
    latest = {}
    for pk, slug, removed_at in rows.iterator(chunk_size=2000):
        latest.setdefault(pk, (slug, removed_at))
    return [
        {"slug": slug, "removed_at": removed_at}
        for slug, removed_at in sorted(latest.values(), key=lambda item: (item[1], item[0]))
    ]


def public_memberships_of_organisations():
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(initiative__status=Status.PUBLISHED)
        .select_related("initiative")
        .order_by("initiative__name"),
        to_attr="public_memberships",
    )


MODIFIED_AFTER = OpenApiParameter(
    "modified_after",
    OpenApiTypes.DATETIME,
    description=(
        "ISO 8601 date or date-time, inclusive: only organisations updated at or after it, and under "
        "`removed` those archived, unpublished, merged or deleted since then. A date means its first "
        "instant in UK time; a date-time without an offset is UK time."
    ),
)


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
    filter_backends = [StrictFilterBackend]
    filterset_class = StrictOrganisationFilter
    pagination_class = FacetedPagination
    filterset = None
    modified_after = None

    def get_serializer_class(self):
        if self.action == "retrieve":
            return api_serializers.OrganisationDetailSerializer
        return api_serializers.OrganisationSerializer

    def get_queryset(self):
        queryset = (
            Organisation.objects.published()
            .select_related("parent")
            .prefetch_related(
                "sectors", "care_settings", "regulatory_marks", public_memberships_of_organisations()
            )
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

    def get_facets(self):
        facets = facet_counts(self.filterset)
        return {
            name: [{"value": str(v["value"]), "label": str(v["label"]), "count": v["count"]} for v in values]
            for name, values in facets.items()
        }

    def get_removed(self):
        return removed_since(self.modified_after) if self.modified_after is not None else []


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
        published_organisations = Organisation.objects.published()
        return Initiative.objects.published().prefetch_related(
            Prefetch("hosts", queryset=published_organisations.order_by("name"), to_attr="public_hosts"),
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(organisation__status=Status.PUBLISHED)
                .select_related("organisation")
                .order_by("organisation__name"),
                to_attr="public_memberships",
            ),
        )


class ReferenceViewSet(ReadOnlyModelViewSet):
    """Small reference lists: not paginated."""

    lookup_field = "slug"
    # Only slug-shaped paths reach the database (a NUL byte cannot even be sent to PostgreSQL).
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None
    model = None

    def get_queryset(self):
        return self.model.objects.annotate(
            organisation_count=Count("organisations", filter=Q(organisations__status=Status.PUBLISHED))
        ).order_by("name")


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
    queryset = KeyFigure.objects.select_related("initiative")


def api_not_found(request, *args, **kwargs):
    """Any other address under /api/ answers in JSON too."""
    return JsonResponse({"detail": "Not found."}, status=404)
