"""Activity as a spreadsheet: CSV and XLSX, one row per activity, in the import's columns.

`EXPORT_COLUMNS` is the one list of columns: `beatbook import-activities` reads the same names,
and a row that keeps its `id` corrects that activity rather than adding another, so a file
exported, corrected in a spreadsheet and imported again means what it meant.

Choices made here:
- CSV starts with a UTF-8 byte-order mark. Excel opens a CSV without one in the PC's legacy
  code page, so "Zoë" or "Café" would come out garbled for the people most likely to open it;
  Python's "utf-8-sig", and `core.imports.open_text`, drop the mark when reading it back.
- CSV cells have no types, so a spreadsheet runs a text cell starting with = + - @ (or a tab
  or carriage return) as a formula ("CSV injection"). Text cells like that get a leading
  apostrophe, which Excel and LibreOffice show as text and hide; `csv_cell_unescape` undoes it
  exactly, and the importer applies it. Numbers (a negative longitude) are never escaped.
- XLSX cells are typed: text is written as a string cell, which is never evaluated, so it is
  written unchanged; dates are real dates and counts real numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .demographics import field_names
from .models import Activity
from .selectors import activity_export_rows

LIST_SEPARATOR = ";"
# Characters that make a spreadsheet treat a text cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 2000
BYTE_ORDER_MARK = "\ufeff"


def demographic_column(group: str, category: str) -> str:
    """The CSV column, and the full form's field, holding one demographic count."""
    return f"reached_{group}_{category}"


EXPORT_COLUMNS: tuple[str, ...] = (
    "date",  # YYYY-MM-DD, Europe/London
    "time",  # HH:MM, Europe/London
    "type",  # ActivityType.slug
    "areas",  # area codes, separated by ";"
    "title",
    "address",
    "ward",  # ward code
    "place",  # Place.name
    "latitude",
    "longitude",
    "officers",  # usernames, ";"
    "partners",  # Partner.name, ";"
    "other_partners",
    "people_reached",
    "online_reach",
    "issues_raised",
    "issue_categories",  # IssueCategory.slug, ";"
    "follow_up",
    "priorities_set",  # yes / no
    "officer_hours",
    "links",  # web addresses, ";"
    "notes",
    "shared_with_partners",  # yes / no
    *(demographic_column(group, category) for group, category in field_names()),
    "id",  # Activity.pk: on import, the row replaces what that activity records
)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _joined(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(values)


def export_values(row: dict[str, Any], *, zone: dt.tzinfo | None = None) -> list[Any]:
    """One activity, as `selectors.activity_export_rows` gives it, as typed values in
    EXPORT_COLUMNS order (None for nothing recorded). Times are in `zone` (default: Europe/London)."""
    local = row["starts_at"].astimezone(zone or timezone.get_current_timezone())
    demographics = row["demographics"] or {}
    counts = [demographics.get(group, {}).get(category) for group, category in field_names()]
    return [
        row["date"],
        dt.time(local.hour, local.minute),
        row["type__slug"],
        _joined(row["areas"]),
        row["title"],
        row["address"],
        row["ward__code"] or "",
        row["place__name"] or "",
        row["latitude"],
        row["longitude"],
        _joined(row["officers"]),
        _joined(row["partners"]),
        row["other_partners"],
        row["people_reached"],
        row["online_reach"],
        row["issues_raised"],
        _joined(row["issue_categories"]),
        row["follow_up"],
        _yes_no(row["priorities_set"]),
        row["officer_hours"],
        _joined(row["links"] or []),
        row["notes"],
        _yes_no(row["shared_with_partners"]),
        *counts,
        row["pk"],
    ]


def _rows(activities: QuerySet[Activity]) -> Iterator[list[Any]]:
    zone = timezone.get_current_timezone()  # looked up once: per row it is a tenth of the time
    for row in activity_export_rows(activities, chunk_size=CHUNK_SIZE):
        yield export_values(row, zone=zone)


# --- CSV ---------------------------------------------------------------------------------


def _needs_guard(text: str) -> bool:
    # Apostrophes already in front count too, so that escaping is undone exactly:
    # "'=x" (typed by someone) is written "''=x" and read back as "'=x".
    return text.lstrip("'")[:1] in FORMULA_STARTS


def csv_cell_escape(text: str) -> str:
    return f"'{text}" if _needs_guard(text) else text


def csv_cell_unescape(text: str) -> str:
    """The text a CSV cell written by `csv_cell_escape` held (for the importer)."""
    return text[1:] if text.startswith("'") and _needs_guard(text) else text


def csv_text(value: Any) -> str:
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


class _Line:
    """A file-like object whose write() returns the line, for csv.writer inside a generator."""

    def write(self, text: str) -> str:
        return text


def csv_lines(activities: QuerySet[Activity]) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield BYTE_ORDER_MARK + writer.writerow(EXPORT_COLUMNS)
    for values in _rows(activities):
        yield writer.writerow([csv_text(value) for value in values])


def export_filename(extension: str) -> str:
    return f"activity-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_response(activities: QuerySet[Activity]) -> StreamingHttpResponse:
    """The activities as a CSV download, written while it is sent."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(activities)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv")}"'
    return response


# --- XLSX --------------------------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# openpyxl writes about 2,500 rows a second here (measured: 100,000 activities took 40 s), so
# a bigger workbook would hold a web worker past a proxy's timeout. CSV has no such limit.
XLSX_MAX_ROWS = 50_000
# Keep up to this much of a workbook in memory before spilling to a temporary file.
XLSX_MEMORY_LIMIT = 8 * 1024 * 1024


def write_xlsx(activities: QuerySet[Activity], target: Any) -> None:
    """Write the activities as an XLSX workbook to the binary file-like `target`."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Activity")
    bold = Font(bold=True)

    def header_cell(name: str) -> Any:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        return cell

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
        if isinstance(value, dt.time):
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = "hh:mm"
            return written
        # A date is stored as a real date, shown yyyy-mm-dd (openpyxl's format for dates).
        return value

    sheet.append([header_cell(name) for name in EXPORT_COLUMNS])
    for values in _rows(activities):
        sheet.append([cell(value) for value in values])
    workbook.save(target)


def xlsx_response(activities: QuerySet[Activity]) -> FileResponse:
    """The activities as an XLSX download (built in a temporary file, then sent)."""
    buffer = tempfile.SpooledTemporaryFile(max_size=XLSX_MEMORY_LIMIT)  # noqa: SIM115 - FileResponse closes it
    write_xlsx(activities, buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=export_filename("xlsx"), content_type=XLSX_CONTENT_TYPE)
