"""Forms: the admin's organisation form (its logo through core/images.py, a duplicate check, a
two-line summary with a count), the form recording a check, and the public suggestion forms."""

from django import forms
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core import validators
from core.images import ImageFormMixin

from . import duplicates
from .models import Organisation, Sector, Status, Verification

SUMMARY_MAX_LENGTH = Organisation._meta.get_field("summary").max_length


class LogoPreviewWidget(AdminFileWidget):
    """The admin's file input, with the current logo shown above it (contained, as the site shows it)."""

    def render(self, name, value, attrs=None, renderer=None):
        field = super().render(name, value, attrs, renderer)
        if not self.is_initial(value):
            return field
        return format_html(
            '<p class="logo-preview"><img src="{}" alt="The current logo"></p>{}', value.url, field
        )


class SummaryWidget(forms.Textarea):
    """Two lines to write one line in, with a live count of the characters left (static/js/admin.js)."""

    def __init__(self, max_length):
        super().__init__(attrs={"rows": 2, "maxlength": max_length, "data-character-count": max_length})

    class Media:
        js = ["js/admin.js"]


class DuplicateCheckMixin:
    """For the organisation admin form: adding an entry, or publishing one, that looks like a
    duplicate of another entry is refused until the curator ticks “not a duplicate” (rendered by
    the change form's template, beside the list of likely twins with links)."""

    CONFIRM_FIELD = "confirm_not_duplicate"
    admin_site_name = "admin"
    likely_twins = ()

    def clean(self):
        cleaned = super().clean()
        if self._needs_duplicate_check(cleaned):
            self.likely_twins = duplicates.likely_twins(self._probe(cleaned))
            if self.likely_twins and self.data.get(self.CONFIRM_FIELD) != "yes":
                raise ValidationError(self._duplicate_message(), code="likely_duplicate")
        return cleaned

    def _needs_duplicate_check(self, cleaned):
        if self.instance.pk is None:
            return True
        publishing = cleaned.get("status") == Status.PUBLISHED
        return publishing and self.initial.get("status") != Status.PUBLISHED

    def _probe(self, cleaned):
        """An unsaved copy of the entry with the submitted names and identifiers."""
        probe = Organisation(pk=self.instance.pk)
        for field in duplicates.Entry.FIELDS[1:]:
            name = field.removesuffix("_id")
            value = cleaned[name].pk if field == "parent_id" and cleaned.get(name) else cleaned.get(name)
            setattr(probe, field, value if name in cleaned else getattr(self.instance, field))
        probe.normalise_identifiers()
        return probe

    def _duplicate_message(self):
        links = format_html_join(
            ", ",
            '<a href="{}" target="_blank">{}</a> ({})',
            (
                (
                    reverse(f"{self.admin_site_name}:organisations_organisation_change", args=[twin.pk]),
                    twin,
                    reason,
                )
                for twin, reason in self.likely_twins
            ),
        )
        return format_html(
            "This looks like a duplicate of {}. Check before saving; if it is a different organisation, "
            "tick “Not a duplicate” below and save again.",
            links,
        )


