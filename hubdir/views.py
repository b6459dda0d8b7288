"""Site-wide pages that draw on every app: home, statistics, about, privacy, accessibility, errors."""

import sys

from django.contrib.sitemaps.views import sitemap
from django.db.models import Case, Count, Q, When
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views import defaults
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from core.api import api_error, is_api_request
from core.dataversion import cached
from core.downloads import Busy
from core.errors import is_unavailable, service_unavailable
from initiatives import stats as initiative_stats
from initiatives.models import Initiative, KeyFigure
from organisations import stats as organisation_stats
from organisations.models import Candidate, Organisation, Sector

from .sitemaps import SITEMAP_ORIGIN, SITEMAPS, section_file

NEWEST_ON_HOME = 6
# The home page fits two and a half phone screens: a few figures, the rest on /stats/.
FIGURES_ON_HOME = 4


class HomeView(TemplateView):
    template_name = "pages/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listed = Organisation.objects.listed()
        counts = cached(
            "home-counts",
            "home-counts",
            lambda: listed.aggregate(
                organisations=Count("pk"),
                companies=Count("pk", filter=Q(organisation_type=Organisation.Type.COMPANY)),
            ),
        )
        initiatives = cached(
            "home-initiatives",
            "home-initiatives",
            lambda: list(Initiative.objects.published().with_member_count().order_by("name")),
        )
        sectors = cached(
            "home-sectors",
            "home-sectors",
            lambda: list(Sector.objects.active().in_use().order_by("name")),
        )
        context.update(
            organisation_count=counts["organisations"],
            company_count=counts["companies"],
            companies_url=organisation_stats.list_url(type="company"),
            initiatives=initiatives,
            sectors=sectors,
            sector_count=len(sectors),
            figure_sources=figure_sources(KeyFigure.objects.public()[:FIGURES_ON_HOME]),
            newest=list(newest_additions(listed)),
        )
        return context


def figure_sources(figures):
    """Figures grouped by their source, in order, each source named once: [{"name", "url", "when",
    "figures"}]. `when` is the date the source gives when it is the same for all its figures; a figure
    with another date keeps its own."""
    groups = []
    for figure in figures:
        figure.when = figure.as_of_label or (f"{figure.as_of:%B %Y}" if figure.as_of else "")
        if groups and groups[-1]["name"] == figure.source_name:
            groups[-1]["figures"].append(figure)
        else:
            groups.append({"name": figure.source_name, "url": figure.source_url, "figures": [figure]})
    for group in groups:
        dates = {figure.when for figure in group["figures"]}
        group["when"] = dates.pop() if len(dates) == 1 else ""
    return groups


def newest_additions(listed):
    """The latest entries, companies first: the new businesses are what most visitors come for."""
    others_after = Case(When(organisation_type=Organisation.Type.COMPANY, then=0), default=1)
    return (
        listed.annotate(others_after=others_after)
        .only(
            "name", "slug", "organisation_type", "town", "postcode_district", "local_authority", "created_at"
        )
        .order_by("others_after", "-created_at", "-pk")[:NEWEST_ON_HOME]
    )


class StatsView(TemplateView):
    """/stats/ — Leeds health tech in numbers: the directory's own counts beside reported figures."""

    template_name = "stats/stats.html"

    def get_context_data(self, **kwargs):
        totals = organisation_stats.directory_totals()
        counts = initiative_stats.initiative_counts()
        return super().get_context_data(
            totals=totals,
            all_url=reverse("organisations:organisation-list"),
            companies_url=organisation_stats.list_url(type="company"),
            companies_phrase=organisation_stats.companies_phrase(
                totals["organisations"], totals["companies"]
            ),
            # A chart with nothing to count is left out, not shown empty.
            charts=[
                by_count(chart)
                for chart in [*organisation_stats.charts(totals), initiative_stats.initiative_chart(counts)]
                if chart["rows"]
            ],
            figure_groups=by_source(initiative_stats.key_figure_comparisons(totals, counts)),
            **kwargs,
        )


def by_source(rows):
    """Reported figures grouped by their source, in the order the sources first appear:
    [{"name", "url", "rows"}], so that each source is named once."""
    groups = {}
    for row in rows:
        figure = row["figure"]
        group = groups.setdefault(
            figure.source_name, {"name": figure.source_name, "url": figure.source_url, "rows": []}
        )
        group["rows"].append(row)
    return list(groups.values())


def by_count(chart):
    """The chart with its biggest rows first (ties by label): every chart reads the same way."""
    chart["rows"] = sorted(chart["rows"], key=lambda row: (-row["count"], row["label"].lower()))
    return chart


class AboutView(TemplateView):
    template_name = "pages/about.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation_sources = (
            Organisation.objects.published()
            .exclude(source_url="")
            .order_by("source_url")
            .values_list("source_url", flat=True)
            .distinct()
        )
        figure_sources = (
            KeyFigure.objects.public()
            .order_by("source_name")
            .values_list("source_name", "source_url")
            .distinct()
        )
        context.update(
            organisation_sources=list(organisation_sources),
            figure_sources=list(figure_sources),
            register_attributions=Candidate.objects.attributions(),
        )
        return context


class PrivacyView(TemplateView):
    template_name = "pages/privacy.html"


class AccessibilityView(TemplateView):
    template_name = "pages/accessibility.html"


@require_safe
def sitemap_section(request, section):
    """One section of the sitemap, read from the file made for the current data (hubdir/sitemaps.py)
    with the links of the address it was asked at."""
    page = request.GET.get("p", "1")
    if section not in SITEMAPS or not (page.isascii() and page.isdigit() and len(page) <= 9):
        # Django's own answer: a 404 that names what was wrong (int() refuses over 4,300 digits).
        return sitemap(request, sitemaps=SITEMAPS, section=section)
    try:
        xml = section_file(section, int(page))
    except Busy:
        response = HttpResponse("This sitemap is being made; please try again shortly.", status=503)
        response["Retry-After"] = "5"
        return response
    # get_host() is checked against ALLOWED_HOSTS: only a host name and port reach the links.
    origin = f"{request.scheme}://{request.get_host()}"
    response = HttpResponse(
        xml.replace(SITEMAP_ORIGIN.encode(), origin.encode()), content_type="application/xml"
    )
    response["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


# Error pages: JSON under the API, pages elsewhere (handlers named in hubdir/urls.py).


def page_not_found(request, exception):
    if is_api_request(request):
        return api_error(404, "Not found.")
    return render(request, "404.html", status=404)


def bad_request(request, exception):
    if is_api_request(request):
        return api_error(400, "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_request(request):
        return api_error(403, "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def server_error(request):
    if is_unavailable(sys.exc_info()[1]):
        return service_unavailable(request)
    if is_api_request(request):
        return api_error(500, "Server error.")
    # Rendered without a request context: whatever broke must not break the error page too.
    return HttpResponseServerError(loader.get_template("500.html").render())
