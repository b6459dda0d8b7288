from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("initiatives", views.InitiativeViewSet, basename="initiative")
router.register("sectors", views.SectorViewSet, basename="sector")
router.register("care-settings", views.CareSettingViewSet, basename="care-setting")
router.register("regulatory-marks", views.RegulatoryMarkViewSet, basename="regulatory-mark")
router.register("key-figures", views.KeyFigureViewSet, basename="key-figure")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from a URL of its own, so the docs run under a CSP
    # that forbids inline scripts.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    *router.urls,
    re_path(r"^.*$", views.api_not_found),
]
