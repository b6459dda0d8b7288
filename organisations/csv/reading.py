"""Reading an import file: UTF-8 with or without a BOM, a header of known columns, then the rows in
chunks, each row with the line where its record starts (a record may span several lines)."""

import csv
import io
import tempfile
from pathlib import Path

from .columns import CSV_COLUMNS, unguard_formula
from .results import ImportFileError

CHUNK_SIZE = 2000


def open_binary(file):
    """A seekable binary file for a path, an uploaded file or any binary stream (read twice)."""
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


def records(binary):
    """Yield (line where the record starts, cells) for every non-blank record, from the start of the
    file; raise ImportFileError for a file that is not UTF-8 CSV."""
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
            if any(cell.strip() for cell in cells):
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


def read_header(records):
    """The column names of the first record: known, each given once, `name` among them."""
    try:
        _line, cells = next(records)
    except StopIteration:
        raise ImportFileError("The file is empty: the first line must name the columns.") from None
    columns = [cell.strip().lower() for cell in cells]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown column{'s' if len(unknown) > 1 else ''}: "
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


def row_chunks(records, columns, result):
    """Yield lists of up to CHUNK_SIZE (line, {column: cell}); a record with the wrong number of
    cells or with a NUL character (which PostgreSQL cannot store) is reported to `result` and
    left out. Cells lose surrounding spaces (but a description keeps its own) and the formula guard
    that export adds."""
    chunk = []
    for line, cells in records:
        if len(cells) != len(columns):
            result.add_error(
                line, None, f"This row has {len(cells)} cells but the header has {len(columns)} columns."
            )
            continue
        row, nul = {}, []
        for column, cell in zip(columns, cells, strict=True):
            cell = cell if column == "description" else cell.strip()
            row[column] = unguard_formula(cell) if cell[:1] == "'" else cell
            if "\x00" in cell:
                nul.append(column)
        if nul:
            for column in nul:
                result.add_error(
                    line, column, "This cell contains a NUL character (an invisible 0x00); remove it."
                )
            continue
        chunk.append((line, row))
        if len(chunk) >= CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
