"""Spreadsheet downloads shared by every app: CSV cells that never run as formulas, and XLSX.

Each app decides its columns and rows; this module decides how a value becomes a cell, so
that activity, message metrics and survey scores open the same way in Excel or LibreOffice:

- CSV starts with a byte order mark, so Excel reads it as UTF-8 (Welsh and Urdu names).
- A text cell that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or
  a carriage return) gets a leading apostrophe; `csv_cell_unescape` undoes exactly that, so a
  file exported, corrected and imported again means what it meant. Numbers are never escaped.
- In XLSX a text cell is written as a string cell, which never runs; dates stay dates, times
  are shown hh:mm, and aware datetimes become Europe/London wall-clock time (Excel has no
  time zones), as the pages show them.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import FileResponse
from django.utils import timezone

BYTE_ORDER_MARK = "\ufeff"
FORMULA_STARTS = frozenset("=+-@\t\r")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Keep up to this much of a workbook in memory before spilling to a temporary file.
XLSX_MEMORY_LIMIT = 8 * 1024 * 1024


# --- CSV ---------------------------------------------------------------------------------


def _needs_guard(text: str) -> bool:
    # Apostrophes already in front count too, so that escaping is undone exactly:
    # "'=x" (typed by someone) is written "''=x" and read back as "'=x".
    return text.lstrip("'")[:1] in FORMULA_STARTS


def csv_cell_escape(text: str) -> str:
    return f"'{text}" if _needs_guard(text) else text


def csv_cell_unescape(text: str) -> str:
    """The text a CSV cell written by `csv_cell_escape` held (for importers)."""
    return text[1:] if text.startswith("'") and _needs_guard(text) else text


class _Echo:
    def write(self, text: str) -> str:
        return text


def csv_row_writer() -> Any:
    """A csv.writer whose `writerow` returns the line (CRLF-terminated) instead of writing it,
    so a download can be streamed line by line."""
    return csv.writer(_Echo(), lineterminator="\r\n")


def csv_text(value: Any) -> str:
    """One value as CSV cell text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_cell_escape(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


# --- XLSX --------------------------------------------------------------------------------


def write_xlsx(target: Any, *, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write one sheet (a bold header row, then `rows`) as an XLSX workbook to the binary file `target`."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    bold = Font(bold=True)

    def header_cell(name: str) -> Any:
        written = WriteOnlyCell(sheet, value=name)
        written.font = bold
        return written

    def cell(value: Any) -> Any:
        # Most values go in as they are: a WriteOnlyCell per value would triple the time.
        if isinstance(value, str):
            if not value:
                return None  # no cell at all reads back the same, and writes faster
            # Control characters pasted into a text box are not allowed in XLSX.
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if not value.startswith("="):
                return value
            written = WriteOnlyCell(sheet, value=value)
            # openpyxl stores text starting "=" as a formula; force a plain string.
            written.data_type = "s"
            return written
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            written = WriteOnlyCell(sheet, value=timezone.localtime(value).replace(tzinfo=None))
            written.number_format = "yyyy-mm-dd hh:mm"
            return written
        if isinstance(value, dt.time):
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = "hh:mm"
            return written
        # A date is stored as a real date, shown yyyy-mm-dd (openpyxl's format for dates).
        return value

    sheet.append([header_cell(name) for name in header])
    for values in rows:
        sheet.append([cell(value) for value in values])
    workbook.save(target)


def xlsx_response(
    *, filename: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    """One sheet as an XLSX download (built in a temporary file, then sent)."""
    buffer = tempfile.SpooledTemporaryFile(max_size=XLSX_MEMORY_LIMIT)  # noqa: SIM115 - FileResponse closes it
    write_xlsx(buffer, sheet_title=sheet_title, header=header, rows=rows)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
