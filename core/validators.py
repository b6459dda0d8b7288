"""Normalisers and validators for the identifiers an organisation carries.

Each normaliser returns the canonical form or raises ValidationError with a message a curator
can act on; model fields call them from `Organisation.clean()` and the CSV import reuses them.
"""

import datetime
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Outward code (area + district) then inward code (sector digit + unit letters).
# The unit letters never include C, I, K, M, O or V.
POSTCODE_RE = re.compile(r"^(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?) ?(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})$")
COMPANIES_HOUSE_RE = re.compile(r"^(?:[0-9]{8}|[A-Z]{2}[0-9]{6})$")
ODS_CODE_RE = re.compile(r"^[A-Z0-9]{3,6}$")

EARLIEST_FOUNDED_YEAR = 1800


def normalise_postcode(value):
    """'ls14ap' -> 'LS1 4AP'."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not compact:
        return ""
    match = POSTCODE_RE.match(compact)
    if not match:
        raise ValidationError("Enter a valid UK postcode, such as LS1 4AP.", code="invalid_postcode")
    return f"{match['outward']} {match['inward']}"


def postcode_district(postcode):
    """The outward code of a normalised postcode: 'LS1 4AP' -> 'LS1'."""
    return postcode.split(" ", 1)[0] if postcode else ""


def normalise_companies_house_number(value):
    """Companies House numbers are 8 characters; a 7-digit number gains its leading zero."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not compact:
        return ""
    if compact.isdigit() and len(compact) == 7:
        compact = compact.zfill(8)
    if not COMPANIES_HOUSE_RE.match(compact):
        raise ValidationError(
            "Enter a Companies House number of 8 characters: 8 digits (a 7-digit number is "
            "padded with a leading 0) or 2 letters and 6 digits, such as SC123456.",
            code="invalid_companies_house_number",
        )
    return compact


def normalise_ods_code(value):
    compact = re.sub(r"\s+", "", value or "").upper()
    if not compact:
        return ""
    if not ODS_CODE_RE.match(compact):
        raise ValidationError(
            "Enter an NHS ODS code of 3 to 6 letters and digits, such as RR8.",
            code="invalid_ods_code",
        )
    return compact


def validate_http_url(value):
    """Only web addresses a visitor's browser can open safely: no javascript:, ftp: or data:."""
    if not value:
        return
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        # urlsplit refuses some hosts outright, such as an empty or malformed "[…]" address.
        raise ValidationError("Enter a valid web address.", code="invalid") from None
    if scheme not in {"http", "https"}:
        raise ValidationError("Enter a web address starting with http:// or https://.", code="invalid_scheme")


@deconstructible
class NotInTheFutureYearValidator:
    """A founding year cannot be later than the current year (the database allows up to 2100)."""

    message = "The founded year cannot be later than this year (%(limit)s)."
    code = "founded_year_in_future"

    def __call__(self, value):
        if value is None:
            return
        limit = datetime.date.today().year
        if value > limit:
            raise ValidationError(self.message, code=self.code, params={"limit": limit})

    def __eq__(self, other):
        return isinstance(other, NotInTheFutureYearValidator)


def validate_founded_year_floor(value):
    if value is not None and value < EARLIEST_FOUNDED_YEAR:
        raise ValidationError(
            "The founded year must be %(floor)s or later.",
            code="founded_year_too_early",
            params={"floor": EARLIEST_FOUNDED_YEAR},
        )
