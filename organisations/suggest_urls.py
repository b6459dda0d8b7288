from django.urls import path

from core.pagecache import no_page_cache

from . import suggest_views

app_name = "suggestions"

urlpatterns = [
    # Forms: each visitor's own CSRF token (the page cache would refuse them anyway).
    path("suggest/", no_page_cache(suggest_views.SuggestOrganisationView.as_view()), name="suggest"),
    path("suggest/thanks/", suggest_views.SuggestThanksView.as_view(), name="suggest-thanks"),
    path(
        "organisations/<slug:slug>/suggest-update/",
        no_page_cache(suggest_views.SuggestUpdateView.as_view()),
        name="suggest-update",
    ),
]
