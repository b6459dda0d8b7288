"""The back office for organisations and their reference data (issues 2 §3 and 4).

Publishing rules (ARCHITECTURE.md §4): Editors create and edit but never change `status` or delete;
Publishers publish, archive, merge and delete. Every change is saved through the model, so that
django-simple-history records who made it and when.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from core.images import ImageFilesAdminMixin

# The moderation queue's admin lives in its own module; importing it registers it.
from . import admin_submissions, duplicates, services  # noqa: F401
from .admin_candidates import OpenRegisterFlagFilter, RegisterCountsMixin
from .admin_import import OrganisationImportExportMixin
from .forms import OrganisationAdminForm, RecordCheckForm
from .models import (
    CareSetting,
    Contact,
    Organisation,
    OrganisationSlugRedirect,
    RegulatoryMark,
    Sector,
    Status,
    Synonym,
    Verification,
)
from .permissions import can_erase_contacts, can_publish

MAX_CHECKS_AT_ONCE = 100


def counted(count, singular, plural=None):
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def has_status(model):
    return any(field.name == "status" for field in model._meta.concrete_fields)


def hold_for_publisher(obj, *, adding, changed_fields):
    """An Editor's save of a publishable entry: a new one starts as a draft, an existing one keeps
    its stored status (also when reverting to a historical version, which carries its own), and a
    contact the Editor makes public goes back to draft until a Publisher publishes it."""
    if adding:
        obj.status = Status.DRAFT
        return
    obj.status = type(obj).objects.filter(pk=obj.pk).values_list("status", flat=True).get()
    if "is_public" in changed_fields and getattr(obj, "is_public", False):
        obj.status = Status.DRAFT


class PublishingAdminMixin:
    """Publish and archive actions and the status rule shared by every publishable model
    (organisations, initiatives, contacts, key figures), for the entry and for its inline rows."""

    def has_publish_permission(self, request):
        return can_publish(request.user, self.model)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not can_publish(request.user, self.model):
            fields.append("status")
        return fields

    def save_model(self, request, obj, form, change):
        if not can_publish(request.user, self.model):
            hold_for_publisher(obj, adding=not change, changed_fields=form.changed_data)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        if has_status(model) and not can_publish(request.user, model):
            deleted = set(map(id, formset.deleted_forms))
            for row in formset.forms:
                if row.has_changed() and id(row) not in deleted:
                    hold_for_publisher(
                        row.instance, adding=row.instance._state.adding, changed_fields=row.changed_data
                    )
        super().save_formset(request, form, formset, change)

    def _set_status(self, request, queryset, status, verb):
        opts = self.model._meta
        changed = unchanged = refused = 0
        for obj in queryset.iterator(chunk_size=500):
            if obj.status == status:
                unchanged += 1
                continue
            if status == Status.PUBLISHED and getattr(obj, "is_merged_duplicate", False):
                refused += 1
                continue
            obj.status = status
            obj._history_user = request.user
            obj.save()
            changed += 1
        parts = [f"{verb.capitalize()} {counted(changed, opts.verbose_name, opts.verbose_name_plural)}"]
        if unchanged:
            parts.append(f"{unchanged} {'was' if unchanged == 1 else 'were'} already {verb}")
        if refused:
            parts.append(
                f"{refused} merged into another entry {'stays' if refused == 1 else 'stay'} archived"
            )
        self.message_user(request, "; ".join(parts) + ".", messages.SUCCESS if changed else messages.WARNING)

    @admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Status.PUBLISHED, "published")

    @admin.action(description="Archive selected %(verbose_name_plural)s", permissions=["publish"])
    def archive(self, request, queryset):
        self._set_status(request, queryset, Status.ARCHIVED, "archived")


class ReferenceAdmin(admin.ModelAdmin):
    """Sectors, care settings and regulatory marks: retired with `is_active`, never deleted in use."""

    list_display = ["name", "slug", "is_active", "organisation_count"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_organisation_count=Count("organisations"))

    @admin.display(description="Organisations", ordering="_organisation_count")
    def organisation_count(self, obj):
        return obj._organisation_count

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Listing a row as protected makes both the delete view and the bulk action refuse.
        for obj in objs:
            in_use = obj.organisations.count()
            if in_use:
                protected.append(
                    f"{obj._meta.verbose_name.capitalize()} “{obj}” is used by "
                    f"{counted(in_use, 'organisation')}: untick “Is active” to retire it instead."
                )
        return deleted, model_count, perms_needed, protected


@admin.register(Sector)
class SectorAdmin(ReferenceAdmin):
    pass


@admin.register(CareSetting)
class CareSettingAdmin(ReferenceAdmin):
    pass


@admin.register(RegulatoryMark)
class RegulatoryMarkAdmin(ReferenceAdmin):
    pass


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    """The search thesaurus: a search for any phrase of a group also finds what the others find.
    Edits count at once, with no rebuild."""

    list_display = ["term", "equivalents_shown"]
    search_fields = ["term", "equivalents"]
    fields = ["term", "equivalents"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "equivalents":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 8, "cols": 60})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Equivalents")
    def equivalents_shown(self, obj):
        return "; ".join(obj.equivalents_list)


class VerificationFilter(admin.SimpleListFilter):
    """Stale, never verified or recently verified, each with how many entries it holds."""

    title = "verification"
    parameter_name = "verification"

    def choices_with_counts(self):
        months = settings.VERIFICATION_STALE_MONTHS
        entries = Organisation.objects
        return [
            ("stale", f"Stale: last checked over {months} months ago", entries.stale()),
            ("never", "Never checked", entries.never_verified()),
            ("recent", f"Checked in the last {months} months", entries.recently_verified()),
        ]

    def lookups(self, request, model_admin):
        return [
            (value, f"{label} ({queryset.count():,})")
            for value, label, queryset in self.choices_with_counts()
        ]

    def queryset(self, request, queryset):
        if self.value() == "stale":
            return queryset.stale()
        if self.value() == "never":
            return queryset.never_verified()
        if self.value() == "recent":
            return queryset.recently_verified()
        return queryset


class LifecycleFilter(admin.SimpleListFilter):
    title = "lifecycle"
    parameter_name = "lifecycle"

    def lookups(self, request, model_admin):
        return Organisation.Lifecycle.choices

    def queryset(self, request, queryset):
        if self.value() in Organisation.Lifecycle.values:
            return queryset.filter(lifecycle=self.value())
        return queryset


class LikelyDuplicateFilter(admin.SimpleListFilter):
    title = "likely duplicates"
    parameter_name = "duplicates"

    def lookups(self, request, model_admin):
        return [("yes", "Has a likely twin")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=duplicates.flagged_ids(queryset))
        return queryset


class PublishingInlineMixin:
    """Inline rows with a status (contacts, key figures): only a Publisher sets it."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not can_publish(request.user, self.model):
            fields.append("status")
        return fields


