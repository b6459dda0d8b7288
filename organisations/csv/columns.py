"""The CSV format that export writes and import reads (ARCHITECTURE.md §7): the columns, the
separator of multi-valued cells and the guard against spreadsheet formulas."""

import re

CSV_COLUMNS = [
    "name",
    "slug",
    "legal_name",
    "alternative_names",
    "organisation_type",
    "status",
    "parent",
    "summary",
    "description",
    "website",
    "email",
    "phone",
    "address_line",
    "town",
    "local_authority",
    "postcode",
    "headquartered_in_leeds",
    "companies_house_number",
    "ods_code",
    "founded_year",
    "employees_band",
    "sectors",
    "care_settings",
    "regulatory_marks",
    "initiatives",
    "source_url",
    "last_verified_on",
]
# Cells stored as given: the model's own fields validate them.
TEXT_COLUMNS = [
    "name",
    "legal_name",
    "alternative_names",
    "summary",
    "description",
    "website",
    "email",
    "phone",
    "address_line",
    "town",
    "postcode",
    "companies_house_number",
    "ods_code",
    "source_url",
]
# Many-to-many columns: the link table's column for the other side.
RELATION_COLUMNS = {
    "sectors": "sector_id",
    "care_settings": "caresetting_id",
    "regulatory_marks": "regulatorymark_id",
}
MULTI_VALUED = [*RELATION_COLUMNS, "initiatives"]
SEPARATOR = ";"

# A cell a spreadsheet would run as a formula, even behind quotes we added before.
_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r]")


def guard_formula(value):
    """Prefix a leading `'` so that spreadsheets show the cell as text; import strips it again."""
    return "'" + value if _NEEDS_GUARD.match(value) else value


def unguard_formula(value):
    if len(value) > 1 and value[0] == "'" and _NEEDS_GUARD.match(value[1:]):
        return value[1:]
    return value
