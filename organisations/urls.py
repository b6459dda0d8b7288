from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("organisations/<slug:slug>/", views.OrganisationDetailView.as_view(), name="organisation-detail"),
    path("sectors/<slug:slug>/", views.SectorDetailView.as_view(), name="sector-detail"),
]
