"""Regenerate the directory's entries and key figures from the shared source data.

The CSV files under SHARED_DATA_DIR have their own columns (its SOURCES.md says what each holds and which
page supports each value). This command maps them one to one onto the models of ARCHITECTURE.md §4 and
guesses nothing: a value the data leaves empty stays empty, a value the models cannot hold stops the
command with the file, line and column, and hosts that are not listed organisations are kept as text.

Two files are written:
- organisations.json: the organisations, then the initiatives, then their memberships. Memberships
  travel with both of their ends: a membership cannot wait for an organisation or an initiative that
  loads later (its keys are not nullable), so keeping the three in one file lets
  `manage.py loaddata fixtures/*.json` load the files in any order.
- key_figures.json: the reported figures, each with its source (its initiative is a nullable key, which
  loaddata resolves once every file is read).

`loaddata` saves raw, skipping `Organisation.save()`, so every value is written here in its canonical form
(normalised postcode and its district, zero-padded Companies House number, `sector_names`, timestamps).
The output is deterministic: the same data gives the same bytes.
"""

import csv
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from core import validators
from organisations.models import Lifecycle, Organisation

FIXTURE_DIR = Path(settings.BASE_DIR) / "fixtures"
ORGANISATIONS_CSV = "leeds_organisations.csv"
INITIATIVES_CSV = "leeds_initiatives.csv"
KEY_FIGURES_CSV = "leeds_key_figures.csv"

# Fixed, so that rebuilding gives identical files; the day the fixtures were first built.
FIXTURE_TIMESTAMP = "2026-11-28T00:00:00Z"

# headquartered_in_leeds: the data says yes, no, or nothing (the sources read do not say). The model
# holds a yes/no fact, so "not known" is stored as False: the profile then says nothing about it and
# the "headquartered in Leeds" filter leaves the entry out, as it does a "no".
HEADQUARTERED = {"yes": True, "no": False, "": False}

# Fields whose column in leeds_organisations.csv has another name (for messages).
COLUMNS = {"town": "town_or_district", "lifecycle": "status", "successor_text": "successor"}

# The columns each file must have (SOURCES.md). `ended_year` (organisations) and `operator`
# (initiatives) are read where a file has them; without them an end year stays empty and an
# initiative's operator is the organisation listed under its own name, if any.
ORGANISATION_COLUMNS = [
    "name",
    "website",
    "organisation_type",
    "sectors",
    "town_or_district",
    "postcode",
    "companies_house_number",
    "founded_year",
    "initiatives",
    "summary",
    "source_url",
    "legal_name",
    "alternative_names",
    "parent",
    "headquartered_in_leeds",
    "local_authority",
    "care_settings",
    "status",
    "successor",
]
INITIATIVE_COLUMNS = ["name", "kind", "host_organisations", "location", "summary", "source_url"]
KEY_FIGURE_COLUMNS = ["slug", "label", "value", "as_of_label", "initiative", "source_name", "source_url"]

# The initiatives app builds on this one: its models are reached through the relations.
Initiative = Organisation.initiative_model()
KeyFigure = Initiative._meta.get_field("key_figures").related_model

INITIATIVE_KINDS = {"innovation_hub", "research_partnership", "incubator", "network", "programme", "building"}


class Command(BaseCommand):
    help = (
        "Regenerate fixtures/organisations.json (organisations, initiatives and memberships) and "
        "fixtures/key_figures.json from the shared data's CSV files."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="Folder with the CSV files (default: SHARED_DATA_DIR).",
        )
        parser.add_argument(
            "--output-dir", type=Path, default=None, help="Where to write the fixtures (default: fixtures/)."
        )

    def handle(self, *args, data_dir=None, output_dir=None, **options):
        data_dir = Path(data_dir or settings.SHARED_DATA_DIR)
        output_dir = Path(output_dir or FIXTURE_DIR)
        reference = {
            "sectors": reference_slugs(FIXTURE_DIR / "sectors.json"),
            "care_settings": reference_slugs(FIXTURE_DIR / "care_settings.json"),
        }
        organisation_rows = read_csv(data_dir / ORGANISATIONS_CSV, ORGANISATION_COLUMNS)
        organisations = build_organisations(organisation_rows, reference)
        initiatives = build_initiatives(
            read_csv(data_dir / INITIATIVES_CSV, INITIATIVE_COLUMNS), organisations
        )
        memberships = build_memberships(organisation_rows, organisations, initiatives)
        key_figures = build_key_figures(read_csv(data_dir / KEY_FIGURES_CSV, KEY_FIGURE_COLUMNS), initiatives)

        output_dir.mkdir(parents=True, exist_ok=True)
        entries = [*organisations.fixtures(), *initiatives.fixtures(), *memberships]
        write_fixture(output_dir / "organisations.json", entries)
        write_fixture(output_dir / "key_figures.json", key_figures)
        self.stdout.write(
            f"Wrote {len(organisations)} organisations ({organisations.former_count} merged or closed), "
            f"{len(initiatives)} initiatives, {len(memberships)} memberships and "
            f"{len(key_figures)} key figures to {output_dir}."
        )


