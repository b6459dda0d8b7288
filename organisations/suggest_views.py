"""Public suggestions: a new organisation or a change to one, queued for review in the admin."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.generic import FormView, TemplateView

from core import ratelimit

from .forms import SuggestOrganisationForm, SuggestUpdateForm
from .models import Organisation, RateLimitCounter, Submission

logger = logging.getLogger(__name__)

# Suggestions accepted from one client address.
SUGGESTION_RATE = "5/h"


def over_limit(request, *, count):
    """Has this address used up its suggestions? With `count`, this one is counted in the same
    atomic step, so simultaneous posts cannot all slip under the limit."""
    return ratelimit.over_limit(
        request,
        group="suggestions",
        rate=SUGGESTION_RATE,
        increment=count,
        database_counter=RateLimitCounter.objects.hit,
    )


def refuse(request):
    return render(request, "organisations/suggest_rate_limited.html", status=429)


def notify_staff(request, submission):
    """Tell the curators; a mail failure never loses the submission."""
    if not settings.STAFF_NOTIFICATION_EMAILS:
        return
    link = request.build_absolute_uri(reverse("admin:organisations_submission_change", args=[submission.pk]))
    subject = " ".join(f"New suggestion: {submission}".split())[:150]
    body = (
        f"A visitor suggested {submission.get_kind_display().lower()}.\n\n"
        f"Review it in the back office: {link}\n"
    )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, settings.STAFF_NOTIFICATION_EMAILS)
    except Exception:
        logger.exception("Could not email staff about submission %s", submission.pk)


class SuggestionMixin:
    """Rate limit per client IP, honeypot, then one Submission and a note to staff."""

    submission_kind = None

    def post(self, request, *args, **kwargs):
        if over_limit(request, count=False):
            return refuse(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if over_limit(self.request, count=True):
            return refuse(self.request)
        if not form.is_bot:
            submission = Submission.objects.create(
                kind=self.submission_kind,
                organisation=getattr(self, "organisation", None),
                proposed=form.proposed(),
                message=form.cleaned_data["message"],
                submitter_name=form.cleaned_data["submitter_name"],
                submitter_email=form.cleaned_data["submitter_email"],
            )
            notify_staff(self.request, submission)
        # Bots that filled the honeypot see the same thanks, so they learn nothing.
        return redirect("suggestions:suggest-thanks")


class SuggestOrganisationView(SuggestionMixin, FormView):
    template_name = "organisations/suggest.html"
    form_class = SuggestOrganisationForm
    submission_kind = Submission.Kind.NEW


class SuggestUpdateView(SuggestionMixin, FormView):
    template_name = "organisations/suggest_update.html"
    form_class = SuggestUpdateForm
    submission_kind = Submission.Kind.UPDATE

    def dispatch(self, request, *args, **kwargs):
        self.organisation = get_object_or_404(
            Organisation.objects.published().prefetch_related("sectors"), slug=kwargs["slug"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        sectors = ", ".join(s.name for s in self.organisation.sectors.all())
        current = {
            field: sectors if field == "sectors" else getattr(self.organisation, field)
            for field in form.PROPOSED_FIELDS
        }
        current["employees_band"] = self.organisation.get_employees_band_display()
        context["organisation"] = self.organisation
        context["fields_with_current"] = [
            (form[field], "" if current[field] is None else current[field]) for field in form.PROPOSED_FIELDS
        ]
        context["submitter_fields"] = [form["submitter_name"], form["submitter_email"], form["message"]]
        return context


class SuggestThanksView(TemplateView):
    template_name = "organisations/suggest_thanks.html"
