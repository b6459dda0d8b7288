"""The validation of one CSV row: a form whose fields turn cells into values and whose errors name
the column.

Plain text cells (name, website, postcode, …) are kept as given and checked by the model's own field
validation once the row is planned, as a ModelForm validates its instance. The form's fields turn the
other cells into values: choices by value or label, yes/no flags, years, dates and `;`-separated
reference sets. A 100,000-row import builds 200,000 of these forms (one per row in each pass), so the
fields are built once per file and shared, and each cell's BoundField skips the HTML work.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils.text import slugify

from core.validators import normalise_companies_house_number

from ..models import CareSetting, Organisation, RegulatoryMark, Sector, Status
from .columns import SEPARATOR, TEXT_COLUMNS

Initiative = Organisation.initiative_model()


class Keep:
    """The value of an empty cell in a column that keeps the stored value (or the default) when empty."""

    def __repr__(self):
        return "KEEP"


KEEP = Keep()


class Cell(forms.Field):
    """A cell's field: `to_python` does all the cleaning (no field takes further validators), and an
    empty cell is a value like any other."""

    def __init__(self):
        super().__init__(required=False)

    def clean(self, value):
        return self.to_python(value)


class NameCell(Cell):
    def to_python(self, value):
        if not value:
            raise ValidationError("A name is required.", code="required")
        return value


class ChoiceCell(Cell):
    """A choice given by its stored value ("public_body") or its label ("Public body"), in any case."""

    def __init__(self, choices, *, keep_when_empty=False):
        super().__init__()
        self.values = choices.values
        self.lookup = {
            **{str(label).lower(): value for value, label in choices.choices},
            **{value: value for value in choices.values},
        }
        self.empty = KEEP if keep_when_empty else ""

    def to_python(self, value):
        if not value:
            return self.empty
        match = self.lookup.get(value.lower())
        if match is None:
            raise ValidationError(f"“{value}” is not one of: {', '.join(self.values)}.")
        return match


class FlagCell(Cell):
    """true/false, yes/no or 1/0; empty keeps the stored value (or the default)."""

    TRUE_WORDS = {"true", "yes", "1"}
    FALSE_WORDS = {"false", "no", "0"}

    def to_python(self, value):
        if not value:
            return KEEP
        word = value.lower()
        if word in self.TRUE_WORDS:
            return True
        if word in self.FALSE_WORDS:
            return False
        raise ValidationError("Enter true or false (yes/no, 1/0).")


class YearCell(Cell):
    def to_python(self, value):
        if not value:
            return None
        if value.isdigit() and len(value) == 4:
            return int(value)
        raise ValidationError(f"“{value}” is not a year: enter four digits, such as 1998.")


class DateCell(Cell):
    def to_python(self, value):
        try:
            return datetime.date.fromisoformat(value) if value else None
        except ValueError:
            raise ValidationError(f"“{value}” is not a date: enter YYYY-MM-DD.") from None


class ReferencesCell(Cell):
    """`;`-separated slugs of reference rows (with `by_name`, names in any case as well): the set of
    their ids. The table is read once, when the field is built."""

    def __init__(self, model, *, by_name):
        super().__init__()
        self.by_name = by_name
        self.ids = {}
        for pk, slug, name in model.objects.values_list("pk", "slug", "name"):
            if by_name:
                self.ids[name.strip().lower()] = pk
            self.ids[slug] = pk

    def to_python(self, value):
        ids, unknown = set(), []
        for item in value.split(SEPARATOR):
            item = item.strip()
            if not item:
                continue
            pk = self.ids.get(item)
            if pk is None and self.by_name:
                pk = self.ids.get(item.lower())
            if pk is None:
                unknown.append(item)
            else:
                ids.add(pk)
        if unknown:
            kind = "name or slug" if self.by_name else "slug"
            raise ValidationError(f"Unknown {kind}: " + ", ".join(f"“{u}”" for u in unknown) + ".")
        return ids


class CompaniesHouseCell(Cell):
    """The number in canonical form, so that rows match however it is written; an invalid number is
    kept as given for the model's validation to report."""

    def to_python(self, value):
        try:
            return normalise_companies_house_number(value)
        except ValidationError:
            return value