# --- Reading ---------------------------------------------------------------------------------------


class Rows(list):
    """The rows of one CSV file as (line, {column: stripped value}), with the file's name for messages."""

    def __init__(self, name, rows, columns):
        super().__init__(rows)
        self.name = name
        self.columns = columns

    def fail(self, line, column, reason):
        where = f"{self.name} line {line}" + (f", {column}" if column else "")
        raise CommandError(f"{where}: {reason}")


def read_csv(path, required):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            columns = reader.fieldnames or []
    except FileNotFoundError:
        raise CommandError(f"{path} does not exist (use --data-dir).") from None
    missing = [column for column in required if column not in columns]
    if missing:
        raise CommandError(f"{path.name} has no {', '.join(missing)} column (see SOURCES.md).")
    # Line numbers for messages: the header is line 1 (no source cell spans lines).
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise CommandError(f"{path.name} line {line}: more cells than columns (an unquoted comma?).")
    cleaned = [
        (line, {k: (v or "").strip() for k, v in row.items()}) for line, row in enumerate(rows, start=2)
    ]
    return Rows(path.name, cleaned, columns)


def reference_slugs(path):
    """{slug: name} of a reference fixture."""
    with open(path, encoding="utf-8") as f:
        return {item["fields"]["slug"]: item["fields"]["name"] for item in json.load(f)}


def sector_slug(rows, line, value, sectors):
    """The data names sectors ("AI and data"); the fixture refers to them by slug."""
    lowered = value.lower()
    slug = next((slug for slug, name in sectors.items() if name.lower() == lowered or slug == lowered), None)
    if slug is None:
        rows.fail(line, "sectors", f"unknown sector {value!r}.")
    return slug


def split_list(cell):
    return list(dict.fromkeys(part.strip() for part in cell.split(";") if part.strip()))


def one_of(rows, line, column, value, allowed):
    if value not in allowed:
        choices = ", ".join(sorted(repr(a) for a in allowed if a))
        rows.fail(line, column, f"{value!r} is not one of {choices}.")
    return value


def canonical(rows, line, column, value, normalise):
    try:
        return normalise(value)
    except ValidationError as error:
        rows.fail(line, column, " ".join(error.messages))


def check_lengths(rows, line, model, fields, columns=None):
    """Stop at a value longer than its field holds: SQLite would store it, PostgreSQL refuses it."""
    columns = columns or {}
    for name, value in fields.items():
        field = model._meta.get_field(name)
        if isinstance(value, str) and field.max_length and len(value) > field.max_length:
            rows.fail(
                line,
                columns.get(name, name),
                f"{len(value)} characters, more than the {field.max_length} the field holds.",
            )
    return fields


def year(rows, line, column, value):
    if value and not (value.isdigit() and len(value) == 4):
        rows.fail(line, column, f"{value!r} is not a year.")
    return int(value) if value else None


# --- Organisations ---------------------------------------------------------------------------------


class Organisations(dict):
    """{name: fixture fields}, with lookups by name for the other files."""

    def slug_of(self, name):
        return self[name]["slug"]

    def find(self, name):
        """The listed organisation called `name` (ignoring case), or None."""
        lowered = name.lower()
        return next((listed for listed in self if listed.lower() == lowered), None)

    def find_host(self, name):
        """A host named by its name or, failing that, by exactly one organisation's alternative name."""
        found = self.find(name)
        if found:
            return found
        lowered = name.lower()
        by_alternative = [
            listed
            for listed, fields in self.items()
            if lowered in (alt.lower() for alt in split_list(fields["alternative_names"]))
        ]
        return by_alternative[0] if len(by_alternative) == 1 else None

    @property
    def former_count(self):
        return sum(1 for fields in self.values() if fields["lifecycle"] != Lifecycle.CURRENT)

    def fixtures(self):
        return [{"model": "organisations.organisation", "fields": fields} for fields in self.values()]


