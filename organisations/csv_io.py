"""CSV import and export of organisations (ARCHITECTURE.md §7).

One streaming service serves the `import_organisations` command and the admin. An import reads the
file twice: the first pass validates every row (keeping only small indexes: slugs, names, Companies
House numbers), the second, run only when no row is bad, writes the rows chunk by chunk inside one
transaction. Memory therefore stays flat however long the file is.

Rules worth knowing:
- Only `name` is required; a missing column leaves that field alone; a given empty cell clears a field
  (for `organisation_type`, `status` and `headquartered_in_leeds` an empty cell keeps the current value,
  or the default for new rows). A given multi-valued cell replaces the whole set; empty clears it.
- Rows are matched by slug (derived from the name when blank), else by Companies House number.
- Without the publish permission (an Editor), a row that would set or change `status` is an error
  ("Editors cannot set status"); new rows arrive as drafts.
"""

import contextlib
import csv
import datetime
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, reset_queries, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from core.validators import normalise_companies_house_number, postcode_district

from . import search
from .bulk import copy_to_history, insert_pairs, update_rows
from .models import CareSetting, Organisation, OrganisationSlugRedirect, RegulatoryMark, Sector, Status
from .permissions import can_publish

# Memberships belong to the initiatives app, which builds on this one: reached through the relation.
Membership = Organisation.membership_model()
Initiative = Organisation.initiative_model()

CSV_COLUMNS = [
    "name",
    "slug",
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

TEXT_COLUMNS = [
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
    "companies_house_number",
    "ods_code",
    "source_url",
]
CHOICE_COLUMNS = {
    "organisation_type": Organisation.Type,
    "status": Status,
    "local_authority": Organisation.LocalAuthority,
    "employees_band": Organisation.EmployeesBand,
}
# A choice cell may hold the stored value ("public_body") or its label ("Public body"), in any case.
CHOICE_LOOKUP = {
    column: {
        **{str(label).lower(): value for value, label in choices.choices},
        **{value: value for value in choices.values},
    }
    for column, choices in CHOICE_COLUMNS.items()
}
# Required choices: an empty cell keeps the current value (or the default for a new row).
KEEP_WHEN_EMPTY = {"organisation_type", "status", "headquartered_in_leeds"}
M2M_COLUMNS = ["sectors", "care_settings", "regulatory_marks"]
MULTI_VALUED = {*M2M_COLUMNS, "initiatives"}
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0"}

CHUNK_SIZE = 2000
FORMULA_TRIGGERS = "=+-@\t\r"
# A cell a spreadsheet would run as a formula, even behind quotes we added before.
_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r]")
_SEPARATOR = ";"
_HISTORY_REASON = "CSV import"


def guard_formula(value):
    """Prefix a leading `'` so that spreadsheets show the cell as text; import strips it again."""
    return "'" + value if _NEEDS_GUARD.match(value) else value


def unguard_formula(value):
    if len(value) > 1 and value[0] == "'" and _NEEDS_GUARD.match(value[1:]):
        return value[1:]
    return value


# --- Export -------------------------------------------------------------------------------------------


# Plain columns read straight from the organisation row, in one query per chunk; the parent's
# status decides whether a public export may name it.
_EXPORT_FIELDS = [
    "pk",
    "parent__slug",
    "parent__status",
    *(column for column in CSV_COLUMNS if column != "parent" and column not in MULTI_VALUED),
]


def _related_cells(ids, *, public):
    """{column: {organisation id: "a; b"}} for the multi-valued columns of one chunk: four queries."""
    through = {
        "sectors": (Organisation.sectors.through, "sector__name", None),
        "care_settings": (Organisation.care_settings.through, "caresetting__slug", None),
        "regulatory_marks": (Organisation.regulatory_marks.through, "regulatorymark__slug", None),
        "initiatives": (Membership, "initiative__name", "initiative__status"),
    }
    cells = {}
    for column, (model, value_field, status_field) in through.items():
        rows = model.objects.filter(organisation_id__in=ids)
        if public and status_field:
            rows = rows.filter(**{status_field: Status.PUBLISHED})
        values = {}
        for organisation_id, value in rows.order_by().values_list("organisation_id", value_field):
            values.setdefault(organisation_id, []).append(value)
        cells[column] = {key: "; ".join(sorted(names)) for key, names in values.items()}
    return cells


