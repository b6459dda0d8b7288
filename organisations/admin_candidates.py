"""The back office of the register workflow: the candidates' review queue and the register's flags.

Editors accept a candidate (a draft organisation, never published from here), link it to a listed
organisation or dismiss it, and resolve flags. Imports write both (`manage.py register_candidates`).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .models import Organisation
from .registers import services
from .registers.matching import likely_twins
from .registers.models import Candidate, CandidateState, RegisterFlag
from .registers.readers import sic_codes

AUTHORITY_LABELS = dict(Organisation.LocalAuthority.choices)
FACT_LABELS = {"sic_codes": "SIC codes", "uri": "URI", "ods_code": "ODS code", "region": "In the region as"}


def counted(count, singular, plural=None):
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def organisation_link(organisation):
    url = reverse("admin:organisations_organisation_change", args=[organisation.pk])
    return format_html('<a href="{}">{}</a>', url, organisation.name)


class DefaultChoiceFilter(admin.SimpleListFilter):
    """A filter that starts on one of its choices (the queue shows what is left to do)."""

    default = ""

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ReviewStateFilter(DefaultChoiceFilter):
    title = "review state"
    parameter_name = "state"
    default = CandidateState.NEW

    def lookups(self, request, model_admin):
        return [*CandidateState.choices, ("all", "All")]

    def queryset(self, request, queryset):
        if self.value() in CandidateState.values:
            return queryset.filter(state=self.value())
        return queryset


class LocalAuthorityFilter(admin.SimpleListFilter):
    title = "local authority"
    parameter_name = "local_authority"

    def lookups(self, request, model_admin):
        return [*Organisation.LocalAuthority.choices, ("", "Not known")]

    def queryset(self, request, queryset):
        if self.value() is not None:
            return queryset.filter(local_authority=self.value())
        return queryset


class CandidateChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        # One look-up for the whole page, not one per row.
        twins = likely_twins(self.result_list)
        for candidate in self.result_list:
            candidate.twins = twins.get(candidate.pk, [])


class LinkForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(merged_into__isnull=True),
        help_text="The listed organisation this register entry is. An empty Companies House number or "
        "ODS code on it is filled in from the register.",
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        # A search box, not a list of every organisation.
        field.widget = AutocompleteSelect(Candidate._meta.get_field("organisation"), admin_site)
        field.widget.choices = field.choices


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["name", "register_number", "place", "register_facts", "why", "duplicates", "state"]
    list_filter = [ReviewStateFilter, "register", LocalAuthorityFilter]
    search_fields = ["name", "register_id", "postcode"]
    list_select_related = ["organisation"]
    list_per_page = 50
    actions = ["accept", "link", "dismiss", "restore"]
    readonly_fields = [
        "name",
        "register",
        "register_id",
        "register_entry",
        "place",
        "authority",
        "why",
        "duplicates",
        "facts_table",
        "state",
        "organisation",
        "reviewed_by",
        "reviewed_at",
        "first_seen_at",
        "last_seen_at",
        "source_file",
    ]
    fields = readonly_fields

    def get_changelist(self, request, **kwargs):
        return CandidateChangeList

    def has_add_permission(self, request):
        return False

    def has_accept_permission(self, request):
        return self.has_change_permission(request) and request.user.has_perm("organisations.add_organisation")

    def has_link_permission(self, request):
        return self.has_change_permission(request) and request.user.has_perm(
            "organisations.change_organisation"
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Everything here is the register's: decisions are the list's actions.
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Number", ordering="register_id")
    def register_number(self, candidate):
        return format_html(
            '{}<br><a href="{}" rel="noopener">{}</a>',
            candidate.get_register_display(),
            candidate.register_url,
            candidate.register_id,
        )

    @admin.display(description="Register entry")
    def register_entry(self, candidate):
        return format_html('<a href="{0}" rel="noopener">{0}</a>', candidate.register_url)

    @admin.display(description="Where", ordering="postcode")
    def place(self, candidate):
        authority = AUTHORITY_LABELS.get(candidate.local_authority, candidate.local_authority)
        region = candidate.facts.get("region", "")
        return format_html("{}<br>{}", candidate.postcode, authority or region)

    @admin.display(description="Local authority", ordering="local_authority")
    def authority(self, candidate):
        return AUTHORITY_LABELS.get(candidate.local_authority, candidate.local_authority) or "—"

    @admin.display(description="Register facts")
    def register_facts(self, candidate):
        facts = candidate.facts
        if candidate.register == "companies_house":
            lines = [
                facts.get("status", ""),
                f"incorporated {facts['incorporated_on']}" if facts.get("incorporated_on") else "",
                f"SIC {', '.join(sic_codes(facts.get('sic_codes', [])))}" if facts.get("sic_codes") else "",
            ]
        else:
            lines = [facts.get("kind", ""), f"opened {facts['opened_on']}" if facts.get("opened_on") else ""]
        return format_html_join("", "{}<br>", ((line,) for line in lines if line))

    @admin.display(description="Why it is here")
    def why(self, candidate):
        return format_html_join("", "{}<br>", ((reason,) for reason in candidate.reasons))

    @admin.display(description="Likely duplicates")
    def duplicates(self, candidate):
        twins = getattr(candidate, "twins", None)
        if twins is None:
            twins = likely_twins([candidate]).get(candidate.pk, [])
        if not twins:
            return "—"
        return format_html_join(
            "",
            '<a href="{}">{}</a> ({})<br>',
            (
                (reverse("admin:organisations_organisation_change", args=[org.pk]), org.name, reason)
                for org, reason in twins
            ),
        )

    @admin.display(description="What the register says")
    def facts_table(self, candidate):
        rows = []
        for key, value in candidate.facts.items():
            if isinstance(value, dict):
                value = ", ".join(v for v in value.values() if v)
            elif isinstance(value, list):
                value = "; ".join(
                    f"{v['name']} (until {v['until']})" if isinstance(v, dict) else str(v) for v in value
                )
            rows.append((FACT_LABELS.get(key, key.replace("_", " ").capitalize()), value))
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.action(description="Accept as draft organisations", permissions=["accept"])
    def accept(self, request, queryset):
        created, refused = [], []
        for candidate in queryset:
            try:
                created.append(services.accept_candidate(candidate=candidate, user=request.user))
            except ValidationError as error:
                refused.append(f"“{candidate.name}”: {' '.join(error.messages)}")
        if created:
            links = format_html_join(", ", "{}", ((organisation_link(org),) for org in created))
            self.message_user(
                request,
                format_html(
                    "Created {} (drafts: check and publish them from the organisations): {}.",
                    counted(len(created), "draft organisation"),
                    links,
                ),
                messages.SUCCESS,
            )
        for reason in refused:
            self.message_user(request, f"Not accepted: {reason}", messages.ERROR)

    @admin.action(description="Link to a listed organisation", permissions=["link"])
    def link(self, request, queryset):
        selected = list(queryset[:2])
        if len(selected) != 1:
            self.message_user(request, "Choose one candidate to link.", messages.ERROR)
            return None
        candidate = selected[0]
        twins = likely_twins([candidate]).get(candidate.pk, [])
        confirmed = request.POST.get("post") == "yes"
        form = LinkForm(
            request.POST if confirmed else None,
            admin_site=self.admin_site,
            initial={"organisation": twins[0][0].pk if twins else None},
        )
        if confirmed and form.is_valid():
            organisation = form.cleaned_data["organisation"]
            try:
                note = services.link_candidate(
                    candidate=candidate, organisation=organisation, user=request.user
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            linked = format_html("Linked “{}” to {}.", candidate.name, organisation_link(organisation))
            self.message_user(
                request,
                format_html("{} {}", linked, note) if note else linked,
                messages.WARNING if note else messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Link a register candidate",
            "opts": self.model._meta,
            "candidate": candidate,
            "twins": twins,
            "form": form,
            "media": self.media + form.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/organisations/candidate/link.html", context)

    @admin.action(description="Dismiss (later imports will not bring them back)", permissions=["change"])
    def dismiss(self, request, queryset):
        dismissed = services.dismiss_candidates(candidates=queryset, user=request.user)
        self.message_user(
            request,
            f"Dismissed {counted(dismissed, 'candidate')}; later imports keep them dismissed.",
            messages.SUCCESS if dismissed else messages.WARNING,
        )

    @admin.action(description="Return dismissed candidates to the queue", permissions=["change"])
    def restore(self, request, queryset):
        restored = services.restore_candidates(candidates=queryset, user=request.user)
        self.message_user(
            request,
            f"Returned {counted(restored, 'candidate')} to the queue.",
            messages.SUCCESS if restored else messages.WARNING,
        )


class OpenFlagFilter(DefaultChoiceFilter):
    title = "state"
    parameter_name = "open"
    default = "yes"

    def lookups(self, request, model_admin):
        return [("yes", "Open"), ("no", "Resolved"), ("all", "All")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.open()
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(RegisterFlag)
class RegisterFlagAdmin(admin.ModelAdmin):
    list_display = ["organisation_name", "kind", "detail", "register_number", "last_seen_at", "resolved"]
    list_filter = [OpenFlagFilter, "kind", "register"]
    search_fields = ["organisation__name", "register_id", "detail"]
    list_select_related = ["organisation", "resolved_by"]
    list_per_page = 100
    actions = ["resolve"]
    readonly_fields = [
        "organisation_name",
        "kind",
        "detail",
        "register",
        "register_id",
        "register_value",
        "first_seen_at",
        "last_seen_at",
        "source_file",
        "resolved_at",
        "resolved_by",
        "resolution",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Organisation", ordering="organisation__name")
    def organisation_name(self, flag):
        return organisation_link(flag.organisation)

    @admin.display(description="Number", ordering="register_id")
    def register_number(self, flag):
        return f"{flag.get_register_display()} {flag.register_id}"

    @admin.display(description="Resolved", boolean=True, ordering="resolved_at")
    def resolved(self, flag):
        return not flag.is_open

    @admin.action(description="Mark as resolved (checked)", permissions=["change"])
    def resolve(self, request, queryset):
        resolved = services.resolve_flags(flags=queryset, user=request.user)
        self.message_user(
            request,
            f"Resolved {counted(resolved, 'flag')}. The same finding will not be raised again.",
            messages.SUCCESS if resolved else messages.WARNING,
        )


class OpenRegisterFlagFilter(admin.SimpleListFilter):
    """On the organisation list: entries a register says something about."""

    title = "register flags"
    parameter_name = "register_flags"

    def lookups(self, request, model_admin):
        return [("open", "Has open register flags")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(pk__in=RegisterFlag.objects.open().values("organisation_id"))
        return queryset


class RegisterCountsMixin:
    """Counts of open flags and candidates to review above the organisation list."""

    def changelist_view(self, request, extra_context=None):
        counts = []
        if request.user.has_perm("organisations.view_registerflag"):
            flags = RegisterFlag.objects.open().count()
            url = reverse("admin:organisations_registerflag_changelist")
            counts.append((url, counted(flags, "open register flag")))
        if request.user.has_perm("organisations.view_candidate"):
            candidates = Candidate.objects.to_review().count()
            url = reverse("admin:organisations_candidate_changelist")
            counts.append((url, counted(candidates, "register candidate") + " to review"))
        extra_context = {**(extra_context or {}), "register_counts": counts}
        return super().changelist_view(request, extra_context=extra_context)