class OrganisationAdminForm(DuplicateCheckMixin, ImageFormMixin, forms.ModelForm):
    # Logo uploads are checked, re-encoded and thumbnailed by core/images.py.
    image_spec = Organisation.image_spec

    class Meta:
        model = Organisation
        # The admin passes its own field list (fieldsets); this is only the default.
        fields = "__all__"  # noqa: DJ007
        widgets = {"summary": SummaryWidget(max_length=SUMMARY_MAX_LENGTH)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        logo = self.fields.get(self.image_spec.field)
        if logo is not None:
            logo.widget = LogoPreviewWidget(attrs=logo.widget.attrs)


class RecordCheckForm(forms.Form):
    """How a curator checked an entry; the check is recorded with their name and the date."""

    method = forms.ChoiceField(
        label="How was it checked?", choices=Verification.Method.choices, widget=forms.RadioSelect
    )
    checked_on = forms.DateField(
        label="Checked on",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today, unless the check was made earlier.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was checked or confirmed, and where (never public).",
    )

    def clean_checked_on(self):
        checked_on = self.cleaned_data["checked_on"]
        if checked_on > timezone.localdate():
            raise ValidationError("A check cannot be in the future.")
        return checked_on


# --- Public suggestions ---------------------------------------------------------------------------------


class HoneypotMixin:
    """A field people never see (hidden from view and from assistive technology); bots fill it in."""

    honeypot_field = "homepage"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.honeypot_field] = forms.CharField(
            required=False,
            label="Leave this field empty",
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    @property
    def is_bot(self):
        return bool(self.data.get(self.add_prefix(self.honeypot_field), "").strip())

    @property
    def honeypot(self):
        return self[self.honeypot_field]

    def visible_fields(self):
        return [f for f in super().visible_fields() if f.name != self.honeypot_field]


def _sector_field():
    return forms.ModelMultipleChoiceField(
        queryset=Sector.objects.active(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose any that apply.",
    )


def _website_field(required=False):
    return forms.URLField(
        max_length=500,
        required=required,
        assume_scheme="https",
        validators=[validators.validate_http_url],
        help_text="The organisation's own website, starting with https://",
    )


class SubmitterFields(forms.Form):
    submitter_name = forms.CharField(label="Your name", max_length=200, required=False)
    submitter_email = forms.EmailField(
        label="Your email address",
        required=False,
        help_text="Only our curators see it, to ask about your suggestion. It is never published.",
    )
    message = forms.CharField(
        label="Anything else we should know",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, where the details come from.",
    )


class SuggestOrganisationForm(HoneypotMixin, SubmitterFields):
    """A new organisation for the directory."""

    field_order = ["name", "website", "summary", "sectors", "town"]

    name = forms.CharField(label="Organisation name", max_length=200)
    website = _website_field()
    summary = forms.CharField(
        label="What it does, in one line",
        max_length=SUMMARY_MAX_LENGTH,
        required=False,
        widget=forms.TextInput,
    )
    sectors = _sector_field()
    town = forms.CharField(max_length=100, required=False)

    PROPOSED_FIELDS = ["name", "website", "summary", "sectors", "town"]

    def proposed(self):
        data = {field: self.cleaned_data[field] for field in self.PROPOSED_FIELDS}
        data["sectors"] = sorted(sector.slug for sector in data["sectors"])
        return {field: value for field, value in data.items() if value not in ("", [], None)}


class SuggestUpdateForm(HoneypotMixin, SubmitterFields):
    """Proposed changes to an organisation's public details; only changed fields are proposed."""

    PROPOSED_FIELDS = [
        "name",
        "alternative_names",
        "summary",
        "description",
        "website",
        "email",
        "phone",
        "address_line",
        "town",
        "postcode",
        "founded_year",
        "employees_band",
        "sectors",
    ]
    field_order = PROPOSED_FIELDS

    name = forms.CharField(label="Organisation name", max_length=200)
    alternative_names = forms.CharField(
        max_length=500, required=False, help_text="Acronyms and former names, separated by semicolons."
    )
    summary = forms.CharField(label="One-line summary", max_length=SUMMARY_MAX_LENGTH, required=False)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    website = _website_field()
    email = forms.EmailField(label="Organisation's public email address", required=False)
    phone = forms.CharField(label="Organisation's public phone number", max_length=40, required=False)
    address_line = forms.CharField(label="Address", max_length=300, required=False)
    town = forms.CharField(max_length=100, required=False)
    postcode = forms.CharField(max_length=10, required=False)
    founded_year = forms.IntegerField(
        required=False,
        validators=[validators.validate_founded_year_floor, validators.NotInTheFutureYearValidator()],
    )
    employees_band = forms.ChoiceField(
        label="Number of employees",
        choices=[("", "Not known"), *Organisation.EmployeesBand.choices],
        required=False,
    )
    sectors = _sector_field()

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        initial = {
            field: getattr(organisation, field) for field in self.PROPOSED_FIELDS if field != "sectors"
        }
        initial["founded_year"] = organisation.founded_year
        initial["sectors"] = [s.slug for s in organisation.sectors.all()]
        kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)

    def clean_postcode(self):
        return validators.normalise_postcode(self.cleaned_data["postcode"])

    def proposed(self):
        data = {}
        for field in self.PROPOSED_FIELDS:
            value = self.cleaned_data[field]
            if field == "sectors":
                value = sorted(sector.slug for sector in value)
                current = sorted(self.initial["sectors"])
            else:
                current = self.initial.get(field)
                if value is None or current is None:
                    pass
                elif field == "founded_year":
                    current = int(current)
                else:
                    current = str(current)
            if isinstance(value, str) and isinstance(current, str):
                # Browsers send line breaks as CRLF; stored text may use LF.
                value, current = value.replace("\r\n", "\n"), current.replace("\r\n", "\n")
            if value != current and not (value in ("", None) and current in ("", None)):
                data[field] = value
        return data

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.proposed() and not cleaned.get("message"):
            raise ValidationError("Change at least one detail, or tell us what is wrong in the message box.")
        return cleaned