def build_organisations(rows, reference):
    organisations = Organisations()
    slugs = {}
    for line, row in rows:
        fields = check_lengths(
            rows, line, Organisation, organisation_fields(rows, line, row, reference), COLUMNS
        )
        if fields["slug"] in slugs:
            rows.fail(line, "name", f"{fields['name']!r} has the same slug as line {slugs[fields['slug']]}.")
        slugs[fields["slug"]] = line
        organisations[fields["name"]] = fields
    # Parents and successors name other rows, which may come later in the file.
    for line, row in rows:
        fields = organisations[row["name"]]
        fields["parent"] = listed_key(rows, line, "parent", row["parent"], organisations)
        successor = row["successor"]
        if successor and fields["lifecycle"] != Lifecycle.MERGED:
            rows.fail(line, "successor", "only a merged organisation has a successor.")
        listed = organisations.find(successor) if successor else None
        fields["merged_into"] = [organisations.slug_of(listed)] if listed else None
        fields["successor_text"] = "" if listed else successor
    return organisations


def listed_key(rows, line, column, name, organisations):
    if not name:
        return None
    listed = organisations.find(name)
    if listed is None:
        rows.fail(line, column, f"{name!r} is not an organisation in the file.")
    return [organisations.slug_of(listed)]


def operator_key(rows, line, row, organisations):
    """Who runs an initiative: the organisation its `operator` column names, where the file has one;
    otherwise the organisation the data lists under the initiative's own name, which is the same body
    entered in both files (Nexus the hub and Nexus the organisation), so that each links the other."""
    if row.get("operator"):
        return listed_key(rows, line, "operator", row["operator"], organisations)
    listed = organisations.find(row["name"])
    return [organisations.slug_of(listed)] if listed else None


def organisation_fields(rows, line, row, reference):
    """One row's fields, except parent and successor (they need every row)."""
    name = row["name"]
    if not name:
        rows.fail(line, "name", "the name is empty.")
    sector_names = reference["sectors"]
    sectors = sorted(
        (sector_slug(rows, line, sector, sector_names) for sector in split_list(row["sectors"])),
        key=lambda slug: sector_names[slug],
    )
    care_settings = [
        one_of(rows, line, "care_settings", slug, reference["care_settings"])
        for slug in split_list(row["care_settings"])
    ]
    postcode = canonical(rows, line, "postcode", row["postcode"], validators.normalise_postcode)
    lifecycle = one_of(rows, line, "status", row["status"], set(Lifecycle.values))
    return {
        "name": name,
        "slug": slugify(name),
        "legal_name": row["legal_name"],
        "alternative_names": "; ".join(split_list(row["alternative_names"])),
        "organisation_type": one_of(
            rows, line, "organisation_type", row["organisation_type"], set(Organisation.Type.values)
        ),
        "status": "published",
        "lifecycle": lifecycle,
        "parent": None,
        "merged_into": None,
        "successor_text": "",
        # Only where the data states the year it ended; never inferred.
        "ended_year": year(rows, line, "ended_year", row.get("ended_year", "")),
        "summary": row["summary"],
        "description": "",
        "website": row["website"],
        "town": row["town_or_district"],
        "local_authority": one_of(
            rows, line, "local_authority", row["local_authority"], {"", *Organisation.LocalAuthority.values}
        ),
        "postcode": postcode,
        "postcode_district": validators.postcode_district(postcode),
        "headquartered_in_leeds": HEADQUARTERED[
            one_of(rows, line, "headquartered_in_leeds", row["headquartered_in_leeds"].lower(), HEADQUARTERED)
        ],
        "companies_house_number": canonical(
            rows,
            line,
            "companies_house_number",
            row["companies_house_number"],
            validators.normalise_companies_house_number,
        ),
        "founded_year": year(rows, line, "founded_year", row["founded_year"]),
        "sectors": [[slug] for slug in sectors],
        "care_settings": [[slug] for slug in care_settings],
        "regulatory_marks": [],
        # Exactly what Organisation.refresh_search_names() computes for sectors.
        "sector_names": " ".join(sector_names[slug] for slug in sectors),
        "source_url": row["source_url"],
        "last_verified_on": None,
        "is_demo": False,
        "published_at": FIXTURE_TIMESTAMP,
        "created_at": FIXTURE_TIMESTAMP,
        "updated_at": FIXTURE_TIMESTAMP,
    }


