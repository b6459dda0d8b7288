from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import DetailView, ListView

from core.pagination import CachedCountPaginator, page_with_notice

from .facets import facet_counts, split_top
from .filters import PER_PAGE_CHOICES, Q_MAX_LENGTH, VIEW_CHOICES, DirectoryPageFilter
from .models import Organisation, OrganisationSlugRedirect, Sector, Status
from .search import did_you_mean, search
from .search.query import MAX_WORDS
from .search.site import site_results, suggestions


class PaginatedCardsMixin:
    """Pages of organisation cards (or a table) where a bad `page` shows the first or last page with
    a notice, `per_page` sets the page size and `view` the cards or the table."""

    paginator_class = CachedCountPaginator
    page_notice = ""

    def get_paginate_by(self, queryset):
        return self.filterset.page_size

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page, self.page_notice = page_with_notice(paginator, self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_range"] = context["paginator"].get_elided_page_range(
            context["page_obj"].number, on_each_side=2, on_ends=1
        )
        filterset = self.filterset
        query = canonical_query(filterset)
        context.update(
            # Links keep the accepted parameters only: a value that was ignored is not carried along.
            page_query=query,
            current_view=filterset.current_view,
            view_links=view_links(query, filterset.current_view),
            per_page=filterset.page_size,
            per_page_choices=[int(value) for value, _label in PER_PAGE_CHOICES],
            sort_choices=sort_choices(filterset),
            current_sort=filterset.current_sort,
            sort_headers=sort_headers(query, filterset.current_sort),
            share_url=self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}".rstrip("?")),
        )
        return context


