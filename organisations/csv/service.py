"""The one import service, used by `manage.py import_organisations` and the admin (ARCHITECTURE.md §7).

An import reads the file twice. The checking pass plans and validates every row, keeping only small
indexes (slugs, names, Companies House numbers); the writing pass, run only when no row is bad, plans
the rows again chunk by chunk and writes them inside one transaction. Memory therefore stays flat
however long the file is.

Rules worth knowing:
- Only `name` is required; a missing column leaves that field alone; a given empty cell clears a field
  (for `organisation_type`, `status` and `headquartered_in_leeds` an empty cell keeps the current value,
  or the default for new rows). A given multi-valued cell replaces the whole set; empty clears it.
- Rows are matched by slug (derived from the name when blank), else by Companies House number.
- Without the publish permission (an Editor), a row that would set or change `status` is an error
  ("Editors cannot set status"); new rows arrive as drafts.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, reset_queries, transaction

from .. import search
from ..duplicates import Entry
from ..permissions import can_publish
from . import reading
from .form import row_fields
from .plan import Planner
from .results import ImportFileError, ImportResult, RowError, RowOutcome
from .write import Writer


def import_csv(*, file, user=None, dry_run=False, progress=None, keep_rows=True):
    """Validate every row of a CSV file, then (unless dry_run or any row is bad) write them all.

    `file` is a path or a binary file object. `progress(stage, rows)` is called after each chunk
    with stage "validate" or "write". Returns an ImportResult: `.errors` (line, column, reason),
    `.created`, `.updated`, `.unchanged` and, with keep_rows, one RowOutcome per row for previews.
    """
    binary = reading.open_binary(file)
    try:
        return _import(binary, user=user, dry_run=dry_run, progress=progress, keep_rows=keep_rows)
    finally:
        if isinstance(file, (str, Path)):
            binary.close()


def user_can_publish(user):
    if user is None:
        # The command run without --user is an operator's import with full rights.
        return True
    return can_publish(user)


def _import(binary, *, user, dry_run, progress, keep_rows):
    result = ImportResult(dry_run=dry_run)
    try:
        fields, parent_slugs = check(binary, user=user, result=result, progress=progress, keep_rows=keep_rows)
    except ImportFileError as error:
        result.errors.append(RowError(None, None, str(error)))
        return result
    result.errors.sort(key=lambda e: e.line or 0)
    if result.errors or dry_run or not (result.created or result.updated):
        # Nothing to write when every row matches the directory already (a re-imported export).
        return result
    try:
        with transaction.atomic():
            writer = Writer(user=user, parent_slugs=parent_slugs)
            write(binary, fields=fields, user=user, writer=writer, result=result, progress=progress)
    except (IntegrityError, ValidationError) as error:
        # Another change landed between checking and writing; nothing was written.
        result.errors.append(RowError(None, None, f"Nothing was imported: {error}"))
        return result
    result.written = True
    if writer.left_public:
        refresh_search_index()
    return result


def check(binary, *, user, result, progress, keep_rows):
    """The checking pass: plan and validate every row, report the errors and count the outcomes.
    Returns the row fields for the writing pass and the new rows that other rows name as parent."""
    records = reading.records(binary)
    columns = reading.read_header(records)
    fields = row_fields(columns)
    planner = Planner(fields=fields, may_publish=user_can_publish(user))
    for chunk in reading.row_chunks(records, columns, result):
        for plan in planner.plan_chunk(chunk):
            errors = plan.errors + plan.model_errors()
            for column, reason in errors:
                result.add_error(plan.line, column, reason)
            if not errors:
                result.count(plan.action)
                if keep_rows:
                    result.rows.append(_outcome(plan))
        _forget_logged_queries()
        if progress:
            progress("validate", len(chunk))
    return fields, planner.index.parent_slugs


def write(binary, *, fields, user, writer, result, progress):
    """The writing pass, inside the transaction: plan the rows again and write what changes."""
    records = reading.records(binary)
    columns = reading.read_header(records)
    planner = Planner(fields=fields, may_publish=user_can_publish(user))
    for chunk in reading.row_chunks(records, columns, result):
        plans = list(planner.plan_chunk(chunk))
        for plan in plans:
            for column, reason in plan.errors:
                result.add_error(plan.line, column, reason)
        if result.errors:
            raise ValidationError(str(result.errors[0]))
        writer.write([plan for plan in plans if plan.action != "unchanged"])
        _forget_logged_queries()
        if progress:
            progress("write", len(chunk))


def refresh_search_index():
    """Rebuild the search index and vocabulary (the search module's triggers handle the rest)."""
    search.rebuild_index()


def _forget_logged_queries():
    """With DEBUG on, Django keeps the SQL of every query (megabytes per chunk here): an import must
    stay at flat memory. A test capturing queries (force_debug_cursor) keeps its log."""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


def _outcome(plan):
    o = plan.instance
    return RowOutcome(
        line=plan.line,
        name=o.name,
        slug=o.slug,
        action=plan.action,
        changes=plan.changes(),
        # A new row has no id yet: its line, negated, stands in for one.
        entry=Entry.from_organisation(o, pk=-plan.line) if plan.is_new else None,
    )
