"""Stream the registers' published files into entries, reporting bad rows and going on.

Companies House "Basic Company Data" (BasicCompanyDataAsOneFile-YYYY-MM-01.zip, or its parts): a CSV
with a header row, some names with a leading space (" CompanyNumber"), every field quoted, dates as
dd/mm/yyyy, SIC codes as "86900 - Other human health activities", ten previous names. NHS ODS files
(etr.csv, eccg.csv, … or their zips): no header; each record starts with the same twelve columns
(ODS_COLUMNS), dates as YYYYMMDD.

Either is read straight from its zip, never extracted, through the csv module, which keeps quoted
commas and line breaks inside their field. Only rows that might matter are looked at beyond the
column count: those whose postcode could be in the region (a two-letter test on the raw cell) or
whose number is listed in the directory. Measured on a generated 5.5-million-row file, parsing every
row this way is fast enough (docs/performance.md), so there is no pre-filter on raw lines.
"""

import contextlib
import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError

from core.validators import normalise_companies_house_number, normalise_ods_code, normalise_postcode

PROGRESS_EVERY = 1 << 16
PREVIOUS_NAMES = 10

CH_FIELDS = {
    "name": "CompanyName",
    "number": "CompanyNumber",
    "care_of": "RegAddress.CareOf",
    "po_box": "RegAddress.POBox",
    "line_1": "RegAddress.AddressLine1",
    "line_2": "RegAddress.AddressLine2",
    "post_town": "RegAddress.PostTown",
    "county": "RegAddress.County",
    "country": "RegAddress.Country",
    "postcode": "RegAddress.PostCode",
    "category": "CompanyCategory",
    "status": "CompanyStatus",
    "dissolved_on": "DissolutionDate",
    "incorporated_on": "IncorporationDate",
    "uri": "URI",
}
CH_SIC = [f"SICCode.SicText_{n}" for n in range(1, 5)]
CH_PREVIOUS = [
    (f"PreviousName_{n}.CONDATE", f"PreviousName_{n}.CompanyName") for n in range(1, PREVIOUS_NAMES + 1)
]
CH_COLUMNS = [*CH_FIELDS.values(), *CH_SIC, *(column for pair in CH_PREVIOUS for column in pair)]

ODS_COLUMNS = [
    "Organisation Code",
    "Name",
    "National Grouping",
    "High Level Health Geography",
    "Address Line 1",
    "Address Line 2",
    "Address Line 3",
    "Address Line 4",
    "Address Line 5",
    "Postcode",
    "Open Date",
    "Close Date",
]
ODS_DATE_RE = re.compile(r"^[0-9]{8}$")
SIC_CODE_RE = re.compile(r"^[0-9]{5}$")


class LayoutError(Exception):
    """The file is not in the register's layout; nothing was read from it."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


@dataclass
class RegisterEntry:
    """One register record that is in the region or about a listed organisation."""

    register: str
    register_id: str
    name: str
    line: int
    place: object  # config.Place, or None outside the region
    postcode: str = ""  # normalised when valid, else as written
    status: str = ""
    active: bool = True
    closed: str = ""  # what says it is dissolved or closed
    sic_codes: list = field(default_factory=list)
    founded_year: int | None = None
    facts: dict = field(default_factory=dict)


@dataclass
class Source:
    name: str
    size: int
    stream: object

    def text(self):
        # "replace" so that one bad byte costs one row (reported), not the whole file.
        return io.TextIOWrapper(self.stream, encoding="utf-8-sig", errors="replace", newline="")

    def position(self):
        return self.stream.tell()


@contextlib.contextmanager
def open_source(path):
    """The CSV in `path`: a .csv file, or a zip holding exactly one (read in place, not extracted)."""
    path = Path(path)
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as error:
        raise LayoutError(f"Cannot open {path}: {error.strerror}.") from None
    if not is_zip:
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise LayoutError(f"Cannot open {path}: {error.strerror}.") from None
        with stream:
            yield Source(path.name, path.stat().st_size, stream)
        return
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(".csv")]
        if len(members) != 1:
            names = ", ".join(m.filename for m in members) or "none"
            raise LayoutError(f"{path.name} should hold one CSV file; it holds {len(members)} ({names}).")
        with archive.open(members[0]) as stream:
            yield Source(members[0].filename, members[0].file_size, stream)


def _rows(reader, errors_as):
    """Rows of a csv.reader, going on past a row the csv module cannot parse (reported as RowError)."""
    while True:
        try:
            yield from reader
            return
        except csv.Error as error:
            yield errors_as(reader.line_num, f"cannot be read as CSV ({error})")


def _date(value, fmt, column):
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.datetime.strptime(value, fmt).date()
    except ValueError:
        shown = "dd/mm/yyyy" if fmt == "%d/%m/%Y" else "YYYYMMDD"
        raise ValidationError(f"{column} {value!r} is not a date ({shown})") from None


def _founded_year(date):
    if date and 1800 <= date.year <= datetime.date.today().year:
        return date.year
    return None


def _iso(date):
    return date.isoformat() if date else ""


def postcode_as_given(raw):
    """The canonical form of a valid postcode; anything else as written (for curators to read)."""
    try:
        return normalise_postcode(raw)
    except ValidationError:
        return raw.strip()


def sic_codes(texts):
    """['86900 - Other human health activities', 'None Supplied'] -> ['86900']."""
    codes = (text.split(" - ", 1)[0].strip() for text in texts)
    return [code for code in codes if SIC_CODE_RE.match(code)]


class RegisterReader:
    """Iterate over a file's entries (RegisterEntry) and bad rows (RowError); counts as it goes."""

    register = ""

    def __init__(self, source, *, rules, listed_ids, progress=None):
        self.source = source
        self.rules = rules
        self.region = rules.region
        self.listed_ids = listed_ids
        self.progress = progress
        self.rows = 0
        self._reported = 0

    def _progress(self):
        if self.progress:
            position = self.source.position()
            self.progress(position - self._reported, self.source.size)
            self._reported = position

    def _finish_progress(self):
        if self.progress:
            self.progress(self.source.size - self._reported, self.source.size)
            self._reported = self.source.size


