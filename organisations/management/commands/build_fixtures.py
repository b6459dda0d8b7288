"""Regenerate the organisations, initiatives and memberships fixtures from the shared source data.

The CSV files under SHARED_DATA_DIR (see its SOURCES.md) have their own columns; this command maps them
onto the models of ARCHITECTURE.md §4. `loaddata` saves raw, skipping `Organisation.save()`, so every
value is written here in its canonical form (normalised postcode and its district, zero-padded Companies
House number, `sector_names`, timestamps). Output is deterministic: the same CSV gives the same bytes.

Nothing is invented: every CSV row becomes exactly one organisation, a field the source leaves empty stays
empty, and hosts that are not listed organisations are kept as text in `partners_text`.
"""

import csv
import json
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from core import validators

FIXTURE_DIR = Path(settings.BASE_DIR) / "fixtures"

# Fixed, so that rebuilding gives identical files; the day the fixtures were first built.
FIXTURE_TIMESTAMP = "2026-11-28T00:00:00Z"

# Place words in `town_or_district` → local authority (first match wins; anything else is "other").
LOCAL_AUTHORITY_WORDS = [
    ("leeds", ["Leeds", "Rawdon", "Horsforth", "Beeston", "Wetherby"]),
    ("bradford", ["Bradford", "Keighley"]),
    ("kirklees", ["Huddersfield", "Batley", "Kirklees"]),
    ("calderdale", ["Calderdale", "Halifax"]),
    ("wakefield", ["Wakefield"]),
    ("harrogate", ["Harrogate"]),
    ("york", ["York"]),
]

# Leeds sites of organisations headquartered elsewhere, as their summaries show.
NOT_HEADQUARTERED_IN_LEEDS = {
    "DePuy Synthes",  # Johnson & Johnson business; the Beeston site is one of its sites
    "Dedalus",  # international group, a member business at Nexus
    "LGC (National Measurement Laboratory)",  # its Northern Cell Metrology Hub is in Leeds
    "Fortrea (Leeds Clinical Research Unit)",  # a clinical research unit of a US company
    "NHS Blood and Transplant",  # national body with donor centres in Leeds and Bradford
}

# Widely used short names that the CSV does not carry, so that searches for them find the entry.
WELL_KNOWN_NAMES = {
    "Leeds Teaching Hospitals NHS Trust": ["LTHT"],
    "NHS Digital": ["HSCIC", "Health and Social Care Information Centre"],  # its predecessor
    "Leeds Institute for Data Analytics (University of Leeds)": ["LIDA"],
    "West Yorkshire Combined Authority": ["WYCA"],
    "NHS West Yorkshire Integrated Care Board": ["West Yorkshire ICB"],
    "Leeds Community Healthcare NHS Trust": ["LCH"],
    "Leeds Academic Health Partnership": ["LAHP"],
    "Health Innovation Yorkshire & Humber": ["Yorkshire & Humber AHSN"],  # its former name
    "Yorkshire Ambulance Service NHS Trust": ["YAS"],
    "NHS Business Services Authority": ["NHSBSA"],
    "NHS Blood and Transplant": ["NHSBT"],
    "Hull York Medical School": ["HYMS"],
    "Institute of Medical and Biological Engineering (University of Leeds)": ["iMBE"],
    "Leeds Clinical Trials Research Unit (University of Leeds)": ["CTRU"],
}

# Care settings are set only where the summary clearly names one. Each rule is a regular expression
# matched against the summary after the PROPER_NAMES below are removed (so that "Leeds Teaching
# Hospitals", mentioned as a partner, does not make a blood test a hospital service).
PROPER_NAMES = re.compile(r"Leeds Teaching Hospitals|Primary Care Trust|[Cc]ommunity interest company")
CARE_SETTING_RULES = [
    ("hospital", re.compile(r"\bhospitals?\b|\binpatient|\bsurgical\b", re.IGNORECASE)),
    ("primary-care", re.compile(r"\bGPs?\b|\bgeneral practice\b|\bprimary care\b", re.IGNORECASE)),
    ("community", re.compile(r"\bcommunity\b", re.IGNORECASE)),
    ("home", re.compile(r"\bat home\b|\bpeople's homes\b|\btelehealth\b|\btelecare\b", re.IGNORECASE)),
    # Lower case only: "Leeds Health and Social Care Hub" is a place, not a care setting.
    ("social-care", re.compile(r"\bcare homes?\b|\bsocial care\b")),
    ("mental-health", re.compile(r"\bmental health(?:,| and| services| care| trust)", re.IGNORECASE)),
]

# Membership roles: a host (or the parent of a host, as the University of Leeds is of Nexus) is a
# partner; a company in an innovation hub or incubator is a resident; everyone else is a member.
RESIDENT_KINDS = {"innovation_hub", "incubator"}

