"""CSV import and export of organisations (ARCHITECTURE.md §7).

- columns: the format both directions share (columns, `;` separator, formula guard);
- export: the directory as formula-guarded rows, streamed;
- import, in steps: reading (encoding, header, rows in chunks) → form (each row's cells cleaned, errors
  by column) → identity (which organisation a row is, and its parent) → plan (what to create or
  change) → write (bulk, with history); service runs the checking and the writing pass.
"""

from .columns import CSV_COLUMNS
from .export import export_rows, stream_csv, write_csv
from .results import ImportFileError, ImportResult, RowError, RowOutcome
from .service import import_csv

__all__ = [
    "CSV_COLUMNS",
    "ImportFileError",
    "ImportResult",
    "RowError",
    "RowOutcome",
    "export_rows",
    "import_csv",
    "stream_csv",
    "write_csv",
]