class CompaniesHouseReader(RegisterReader):
    register = "companies_house"

    def __iter__(self):
        reader = csv.reader(self.source.text())
        header = next(reader, None)
        if not header:
            raise LayoutError("The file is empty: a Companies House file starts with a header row.")
        index = {name.strip(): position for position, name in enumerate(header)}
        missing = [column for column in CH_COLUMNS if column not in index]
        if len(missing) == len(CH_COLUMNS):
            raise LayoutError(
                "This is not Companies House Basic Company Data: its first row is not the register's "
                "header (it has none of its columns, such as CompanyName, CompanyNumber and "
                "RegAddress.PostCode)."
            )
        if missing:
            raise LayoutError(
                "This is not Companies House Basic Company Data: the header has no "
                + ", ".join(missing)
                + " column"
                + ("s." if len(missing) > 1 else ".")
            )
        self.columns = {key: index[column] for key, column in CH_FIELDS.items()}
        self.sic_columns = [index[column] for column in CH_SIC]
        self.previous_columns = [(index[date], index[name]) for date, name in CH_PREVIOUS]
        yield from self._records(reader, len(header))
        self._finish_progress()

    def _records(self, reader, width):
        number_at, postcode_at = self.columns["number"], self.columns["postcode"]
        listed, might_contain = self.listed_ids, self.region.might_contain
        previous_line = reader.line_num
        for row in _rows(reader, RowError):
            if isinstance(row, RowError):
                previous_line = reader.line_num
                yield row
                continue
            line, previous_line = previous_line + 1, reader.line_num
            self.rows += 1
            if not self.rows % PROGRESS_EVERY:
                self._progress()
            if len(row) != width:
                if row:
                    yield RowError(line, f"{len(row)} fields where the header has {width}")
                continue
            if row[number_at] in listed or might_contain(row[postcode_at]):
                try:
                    entry = self._entry(row, line)
                except ValidationError as error:
                    yield RowError(line, error.messages[0])
                    continue
                if entry is not None:
                    yield entry

    def _entry(self, row, line):
        """The entry of a row in the region or about a listed company; None for neither."""
        cell = {key: row[position].strip() for key, position in self.columns.items()}
        try:
            number = normalise_companies_house_number(cell["number"])
        except ValidationError:
            raise ValidationError(f"CompanyNumber {cell['number']!r} is not a company number") from None
        place = self.region.place(cell["postcode"])
        if place is None and number not in self.listed_ids:
            return None
        if not cell["name"]:
            raise ValidationError("CompanyName is empty")
        if any("\ufffd" in value for value in row):
            raise ValidationError("holds bytes that are not UTF-8 text")
        incorporated = _date(cell["incorporated_on"], "%d/%m/%Y", "IncorporationDate")
        dissolved = _date(cell["dissolved_on"], "%d/%m/%Y", "DissolutionDate")
        facts = self._facts(row, cell, number, incorporated, dissolved)
        closed = ""
        if cell["status"] in self.rules.closed_statuses or cell["category"] in self.rules.closed_categories:
            closed = f"status “{cell['status']}”, category “{cell['category']}”"
        if dissolved:
            closed = f"dissolved on {dissolved.isoformat()}"
        return RegisterEntry(
            register=self.register,
            register_id=number,
            name=cell["name"],
            line=line,
            place=place,
            postcode=postcode_as_given(cell["postcode"]),
            status=cell["status"],
            active=cell["status"] in self.rules.active_statuses and not closed,
            closed=closed,
            sic_codes=sic_codes(facts["sic_codes"]),
            founded_year=_founded_year(incorporated),
            facts=facts,
        )

    def _facts(self, row, cell, number, incorporated, dissolved):
        address_keys = ("care_of", "po_box", "line_1", "line_2", "post_town", "county", "country")
        return {
            "registered_name": cell["name"],
            "company_number": number,
            "status": cell["status"],
            "category": cell["category"],
            "incorporated_on": _iso(incorporated),
            "dissolved_on": _iso(dissolved),
            "address": {key: cell[key] for key in address_keys},
            "postcode": cell["postcode"],
            "sic_codes": [row[position].strip() for position in self.sic_columns if row[position].strip()],
            "previous_names": [
                {"name": row[name].strip(), "until": self._previous_date(row[date])}
                for date, name in self.previous_columns
                if row[name].strip()
            ],
            "uri": cell["uri"],
        }

    @staticmethod
    def _previous_date(value):
        # Shown to curators only: a malformed date is kept as written rather than losing the row.
        try:
            return _iso(_date(value, "%d/%m/%Y", "CONDATE"))
        except ValidationError:
            return value.strip()


