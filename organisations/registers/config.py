"""The region and the rules of rules.toml, checked and compiled once per import.

A rules file of the wrong shape stops the import with a RulesError naming what is wrong: a typo in a
postcode area or an authority must not quietly select nothing.
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from core.validators import normalise_postcode, postcode_district

from ..models import Organisation

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.toml")

AREA_RE = re.compile(r"^[A-Z]{1,2}$")
DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
SECTOR_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]$")
SIC_RE = re.compile(r"^[0-9]{5}$")


class RulesError(Exception):
    """The rules file cannot be used; the message says why."""


@dataclass(frozen=True)
class Place:
    """Where in the region a postcode lies: 'LS area', or 'LA2 7 (Craven)'."""

    postcode: str
    district: str
    label: str


class Region:
    def __init__(self, name, areas, districts, sectors):
        self.name = name
        self.areas = frozenset(areas)
        self.districts = dict(districts)  # outward code -> part name
        self.sectors = dict(sectors)  # "LA2 7" -> part name
        outward = [*self.districts, *(sector.split()[0] for sector in self.sectors)]
        letters = {*self.areas, *(re.match(r"[A-Z]+", code)[0] for code in outward)}
        # A first test on the raw cell, before any normalising: most of five million rows fail it.
        self.two_letter_starts = frozenset(code for code in letters if len(code) == 2)
        self.one_letter_starts = frozenset(code for code in letters if len(code) == 1)

    def might_contain(self, raw_postcode):
        """False only for a cell whose postcode cannot be in the region (cheap; no normalising)."""
        head = raw_postcode.lstrip()[:2].upper()
        return head in self.two_letter_starts or (
            bool(self.one_letter_starts) and head[:1] in self.one_letter_starts and head[1:].isdigit()
        )

    def place(self, raw_postcode):
        """The Place of a postcode in the region, or None (outside it, or not a valid postcode)."""
        try:
            postcode = normalise_postcode(raw_postcode)
        except ValidationError:
            return None
        if not postcode:
            return None
        district = postcode_district(postcode)
        sector = postcode[:-2]
        if sector in self.sectors:
            return Place(postcode, district, f"{sector} ({self.sectors[sector]})")
        if district in self.districts:
            return Place(postcode, district, f"{district} ({self.districts[district]})")
        area = re.match(r"[A-Z]+", district)[0]
        if area in self.areas:
            return Place(postcode, district, f"{area} postcode area")
        return None


@dataclass(frozen=True)
class NameRule:
    pattern: re.Pattern
    sic_codes: frozenset
    reason: str

    def match(self, normalised_name, sic_codes):
        """The keyword the name matched, or None."""
        if self.sic_codes and not self.sic_codes.intersection(sic_codes):
            return None
        found = self.pattern.search(normalised_name)
        return found[0] if found else None


def normalise_name(name):
    """'Acme Med-Tech (UK) Ltd.' -> ' ACME MED TECH UK LTD ': words between single spaces."""
    return " " + " ".join(re.sub(r"[^A-Z0-9]+", " ", name.upper()).split()) + " "


def _keyword_pattern(keywords, where):
    parts = []
    for keyword in keywords:
        words = normalise_name(keyword).strip()
        if not words or words.replace(" ", "") != keyword.upper().replace(" ", "").rstrip("*"):
            raise RulesError(f"{where}: the keyword {keyword!r} may only hold letters, digits and spaces.")
        parts.append(re.escape(words) + (r"[A-Z0-9]*" if keyword.endswith("*") else ""))
    # Whole words only: "AI" is not the start of "AIRE".
    return re.compile(r"(?<= )(?:" + "|".join(parts) + r")(?= )")


class Rules:
    """Everything the import needs from the rules file."""

    def __init__(self, data, source):
        self.source = source
        self.region = _region(_table(data, "region", source), source)
        self.local_authorities = _authorities(data.get("local_authorities", {}), source)
        companies = _table(data, "companies_house", source)
        self.companies_house_url = _url(companies, "companies_house", source)
        self.active_statuses = frozenset(_strings(companies, "active_statuses", "companies_house"))
        self.closed_statuses = frozenset(_strings(companies, "closed_statuses", "companies_house"))
        self.closed_categories = frozenset(_strings(companies, "closed_categories", "companies_house"))
        self.sic_reasons = _sic_rules(companies.get("sic", []))
        self.name_rules = _name_rules(companies.get("names", []))
        ods = _table(data, "ods", source)
        self.ods_url = _url(ods, "ods", source)
        self.ods_reason = _string(ods, "reason", "ods")
        self.ods_files = {stem.lower(): str(label) for stem, label in ods.get("files", {}).items()}

    def company_reasons(self, name, sic_codes):
        """Why a company in the region is a candidate: one reason per rule it meets, or []."""
        reasons = [f"SIC {code}: {self.sic_reasons[code]}" for code in sic_codes if code in self.sic_reasons]
        normalised = normalise_name(name)
        for rule in self.name_rules:
            keyword = rule.match(normalised, sic_codes)
            if keyword:
                codes = sorted(rule.sic_codes.intersection(sic_codes))
                with_codes = f" (SIC {', '.join(codes)})" if codes else ""
                reasons.append(f"name has “{keyword}”{with_codes}: {rule.reason}")
        return reasons

    def local_authority(self, district):
        return self.local_authorities.get(district, "")

    def entry_url(self, register, register_id):
        template = self.companies_house_url if register == "companies_house" else self.ods_url
        return template.format(id=register_id)

    def ods_kind(self, file_name):
        """'NHS trust' for etr.csv or etr.zip; '' for a file the rules do not name."""
        return self.ods_files.get(Path(file_name).stem.lower(), "")


def load_rules(path=None):
    path = Path(path or getattr(settings, "REGISTER_RULES_FILE", DEFAULT_RULES_FILE))
    try:
        with open(path, "rb") as stream:
            data = tomllib.load(stream)
    except OSError as error:
        raise RulesError(f"Cannot read the rules file {path}: {error.strerror}.") from None
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"The rules file {path} is not valid TOML: {error}.") from None
    return Rules(data, path)


def _table(data, key, source):
    value = data.get(key)
    if not isinstance(value, dict):
        raise RulesError(f"The rules file {source} has no [{key}] table.")
    return value


def _string(table, key, where):
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"[{where}] needs {key} (text).")
    return value


def _strings(table, key, where):
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RulesError(f"[{where}] {key} must be a list of text.")
    return value


def _url(table, where, source):
    url = _string(table, "entry_url", where)
    if "{id}" not in url or not url.startswith("https://"):
        raise RulesError(f"[{where}] entry_url must be an https:// address with {{id}} in it.")
    return url


def _codes(values, pattern, what, where):
    codes = [str(value).strip().upper() for value in values]
    bad = [code for code in codes if not pattern.match(code)]
    if bad:
        raise RulesError(f"{where}: not {what}: {', '.join(bad)}.")
    return codes


def _region(table, source):
    areas = _codes(_strings(table, "postcode_areas", "region"), AREA_RE, "postcode areas", "[region]")
    districts, sectors = {}, {}
    for part in table.get("parts", []):
        name = _string(part, "name", "region.parts")
        where = f"[[region.parts]] {name}"
        for code in _codes(part.get("postcode_districts", []), DISTRICT_RE, "postcode districts", where):
            districts[code] = name
        for code in _codes(part.get("postcode_sectors", []), SECTOR_RE, "postcode sectors", where):
            sectors[code] = name
    if not areas and not districts and not sectors:
        raise RulesError(f"The rules file {source} puts no postcode in the region.")
    return Region(_string(table, "name", "region"), areas, districts, sectors)


def _authorities(table, source):
    valid = set(Organisation.LocalAuthority.values)
    authority_of = {}
    for authority, districts in table.items():
        if authority not in valid:
            raise RulesError(
                f"[local_authorities] {authority!r} is not a local authority of the directory "
                f"({', '.join(sorted(valid))})."
            )
        for code in _codes(districts, DISTRICT_RE, "postcode districts", f"[local_authorities] {authority}"):
            if code in authority_of and authority_of[code] != authority:
                raise RulesError(
                    f"[local_authorities] {code} is listed under {authority_of[code]} and {authority}: "
                    "a district in two authorities belongs in neither."
                )
            authority_of[code] = authority
    return authority_of


def _sic_rules(rules):
    reasons = {}
    for rule in rules:
        reason = _string(rule, "reason", "companies_house.sic")
        for code in _codes(rule.get("codes", []), SIC_RE, "five-digit SIC codes", "[[companies_house.sic]]"):
            reasons[code] = reason
    return reasons


def _name_rules(rules):
    compiled = []
    for rule in rules:
        reason = _string(rule, "reason", "companies_house.names")
        where = f"[[companies_house.names]] {reason!r}"
        keywords = _strings(rule, "keywords", "companies_house.names")
        if not keywords:
            raise RulesError(f"{where} has no keywords.")
        sic_codes = _codes(rule.get("sic_codes", []), SIC_RE, "five-digit SIC codes", where)
        compiled.append(NameRule(_keyword_pattern(keywords, where), frozenset(sic_codes), reason))
    return compiled
