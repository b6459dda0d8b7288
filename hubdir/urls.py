from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import index as sitemap_index
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from rest_framework.routers import DefaultRouter

from core.api import API_PREFIX, api_not_found
from core.health import healthz
from core.media import serve_media
from core.pagecache import no_page_cache
from core.schema import DocsView, SchemaView
from hubdir import views
from hubdir.sitemaps import SITEMAPS
from initiatives import api as initiative_api
from organisations import api as organisation_api
from organisations.feeds import NewOrganisationsFeed

# One API router for every app's endpoints.
router = DefaultRouter()
router.register("organisations", organisation_api.OrganisationViewSet, basename="organisation")
router.register("initiatives", initiative_api.InitiativeViewSet, basename="initiative")
router.register("sectors", organisation_api.SectorViewSet, basename="sector")
router.register("care-settings", organisation_api.CareSettingViewSet, basename="care-setting")
router.register("regulatory-marks", organisation_api.RegulatoryMarkViewSet, basename="regulatory-mark")
router.register("key-figures", initiative_api.KeyFigureViewSet, basename="key-figure")

api_urls = (
    [
        path("schema/", no_page_cache(SchemaView.as_view()), name="schema"),
        # The split view serves its start-up script from a URL of its own, so the docs run under a
        # CSP that forbids inline scripts.
        path(
            "docs/",
            no_page_cache(DocsView.as_view(url_name="api:schema", template_name="api/swagger_ui.html")),
            name="docs",
        ),
        *router.urls,
        re_path(r"^.*$", api_not_found),
    ],
    "api",
)

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    # Its register attributions follow register candidates, which the data version does not.
    path("about/", no_page_cache(views.AboutView.as_view()), name="about"),
    path("privacy/", views.PrivacyView.as_view(), name="privacy"),
    path("accessibility/", views.AccessibilityView.as_view(), name="accessibility"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("admin/", admin.site.urls),
    path(API_PREFIX.removeprefix("/"), include(api_urls)),
    # An index of per-section sitemaps, paged, so that no file passes the 50,000-URL limit.
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", no_page_cache(views.sitemap_section), name="sitemap-section"),
    path(
        "robots.txt",
        no_page_cache(TemplateView.as_view(template_name="robots.txt", content_type="text/plain")),
        name="robots",
    ),
    path("healthz", no_page_cache(healthz), name="healthz"),
    path("feeds/organisations.atom", NewOrganisationsFeed(), name="feed-organisations"),
    # Before organisations.urls: /organisations/<slug>/suggest-update/ is the more specific route.
    path("", include("organisations.suggest_urls")),
    path("", include("organisations.urls")),
    path("", include("initiatives.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.+)$", no_page_cache(serve_media), name="media")]

handler400 = "hubdir.views.bad_request"
handler403 = "hubdir.views.permission_denied"
handler404 = "hubdir.views.page_not_found"
handler500 = "hubdir.views.server_error"
