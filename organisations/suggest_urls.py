from django.urls import path

from . import suggest_views

app_name = "suggestions"

urlpatterns = [
    path("suggest/", suggest_views.SuggestOrganisationView.as_view(), name="suggest"),
    path("suggest/thanks/", suggest_views.SuggestThanksView.as_view(), name="suggest-thanks"),
    path(
        "organisations/<slug:slug>/suggest-update/",
        suggest_views.SuggestUpdateView.as_view(),
        name="suggest-update",
    ),
]