BRACKETED = re.compile(r"^(?P<base>.*?)\s*\((?P<inner>.*)\)$")
UNIVERSITY = re.compile(r"^University of \w+$")


class Command(BaseCommand):
    help = (
        "Regenerate fixtures/organisations.json, initiatives.json and memberships.json from "
        "leeds_organisations.csv and leeds_initiatives.csv."
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
        org_rows = read_csv(data_dir / "leeds_organisations.csv")
        initiative_rows = read_csv(data_dir / "leeds_initiatives.csv")
        sectors = {name.lower(): (name, slug) for name, slug in reference_names(FIXTURE_DIR / "sectors.json")}

        organisations = build_organisations(org_rows, sectors)
        initiatives = build_initiatives(initiative_rows, organisations)
        memberships = build_memberships(org_rows, organisations, initiatives)

        output_dir.mkdir(parents=True, exist_ok=True)
        write_fixture(output_dir / "organisations.json", [o["fixture"] for o in organisations.values()])
        write_fixture(output_dir / "initiatives.json", [i["fixture"] for i in initiatives.values()])
        write_fixture(output_dir / "memberships.json", memberships)

        linked_hosts = sum(len(i["fixture"]["fields"]["hosts"]) for i in initiatives.values())
        with_partners = sum(1 for i in initiatives.values() if i["fixture"]["fields"]["partners_text"])
        self.stdout.write(
            f"Wrote {len(organisations)} organisations "
            f"({sum(1 for o in organisations.values() if o['fixture']['fields']['parent'])} with a parent), "
            f"{len(initiatives)} initiatives ({linked_hosts} hosts linked, {with_partners} with partners "
            f"as text) and {len(memberships)} memberships to {output_dir}."
        )


def read_csv(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise CommandError(f"{path} does not exist (use --data-dir).") from None
    # Line numbers for messages: the header is line 1 (no source cell spans lines).
    return [(line, {k: (v or "").strip() for k, v in row.items()}) for line, row in enumerate(rows, start=2)]


def reference_names(path):
    with open(path, encoding="utf-8") as f:
        return [(item["fields"]["name"], item["fields"]["slug"]) for item in json.load(f)]


def split_list(cell):
    return [part.strip() for part in cell.split(";") if part.strip()]


def local_authority_for(town):
    if not town:
        return ""  # unknown, not "other"
    for authority, words in LOCAL_AUTHORITY_WORDS:
        if any(re.search(rf"\b{word}\b", town) for word in words):
            return authority
    return "other"


def care_settings_for(summary):
    text = PROPER_NAMES.sub("", summary)
    return [slug for slug, rule in CARE_SETTING_RULES if rule.search(text)]


def bracket_names(name, listed_names):
    """(parent name or None, alternative names) from a bracketed part at the end of the name."""
    match = BRACKETED.match(name)
    if not match:
        return None, []
    inner = match["inner"]
    if UNIVERSITY.match(inner) and inner in listed_names:
        return inner, []
    former = re.search(r"\bformerly (.+)$", inner)
    if former:
        return None, [former[1]]
    if inner in {"Leeds"}:  # a place that tells sites apart, not a name
        return None, []
    return None, [inner]


def canonical(value, normalise, line, column):
    try:
        return normalise(value)
    except ValidationError as error:
        raise CommandError(
            f"leeds_organisations.csv line {line}, {column}: {' '.join(error.messages)}"
        ) from None


def build_organisations(rows, sectors):
    listed_names = {row["name"] for _, row in rows}
    organisations = {}
    slugs = {}
    for line, row in rows:
        name = row["name"]
        if not name:
            raise CommandError(f"leeds_organisations.csv line {line}: the name is empty.")
        slug = slugify(name)
        if slug in slugs:
            raise CommandError(
                f"leeds_organisations.csv line {line}: {name!r} has the same slug as line {slugs[slug]}."
            )
        slugs[slug] = line

        sector_names = []
        for sector in split_list(row["sectors"]):
            if sector.lower() not in sectors:
                raise CommandError(f"leeds_organisations.csv line {line}: unknown sector {sector!r}.")
            sector_names.append(sectors[sector.lower()])
        sector_names.sort()

        postcode = canonical(row["postcode"], validators.normalise_postcode, line, "postcode")
        number = canonical(
            row["companies_house_number"],
            validators.normalise_companies_house_number,
            line,
            "companies_house_number",
        )
        founded = row["founded_year"]
        if founded and not founded.isdigit():
            raise CommandError(
                f"leeds_organisations.csv line {line}, founded_year: {founded!r} is not a year."
            )

        parent_name, alternative_names = bracket_names(name, listed_names)
        alternative_names += WELL_KNOWN_NAMES.get(name, [])
        authority = local_authority_for(row["town_or_district"])
        organisations[name] = {
            "slug": slug,
            "parent_name": parent_name,
            "fixture": {
                "model": "organisations.organisation",
                "fields": {
                    "name": name,
                    "slug": slug,
                    "alternative_names": "; ".join(dict.fromkeys(alternative_names)),
                    "organisation_type": row["organisation_type"],
                    "status": "published",
                    "parent": [slugify(parent_name)] if parent_name else None,
                    "merged_into": None,
                    "summary": row["summary"],
                    "description": "",
                    "website": row["website"],
                    "town": row["town_or_district"],
                    "local_authority": authority,
                    "postcode": postcode,
                    "postcode_district": validators.postcode_district(postcode),
                    "headquartered_in_leeds": authority == "leeds" and name not in NOT_HEADQUARTERED_IN_LEEDS,
                    "companies_house_number": number,
                    "founded_year": int(founded) if founded else None,
                    "sectors": [[slug] for _, slug in sector_names],
                    "care_settings": [[slug] for slug in care_settings_for(row["summary"])],
                    "regulatory_marks": [],
                    # Exactly what Organisation.refresh_search_names() computes.
                    "sector_names": " ".join(name for name, _ in sector_names),
                    "source_url": row["source_url"],
                    "last_verified_on": None,
                    "is_demo": False,
                    "published_at": FIXTURE_TIMESTAMP,
                    "created_at": FIXTURE_TIMESTAMP,
                    "updated_at": FIXTURE_TIMESTAMP,
                },
            },
        }
    for name in WELL_KNOWN_NAMES.keys() | NOT_HEADQUARTERED_IN_LEEDS:
        if name not in organisations:
            raise CommandError(
                f"{name!r} is named in build_fixtures.py but is not in leeds_organisations.csv."
            )
    return organisations


def find_organisation(host, organisations):
    """The listed organisation a host name stands for, or None.

    Exact (ignoring case) first; then with a bracketed suffix stripped from either side, when that
    leaves exactly one candidate ("Nexus" → "Nexus (University of Leeds)").
    """

    def base(name):
        match = BRACKETED.match(name)
        return (match["base"] if match else name).lower()

    exact = [name for name in organisations if name.lower() == host.lower()]
    if exact:
        return exact[0]
    candidates = [name for name in organisations if base(name) == base(host)]
    return candidates[0] if len(candidates) == 1 else None


def build_initiatives(rows, organisations):
    initiatives = {}
    for line, row in rows:
        name = row["name"]
        slug = slugify(name)
        if any(i["slug"] == slug for i in initiatives.values()):
            raise CommandError(
                f"leeds_initiatives.csv line {line}: {name!r} repeats another initiative's slug."
            )
        hosts, partners = [], []
        for host in split_list(row["host_organisations"]):
            organisation = find_organisation(host, organisations)
            if organisation:
                hosts.append(organisation)
            else:
                partners.append(host)
        initiatives[name] = {
            "slug": slug,
            "kind": row["kind"],
            "hosts": set(hosts),
            "fixture": {
                "model": "initiatives.initiative",
                "fields": {
                    "name": name,
                    "slug": slug,
                    "kind": row["kind"],
                    "status": "published",
                    "summary": row["summary"],
                    "description": "",
                    "website": "",
                    "location": row["location"],
                    "hosts": [[organisations[host]["slug"]] for host in hosts],
                    "partners_text": "; ".join(partners),
                    "source_url": row["source_url"],
                    "created_at": FIXTURE_TIMESTAMP,
                    "updated_at": FIXTURE_TIMESTAMP,
                },
            },
        }
    return initiatives


def build_memberships(rows, organisations, initiatives):
    by_lower = {name.lower(): name for name in initiatives}
    memberships = []
    for line, row in rows:
        for title in dict.fromkeys(split_list(row["initiatives"])):
            if title.lower() not in by_lower:
                raise CommandError(f"leeds_organisations.csv line {line}: unknown initiative {title!r}.")
            initiative = initiatives[by_lower[title.lower()]]
            host_parents = {organisations[host]["parent_name"] for host in initiative["hosts"]}
            if row["name"] in initiative["hosts"] | host_parents:
                role = "partner"
            elif initiative["kind"] in RESIDENT_KINDS and row["organisation_type"] == "company":
                role = "resident"
            else:
                role = "member"
            memberships.append(
                {
                    "model": "initiatives.membership",
                    "fields": {
                        "organisation": [organisations[row["name"]]["slug"]],
                        "initiative": [initiative["slug"]],
                        "role": role,
                        "since": None,
                        "source_url": "",
                    },
                }
            )
    return memberships


def write_fixture(path, objects):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(objects, indent=2, ensure_ascii=False) + "\n")
