from django.urls import path

from . import views

app_name = "initiatives"

urlpatterns = [
    path("initiatives/<slug:slug>/", views.InitiativeDetailView.as_view(), name="initiative-detail"),
]