# --- Initiatives and memberships -------------------------------------------------------------------


class Initiatives(dict):
    """{name: fixture fields}."""

    def find(self, name):
        lowered = name.lower()
        return next((fields for listed, fields in self.items() if listed.lower() == lowered), None)

    def fixtures(self):
        return [{"model": "initiatives.initiative", "fields": fields} for fields in self.values()]


def build_initiatives(rows, organisations):
    initiatives = Initiatives()
    for line, row in rows:
        name = row["name"]
        if not name:
            rows.fail(line, "name", "the name is empty.")
        if initiatives.find(name) or any(f["slug"] == slugify(name) for f in initiatives.values()):
            rows.fail(line, "name", f"{name!r} repeats another initiative.")
        hosts, partners = [], []
        for host in split_list(row["host_organisations"]):
            listed = organisations.find_host(host)
            if listed:
                hosts.append(organisations.slug_of(listed))
            else:
                partners.append(host)
        initiatives[name] = check_lengths(
            rows,
            line,
            Initiative,
            {
                "name": name,
                "slug": slugify(name),
                "kind": one_of(rows, line, "kind", row["kind"], INITIATIVE_KINDS),
                "status": "published",
                "summary": row["summary"],
                "description": "",
                "website": "",
                "location": row["location"],
                "operator": operator_key(rows, line, row, organisations),
                "hosts": [[slug] for slug in hosts],
                "partners_text": "; ".join(partners),
                "source_url": row["source_url"],
                "created_at": FIXTURE_TIMESTAMP,
                "updated_at": FIXTURE_TIMESTAMP,
            },
            {"hosts": "host_organisations", "partners_text": "host_organisations"},
        )
    return initiatives


def build_memberships(rows, organisations, initiatives):
    """One membership per initiative named in an organisation's `initiatives` cell. The data gives no
    role: a host of the initiative is its partner, every other organisation a member."""
    memberships = []
    for line, row in rows:
        organisation = organisations.slug_of(row["name"])
        for title in split_list(row["initiatives"]):
            initiative = initiatives.find(title)
            if initiative is None:
                rows.fail(line, "initiatives", f"{title!r} is not an initiative in {INITIATIVES_CSV}.")
            role = "partner" if [organisation] in initiative["hosts"] else "member"
            memberships.append(
                {
                    "model": "initiatives.membership",
                    "fields": {
                        "organisation": [organisation],
                        "initiative": [initiative["slug"]],
                        "role": role,
                        "since": None,
                        "source_url": "",
                    },
                }
            )
    return memberships


# --- Key figures -----------------------------------------------------------------------------------


def build_key_figures(rows, initiatives):
    figures = []
    slugs = set()
    for order, (line, row) in enumerate(rows, start=1):
        slug = row["slug"]
        if not slug or slug != slugify(slug) or slug in slugs:
            rows.fail(line, "slug", f"{slug!r} is empty, not a slug, or repeats another figure's.")
        slugs.add(slug)
        for column in ("label", "value", "source_name", "source_url"):
            if not row[column]:
                rows.fail(line, column, "a key figure needs it.")
        initiative = None
        if row["initiative"]:
            if not any(f["slug"] == row["initiative"] for f in initiatives.values()):
                rows.fail(line, "initiative", f"{row['initiative']!r} is not an initiative's slug.")
            initiative = [row["initiative"]]
        figures.append(
            {
                "model": "initiatives.keyfigure",
                "fields": check_lengths(
                    rows,
                    line,
                    KeyFigure,
                    {
                        "slug": slug,
                        "label": row["label"],
                        "value": row["value"],
                        "source_name": row["source_name"],
                        "source_url": row["source_url"],
                        # The data gives the period as its source words it ("Q1 2025"), not a date.
                        "as_of": None,
                        "as_of_label": row["as_of_label"],
                        "initiative": initiative,
                        "order": order,
                    },
                ),
            }
        )
    return figures


def write_fixture(path, objects):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(objects, indent=2, ensure_ascii=False) + "\n")
