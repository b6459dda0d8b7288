"""The queue of public suggestions: review, accept (as a draft, or field by field) or reject."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from . import duplicates
from .forms import SuggestUpdateForm
from .models import Organisation, Sector, Status, Submission

# What a visitor may propose is what a reviewer may apply.
REVIEWABLE_FIELDS = SuggestUpdateForm.PROPOSED_FIELDS

# Fields whose suggested values could make the entry a twin of another.
IDENTIFYING_FIELDS = ("name", "website", "alternative_names")


def _field_label(field):
    return Organisation._meta.get_field(field).verbose_name.capitalize()


def _display(field, value, sector_names):
    if field == "sectors":
        # Sectors are proposed by slug; a reviewer reads their names (a retired one keeps its slug).
        return ", ".join(sorted(sector_names.get(slug, slug) for slug in value or []))
    if field == "employees_band" and value:
        return dict(Organisation.EmployeesBand.choices).get(value, value)
    return "" if value is None else str(value)


def _current(organisation, field):
    if field == "sectors":
        return sorted(organisation.sectors.values_list("slug", flat=True))
    return getattr(organisation, field)


def _apply(organisation, proposed, fields):
    """Set the picked fields on the organisation; return the sector slugs to set, or None."""
    sectors = None
    for field in fields:
        if field == "sectors":
            sectors = proposed.get("sectors") or []
        else:
            value = proposed.get(field)
            setattr(organisation, field, "" if value is None and field != "founded_year" else value)
    scalar = [f for f in fields if f != "sectors"]
    exclude = [f.name for f in Organisation._meta.fields if f.name not in scalar]
    organisation.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    return sectors


def _set_sectors(organisation, slugs):
    organisation.sectors.set(Sector.objects.filter(slug__in=slugs))
    organisation.refresh_search_names()


def _mark_reviewed(submission, *, user, state):
    submission.state = state
    submission.reviewed_by = user
    submission.reviewed_at = timezone.now()


@transaction.atomic
def accept_new_submission(*, submission, user):
    """Create a draft organisation from a suggestion of a new one."""
    proposed = submission.proposed
    organisation = Organisation(status=Status.DRAFT)
    fields = [f for f in ("name", "website", "summary", "town", "sectors") if f in proposed]
    sectors = _apply(organisation, proposed, fields)
    organisation._history_user = user
    organisation._change_reason = f"Accepted suggestion #{submission.pk}"
    organisation.save()
    if sectors:
        _set_sectors(organisation, sectors)
    _mark_reviewed(submission, user=user, state=Submission.State.ACCEPTED)
    submission.created_organisation = organisation
    submission.save()
    return organisation


@transaction.atomic
def accept_update_submission(*, submission, user, fields):
    """Apply the proposed changes the reviewer picked, through save() so that history records them."""
    organisation = Organisation.objects.select_for_update().get(pk=submission.organisation_id)
    fields = [f for f in REVIEWABLE_FIELDS if f in fields and f in submission.proposed]
    if fields:
        sectors = _apply(organisation, submission.proposed, fields)
        organisation._history_user = user
        organisation._change_reason = f"Accepted suggestion #{submission.pk}"
        organisation.save()
        if sectors is not None:
            _set_sectors(organisation, sectors)
    _mark_reviewed(submission, user=user, state=Submission.State.ACCEPTED)
    submission.save()
    return organisation


def reject_submission(*, submission, user, reason):
    _mark_reviewed(submission, user=user, state=Submission.State.REJECTED)
    submission.rejection_reason = reason
    submission.save()
    return submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["summary", "kind", "state", "created_at", "reviewed_by", "reviewed_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["organisation", "reviewed_by"]
    search_fields = ["organisation__name", "submitter_name", "message"]
    ordering = ["state", "-created_at"]
    change_form_template = "admin/organisations/submission/review.html"

    @admin.display(description="Suggestion", ordering="created_at")
    def summary(self, obj):
        return str(obj)

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("organisation", "created_organisation", "reviewed_by")
        )

    def comparison(self, submission):
        proposed = submission.proposed
        organisation = submission.organisation
        sector_names = dict(Sector.objects.values_list("slug", "name")) if "sectors" in proposed else {}
        rows = []
        for field in REVIEWABLE_FIELDS:
            if field not in proposed:
                continue
            current = _current(organisation, field) if organisation else None
            rows.append(
                {
                    "field": field,
                    "label": _field_label(field),
                    "current": _display(field, current, sector_names),
                    "proposed": _display(field, proposed[field], sector_names),
                    "differs": current != proposed[field],
                }
            )
        return rows

    @staticmethod
    def possible_duplicates(submission):
        """[(organisation, reason)]: entries the suggested organisation (or the suggested names and
        website of an existing one) may repeat."""
        proposed = submission.proposed
        if submission.kind == Submission.Kind.UPDATE and not any(f in proposed for f in IDENTIFYING_FIELDS):
            return []
        organisation = submission.organisation
        probe = Organisation(pk=submission.organisation_id)
        for field in (*IDENTIFYING_FIELDS, "legal_name", "companies_house_number"):
            current = getattr(organisation, field) if organisation else ""
            setattr(probe, field, proposed.get(field) or current)
        return duplicates.likely_twins(probe) if probe.name else []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        submission = self.get_object(request, object_id)
        if submission is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, submission):
            raise PermissionDenied
        error = None
        if request.method == "POST":
            if not self.has_change_permission(request, submission):
                raise PermissionDenied
            if submission.state != Submission.State.PENDING:
                messages.error(request, "This suggestion has already been reviewed.")
                return HttpResponseRedirect(request.path)
            try:
                response = self.review(request, submission)
            except ValidationError as validation_error:
                error = validation_error
            else:
                if response is not None:
                    return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review: {submission}",
            "subtitle": None,
            "original": submission,
            "submission": submission,
            "rows": self.comparison(submission),
            "possible_duplicates": self.possible_duplicates(submission)
            if submission.state == "pending"
            else [],
            "is_pending": submission.state == Submission.State.PENDING,
            "can_change": self.has_change_permission(request, submission),
            "error_messages": error.messages if error else [],
            "organisation_admin_url": self.organisation_admin_url(
                submission.organisation or submission.created_organisation
            ),
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def review(self, request, submission):
        action = request.POST.get("action")
        if action == "reject":
            reason = request.POST.get("rejection_reason", "").strip()
            if not reason:
                raise ValidationError("Give a reason for rejecting this suggestion.")
            reject_submission(submission=submission, user=request.user, reason=reason)
            messages.success(request, "Suggestion rejected.")
            return HttpResponseRedirect(reverse("admin:organisations_submission_changelist"))
        if action != "accept":
            raise ValidationError("Choose accept or reject.")
        if submission.kind == Submission.Kind.NEW:
            if not request.user.has_perm("organisations.add_organisation"):
                raise PermissionDenied
            organisation = accept_new_submission(submission=submission, user=request.user)
            messages.success(request, f"Created the draft “{organisation.name}”. Check it before publishing.")
        else:
            if not request.user.has_perm("organisations.change_organisation"):
                raise PermissionDenied
            if submission.organisation_id is None:
                raise ValidationError("The organisation this suggestion was about no longer exists.")
            fields = request.POST.getlist("fields")
            organisation = accept_update_submission(submission=submission, user=request.user, fields=fields)
            applied = len([f for f in fields if f in submission.proposed])
            messages.success(
                request, f"Applied {applied} change{'s' if applied != 1 else ''} to “{organisation.name}”."
            )
        return HttpResponseRedirect(self.organisation_admin_url(organisation) or request.path)

    def organisation_admin_url(self, organisation):
        if organisation is None:
            return ""
        return reverse("admin:organisations_organisation_change", args=[organisation.pk])
