from django.urls import path

from core.pagecache import no_page_cache

from . import export, views

app_name = "organisations"

urlpatterns = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    # Fixed paths such as /organisations/export.csv go above the slug pattern.
    path("organisations/export.csv", no_page_cache(export.organisation_export), name="organisation-export"),
    path("search/suggestions.json", views.search_suggestions, name="search-suggestions"),
    path("organisations/<slug:slug>/", views.OrganisationDetailView.as_view(), name="organisation-detail"),
    path("sectors/<slug:slug>/", views.SectorDetailView.as_view(), name="sector-detail"),
]