def _export_chunks(queryset):
    chunk = []
    for row in queryset.values(*_EXPORT_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def export_rows(queryset, *, public=False):
    """Yield the header, then one list of formula-guarded cells per organisation, in queryset order.

    Plain values per chunk of 2,000 rows plus four queries for the multi-valued cells: no model
    instances, a constant number of queries per chunk and flat memory however many rows there are.
    With `public`, a parent or an initiative that is not published is left out of the cells.
    """
    yield list(CSV_COLUMNS)
    for chunk in _export_chunks(queryset):
        related = _related_cells([row["pk"] for row in chunk], public=public)
        for row in chunk:
            values = dict(row)
            hide_parent = public and values["parent__status"] != Status.PUBLISHED
            values["parent"] = "" if hide_parent else values["parent__slug"]
            for column, by_id in related.items():
                values[column] = by_id.get(row["pk"], "")
            yield [guard_formula(_cell(values[column])) for column in CSV_COLUMNS]


class _Echo:
    def write(self, value):
        return value


def stream_csv(queryset, *, bom=True, public=False):
    """Yield UTF-8 encoded CSV lines for a StreamingHttpResponse (a BOM first, for Excel)."""
    writer = csv.writer(_Echo())
    if bom:
        yield "\ufeff".encode()
    for row in export_rows(queryset, public=public):
        yield writer.writerow(row).encode()


def write_csv(queryset, stream):
    """Write the export to a text stream opened with newline=''."""
    writer = csv.writer(stream)
    for row in export_rows(queryset):
        writer.writerow(row)


# --- Import results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int | None
    column: str | None
    reason: str

    def __str__(self):
        where = [f"line {self.line}"] if self.line else []
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


@dataclass(frozen=True)
class RowOutcome:
    line: int
    name: str
    slug: str
    action: str  # "created", "updated" or "unchanged"
    changes: tuple = ()


@dataclass
class ImportResult:
    errors: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    written: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def total(self):
        return self.created + self.updated + self.unchanged


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, header)."""


# --- Import -------------------------------------------------------------------------------------------


def user_can_publish(user):
    if user is None:
        # The command run without --user is an operator's import with full rights.
        return True
    return can_publish(user)


@dataclass
class _Plan:
    line: int
    instance: Organisation
    is_new: bool
    changed: set
    parent_slug: str | None  # a parent that is a row of this file, resolved to a pk at write time
    m2m: dict  # column -> set of ids, only for given columns whose set changed
    old_slug: str | None


_AMBIGUOUS = object()


class _Importer:
    def __init__(self, *, user, keep_rows, progress):
        self.user = user
        self.may_publish = user_can_publish(user)
        self.keep_rows = keep_rows
        self.progress = progress
        self.sectors = self._lookup(Sector, by_name=True)
        self.initiatives = self._lookup(Initiative, by_name=True)
        self.care_settings = self._lookup(CareSetting, by_name=False)
        self.regulatory_marks = self._lookup(RegulatoryMark, by_name=False)
        self.sector_names = dict(Sector.objects.values_list("pk", "name"))
        self.result = ImportResult()
        self.writing = False
        # The search triggers keep the index current; only words of entries that left the public
        # site need a rebuild of the vocabulary.
        self.left_public = False

    @staticmethod
    def _lookup(model, *, by_name):
        lookup = {}
        for pk, slug, name in model.objects.values_list("pk", "slug", "name"):
            if by_name:
                lookup[name.strip().lower()] = pk
            lookup[slug] = pk
        return lookup

    # -- reading

    def records(self, binary):
        """Yield (line where the record starts, cells); raise ImportFileError for unreadable files."""
        binary.seek(0)
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, strict=False)
        start = 1
        try:
            while True:
                start = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                if not any(cell.strip() for cell in cells):
                    continue
                yield start, cells
        except UnicodeDecodeError:
            raise ImportFileError(
                f"The file is not UTF-8 text (an unreadable character near line {start}). "
                "Save it as “CSV UTF-8” and try again."
            ) from None
        except csv.Error as error:
            raise ImportFileError(f"Line {start}: this is not a readable CSV record ({error}).") from None
        finally:
            text.detach()

    def read_header(self, records):
        try:
            line, cells = next(records)
        except StopIteration:
            raise ImportFileError("The file is empty: the first line must name the columns.") from None
        columns = [cell.strip().lower() for cell in cells]
        unknown = [c for c in columns if c not in CSV_COLUMNS]
        if unknown:
            raise ImportFileError(
                "Unknown column"
                + ("s" if len(unknown) > 1 else "")
                + ": "
                + ", ".join(f"“{c}”" for c in unknown)
                + ". The columns are: "
                + ", ".join(CSV_COLUMNS)
                + "."
            )
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        if duplicated:
            raise ImportFileError("Columns given more than once: " + ", ".join(duplicated) + ".")
        if "name" not in columns:
            raise ImportFileError("The column “name” is required.")
        return columns

    def chunks(self, records, columns):
        chunk = []
        for line, cells in records:
            if len(cells) != len(columns):
                self.error(
                    line,
                    None,
                    f"This row has {len(cells)} cells but the header has {len(columns)} columns.",
                )
                continue
            # PostgreSQL cannot store a NUL character: refuse it here, with the rest of the checks, so
            # that a dry run and the admin's preview report it rather than the write failing.
            with_nul = [column for column, cell in zip(columns, cells, strict=True) if "\x00" in cell]
            for column in with_nul:
                self.error(line, column, "This cell contains a NUL character (an invisible 0x00); remove it.")
            if with_nul:
                continue
            row = {}
            for column, cell in zip(columns, cells, strict=True):
                value = cell if column == "description" else cell.strip()
                row[column] = unguard_formula(value)
            chunk.append((line, row))
            if len(chunk) >= CHUNK_SIZE:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def error(self, line, column, reason):
        self.result.errors.append(RowError(line, column, reason))

    # -- validation

    def reset(self):
        self.seen_slugs = {}  # slug -> (line, pk of an existing organisation or None)
        self.seen_names = {}  # lower-case name -> slug, or _AMBIGUOUS
        self.seen_companies = {}  # Companies House number -> line
        self.seen_targets = {}  # pk -> line
        self.parent_slugs = set()  # new rows another row names as parent

    def plan_chunk(self, chunk):
        parsed = []
        for line, row in chunk:
            values, errors = self.parse(row)
            for column, reason in errors:
                self.error(line, column, reason)
            parsed.append((line, row, values, not errors))

        slugs, companies, parent_refs = set(), set(), set()
        for _line, row, values, _ok in parsed:
            slugs.add(values["_key_slug"])
            if values.get("companies_house_number"):
                companies.add(values["companies_house_number"])
            if row.get("parent"):
                parent_refs.add(row["parent"])
        # The repeated "not empty" condition lets PostgreSQL use the partial unique index on the
        # number; without it a long IN list means a scan of the whole table for every chunk.
        has_company = Q(companies_house_number__in=companies) & ~Q(companies_house_number="")
        existing = {
            o.pk: o
            for o in Organisation.objects.filter(Q(slug__in=slugs) | has_company)
            .order_by()
            .defer("search_vector")
        }
        by_slug = {o.slug: o for o in existing.values()}
        by_company = {o.companies_house_number: o for o in existing.values() if o.companies_house_number}
        parents_by_slug = dict(Organisation.objects.filter(slug__in=parent_refs).values_list("slug", "pk"))
        parents_by_name = {}
        for name, pk in (
            Organisation.objects.annotate(lower_name=Lower("name"))
            .filter(lower_name__in={r.lower() for r in parent_refs - set(parents_by_slug)})
            .order_by()
            .values_list("lower_name", "pk")
        ):
            parents_by_name[name] = _AMBIGUOUS if name in parents_by_name else pk
        current_m2m = self.current_sets(existing)

        plans = []
        for line, row, values, ok in parsed:
            plan = self.plan_row(
                line,
                row,
                values,
                ok,
                by_slug=by_slug,
                by_company=by_company,
                parents_by_slug=parents_by_slug,
                parents_by_name=parents_by_name,
                current_m2m=current_m2m,
            )
            if plan:
                plans.append(plan)
        return plans

    def parse(self, row):
        """Turn cells into Python values; return (values, [(column, reason)])."""
        values, errors = {}, []
        for column in TEXT_COLUMNS:
            if column in row:
                values[column] = row[column]
        if not row["name"]:
            errors.append(("name", "A name is required."))
        for column, choices in CHOICE_COLUMNS.items():
            if column not in row or (not row[column] and column in KEEP_WHEN_EMPTY):
                continue
            value = row[column]
            if not value:
                values[column] = ""
                continue
            match = CHOICE_LOOKUP[column].get(value.lower())
            if match is None:
                errors.append((column, f"“{value}” is not one of: {', '.join(choices.values)}."))
            else:
                values[column] = match
        if row.get("headquartered_in_leeds"):
            word = row["headquartered_in_leeds"].lower()
            if word in TRUE_WORDS:
                values["headquartered_in_leeds"] = True
            elif word in FALSE_WORDS:
                values["headquartered_in_leeds"] = False
            else:
                errors.append(("headquartered_in_leeds", "Enter true or false (yes/no, 1/0)."))
        if "founded_year" in row:
            text = row["founded_year"]
            if not text:
                values["founded_year"] = None
            elif text.isdigit() and len(text) == 4:
                values["founded_year"] = int(text)
            else:
                errors.append(("founded_year", f"“{text}” is not a year: enter four digits, such as 1998."))
        if "last_verified_on" in row:
            text = row["last_verified_on"]
            try:
                values["last_verified_on"] = datetime.date.fromisoformat(text) if text else None
            except ValueError:
                errors.append(("last_verified_on", f"“{text}” is not a date: enter YYYY-MM-DD."))
        for column, lookup in (
            ("sectors", self.sectors),
            ("care_settings", self.care_settings),
            ("regulatory_marks", self.regulatory_marks),
            ("initiatives", self.initiatives),
        ):
            if column not in row:
                continue
            items = [item.strip() for item in row[column].split(_SEPARATOR) if item.strip()]
            ids, unknown = set(), []
            for item in items:
                pk = (
                    lookup.get(item)
                    if column in ("care_settings", "regulatory_marks")
                    else (lookup.get(item) or lookup.get(item.lower()))
                )
                if pk is None:
                    unknown.append(item)
                else:
                    ids.add(pk)
            if unknown:
                kind = "slug" if column in ("care_settings", "regulatory_marks") else "name or slug"
                errors.append((column, f"Unknown {kind}: " + ", ".join(f"“{u}”" for u in unknown) + "."))
            values[column] = ids
        slug = row.get("slug", "")
        values["_key_slug"] = slug or (slugify(row["name"])[:200].strip("-") or "organisation")
        if values.get("companies_house_number"):
            # An invalid number is reported by the model validation, with the model's own message.
            with contextlib.suppress(ValidationError):
                values["companies_house_number"] = normalise_companies_house_number(
                    values["companies_house_number"]
                )
        return values, errors

    def current_sets(self, existing):
        ids = list(existing)
        sets = {column: {pk: set() for pk in ids} for column in MULTI_VALUED}
        if not ids:
            return sets
        for column, target in (
            ("sectors", "sector_id"),
            ("care_settings", "caresetting_id"),
            ("regulatory_marks", "regulatorymark_id"),
        ):
            through = Organisation._meta.get_field(column).remote_field.through
            for org_id, other in through.objects.filter(organisation_id__in=ids).values_list(
                "organisation_id", target
            ):
                sets[column][org_id].add(other)
        for org_id, initiative_id in Membership.objects.filter(organisation_id__in=ids).values_list(
            "organisation_id", "initiative_id"
        ):
            sets["initiatives"][org_id].add(initiative_id)
        return sets

    def plan_row(
        self, line, row, values, ok, *, by_slug, by_company, parents_by_slug, parents_by_name, current_m2m
    ):
        key_slug = values["_key_slug"]
        company = values.get("companies_house_number", "")
        target = by_slug.get(key_slug) or (by_company.get(company) if company else None)
        if key_slug in self.seen_slugs:
            self.error(line, "slug", f"The slug “{key_slug}” is also on line {self.seen_slugs[key_slug][0]}.")
            ok = False
        if target is not None and target.pk in self.seen_targets:
            self.error(
                line,
                "slug" if "slug" in row else "name",
                f"This row and line {self.seen_targets[target.pk]} both update “{target.name}”.",
            )
            ok = False
        if company:
            if company in self.seen_companies:
                self.error(
                    line,
                    "companies_house_number",
                    f"The Companies House number {company} is also on line {self.seen_companies[company]}.",
                )
                ok = False
            owner = by_company.get(company)
            if owner is not None and (target is None or owner.pk != target.pk):
                self.error(
                    line,
                    "companies_house_number",
                    f"“{owner.name}” ({owner.slug}) already has the Companies House number {company}.",
                )
                ok = False

        # Record this row for duplicate and parent checks of the rows after it.
        final_slug = row.get("slug") or (target.slug if target else key_slug)
        self.seen_slugs.setdefault(key_slug, (line, target.pk if target else None))
        if final_slug != key_slug:
            self.seen_slugs.setdefault(final_slug, (line, target.pk if target else None))
        lower_name = row["name"].lower()
        self.seen_names[lower_name] = _AMBIGUOUS if lower_name in self.seen_names else final_slug
        if company:
            self.seen_companies.setdefault(company, line)
        if target is not None:
            self.seen_targets.setdefault(target.pk, line)

        # Parent: a slug or name, in the directory or earlier in this file.
        parent_given = "parent" in row
        parent_id, parent_slug = None, None
        if parent_given and row["parent"]:
            ref = row["parent"]
            in_file = self.seen_slugs.get(ref) if ref != final_slug else None
            name_slug = self.seen_names.get(ref.lower()) if lower_name != ref.lower() else None
            if ref == final_slug or (target is not None and parents_by_slug.get(ref) == target.pk):
                self.error(line, "parent", "An organisation cannot be its own parent.")
                ok = False
            elif in_file is not None:
                parent_id, parent_slug = (in_file[1], None) if in_file[1] else (None, ref)
            elif ref in parents_by_slug:
                parent_id = parents_by_slug[ref]
            elif name_slug is _AMBIGUOUS or parents_by_name.get(ref.lower()) is _AMBIGUOUS:
                self.error(line, "parent", f"Several organisations are named “{ref}”: give the slug.")
                ok = False
            elif name_slug is not None:
                in_file = self.seen_slugs[name_slug]
                parent_id, parent_slug = (in_file[1], None) if in_file[1] else (None, name_slug)
            elif ref.lower() in parents_by_name:
                parent_id = parents_by_name[ref.lower()]
            else:
                self.error(
                    line,
                    "parent",
                    f"No organisation with the slug or name “{ref}” in the directory or earlier in this file.",
                )
                ok = False
            if parent_slug:
                self.parent_slugs.add(parent_slug)

        # Status: only publishers may set or change it.
        if "status" in values and not self.may_publish:
            current = target.status if target else Status.DRAFT
            if values["status"] != current:
                self.error(line, "status", "Editors cannot set status: leave the status column empty.")
                ok = False

        instance = target if target is not None else Organisation()
        given = [c for c in values if c in TEXT_COLUMNS or c in CHOICE_COLUMNS] + [
            c for c in ("headquartered_in_leeds", "founded_year", "last_verified_on") if c in values
        ]
        if row.get("slug"):
            given.append("slug")
        original = {f: getattr(instance, f) for f in given}
        original["parent_id"] = instance.parent_id
        for column in given:
            setattr(instance, column, row["slug"] if column == "slug" else values[column])
        if target is None and not row.get("slug"):
            instance.slug = key_slug
        if target is None:
            instance.status = values.get("status", Status.DRAFT)
        exclude = {f.name for f in Organisation._meta.fields} - set(given) - {"slug"}
        try:
            if self.writing:
                # Validated in the first pass: only put identifiers in canonical form again.
                instance.normalise_identifiers()
            else:
                instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                for message in messages:
                    self.error(line, column if column in CSV_COLUMNS else None, message)
            ok = False
        if not ok:
            return None

        changed = {f for f in given if getattr(instance, f) != original[f]}
        if "status" in changed and original["status"] == Status.PUBLISHED:
            self.left_public = True
        if parent_given:
            if parent_slug is not None or parent_id != original["parent_id"]:
                changed.add("parent")
            instance.parent_id = parent_id
        m2m = {}
        for column in MULTI_VALUED:
            if column not in values:
                continue
            current = current_m2m[column].get(target.pk, set()) if target else set()
            if values[column] != current:
                m2m[column] = values[column]
        if target is None:
            action = "created"
        elif changed or m2m:
            action = "updated"
        else:
            action = "unchanged"
        setattr(self.result, action, getattr(self.result, action) + 1)
        if self.keep_rows:
            self.result.rows.append(
                RowOutcome(
                    line=line,
                    name=instance.name,
                    slug=instance.slug,
                    action=action,
                    changes=tuple(c for c in CSV_COLUMNS if c in changed or c in m2m) if target else (),
                )
            )
        if action == "unchanged":
            return None
        old_slug = original["slug"] if target is not None and "slug" in changed else None
        return _Plan(
            line=line,
            instance=instance,
            is_new=target is None,
            changed=changed,
            parent_slug=parent_slug,
            m2m=m2m,
            old_slug=old_slug,
        )

    # -- writing

    def write_plans(self, plans, created_pks):
        now = timezone.now()
        pending_new, pending_update = [], []

        def flush():
            self.write_batch(pending_new, pending_update, created_pks, now)
            pending_new.clear()
            pending_update.clear()

        for plan in plans:
            if plan.parent_slug is not None:
                if plan.parent_slug not in created_pks:
                    flush()
                plan.instance.parent_id = created_pks[plan.parent_slug]
            (pending_new if plan.is_new else pending_update).append(plan)
        flush()

    def write_batch(self, new, updates, created_pks, now):
        if not new and not updates:
            return
        # Columns derived from the given ones; an update saves only what changed.
        fields = {"updated_at"}
        for plan in (*new, *updates):
            o = plan.instance
            derived = {
                "postcode_district": postcode_district(o.postcode),
                "published_at": now
                if o.status == Status.PUBLISHED and o.published_at is None
                else o.published_at,
            }
            if "sectors" in plan.m2m:
                derived["sector_names"] = " ".join(
                    sorted(self.sector_names[pk] for pk in plan.m2m["sectors"])
                )
            for name, value in derived.items():
                if getattr(o, name) != value:
                    setattr(o, name, value)
                    if not plan.is_new:
                        fields.add(name)
            o.updated_at = now
            if not plan.is_new:
                fields |= plan.changed
        if new:
            objs = Organisation.objects.bulk_create([p.instance for p in new])
            for plan, obj in zip(new, objs, strict=True):
                plan.instance = obj
                if obj.slug in self.parent_slugs:
                    created_pks[obj.slug] = obj.pk
            self.record_history(Organisation, [o.pk for o in objs], "+", now)
        if updates:
            update_rows(Organisation, [p.instance for p in updates], sorted(fields))
            self.record_history(Organisation, [p.instance.pk for p in updates], "~", now)
        plans = [*new, *updates]
        self.write_slug_redirects(plans)
        self.write_relations(plans, now)

    def write_slug_redirects(self, plans):
        OrganisationSlugRedirect.objects.filter(
            old_slug__in=[p.instance.slug for p in plans if p.is_new or p.old_slug]
        ).delete()
        moved = [p for p in plans if p.old_slug]
        if moved:
            OrganisationSlugRedirect.objects.filter(old_slug__in=[p.old_slug for p in moved]).delete()
            OrganisationSlugRedirect.objects.bulk_create(
                [OrganisationSlugRedirect(old_slug=p.old_slug, organisation_id=p.instance.pk) for p in moved]
            )

    def record_history(self, model, pks, history_type, now):
        copy_to_history(
            model, pks, history_type=history_type, user=self.user, reason=_HISTORY_REASON, when=now
        )

    def write_relations(self, plans, now):
        for column, target in (
            ("sectors", "sector_id"),
            ("care_settings", "caresetting_id"),
            ("regulatory_marks", "regulatorymark_id"),
        ):
            changed = [p for p in plans if column in p.m2m]
            if not changed:
                continue
            through = Organisation._meta.get_field(column).remote_field.through
            through.objects.filter(
                organisation_id__in=[p.instance.pk for p in changed if not p.is_new]
            ).delete()
            insert_pairs(
                through,
                ("organisation_id", target),
                [(p.instance.pk, other) for p in changed for other in p.m2m[column]],
            )
        changed = [p for p in plans if "initiatives" in p.m2m]
        if not changed:
            return
        current = {}
        for membership in Membership.objects.filter(
            organisation_id__in=[p.instance.pk for p in changed if not p.is_new]
        ):
            current.setdefault(membership.organisation_id, {})[membership.initiative_id] = membership
        additions = []
        for plan in changed:
            have = current.get(plan.instance.pk, {})
            wanted = plan.m2m["initiatives"]
            for initiative_id, membership in have.items():
                if initiative_id not in wanted:
                    # One by one so that history records each removal; rare in practice.
                    membership._history_user = self.user
                    membership._change_reason = _HISTORY_REASON
                    membership.delete()
            additions += [
                Membership(organisation_id=plan.instance.pk, initiative_id=initiative_id)
                for initiative_id in wanted - set(have)
            ]
        if additions:
            created = Membership.objects.bulk_create(additions)
            self.record_history(Membership, [m.pk for m in created], "+", now)

    # -- the two passes

    def run(self, binary, *, dry_run):
        self.result.dry_run = dry_run
        try:
            columns = self.validate(binary)
        except ImportFileError as error:
            self.result.errors.append(RowError(None, None, str(error)))
            return self.result
        self.result.errors.sort(key=lambda e: e.line or 0)
        if self.result.errors or dry_run:
            return self.result
        if not (self.result.created or self.result.updated):
            # Every row matches the directory already (a re-imported export): nothing to write.
            return self.result
        counts = (self.result.created, self.result.updated, self.result.unchanged)
        try:
            with transaction.atomic():
                self.write(binary, columns)
        except (IntegrityError, ValidationError) as error:
            # Another change landed between validation and writing; nothing was written.
            self.result.errors.append(RowError(None, None, f"Nothing was imported: {error}"))
            return self.result
        self.result.created, self.result.updated, self.result.unchanged = counts
        self.result.written = True
        if self.left_public:
            refresh_search_index()
        return self.result

    def validate(self, binary):
        self.reset()
        records = self.records(binary)
        columns = self.read_header(records)
        for chunk in self.chunks(records, columns):
            self.plan_chunk(chunk)
            _forget_logged_queries()
            if self.progress:
                self.progress("validate", len(chunk))
        return columns

    def write(self, binary, columns):
        keep_rows, self.keep_rows = self.keep_rows, False
        self.writing = True
        parent_slugs = self.parent_slugs
        self.reset()
        self.parent_slugs = parent_slugs
        created_pks = {}
        records = self.records(binary)
        self.read_header(records)
        try:
            for chunk in self.chunks(records, columns):
                plans = self.plan_chunk(chunk)
                if self.result.errors:
                    raise ValidationError(str(self.result.errors[0]))
                self.write_plans(plans, created_pks)
                _forget_logged_queries()
                if self.progress:
                    self.progress("write", len(chunk))
        finally:
            self.keep_rows = keep_rows
            self.writing = False


def _forget_logged_queries():
    """With DEBUG on, Django keeps the SQL of every query (megabytes per chunk here): an import must
    stay at flat memory. A test capturing queries (force_debug_cursor) keeps its log."""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


def refresh_search_index():
    """Rebuild the search index and vocabulary (the search module's triggers handle the rest)."""
    search.rebuild_index()


def _binary(file):
    """A seekable binary file for a path, an uploaded file or any binary stream."""
    if isinstance(file, (str, Path)):
        return open(file, "rb")  # noqa: SIM115 - closed by import_csv
    if hasattr(file, "open") and hasattr(file, "chunks"):
        file.open("rb")
    stream = getattr(file, "file", file)
    if isinstance(stream, io.TextIOBase):
        raise TypeError("import_csv needs a binary file (open it with 'rb').")
    if not getattr(stream, "seekable", lambda: False)():
        spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            spooled.write(block)
        spooled.seek(0)
        return spooled
    return stream


def import_csv(*, file, user=None, dry_run=False, progress=None, keep_rows=True):
    """Validate every row of a CSV file, then (unless dry_run or any row is bad) write them all.

    `file` is a path or a binary file object. `progress(stage, rows)` is called after each chunk
    with stage "validate" or "write". Returns an ImportResult: `.errors` (line, column, reason),
    `.created`, `.updated`, `.unchanged` and, with keep_rows, one RowOutcome per row for previews.
    """
    binary = _binary(file)
    try:
        importer = _Importer(user=user, keep_rows=keep_rows, progress=progress)
        return importer.run(binary, dry_run=dry_run)
    finally:
        if isinstance(file, (str, Path)):
            binary.close()