class ContactInline(PublishingInlineMixin, admin.TabularInline):
    model = Contact
    fields = ["name", "job_title", "email", "phone", "is_public", "consent_recorded_on", "status"]
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Organisation.membership_model()
    fields = ["initiative", "role", "since", "source_url"]
    autocomplete_fields = ["initiative"]
    extra = 0


class MergeIntoForm(forms.Form):
    """One selected entry: choose the organisation that survives."""

    target = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(merged_into__isnull=True),
        label="Merge into",
        help_text="The organisation that stays. The selected one is archived and redirects to it.",
    )

    def __init__(self, *args, admin_site, source, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        field.queryset = field.queryset.exclude(pk=source.pk)
        # A search box, not a list of every organisation.
        field.widget = AutocompleteSelect(Organisation._meta.get_field("merged_into"), admin_site)
        field.widget.choices = field.choices


class KeepOneForm(forms.Form):
    """Two selected entries: choose which one survives."""

    keep = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Keep")

    def __init__(self, *args, pair, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [
            (org.pk, f"{org} ({org.slug}, {org.get_status_display()})") for org in pair
        ]


@admin.register(Organisation)
class OrganisationAdmin(
    RegisterCountsMixin,
    OrganisationImportExportMixin,
    PublishingAdminMixin,
    ImageFilesAdminMixin,
    SimpleHistoryAdmin,
):
    # Logo uploads are checked, re-encoded and thumbnailed by core/images.py.
    form = OrganisationAdminForm
    list_display = [
        "name",
        "organisation_type",
        "status",
        "lifecycle",
        "local_authority",
        "last_verified_on",
        "updated_at",
    ]
    list_filter = [
        "status",
        LifecycleFilter,
        "organisation_type",
        VerificationFilter,
        LikelyDuplicateFilter,
        OpenRegisterFlagFilter,
        "local_authority",
        "headquartered_in_leeds",
        "employees_band",
        "sectors",
        "is_demo",
    ]
    search_fields = [
        "name",
        "legal_name",
        "alternative_names",
        "slug",
        "companies_house_number",
        "ods_code",
        "website",
    ]
    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "merged_into", "sectors", "care_settings", "regulatory_marks"]
    readonly_fields = [
        "postcode_district",
        "last_verified_on",
        "recorded_checks",
        "published_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ContactInline, MembershipInline]
    actions = ["publish", "archive", "record_check", "merge"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "legal_name",
                    "alternative_names",
                    "organisation_type",
                    "status",
                    "parent",
                ]
            },
        ),
        ("Profile", {"fields": ["summary", "description", "website", "email", "phone", "logo"]}),
        ("Place", {"fields": ["address_line", "town", "local_authority", "postcode", "postcode_district"]}),
        (
            "Facts",
            {
                "fields": [
                    "headquartered_in_leeds",
                    "companies_house_number",
                    "ods_code",
                    "founded_year",
                    "employees_band",
                    "sectors",
                    "care_settings",
                    "regulatory_marks",
                ]
            },
        ),
        (
            "Merged or closed",
            {
                "fields": ["lifecycle", "merged_into", "successor_text", "ended_year"],
                "description": "Merged and closed organisations keep their page, with a banner, "
                "but leave counts and the default list.",
            },
        ),
        (
            "Curation",
            {
                "fields": [
                    "source_url",
                    "last_verified_on",
                    "recorded_checks",
                    "published_at",
                    "created_at",
                    "updated_at",
                ],
                "description": "“Last verified” follows the checks recorded with “Record a check”.",
            },
        ),
    ]

    @admin.display(description="Checks")
    def recorded_checks(self, obj):
        """Who checked the entry, when and how: written only by “Record a check”, so it stays true."""
        checks = obj.verifications.select_related("checked_by")[:10] if obj.pk else []
        if not checks:
            return "None recorded yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} — {}{}{}</li>",
                (
                    (
                        f"{check.checked_on:%d %B %Y}",
                        check.get_method_display(),
                        f" by {check.checked_by}" if check.checked_by else "",
                        f": {check.note}" if check.note else "",
                    )
                    for check in checks
                ),
            ),
        )

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<int:object_id>/record-check/",
                self.admin_site.admin_view(self.record_check_view),
                name=f"{prefix}_record_check",
            ),
            *super().get_urls(),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # The duplicate check needs the admin site to link the entries it finds.
        form.admin_site_name = self.admin_site.name
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Reverting to a historical version restores a row without its (untracked) sector names.
        obj.refresh_search_names()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.refresh_search_names()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and not obj.is_merged_duplicate:
            extra_context["likely_twins"] = [
                {
                    "organisation": twin,
                    "reason": reason,
                    "url": reverse("admin:organisations_organisation_change", args=[twin.pk]),
                }
                for twin, reason in duplicates.likely_twins(obj)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Publish selected organisations", permissions=["publish"])
    def publish(self, request, queryset):
        """Publish, but first show any selected entry that looks like a duplicate, with its likely
        twins, and publish only once the publisher confirms (all of them, or only the others)."""
        if request.POST.get("duplicates_confirmed") != "yes":
            flagged = duplicates.twins_of_many(queryset.exclude(status=Status.PUBLISHED))
            if flagged:
                return self._confirm_publishing(request, queryset, flagged)
        return super().publish(request, queryset)

    def _confirm_publishing(self, request, queryset, flagged):
        flagged_ids = {organisation.pk for organisation, _twins in flagged}
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish likely duplicates?",
            "opts": self.model._meta,
            "flagged": flagged,
            "selected_ids": list(queryset.values_list("pk", flat=True)),
            "others": list(queryset.exclude(pk__in=flagged_ids).values_list("pk", flat=True)),
            # "Select all" across pages is passed on as such, not as every id.
            "select_across": request.POST.get("select_across") == "1",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/organisations/organisation/publish_duplicates.html", context)

    @admin.action(description="Record a check of the selected organisations", permissions=["change"])
    def record_check(self, request, queryset):
        selected = list(queryset[: MAX_CHECKS_AT_ONCE + 1])
        if len(selected) > MAX_CHECKS_AT_ONCE:
            # A check means looking at each entry: nobody checks more than this in one go.
            self.message_user(
                request,
                f"Select at most {MAX_CHECKS_AT_ONCE} organisations to record a check of.",
                messages.ERROR,
            )
            return None
        form = RecordCheckForm(request.POST if request.POST.get("post") == "yes" else None)
        if form.is_bound and form.is_valid():
            for organisation in selected:
                services.verification_record(
                    organisation=organisation, user=request.user, **form.cleaned_data
                )
            method = Verification.Method(form.cleaned_data["method"]).label.lower()
            self.message_user(
                request,
                f"Recorded a check ({method}) of {counted(len(selected), 'organisation')}.",
                messages.SUCCESS,
            )
            return None
        return self._record_check_page(request, form, selected=selected)

    def record_check_view(self, request, object_id):
        organisation = get_object_or_404(Organisation, pk=object_id)
        if not self.has_change_permission(request, organisation):
            raise PermissionDenied
        form = RecordCheckForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            check = services.verification_record(
                organisation=organisation, user=request.user, **form.cleaned_data
            )
            self.message_user(request, f"Recorded: {check}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:organisations_organisation_change", args=[object_id]))
        return self._record_check_page(request, form, selected=[organisation], single=True)

    def _record_check_page(self, request, form, *, selected, single=False):
        context = {
            **self.admin_site.each_context(request),
            "title": "Record a check",
            "opts": self.model._meta,
            "form": form,
            "selected": selected,
            "single": single,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "stale_months": settings.VERIFICATION_STALE_MONTHS,
        }
        return TemplateResponse(request, "admin/organisations/organisation/record_check.html", context)

    @admin.action(description="Merge a duplicate into another organisation", permissions=["publish"])
    def merge(self, request, queryset):
        selected = list(queryset[:3])
        if len(selected) not in (1, 2):
            self.message_user(
                request,
                "Choose exactly two organisations to merge, or one and then the organisation to merge it into.",
                messages.ERROR,
            )
            return None
        confirmed = request.POST.get("post") == "yes"
        data = request.POST if confirmed else None
        if len(selected) == 2:
            form = KeepOneForm(data, pair=selected, initial={"keep": self._likely_survivor(selected).pk})
        else:
            twins = duplicates.likely_twins(selected[0])
            form = MergeIntoForm(
                data,
                admin_site=self.admin_site,
                source=selected[0],
                initial={"target": twins[0][0].pk if twins else None},
            )
        if confirmed and form.is_valid():
            if len(selected) == 2:
                target = next(org for org in selected if org.pk == form.cleaned_data["keep"])
                source = next(org for org in selected if org.pk != target.pk)
            else:
                source, target = selected[0], form.cleaned_data["target"]
            try:
                services.organisation_merge(source=source, target=target, user=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            self.log_change(
                request, target, f"Merged “{source}” (slug {source.slug}) into this organisation."
            )
            self.message_user(
                request,
                f"Merged “{source}” into “{target}”; “{source.slug}” now redirects to “{target.slug}”.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge organisations",
            "opts": self.model._meta,
            "selected": selected,
            "form": form,
            "media": self.media + form.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "twins": [] if len(selected) == 2 else duplicates.likely_twins(selected[0]),
        }
        return TemplateResponse(request, "admin/organisations/organisation/merge.html", context)

    @staticmethod
    def _likely_survivor(pair):
        # Keep the published, then the older entry: it is the one people link to.
        return min(
            pair,
            key=lambda org: (org.status != Status.PUBLISHED, org.created_at or datetime.datetime.max, org.pk),
        )


@admin.register(OrganisationSlugRedirect)
class OrganisationSlugRedirectAdmin(admin.ModelAdmin):
    """Written by renames and merges; read-only here so that old links keep working."""

    list_display = ["old_slug", "organisation", "created_at"]
    search_fields = ["old_slug", "organisation__name", "organisation__slug"]
    list_select_related = ["organisation"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(PublishingAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "job_title", "owner", "is_public", "status", "consent_recorded_on", "updated_at"]
    list_filter = ["status", "is_public"]
    search_fields = ["name", "email", "organisation__name", "initiative__name"]
    list_select_related = ["organisation", "initiative"]
    autocomplete_fields = ["organisation", "initiative"]
    actions = ["publish", "archive", "erase"]

    @admin.display(description="Organisation or initiative")
    def owner(self, obj):
        return obj.organisation or obj.initiative

    def has_erase_permission(self, request):
        return can_erase_contacts(request.user)

    @admin.action(description="Erase this person (right to erasure)", permissions=["erase"])
    def erase(self, request, queryset):
        erased = scrubbed = 0
        for contact in list(queryset):
            scrubbed += services.contact_erase(contact=contact, user=request.user)
            erased += 1
        # No name in the message: the point is that none remains.
        self.message_user(
            request,
            f"Erased {counted(erased, 'person', 'people')}, with their history; "
            f"scrubbed them from {counted(scrubbed, 'submission')}.",
            messages.SUCCESS,
        )
