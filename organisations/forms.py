"""Forms: the admin's organisation form (its logo through core/images.py) and the public suggestion
forms."""

from django import forms
from django.core.exceptions import ValidationError

from core import validators
from core.images import ImageFormMixin

from .models import Organisation, Sector


class OrganisationAdminForm(ImageFormMixin, forms.ModelForm):
    # Logo uploads are checked, re-encoded and thumbnailed by core/images.py.
    image_spec = Organisation.image_spec

    class Meta:
        model = Organisation
        # The admin passes its own field list (fieldsets); this is only the default.
        fields = "__all__"  # noqa: DJ007


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
        label="What it does, in one line", max_length=300, required=False, widget=forms.TextInput
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
    summary = forms.CharField(label="One-line summary", max_length=300, required=False)
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
