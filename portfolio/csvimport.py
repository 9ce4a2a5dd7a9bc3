"""Shared rules for CSV imports: every line is checked before anything is written."""

import csv
import io
from dataclasses import dataclass


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CsvImportError(ValueError):
    """The file was rejected; nothing was imported."""

    def __init__(self, filename: str, errors: list[LineError]):
        self.filename = filename
        self.errors = errors
        super().__init__(self.report())

    def report(self) -> str:
        lines = [f"{self.filename}: {len(self.errors)} error(s), nothing imported"]
        lines += [f"{self.filename}:{e.line}: {e.message}" for e in self.errors]
        return "\n".join(lines)


def read_rows(
    text: str, filename: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str]]]:
    """Parse CSV text into (line number, row) pairs after checking the header."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvImportError(
            filename, [LineError(1, f"missing column(s): {', '.join(missing)}")]
        )
    unknown = [h for h in header if h not in required + optional]
    if unknown:
        raise CsvImportError(
            filename, [LineError(1, f"unknown column(s): {', '.join(unknown)}")]
        )
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            raise CsvImportError(
                filename, [LineError(reader.line_num, "more values than columns")]
            )
        cleaned = {k: (v or "").strip() for k, v in row.items()}
        if any(cleaned.values()):
            rows.append((reader.line_num, cleaned))
    if not rows:
        raise CsvImportError(filename, [LineError(1, "the file has no data rows")])
    return rows
