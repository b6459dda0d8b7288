"""Planning a row: the organisation it creates or updates, only the columns that change, the parent
and the relation sets, and the errors that keep it from being written.

Both passes of an import plan every row the same way. The checking pass then validates each planned
organisation with the model's field validation and counts the outcomes; the writing pass writes the
plans of a file that passed.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ..models import Organisation, Status
from .columns import CSV_COLUMNS, MULTI_VALUED, TEXT_COLUMNS
from .form import clean_row
from .identity import Directory, FileIndex

# Columns the row sets on the organisation itself (the slug is handled on its own).
_MODEL_COLUMNS = {*TEXT_COLUMNS, "organisation_type", "status", "local_authority", "employees_band"}
_MODEL_COLUMNS |= {"headquartered_in_leeds", "founded_year", "last_verified_on"}
# What the model's field validation checks: the text cells as given, the founded year's range and
# the slug. The form's other values (choices, flags, dates) are valid by construction.
_MODEL_CHECKED = {*TEXT_COLUMNS, "founded_year", "slug"}
_NOT_CHECKED = frozenset(f.name for f in Organisation._meta.fields) - _MODEL_CHECKED


@dataclass(slots=True)
class RowPlan:
    line: int
    instance: Organisation
    action: str  # "created", "updated" or "unchanged"
    given: list  # the organisation's columns the row sets
    changed: set  # those that change, and "parent"
    relations: dict  # column -> set of ids, only for given columns whose set changes
    parent_slug: str | None  # a parent that is a new row of this file: its id is known once written
    old_slug: str | None  # the slug an updated organisation leaves (a redirect)
    leaves_public: bool  # a published organisation's status changes
    errors: list  # [(column, reason)]

    @property
    def is_new(self):
        return self.action == "created"

    def changes(self):
        """The CSV columns whose value changes on an updated organisation."""
        if self.is_new:
            return ()
        return tuple(c for c in CSV_COLUMNS if c in self.changed or c in self.relations)

    def model_errors(self):
        """[(column, message)] from the model's validation of the columns the row sets, and the slug."""
        exclude = _NOT_CHECKED | (_MODEL_CHECKED - {*self.given, "slug"})
        try:
            self.instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            return [
                (column if column in CSV_COLUMNS else None, message)
                for column, messages in error.message_dict.items()
                for message in messages
            ]
        return []


class Planner:
    """Plans the rows of one file, chunk by chunk, in file order."""

    def __init__(self, *, fields, may_publish):
        self.fields = fields
        self.may_publish = may_publish
        self.index = FileIndex()

    def plan_chunk(self, chunk):
        """Yield a RowPlan for each (line, {column: cell}) of the chunk, one at a time: a later row
        that names the same organisation (an error) changes the same instance, so each plan is
        checked before the next row is planned."""
        rows = [clean_row(line, cells, self.fields) for line, cells in chunk]
        directory = Directory(rows)
        for row in rows:
            yield self.plan_row(row, directory)

    def plan_row(self, row, directory):
        directory.identify(row)
        row.errors += self.index.duplicate_errors(row, directory)
        self.index.remember(row)
        parent_id, parent_slug = None, None
        if row.cells.get("parent"):
            parent_id, parent_slug, error = self.index.parent(row, directory)
            if error:
                row.errors.append(("parent", error))
        if "status" in row.values and not self.may_publish:
            current = row.target.status if row.target else Status.DRAFT
            if row.values["status"] != current:
                row.errors.append(("status", "Editors cannot set status: leave the status column empty."))
        plan = self._apply(row)
        if "parent" in row.cells:
            if parent_slug is not None or parent_id != plan.instance.parent_id:
                plan.changed.add("parent")
            plan.instance.parent_id = parent_id
            plan.parent_slug = parent_slug
        self._plan_relations(plan, row, directory)
        return plan

    @staticmethod
    def _apply(row):
        """The organisation with the row's values set, and which of its columns change."""
        values = row.values
        instance = row.target if row.target is not None else Organisation()
        given = [column for column in values if column in _MODEL_COLUMNS]
        if row.cells.get("slug"):
            given.append("slug")
        original = {column: getattr(instance, column) for column in given}
        for column in given:
            setattr(instance, column, row.cells["slug"] if column == "slug" else values[column])
        if row.target is None:
            instance.slug = row.cells.get("slug") or row.key_slug
            instance.status = values.get("status", Status.DRAFT)
        # Identifiers in canonical form before comparing (the model's validation reports bad ones).
        instance.normalise_identifiers()
        changed = {column for column in given if getattr(instance, column) != original[column]}
        return RowPlan(
            line=row.line,
            instance=instance,
            action="created" if row.target is None else "updated",
            given=given,
            changed=changed,
            relations={},
            parent_slug=None,
            old_slug=original["slug"] if row.target is not None and "slug" in changed else None,
            leaves_public="status" in changed and original["status"] == Status.PUBLISHED,
            errors=row.errors,
        )

    @staticmethod
    def _plan_relations(plan, row, directory):
        for column in MULTI_VALUED:
            if column not in row.values:
                continue
            current = directory.current_sets[column].get(row.target.pk, set()) if row.target else set()
            if row.values[column] != current:
                plan.relations[column] = row.values[column]
        if plan.action == "updated" and not (plan.changed or plan.relations):
            plan.action = "unchanged"
