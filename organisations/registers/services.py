"""The register import and the curators' decisions on candidates and flags.

An import runs in one transaction: candidates are written a batch at a time as the file is read,
findings about listed organisations at the end. Stopping it at any point, Ctrl-C included, leaves
the database as it was.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import reset_queries, transaction
from django.utils import timezone

from ..models import Organisation, Status
from . import checks
from .config import load_rules
from .matching import candidate_reasons
from .models import Candidate, CandidateState, Register, RegisterFlag
from .readers import READERS, RowError, open_source

# Bad rows kept for the report; the rest are counted.
ERRORS_KEPT = 1000
# Candidates held before they are written: memory stays flat however broad the rules are.
BATCH_SIZE = 2000
UPSERT_FIELDS = [
    "name",
    "postcode",
    "postcode_district",
    "local_authority",
    "facts",
    "reasons",
    "register_url",
    "last_seen_at",
    "source_file",
]


@dataclass
class ImportResult:
    register: str
    file_name: str = ""
    rows: int = 0
    in_region: int = 0
    matched: int = 0
    created: int = 0
    refreshed: int = 0
    dismissed_kept: int = 0
    already_listed: int = 0
    checked: int = 0
    flags_raised: dict = field(default_factory=dict)  # kind -> count of new flags
    flags_resolved: int = 0
    findings: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0
    dry_run: bool = False

    def add_error(self, error):
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(error)


class _Import:
    """One import: reads entries, writes candidates a batch at a time, then the findings.

    Writing as it reads keeps memory flat however many entries the rules select; the caller holds
    one transaction around the whole run, so nothing is kept unless the run finishes."""

    def __init__(self, register, *, rules, complete, now, dry_run):
        self.register = register
        self.rules = rules
        self.complete = complete
        self.now = now
        self.dry_run = dry_run
        self.listed = checks.listed_organisations(register)
        self.pending = {}  # register id -> (entry, reasons, listed)
        self.findings = []
        self.seen_listed = set()

    def read(self, source, result, progress):
        reader = READERS[self.register](source, rules=self.rules, listed_ids=self.listed, progress=progress)
        for item in reader:
            if isinstance(item, RowError):
                result.add_error(item)
                continue
            self.take(item, result)
            if len(self.pending) >= BATCH_SIZE:
                self.flush(result, source.name)
        self.flush(result, source.name)
        result.rows = reader.rows
        if self.complete:
            for register_id, organisations in self.listed.items():
                if register_id not in self.seen_listed:
                    self.findings += [checks.missing(org, register_id, source.name) for org in organisations]

    def take(self, entry, result):
        listed = self.listed.get(entry.register_id, [])
        if listed:
            self.seen_listed.add(entry.register_id)
            result.checked += len(listed)
            for organisation in listed:
                self.findings += checks.compare(organisation, entry)
        if entry.place is not None:
            result.in_region += 1
        reasons = candidate_reasons(entry, self.rules)
        if reasons:
            result.matched += 1
            self.pending[entry.register_id] = (entry, reasons, bool(listed))

    def flush(self, result, file_name):
        """Upsert the pending candidates: facts refresh, review state and organisation stay."""
        states = dict(
            Candidate.objects.filter(register=self.register, register_id__in=list(self.pending)).values_list(
                "register_id", "state"
            )
        )
        candidates = []
        for register_id, (entry, reasons, listed) in self.pending.items():
            state = states.get(register_id)
            if state is None and listed:
                # Already in the directory: the checks cover it; the queue is for what is not.
                result.already_listed += 1
                continue
            result.created += state is None
            result.refreshed += state is not None
            result.dismissed_kept += state == CandidateState.DISMISSED
            candidates.append(self.candidate(entry, reasons, file_name))
        self.pending.clear()
        if not self.dry_run:
            Candidate.objects.bulk_create(
                candidates,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["register", "register_id"],
                update_fields=UPSERT_FIELDS,
            )
        # With DEBUG on, Django keeps every statement's SQL; a long import must not.
        reset_queries()

    def candidate(self, entry, reasons, file_name):
        district = entry.place.district
        facts = {**entry.facts, "region": entry.place.label}
        if entry.founded_year:
            facts["founded_year"] = entry.founded_year
        return Candidate(
            register=entry.register,
            register_id=entry.register_id,
            name=entry.name[:300],
            postcode=entry.place.postcode,
            postcode_district=district,
            local_authority=self.rules.local_authority(district),
            facts=facts,
            reasons=reasons,
            register_url=self.rules.entry_url(entry.register, entry.register_id),
            state=CandidateState.NEW,
            first_seen_at=self.now,
            last_seen_at=self.now,
            source_file=file_name[:200],
        )


def _existing_flags(register, organisation_ids):
    existing = {}
    ids = sorted(organisation_ids)
    for start in range(0, len(ids), 500):
        flags = RegisterFlag.objects.filter(register=register, organisation_id__in=ids[start : start + 500])
        for flag in flags:
            existing[(flag.organisation_id, flag.kind, flag.register_value)] = flag
    return existing


def _write_findings(run, result, file_name):
    """Add new findings as open flags and refresh known ones (a resolved flag stays resolved). An open
    flag about an organisation in the file that the file no longer bears out is closed."""
    present = {org.pk for register_id in run.seen_listed for org in run.listed[register_id]}
    existing = _existing_flags(run.register, present | {f.organisation_id for f in run.findings})
    new, seen = [], set()
    for finding in run.findings:
        key = (finding.organisation_id, finding.kind, finding.register_value)
        if key in seen:
            continue
        seen.add(key)
        flag = existing.get(key)
        if flag is None:
            new.append(_flag(run, finding, file_name))
            result.flags_raised[finding.kind] = result.flags_raised.get(finding.kind, 0) + 1
            continue
        flag.detail, flag.last_seen_at, flag.source_file = finding.detail, run.now, file_name[:200]
        flag.save(update_fields=["detail", "last_seen_at", "source_file"])
    RegisterFlag.objects.bulk_create(new, batch_size=500)
    for key, flag in existing.items():
        if key not in seen and flag.is_open and flag.organisation_id in present:
            flag.resolved_at = run.now
            flag.resolution = f"No longer what the register says ({file_name})."[:300]
            flag.save(update_fields=["resolved_at", "resolution"])
            result.flags_resolved += 1


def _flag(run, finding, file_name):
    return RegisterFlag(
        organisation_id=finding.organisation_id,
        register=run.register,
        register_id=finding.register_id,
        kind=finding.kind,
        register_value=finding.register_value[:300],
        detail=finding.detail,
        first_seen_at=run.now,
        last_seen_at=run.now,
        source_file=file_name[:200],
    )


def import_register(register, path, *, complete=False, dry_run=False, progress=None, rules=None):
    """Read a register file and write its candidates and flags, all in one transaction.

    `register` is "companies_house" or "ods"; `path` a CSV or a zip holding one. `progress(bytes
    read since the last call, file size)` is called as the file is read. Raises LayoutError (nothing
    read) or RulesError; bad rows are reported in the result and skipped. Any exception, Ctrl-C
    included, rolls the whole import back.
    """
    rules = rules or load_rules()
    run = _Import(Register(register), rules=rules, complete=complete, now=timezone.now(), dry_run=dry_run)
    result = ImportResult(register=register, dry_run=dry_run)
    with transaction.atomic(), open_source(path) as source:
        result.file_name = source.name
        run.read(source, result, progress)
        result.findings = len({(f.organisation_id, f.kind, f.register_value) for f in run.findings})
        if not dry_run:
            _write_findings(run, result, source.name)
    return result


# --- Curators' decisions ------------------------------------------------------------------------


def _reviewed(candidate, *, user, state, organisation=None):
    candidate.state = state
    candidate.reviewed_by = user
    candidate.reviewed_at = timezone.now()
    if organisation is not None:
        candidate.organisation = organisation
    candidate.save(update_fields=["state", "reviewed_by", "reviewed_at", "organisation"])


def _open_for_review(candidate, *states):
    if candidate.state not in states:
        raise ValidationError(f"“{candidate.name}” is already {candidate.get_state_display().lower()}.")


def organisation_fields(candidate):
    """The fields of a draft organisation made from a candidate: the register's facts, no guesses."""
    facts = candidate.facts
    address = facts.get("address", {})
    # Companies House: care of, PO box, two lines, then the post town. ODS: lines 1-3, then the town
    # in line 4 (and the county in line 5).
    lines = [address.get(key, "") for key in ("care_of", "po_box", "line_1", "line_2", "line_3")]
    founded = facts.get("founded_year")
    fields = {
        # The registered name, in both: the curator shortens `name` to the name people use
        # ("Acme Medical" for "ACME MEDICAL DEVICES LIMITED"); `legal_name` keeps the register's.
        "name": candidate.name[:200],
        "legal_name": candidate.name[: Organisation._meta.get_field("legal_name").max_length],
        "organisation_type": (
            Organisation.Type.COMPANY
            if candidate.register == Register.COMPANIES_HOUSE
            else Organisation.Type.NHS
        ),
        "companies_house_number": candidate.companies_house_number,
        "ods_code": candidate.ods_code,
        "address_line": ", ".join(line for line in lines if line)[:300],
        "town": (address.get("post_town") or address.get("line_4", ""))[:100],
        "postcode": candidate.postcode,
        "local_authority": (
            candidate.local_authority
            if candidate.local_authority in Organisation.LocalAuthority.values
            else ""
        ),
        "founded_year": founded
        if isinstance(founded, int) and founded <= datetime.date.today().year
        else None,
        "source_url": candidate.register_url,
    }
    return fields


