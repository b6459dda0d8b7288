"""Site-wide pages: home, about, privacy, accessibility, and the error pages."""

from django.db.models import Count, Q
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.generic import TemplateView

from hubdir.cache_version import cached, data_version
from initiatives.models import Initiative, KeyFigure
from organisations.models import Organisation, Sector, Status
from organisations.views import with_card_relations

NEWEST_ON_HOME = 6


def public_key_figures():
    """Figures about the ecosystem as their sources report them; none tied to an unpublished initiative."""
    return KeyFigure.objects.filter(
        Q(initiative__isnull=True) | Q(initiative__status=Status.PUBLISHED)
    ).select_related("initiative")


def cached_while_unchanged(name, compute):
    """Counts over every published organisation, kept until the data changes (hubdir/cache_version.py)."""
    version = data_version()
    return compute() if version is None else cached(name, name, compute, version=version)


def sectors_in_use():
    return list(
        Sector.objects.active()
        .annotate(organisation_count=Count("organisations", filter=Q(organisations__status=Status.PUBLISHED)))
        .filter(organisation_count__gt=0)
        .order_by("name")
    )


def initiatives_with_member_counts():
    return list(
        Initiative.objects.published()
        .annotate(
            member_count=Count("memberships", filter=Q(memberships__organisation__status=Status.PUBLISHED))
        )
        .order_by("name")
    )


class HomeView(TemplateView):
    template_name = "pages/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        published = Organisation.objects.published()
        context.update(
            organisation_count=cached_while_unchanged("home-count", published.count),
            initiatives=cached_while_unchanged("home-initiatives", initiatives_with_member_counts),
            key_figures=list(public_key_figures()),
            newest=list(with_card_relations(published.order_by("-created_at", "-pk"))[:NEWEST_ON_HOME]),
            sectors=cached_while_unchanged("home-sectors", sectors_in_use),
        )
        return context


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
            public_key_figures().order_by("source_name").values_list("source_name", "source_url").distinct()
        )
        context.update(
            organisation_sources=list(organisation_sources),
            figure_sources=list(figure_sources),
        )
        return context


class PrivacyView(TemplateView):
    template_name = "pages/privacy.html"


class AccessibilityView(TemplateView):
    template_name = "pages/accessibility.html"


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without a request context: whatever broke must not break the error page too.
    return HttpResponseServerError(loader.get_template("500.html").render())
