"""The one FilterSet behind the directory page, the CSV export and the API (ARCHITECTURE.md §5).

Pages build it lenient (the default): an unknown or malformed value is dropped, listed in
`filterset.ignored` for a short notice, and the rest of the query still applies. The API builds it
with `strict=True` (or uses `StrictOrganisationFilter`): bad values stay in the form, so
`filterset.is_valid()` is False and `filterset.errors` names each offending parameter.
"""

import re
from functools import cached_property

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Lower
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field

from core.dataversion import cached

from . import facet_index
from .models import CareSetting, Organisation, RegulatoryMark, Sector, Status
from .search import prepare, search

# Longer queries are truncated on pages and refused by the API; nobody types 200 characters
# into a directory search box, and search cost grows with the length of the query.
Q_MAX_LENGTH = 200

# How many values one repeatable parameter may carry; more would only make a slower query.
MAX_VALUES_PER_PARAMETER = 50

DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")

SORT_CHOICES = [
    ("relevance", "Best match"),
    ("name", "Name (A to Z)"),
    ("-founded", "Newest founded"),
    ("founded", "Oldest founded"),
    ("recent", "Recently added"),
]

# Facets whose options live in reference tables, addressed by slug in the URL.
REFERENCE_FACETS = ("sector", "initiative", "care_setting", "regulatory")

# Their options are kept under the data version, which their renames and retirements move.
REFERENCE_OPTIONS_CACHE_PREFIX = "organisations:reference-options"


def reference_options_query():
    """Every option of the four reference facets in one query: (facet, pk, slug, name, is_active)."""
    text = CharField()

    def rows(queryset, facet, active):
        # Meta.ordering is cleared: SQLite refuses ORDER BY inside the parts of a UNION.
        return (
            queryset.order_by()
            .annotate(facet=Value(facet, output_field=text), active=active)
            .values_list("facet", "pk", "slug", "name", "active")
        )

    return rows(Sector.objects.all(), "sector", F("is_active")).union(
        rows(Organisation.initiative_model().objects.published(), "initiative", Value(True)),
        rows(CareSetting.objects.all(), "care_setting", F("is_active")),
        rows(RegulatoryMark.objects.all(), "regulatory", F("is_active")),
        all=True,
    )


class DistrictsField(forms.MultipleChoiceField):
    """Postcode districts such as LS1 or LS11: checked by shape, since any district may be asked for."""

    default_error_messages = {"invalid_choice": "%(value)s is not a postcode district such as LS1."}

    def to_python(self, value):
        values = super().to_python(value)
        return [re.sub(r"\s+", "", v).upper() for v in values]

    def valid_value(self, value):
        return bool(DISTRICT_RE.match(value))


class DistrictFilter(django_filters.MultipleChoiceFilter):
    field_class = DistrictsField


