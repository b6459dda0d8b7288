"""What a register says about organisations already listed: findings for curators, never changes.

Each listed organisation whose Companies House number or ODS code is in the file is compared with its
record there. A file only speaks for the records it holds: an organisation absent from it is not
"dissolved" unless the operator says the file is the register's complete list (--complete).
"""

from dataclasses import dataclass

from ..duplicates import clean_name
from ..models import Organisation
from .models import FlagKind, Register

LISTED_FIELDS = (
    "pk",
    "name",
    "legal_name",
    "alternative_names",
    "postcode",
    "companies_house_number",
    "ods_code",
)


@dataclass(frozen=True)
class Listed:
    """What the checks need to know about one listed organisation."""

    pk: int
    name: str
    legal_name: str
    alternative_names: str
    postcode: str
    companies_house_number: str
    ods_code: str

    def names(self):
        """The names a register may know this organisation by."""
        # The legal name first: it is the name registers hold.
        others = [n.strip() for n in self.alternative_names.split(";") if n.strip()]
        return [name for name in (self.legal_name, self.name, *others) if name]


@dataclass(frozen=True)
class Finding:
    organisation_id: int
    register_id: str
    kind: str
    register_value: str
    detail: str


def listed_organisations(register):
    """{register id: [Listed]} for every organisation with a number in `register` (a code may repeat)."""
    field = "companies_house_number" if register == Register.COMPANIES_HOUSE else "ods_code"
    listed = {}
    rows = Organisation.objects.exclude(**{field: ""}).values_list(*LISTED_FIELDS)
    for row in rows.iterator(chunk_size=2000):
        organisation = Listed(*row)
        listed.setdefault(getattr(organisation, field), []).append(organisation)
    return listed


def _compact(name):
    return clean_name(name).replace(" ", "")


def _name_finding(organisation, entry):
    known = {_compact(name) for name in organisation.names()}
    if _compact(entry.name) in known:
        return None
    former = [item for item in entry.facts.get("previous_names", []) if _compact(item["name"]) in known]
    if former:
        until = f" (until {former[0]['until']})" if former[0].get("until") else ""
        detail = (
            f"The register's name is now “{entry.name}”; “{former[0]['name']}”, the name listed here, "
            f"is among its previous names{until}."
        )
    else:
        detail = f"The register's name is “{entry.name}”; the directory has “{organisation.name}”."
    return FlagKind.RENAMED, entry.name, detail


def compare(organisation, entry):
    """Findings about `organisation` from its register record `entry`."""
    found = []
    register = Register(entry.register).label
    if entry.closed:
        found.append((FlagKind.CLOSED, entry.closed, f"{register}: {entry.closed}."))
    elif entry.status and not entry.active:
        found.append((FlagKind.STATUS, entry.status, f"{register} gives the status “{entry.status}”."))
    renamed = _name_finding(organisation, entry)
    if renamed:
        found.append(renamed)
    if organisation.postcode and entry.postcode and organisation.postcode != entry.postcode:
        detail = (
            f"The register's address has the postcode {entry.postcode}; "
            f"the directory has {organisation.postcode}."
        )
        found.append((FlagKind.MOVED, entry.postcode, detail))
    return [Finding(organisation.pk, entry.register_id, *item) for item in found]


def missing(organisation, register_id, file_name):
    return Finding(
        organisation.pk,
        register_id,
        FlagKind.MISSING,
        "",
        f"Not in {file_name}, given as the register's complete list of live companies: dissolved, "
        "struck off or renumbered?",
    )