@transaction.atomic
def accept_candidate(*, candidate, user):
    """Create a draft organisation from a new candidate and remember that it became it."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    _open_for_review(candidate, CandidateState.NEW)
    organisation = Organisation(status=Status.DRAFT, **organisation_fields(candidate))
    organisation.full_clean()
    organisation._history_user = user
    organisation._change_reason = f"From {candidate.get_register_display()} {candidate.register_id}"
    organisation.save()
    _reviewed(candidate, user=user, state=CandidateState.ACCEPTED, organisation=organisation)
    return organisation


@transaction.atomic
def link_candidate(*, candidate, organisation, user):
    """Record that a candidate is an organisation already listed; give that organisation the
    candidate's number or code when it has none (a model save, so history records it).

    Returns a note for the curator when the organisation keeps a different number of its own."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    _open_for_review(candidate, CandidateState.NEW, CandidateState.DISMISSED)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if candidate.register == Register.COMPANIES_HOUSE:
        field, label = "companies_house_number", "Companies House number"
    else:
        field, label = "ods_code", "ODS code"
    current, note = getattr(organisation, field), ""
    if not current:
        setattr(organisation, field, candidate.register_id)
        organisation.validate_constraints()
        organisation._history_user = user
        organisation._change_reason = f"Linked to {candidate.get_register_display()} {candidate.register_id}"
        organisation.save()
    elif current != candidate.register_id:
        note = (
            f"“{organisation.name}” keeps its own {label} {current}; {candidate.register_id} was not copied."
        )
    _reviewed(candidate, user=user, state=CandidateState.LINKED, organisation=organisation)
    return note


def dismiss_candidates(*, candidates, user):
    """Dismiss new candidates; later imports refresh their facts but never bring them back."""
    dismissed = 0
    for candidate in candidates:
        if candidate.state == CandidateState.NEW:
            _reviewed(candidate, user=user, state=CandidateState.DISMISSED)
            dismissed += 1
    return dismissed


def restore_candidates(*, candidates, user):
    """Put dismissed candidates back in the review queue."""
    restored = 0
    for candidate in candidates:
        if candidate.state == CandidateState.DISMISSED:
            _reviewed(candidate, user=user, state=CandidateState.NEW)
            restored += 1
    return restored


def resolve_flags(*, flags, user, resolution="Checked by a curator."):
    resolved = 0
    now = timezone.now()
    for flag in flags:
        if flag.is_open:
            flag.resolved_at, flag.resolved_by, flag.resolution = now, user, resolution
            flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
            resolved += 1
    return resolved