@extend_schema_field({"type": "string", "format": "slug"})
class SlugsFilter(django_filters.MultipleChoiceFilter):
    """Repeatable slugs of reference rows, whose choices are read from the database per request."""


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", max_length=Q_MAX_LENGTH, label="Search")
    sector = SlugsFilter(method="filter_sector", label="Sector")
    initiative = SlugsFilter(method="filter_initiative", label="Initiative")
    care_setting = SlugsFilter(method="filter_care_setting", label="Care setting")
    regulatory = SlugsFilter(method="filter_regulatory", label="Regulatory mark")
    type = django_filters.MultipleChoiceFilter(
        field_name="organisation_type", choices=Organisation.Type.choices, distinct=False, label="Type"
    )
    size = django_filters.MultipleChoiceFilter(
        field_name="employees_band", choices=Organisation.EmployeesBand.choices, distinct=False, label="Size"
    )
    local_authority = django_filters.MultipleChoiceFilter(
        choices=Organisation.LocalAuthority.choices, distinct=False, label="Local authority"
    )
    district = DistrictFilter(field_name="postcode_district", distinct=False, label="Postcode district")
    hq_leeds = django_filters.ChoiceFilter(
        method="filter_hq_leeds", choices=[("1", "Headquartered in Leeds")], label="Headquarters"
    )
    former = django_filters.ChoiceFilter(
        method="filter_former",
        choices=[("1", "Include merged and closed organisations")],
        label="Former organisations",
    )
    founded_min = YearFilter(
        field_name="founded_year", lookup_expr="gte", min_value=1800, max_value=2100, label="Founded from"
    )
    founded_max = YearFilter(
        field_name="founded_year", lookup_expr="lte", min_value=1800, max_value=2100, label="Founded to"
    )
    sort = django_filters.ChoiceFilter(method="filter_sort", choices=SORT_CHOICES, label="Sort by")

    strict = False

    class Meta:
        model = Organisation
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, strict=None):
        # Always bound: the rule that leaves merged and closed organisations out runs on bound data.
        if data is None:
            data = QueryDict()
        if queryset is None:
            queryset = Organisation.objects.published()
        super().__init__(data, queryset, request=request, prefix=prefix)
        if strict is not None:
            self.strict = strict
        # (parameter, value, reason) for each value a lenient filterset dropped.
        self.ignored = []
        if self.is_bound:
            self.data = self._without_nul(self.data)
            if any(self.data.get(name) for name in REFERENCE_FACETS):
                self._set_reference_choices()
            if not self.strict:
                self.data = self._lenient(self.data)

    # --- Input handling -------------------------------------------------------------------------

    @staticmethod
    def _without_nul(data):
        # NUL bytes cannot be stored or searched in PostgreSQL; they never carry meaning here.
        cleaned = QueryDict(mutable=True)
        for name, values in data.lists():
            cleaned.setlist(name, [str(v).replace("\x00", "") for v in values])
        return cleaned

    @cached_property
    def reference_options(self):
        """{facet: [(pk, slug, name, is_active), …]} for the reference facets, sorted by name."""
        options = {facet: [] for facet in REFERENCE_FACETS}
        rows = cached(REFERENCE_OPTIONS_CACHE_PREFIX, "options", lambda: list(reference_options_query()))
        for facet, pk, slug, name, active in rows:
            options[facet].append((pk, slug, name, bool(active)))
        for rows in options.values():
            rows.sort(key=lambda row: row[2].lower())
        return options

    def _set_reference_choices(self):
        for facet in REFERENCE_FACETS:
            self.filters[facet].extra["choices"] = [
                (slug, name) for _pk, slug, name, _active in self.reference_options[facet]
            ]

    def _lenient(self, data):
        """Keep the values each field accepts; note the others in `self.ignored`."""
        kept = QueryDict(mutable=True)
        for name, filter_ in self.filters.items():
            values = [v.strip() for v in data.getlist(name) if v.strip()]
            if not values:
                continue
            field = filter_.field
            if isinstance(field, forms.MultipleChoiceField):
                accepted = []
                for value in dict.fromkeys(values):
                    try:
                        field.clean([value])
                    except ValidationError as error:
                        self.ignored.append((name, value, _reason(error)))
                    else:
                        accepted.append(value)
                if len(accepted) > MAX_VALUES_PER_PARAMETER:
                    self.ignored.append((name, "", f"only the first {MAX_VALUES_PER_PARAMETER} were used"))
                    accepted = accepted[:MAX_VALUES_PER_PARAMETER]
                kept.setlist(name, accepted)
                continue
            value = values[-1]
            if name == "q" and len(value) > Q_MAX_LENGTH:
                self.ignored.append(("q", "", f"the search was shortened to {Q_MAX_LENGTH} characters"))
                value = value[:Q_MAX_LENGTH]
            try:
                field.clean(value)
            except ValidationError as error:
                self.ignored.append((name, value, _reason(error)))
            else:
                kept[name] = value
        return kept

    # --- Filtering ------------------------------------------------------------------------------

    def filter_q(self, queryset, name, value):
        return search(queryset, self.search_plan)

    @cached_property
    def search_plan(self):
        """The query read once (thesaurus, initiatives, vocabulary) for the results and every
        facet; None without a query."""
        return prepare(self.search_query, using=self.queryset.db) if self.search_query else None

    @cached_property
    def indexed_results(self):
        """The count, the facets' counts and pages of ids from the in-process index
        (facet_index.py), sharing one search; None where the index cannot answer."""
        return facet_index.results(self)

    def filter_sector(self, queryset, name, value):
        through = Organisation.sectors.through
        return queryset.filter(
            Exists(through.objects.filter(organisation_id=OuterRef("pk"), sector__slug__in=value))
        )

    def filter_care_setting(self, queryset, name, value):
        through = Organisation.care_settings.through
        return queryset.filter(
            Exists(through.objects.filter(organisation_id=OuterRef("pk"), caresetting__slug__in=value))
        )

    def filter_regulatory(self, queryset, name, value):
        through = Organisation.regulatory_marks.through
        return queryset.filter(
            Exists(through.objects.filter(organisation_id=OuterRef("pk"), regulatorymark__slug__in=value))
        )

    def filter_initiative(self, queryset, name, value):
        memberships = Organisation.membership_model().objects.filter(
            organisation_id=OuterRef("pk"), initiative__slug__in=value, initiative__status=Status.PUBLISHED
        )
        return queryset.filter(Exists(memberships))

    def filter_hq_leeds(self, queryset, name, value):
        return queryset.filter(headquartered_in_leeds=True)

    def filter_former(self, queryset, name, value):
        # Merged and closed organisations are left out, or not, once by `filter_queryset`.
        return queryset

    def filter_sort(self, queryset, name, value):
        # Ordering is applied once, after every filter, by `filter_queryset`.
        return queryset

    def filter_queryset(self, queryset, exclude=()):
        """The filtered queryset in the requested order; `exclude` leaves out some filters (for facets).

        Merged and closed organisations stay out of the list unless the visitor searches (a search
        finds them, labelled on their card) or asks for them with `former=1`."""
        cleaned = self.form.cleaned_data
        if not (cleaned.get("q") or cleaned.get("former")):
            queryset = queryset.current()
        for name, value in cleaned.items():
            if name not in exclude:
                queryset = self.filters[name].filter(queryset, value)
        if exclude:
            return queryset
        return queryset.order_by(*self.ordering(queryset))

    def queryset_without(self, *names):
        """The queryset with every active filter except `names`, unordered: what facets count over."""
        self.errors  # noqa: B018 — validates the form so that cleaned_data exists
        return self.filter_queryset(self.queryset.all(), exclude={"sort", *names})

    # --- State, for templates and the API -------------------------------------------------------

    def cleaned(self, name):
        if not self.is_bound:
            return None
        self.errors  # noqa: B018
        return self.form.cleaned_data.get(name)

    @property
    def search_query(self):
        return self.cleaned("q") or ""

    @property
    def current_sort(self):
        requested = self.cleaned("sort")
        if requested == "relevance" and not self.search_query:
            return "name"
        return requested or ("relevance" if self.search_query else "name")

    def ordering(self, queryset=None, *, name=None):
        """The order of `sort`; `name` is the lower-cased name's expression when a table stores it
        (the narrow table of published rows that search reads)."""
        by_name = [name if name is not None else Lower("name"), "pk"]
        rank = queryset.query.annotations.get("search_rank") if queryset is not None else None
        # A query with no searchable word ranks every row with the same constant, which PostgreSQL
        # refuses to ORDER BY: the rank is left out of the order.
        by_rank = [] if isinstance(rank, Value) else [F("search_rank").desc(nulls_last=True)]
        return {
            "relevance": [*by_rank, *by_name],
            "name": by_name,
            "-founded": [F("founded_year").desc(nulls_last=True), *by_name],
            "founded": [F("founded_year").asc(nulls_last=True), *by_name],
            "recent": ["-created_at", "-pk"],
        }[self.current_sort]

    def active_filters(self):
        """[(parameter, value)] for every value in use, sort excluded: what chips are made of."""
        if not self.is_bound:
            return []
        self.errors  # noqa: B018
        active = []
        for name, value in self.form.cleaned_data.items():
            if name == "sort" or value in (None, "", [], ()):
                continue
            for item in value if isinstance(value, list) else [value]:
                active.append((name, str(item)))
        return active