def row_fields(columns):
    """The fields for the given columns, in the order their errors are reported. Built once per file:
    the reference cells read their tables here."""
    builders = {
        "name": NameCell,
        "organisation_type": lambda: ChoiceCell(Organisation.Type, keep_when_empty=True),
        "status": lambda: ChoiceCell(Status, keep_when_empty=True),
        "local_authority": lambda: ChoiceCell(Organisation.LocalAuthority),
        "employees_band": lambda: ChoiceCell(Organisation.EmployeesBand),
        "headquartered_in_leeds": FlagCell,
        "founded_year": YearCell,
        "last_verified_on": DateCell,
        "sectors": lambda: ReferencesCell(Sector, by_name=True),
        "care_settings": lambda: ReferencesCell(CareSetting, by_name=False),
        "regulatory_marks": lambda: ReferencesCell(RegulatoryMark, by_name=False),
        "initiatives": lambda: ReferencesCell(Initiative, by_name=True),
        "companies_house_number": CompaniesHouseCell,
    }
    return {column: build() for column, build in builders.items() if column in columns}


@dataclass(slots=True)
class Row:
    """A row as its form left it; identity.Directory then sets the organisation it updates."""

    line: int
    cells: dict  # {column: cell} as read
    values: dict  # what the row sets (RowForm.values)
    errors: list  # [(column, reason)], from the form and then from the later steps
    key_slug: str  # the slug that identifies the row: given, or derived from the name
    company: str  # the Companies House number, in canonical form when it is valid
    target: Organisation | None = None  # the organisation the row updates
    final_slug: str = ""  # the slug the organisation will have


def clean_row(line, cells, fields):
    """The row of one record, cleaned by its form (the form itself is not kept)."""
    form = RowForm(cells, fields=fields)
    errors = form.cell_errors()
    company = form.cleaned_data.get("companies_house_number", "")
    return Row(line, cells, form.values(), errors, form.key_slug(), company)


class CellBoundField(BoundField):
    """A cell of a CSV row, never rendered. A form's BoundField works out HTML names, ids and a label
    when it is created, which for 100,000 rows costs more than cleaning the cells: this one keeps
    only what cleaning and errors use."""

    def __init__(self, form, field, name):
        self.form = form
        self.field = field
        self.name = self.html_name = name

    @property
    def data(self):
        return self.form.data.get(self.name)


class RowForm(forms.Form):
    """One CSV row, as {column: cell} for the columns of the file."""

    bound_field_class = CellBoundField

    def __init__(self, row, *, fields):
        super().__init__(row, auto_id=False, label_suffix="")
        # Built once per file by row_fields and only read while cleaning: Django would otherwise
        # deep-copy every field for every row.
        self.fields = fields

    def full_clean(self):
        super().full_clean()
        # The bound fields refer back to the form: without them the form goes as soon as its row
        # has been read, instead of waiting for the garbage collector (200,000 forms an import).
        self._bound_fields_cache.clear()

    def values(self):
        """{column: value} of what the row sets: its text cells as given, then every other valid
        cell, except an empty one in a column that keeps its value when empty."""
        values = {column: self.data[column] for column in TEXT_COLUMNS if column in self.data}
        values.update((column, value) for column, value in self.cleaned_data.items() if value is not KEEP)
        return values

    def cell_errors(self):
        """[(column, message)] in the order of the fields."""
        return [(column, message) for column, messages in self.errors.items() for message in messages]

    def key_slug(self):
        """The slug that identifies the row: as given, or derived from the name."""
        return self.data.get("slug") or (slugify(self.data["name"])[:200].strip("-") or "organisation")