class OdsReader(RegisterReader):
    register = "ods"

    def __iter__(self):
        self.kind = self.rules.ods_kind(self.source.name)
        reader = csv.reader(self.source.text())
        rows = _rows(reader, RowError)
        first = next(rows, None)
        if first is None:
            raise LayoutError("The file is empty.")
        if not isinstance(first, RowError):
            self._check_layout(first)
        previous_line = 0
        for row in self._chain(first, rows):
            if isinstance(row, RowError):
                previous_line = reader.line_num
                yield row
                continue
            line, previous_line = previous_line + 1, reader.line_num
            self.rows += 1
            if not self.rows % PROGRESS_EVERY:
                self._progress()
            if not row:
                continue
            try:
                entry = self._entry(row, line)
            except ValidationError as error:
                yield RowError(line, error.messages[0])
                continue
            if entry is not None:
                yield entry
        self._finish_progress()

    @staticmethod
    def _chain(first, rows):
        yield first
        yield from rows

    def _check_layout(self, row):
        """ODS files have no header: the first record shows whether the columns are where they belong."""
        if len(row) < len(ODS_COLUMNS):
            missing = [f"{n} {name}" for n, name in enumerate(ODS_COLUMNS, 1) if n > len(row)]
            raise LayoutError(
                f"This is not an NHS ODS file: its first row has {len(row)} columns, and an ODS record "
                f"starts with {len(ODS_COLUMNS)}. Missing: {', '.join(missing)}."
            )
        wrong = []
        try:
            normalise_ods_code(row[0])
        except ValidationError:
            wrong.append(f"1 Organisation Code holds {row[0]!r}")
        if not ODS_DATE_RE.match(row[10].strip()):
            wrong.append(f"11 Open Date holds {row[10]!r}, not a date as YYYYMMDD")
        if wrong:
            raise LayoutError(
                "This is not an NHS ODS file (they have no header row, and each record starts with "
                + ", ".join(f"{n} {name}" for n, name in enumerate(ODS_COLUMNS, 1))
                + "): in its first row, column "
                + "; column ".join(wrong)
                + "."
            )

    def _entry(self, row, line):
        if len(row) < len(ODS_COLUMNS):
            missing = ", ".join(f"{n} {name}" for n, name in enumerate(ODS_COLUMNS, 1) if n > len(row))
            raise ValidationError(f"{len(row)} columns; missing {missing}")
        cells = [value.strip() for value in row[: len(ODS_COLUMNS)]]
        try:
            code = normalise_ods_code(cells[0])
        except ValidationError:
            raise ValidationError(f"Organisation Code {cells[0]!r} is not an ODS code") from None
        place = self.region.place(cells[9])
        if place is None and code not in self.listed_ids:
            return None
        if not cells[1]:
            raise ValidationError("Name is empty")
        if any("\ufffd" in value for value in cells):
            raise ValidationError("holds bytes that are not UTF-8 text")
        opened = _date(cells[10], "%Y%m%d", "Open Date")
        closed_on = _date(cells[11], "%Y%m%d", "Close Date")
        facts = {
            "registered_name": cells[1],
            "ods_code": code,
            "kind": self.kind,
            "national_grouping": cells[2],
            "high_level_health_geography": cells[3],
            "address": {f"line_{n}": cells[3 + n] for n in range(1, 6)},
            "postcode": cells[9],
            "opened_on": _iso(opened),
            "closed_on": _iso(closed_on),
        }
        return RegisterEntry(
            register=self.register,
            register_id=code,
            name=cells[1],
            line=line,
            place=place,
            postcode=postcode_as_given(cells[9]),
            active=closed_on is None,
            closed=f"closed on {closed_on.isoformat()}" if closed_on else "",
            founded_year=_founded_year(opened),
            facts=facts,
        )


READERS = {"companies_house": CompaniesHouseReader, "ods": OdsReader}