class OrganisationListView(PaginatedCardsMixin, ListView):
    template_name = "organisations/organisation_list.html"
    context_object_name = "organisations"

    def get_queryset(self):
        self.filterset = DirectoryPageFilter(self.request.GET, queryset=Organisation.objects.published())
        return self.filterset.qs.with_card_relations()

    def get_paginator(self, queryset, per_page, **kwargs):
        # The count and the page's ids come from the in-process index when it can answer.
        return super().get_paginator(queryset, per_page, results=self.filterset.indexed_results, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.filterset
        facets = facet_counts(filterset)
        query = filterset.search_query
        plan = filterset.search_plan
        has_results = bool(context["paginator"].count)
        filter_count = sum(name != "q" for name, _ in filterset.active_filters())
        context.update(
            filterset=filterset,
            query=query,
            # With no results the sort control is not shown; a sort the visitor chose still rides
            # along (a hidden field) when they change the search or the filters.
            requested_sort=filterset.cleaned("sort") or "",
            facet_groups=facet_groups(filterset, facets, has_results=has_results),
            chips=filter_chips(filterset, facets),
            notices=ignored_notices(filterset)
            + search_notices(plan)
            + ([self.page_notice] if self.page_notice else []),
            filter_count=filter_count,
            search_without_filters=search_without_filters(query),
            site_groups=site_results(plan) if plan else None,
            # The export is the same list whatever the page shows: no view or page size.
            export_query=canonical_query(filterset, presentation=False).urlencode(),
        )
        if query and not has_results:
            context.update(no_results(filterset, plan, filter_count))
        return context


def search_notices(plan):
    if plan and plan.dropped:
        return [f"Only the first {MAX_WORDS} words were searched."]
    return []


ANY_WORDS_SHOWN = 5


def no_results(filterset, plan, filter_count):
    """What an empty search offers instead, in this order: the spelling correction, what matches
    any of the words, and (in the template) the matching sectors and initiatives and a way to
    suggest an organisation."""
    any_words = plan.any_words()
    matches = []
    if any_words is not None:
        matches = list(
            search(filterset.queryset_without("q"), any_words).only("name", "slug", "summary", "town")[
                :ANY_WORDS_SHOWN
            ]
        )
    params = canonical_query(filterset)
    params["q"] = plan.any_words_query() if any_words is not None else ""
    return {
        "suggestion": suggestion(filterset.search_query),
        # The initiatives and sectors that match any of the words, too.
        "site_groups": site_results(any_words or plan),
        "any_words_matches": matches,
        "any_words_url": f"{reverse('organisations:organisation-list')}?{params.urlencode()}",
    }


def search_without_filters(query):
    """The same search over the whole directory: the way out of an empty, over-filtered page."""
    if not query:
        return ""
    params = QueryDict(mutable=True)
    params["q"] = query
    return f"{reverse('organisations:organisation-list')}?{params.urlencode()}"


def canonical_query(filterset, without=None, *, presentation=True):
    """The accepted filters, sort, view and page size as a query string, optionally without one
    (name, value) or without the view and page size."""
    query = QueryDict(mutable=True)
    for name, value in filterset.active_filters():
        if (name, value) != without:
            query.appendlist(name, value)
    if filterset.cleaned("sort"):
        query["sort"] = filterset.cleaned("sort")
    if presentation:
        for name, value in filterset.presentation():
            query[name] = value
    return query


def view_links(query, current):
    """The cards/table switch: each a link to the same results (first page) in that view."""
    links = []
    for value, label in VIEW_CHOICES:
        params = query.copy()
        params.pop("page", None)
        if value == "cards":
            params.pop("view", None)
        else:
            params["view"] = value
        links.append(
            {"value": value, "label": label, "query": params.urlencode(), "current": value == current}
        )
    return links


# Sortable table columns: column -> (its sort when first chosen, the reverse sort, if any).
SORTABLE_COLUMNS = {
    "name": ("name", None),
    "founded": ("-founded", "founded"),
    "added": ("recent", None),
}
SORT_DIRECTIONS = {
    "name": "ascending",
    "-founded": "descending",
    "founded": "ascending",
    "recent": "descending",
}


def sort_headers(query, current):
    """{column: {"query", "sort" (aria-sort or "")}} for the table's sortable column headers: a
    header sorts by its column, or reverses the order when it already does."""
    headers = {}
    for column, (first, second) in SORTABLE_COLUMNS.items():
        active = current in (first, second)
        target = second if active and second else first
        params = query.copy()
        params.pop("page", None)
        params["sort"] = target
        headers[column] = {
            "query": params.urlencode(),
            "sort": SORT_DIRECTIONS[current] if active else "",
        }
    return headers


def option_labels(filterset, facets):
    labels = {facet: {o["value"]: o["label"] for o in options} for facet, options in facets.items()}
    labels["hq_leeds"] = {"1": "Headquartered in Leeds"}
    labels["former"] = {"1": "Including merged and closed organisations"}
    return labels


def chip_label(filterset, labels, name, value):
    if name == "q":
        return f"Search: “{value}”"
    if name == "founded_min":
        return f"Founded in or after {value}"
    if name == "founded_max":
        return f"Founded in or before {value}"
    if name == "hq_leeds":
        return "Headquartered in Leeds"
    if name == "former":
        return "Including merged and closed organisations"
    return f"{filterset.filters[name].label}: {labels.get(name, {}).get(value, value)}"


def filter_chips(filterset, facets):
    labels = option_labels(filterset, facets)
    chips = []
    for name, value in filterset.active_filters():
        remaining = canonical_query(filterset, without=(name, value)).urlencode()
        chips.append({"label": chip_label(filterset, labels, name, value), "url": f"?{remaining}"})
    return chips


FACET_TITLES = {
    "type": "Type of organisation",
    "sector": "Sector",
    "initiative": "Initiative",
    "local_authority": "Local authority",
    "district": "Postcode district",
    "size": "Size",
    "care_setting": "Care setting",
    "regulatory": "Regulatory mark",
}

# The filter column in the order visitors reach for them: what an organisation is and does, who it
# works with, where it is, its size and age, then the specialist facets. `founded` and `hq_leeds`
# are a year range and a single box, not counted facets.
FILTER_ORDER = (
    "type",
    "sector",
    "initiative",
    "local_authority",
    "district",
    "hq_leeds",
    "size",
    "founded",
    "care_setting",
    "regulatory",
)

# Groups open at first, besides any with a choice made: the two most asked-for.
OPEN_GROUPS = 2


def facet_groups(filterset, facets, *, has_results):
    """The filter column: per facet, in FILTER_ORDER, the options worth offering, the top ones first.

    An option that would give no results is left out (unless it is ticked, so that it can be
    unticked), and a facet left with nothing to offer is left out altogether. The year range and
    the headquarters box are offered while there are results or while they are in use.
    """
    groups = []
    for name in FILTER_ORDER:
        if name == "founded":
            selected = sum(filterset.cleaned(bound) is not None for bound in ("founded_min", "founded_max"))
            if has_results or selected:
                groups.append(
                    {"name": name, "kind": "years", "title": "Year founded", "selected_count": selected}
                )
            continue
        if name == "hq_leeds":
            selected = int(bool(filterset.cleaned("hq_leeds")))
            if has_results or selected:
                groups.append(
                    {"name": name, "kind": "check", "title": "Headquarters", "selected_count": selected}
                )
            continue
        useful = [option for option in facets.get(name, []) if option["count"] or option["selected"]]
        if not useful:
            continue
        for index, option in enumerate(useful):
            option["id"] = f"filter-{name}-{index}"
        shown, more = split_top(useful)
        groups.append(
            {
                "name": name,
                "kind": "options",
                "title": FACET_TITLES[name],
                "shown": shown,
                "more": more,
                "total": len(useful),
                "selected_count": sum(option["selected"] for option in useful),
            }
        )
    for index, group in enumerate(groups):
        group["open"] = bool(group["selected_count"]) or index < OPEN_GROUPS
    return groups


def sort_choices(filterset):
    choices = filterset.filters["sort"].extra["choices"]
    if not filterset.search_query:
        choices = [c for c in choices if c[0] != "relevance"]
    return choices


def ignored_notices(filterset):
    notices = []
    for name, value, reason in filterset.ignored:
        label = filterset.filters[name].label
        shown = value if len(value) <= 60 else value[:57] + "…"
        if shown:
            notices.append(f"{label} “{shown}” was ignored: {reason}.")
        else:
            notices.append(f"{label}: {reason}.")
    return notices


def suggestion(query):
    corrected = did_you_mean(query)
    return corrected if corrected and corrected != query else None


class OrganisationDetailView(DetailView):
    template_name = "organisations/organisation_detail.html"
    context_object_name = "organisation"

    def get(self, request, *args, **kwargs):
        slug = kwargs["slug"]
        organisation = Organisation.objects.for_display("parent", "merged_into").filter(slug=slug).first()
        if organisation is None:
            moved = (
                OrganisationSlugRedirect.objects.select_related("organisation__merged_into")
                .filter(old_slug=slug)
                .first()
            )
            target = public_address(moved.organisation) if moved else None
            if target is None:
                raise Http404("No organisation at this address.")
            return HttpResponsePermanentRedirect(target.get_absolute_url())
        if not organisation.is_public:
            successor = public_address(organisation)
            if successor is None:
                raise Http404("No organisation at this address.")
            return HttpResponsePermanentRedirect(successor.get_absolute_url())
        self.object = organisation
        return self.render_to_response(self.get_context_data(object=organisation))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.object
        successor = organisation.merged_into
        context.update(
            **organisation.reference_tags(),
            parent=organisation.parent if organisation.parent and organisation.parent.is_public else None,
            successor=successor if successor and successor.is_public else None,
            # The reverse relation sets each child's parent from parent_id: it is read too.
            children=list(organisation.children.published().only("name", "slug", "parent").order_by("name")),
            place_facts=organisation.place_facts(),
            contacts=list(organisation.public_contacts()),
            canonical_url=self.request.build_absolute_uri(organisation.get_absolute_url()),
            **initiative_links(organisation),
        )
        context["json_ld"] = organisation_json_ld(
            organisation,
            request=self.request,
            sectors=context["sectors"],
            parent=context["parent"],
        )
        context["logo_url"] = (
            self.request.build_absolute_uri(organisation.logo.url) if organisation.logo else ""
        )
        context["companies_house_url"] = (
            f"https://find-and-update.company-information.service.gov.uk/company/{organisation.companies_house_number}"
            if organisation.companies_house_number
            else ""
        )
        return context


def initiative_links(organisation):
    """The published initiatives an organisation runs, those it hosts, and those it belongs to, each
    initiative listed once (under the first of these that applies): in two queries."""
    initiative_model = Organisation.initiative_model()
    hosted = initiative_model.hosts.through.objects.filter(
        initiative=OuterRef("pk"), organisation=organisation
    )
    linked = list(
        initiative_model.objects.published()
        .filter(Q(operator=organisation) | Exists(hosted))
        .only("name", "slug", "operator")
        .order_by("name")
    )
    runs = [i for i in linked if i.operator_id == organisation.pk]
    hosts = [i for i in linked if i.operator_id != organisation.pk]
    memberships = (
        organisation.memberships.filter(initiative__status=Status.PUBLISHED)
        .exclude(initiative_id__in=sorted(i.pk for i in linked))
        .select_related("initiative")
        .only("role", "since", "organisation", "initiative__name", "initiative__slug")
        .order_by("initiative__name")
    )
    return {"runs": runs, "hosts": hosts, "memberships": list(memberships)}


def public_address(organisation):
    """Where a link to `organisation` may lead: itself when published; its published successor when
    it was merged (a draft never was public, so it leads nowhere); otherwise nowhere."""
    if organisation.is_public:
        return organisation
    successor = organisation.merged_into
    if organisation.status != Status.DRAFT and successor is not None and successor.is_public:
        return successor
    return None


SCHEMA_TYPES = {
    Organisation.Type.NHS: "MedicalOrganization",
    Organisation.Type.UNIVERSITY: "CollegeOrUniversity",
    Organisation.Type.PUBLIC_BODY: "GovernmentOrganization",
}


def organisation_json_ld(organisation, *, request, sectors, parent):
    """schema.org data for search engines, from public fields only."""
    data = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(organisation.organisation_type, "Organization"),
        "name": organisation.name,
        "url": request.build_absolute_uri(organisation.get_absolute_url()),
    }
    optional = {
        "legalName": organisation.legal_name,
        "alternateName": organisation.alternative_names_list,
        "description": organisation.summary or organisation.description,
        "sameAs": [organisation.website] if organisation.website else [],
        "email": organisation.email,
        "telephone": organisation.phone,
        "foundingDate": str(organisation.founded_year) if organisation.founded_year else "",
        # Only where a year is recorded: schema.org takes a year as an ISO 8601 date.
        "dissolutionDate": str(organisation.ended_year)
        if organisation.is_former and organisation.ended_year
        else "",
        "logo": request.build_absolute_uri(organisation.logo.url) if organisation.logo else "",
        "knowsAbout": [sector.name for sector in sectors],
    }
    if organisation.companies_house_number:
        optional["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": "Companies House number",
            "value": organisation.companies_house_number,
        }
    if organisation.town or organisation.postcode or organisation.address_line:
        address = {"@type": "PostalAddress", "addressCountry": "GB"}
        for key, value in (
            ("streetAddress", organisation.address_line),
            ("addressLocality", organisation.town),
            ("postalCode", organisation.postcode),
        ):
            if value:
                address[key] = value
        optional["address"] = address
    if parent:
        optional["parentOrganization"] = {
            "@type": "Organization",
            "name": parent.name,
            "url": request.build_absolute_uri(parent.get_absolute_url()),
        }
    data.update({key: value for key, value in optional.items() if value})
    return data


