"""Which organisation a row is, and which its parent is.

A row updates the organisation with its slug (derived from the name when the cell is blank), else
the one with its Companies House number, else it creates one. A parent is named by slug or name: an
organisation in the directory or a row earlier in the file. `Directory` answers for one chunk of rows
in a fixed number of queries; `FileIndex` remembers the rows already read, for duplicate checks and
parents.
"""

from django.db.models import Q
from django.db.models.functions import Lower

from ..models import Organisation
from .columns import MULTI_VALUED, RELATION_COLUMNS

Membership = Organisation.membership_model()


class Ambiguous:
    """More than one organisation has this name: a parent must then be given by slug."""


AMBIGUOUS = Ambiguous()


class Directory:
    """The organisations a chunk of rows may update or name as parent, and their current sets."""

    def __init__(self, rows):
        slugs, companies, parent_refs = set(), set(), set()
        for row in rows:
            slugs.add(row.key_slug)
            if row.company:
                companies.add(row.company)
            if row.cells.get("parent"):
                parent_refs.add(row.cells["parent"])
        # The repeated "not empty" condition lets PostgreSQL use the partial unique index on the
        # number; without it a long IN list means a scan of the whole table for every chunk.
        has_company = Q(companies_house_number__in=companies) & ~Q(companies_house_number="")
        existing = Organisation.objects.filter(Q(slug__in=slugs) | has_company).order_by()
        existing = {o.pk: o for o in existing.defer("search_vector")}
        self.by_slug = {o.slug: o for o in existing.values()}
        self.by_company = {o.companies_house_number: o for o in existing.values() if o.companies_house_number}
        self.parents_by_slug = dict(
            Organisation.objects.filter(slug__in=parent_refs).values_list("slug", "pk")
        )
        self.parents_by_name = self._parents_by_name(parent_refs - set(self.parents_by_slug))
        self.current_sets = self._current_sets(list(existing))

    @staticmethod
    def _parents_by_name(refs):
        """{lower-case name: pk, or AMBIGUOUS when several organisations have that name}."""
        found = {}
        for name, pk in (
            Organisation.objects.annotate(lower_name=Lower("name"))
            .filter(lower_name__in={ref.lower() for ref in refs})
            .order_by()
            .values_list("lower_name", "pk")
        ):
            found[name] = AMBIGUOUS if name in found else pk
        return found

    @staticmethod
    def _current_sets(ids):
        """{column: {organisation id: set of ids}} of the multi-valued columns (no entry: empty)."""
        sets = {column: {} for column in MULTI_VALUED}
        if not ids:
            return sets
        for column, other in RELATION_COLUMNS.items():
            through = Organisation._meta.get_field(column).remote_field.through
            for org_id, pk in through.objects.filter(organisation_id__in=ids).values_list(
                "organisation_id", other
            ):
                sets[column].setdefault(org_id, set()).add(pk)
        for org_id, pk in Membership.objects.filter(organisation_id__in=ids).values_list(
            "organisation_id", "initiative_id"
        ):
            sets["initiatives"].setdefault(org_id, set()).add(pk)
        return sets

    def identify(self, row):
        """Set the organisation the row updates (None for a new one) and the slug it will have."""
        row.target = self.by_slug.get(row.key_slug) or (
            self.by_company.get(row.company) if row.company else None
        )
        row.final_slug = row.cells.get("slug") or (row.target.slug if row.target else row.key_slug)


class FileIndex:
    """The rows of the file read so far (in this pass)."""

    def __init__(self):
        self.slugs = {}  # slug -> (line, pk of the organisation the row updates, or None)
        self.names = {}  # lower-case name -> slug, or AMBIGUOUS
        self.companies = {}  # Companies House number -> line
        self.targets = {}  # pk of an updated organisation -> line
        self.parent_slugs = set()  # new rows that a row names as its parent

    def duplicate_errors(self, row, directory):
        """[(column, reason)] for a slug, organisation or Companies House number that an earlier
        row has, or that another organisation in the directory has."""
        errors, target, company = [], row.target, row.company
        if row.key_slug in self.slugs:
            errors.append(
                ("slug", f"The slug “{row.key_slug}” is also on line {self.slugs[row.key_slug][0]}.")
            )
        if target is not None and target.pk in self.targets:
            column = "slug" if "slug" in row.cells else "name"
            errors.append(
                (column, f"This row and line {self.targets[target.pk]} both update “{target.name}”.")
            )
        if company and company in self.companies:
            errors.append(
                (
                    "companies_house_number",
                    f"The Companies House number {company} is also on line {self.companies[company]}.",
                )
            )
        owner = directory.by_company.get(company) if company else None
        if owner is not None and (target is None or owner.pk != target.pk):
            errors.append(
                (
                    "companies_house_number",
                    f"“{owner.name}” ({owner.slug}) already has the Companies House number {company}.",
                )
            )
        return errors

    def remember(self, row):
        """Record the row for the checks and parents of the rows after it."""
        pk = row.target.pk if row.target is not None else None
        self.slugs.setdefault(row.key_slug, (row.line, pk))
        if row.final_slug != row.key_slug:
            self.slugs.setdefault(row.final_slug, (row.line, pk))
        lower_name = row.cells["name"].lower()
        self.names[lower_name] = AMBIGUOUS if lower_name in self.names else row.final_slug
        if row.company:
            self.companies.setdefault(row.company, row.line)
        if pk is not None:
            self.targets.setdefault(pk, row.line)

    def parent(self, row, directory):
        """(parent id, parent slug, error) for the row's parent cell. A parent that is a new row of
        this file has no id yet: its slug stands in until it is written."""
        ref, target = row.cells["parent"], row.target
        in_file = self.slugs.get(ref) if ref != row.final_slug else None
        lower_ref = ref.lower()
        name_slug = self.names.get(lower_ref) if row.cells["name"].lower() != lower_ref else None
        if ref == row.final_slug or (target is not None and directory.parents_by_slug.get(ref) == target.pk):
            return None, None, "An organisation cannot be its own parent."
        if in_file is not None:
            return self._in_file(ref, in_file)
        if ref in directory.parents_by_slug:
            return directory.parents_by_slug[ref], None, None
        if name_slug is AMBIGUOUS or directory.parents_by_name.get(lower_ref) is AMBIGUOUS:
            return None, None, f"Several organisations are named “{ref}”: give the slug."
        if name_slug is not None:
            return self._in_file(name_slug, self.slugs[name_slug])
        if lower_ref in directory.parents_by_name:
            return directory.parents_by_name[lower_ref], None, None
        return (
            None,
            None,
            f"No organisation with the slug or name “{ref}” in the directory or earlier in this file.",
        )

    def _in_file(self, slug, seen):
        _line, pk = seen
        if pk:
            return pk, None, None
        self.parent_slugs.add(slug)
        return None, slug, None