def _reason(error):
    if error.error_list[0].code == "invalid_choice":
        return "not a value this filter knows"
    return error.messages[0]


# How the directory pages show their results; not filters, so the API and the CSV export leave them out.
VIEW_CHOICES = [("cards", "Cards"), ("table", "Table")]
PER_PAGE_CHOICES = [("20", "20"), ("50", "50"), ("100", "100")]
DEFAULT_PER_PAGE = 20


class DirectoryPageFilter(OrganisationFilter):
    """The directory pages' FilterSet: every filter of the API and the export, plus `view` and
    `per_page`, checked like the filters (a bad value is ignored with a notice) and kept in links."""

    view = django_filters.ChoiceFilter(method="filter_presentation", choices=VIEW_CHOICES, label="View")
    per_page = django_filters.ChoiceFilter(
        method="filter_presentation", choices=PER_PAGE_CHOICES, label="Results per page"
    )

    PRESENTATION = ("view", "per_page")
    # What an ignored value of each is told: these two are choices, not filters.
    PRESENTATION_REASONS = {
        "view": "results show as cards or as a table",
        "per_page": "a page shows 20, 50 or 100 results",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ignored = [
            (name, value, self.PRESENTATION_REASONS.get(name, reason)) for name, value, reason in self.ignored
        ]

    def filter_presentation(self, queryset, name, value):
        return queryset

    def active_filters(self):
        return [(name, value) for name, value in super().active_filters() if name not in self.PRESENTATION]

    def presentation(self):
        """[(parameter, value)] for the presentation choices given in the query."""
        return [(name, self.cleaned(name)) for name in self.PRESENTATION if self.cleaned(name)]

    @property
    def current_view(self):
        return self.cleaned("view") or "cards"

    @property
    def page_size(self):
        return int(self.cleaned("per_page") or DEFAULT_PER_PAGE)


class StrictOrganisationFilter(OrganisationFilter):
    """For the API: a malformed value makes the filterset invalid instead of being dropped."""

    strict = True