class SectorDetailView(PaginatedCardsMixin, ListView):
    template_name = "organisations/sector_detail.html"
    context_object_name = "organisations"

    # A sector page sorts and shows its organisations as the directory does; it has no filters.
    PARAMETERS = ("sort", *DirectoryPageFilter.PRESENTATION)

    def get_queryset(self):
        self.sector = get_object_or_404(Sector, slug=self.kwargs["slug"])
        organisations = Organisation.objects.listed().filter(sectors=self.sector)
        if not self.sector.is_active and not organisations.exists():
            raise Http404("No sector at this address.")
        data = QueryDict(mutable=True)
        for name in self.PARAMETERS:
            data.setlist(name, self.request.GET.getlist(name))
        self.filterset = DirectoryPageFilter(data, queryset=organisations)
        return self.filterset.qs.with_card_relations()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sector"] = self.sector
        context["notices"] = ignored_notices(self.filterset) + (
            [self.page_notice] if self.page_notice else []
        )
        context["filter_url"] = f"{reverse('organisations:organisation-list')}?sector={self.sector.slug}"
        context["export_query"] = f"sector={self.sector.slug}"
        return context


# Suggestions change only with the data; a minute keeps repeated keystrokes off the server.
SUGGESTIONS_MAX_AGE = 60


def search_suggestions(request):
    """The search box's type-ahead: organisations, initiatives and sectors for the text typed so
    far (two characters or more), as JSON."""
    q = request.GET.get("q", "")[:Q_MAX_LENGTH]
    response = JsonResponse({"results": suggestions(Organisation.objects.published(), q)})
    response["Cache-Control"] = f"public, max-age={SUGGESTIONS_MAX_AGE}"
    return response
