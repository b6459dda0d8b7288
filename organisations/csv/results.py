"""What an import reports: errors by line and column, and the action taken on each row."""

from dataclasses import dataclass, field

from ..duplicates import Entry


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
    # For a new row, what duplicate detection compares (the preview warns about likely twins).
    entry: Entry | None = None


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

    def add_error(self, line, column, reason):
        self.errors.append(RowError(line, column, reason))

    def count(self, action):
        setattr(self, action, getattr(self, action) + 1)


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, header)."""
