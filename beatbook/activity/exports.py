"""Activity as a spreadsheet: CSV and XLSX, one row per activity, in the import's columns.

`EXPORT_COLUMNS` is the one list of columns: `beatbook import-activities` reads the same names,
and a row that keeps its `id` corrects that activity rather than adding another, so a file
exported, corrected in a spreadsheet and imported again means what it meant.

- How a value becomes a cell (the byte-order mark, the apostrophe that stops a text cell
  running as a formula, typed XLSX cells) is `core.exports`, shared with the other downloads.
  The importer applies `csv_cell_unescape`, so escaping is undone exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from beatbook.core.exports import BYTE_ORDER_MARK, csv_row_writer, csv_text
from beatbook.core.exports import write_xlsx as write_xlsx_sheet
from beatbook.core.exports import xlsx_response as xlsx_sheet_response

from .demographics import field_names
from .models import Activity
from .selectors import activity_export_rows

LIST_SEPARATOR = ";"
CHUNK_SIZE = 2000


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


# Columns left empty for partners (`access.INTERNAL_FIELDS`; who recorded it is not exported).
INTERNAL_COLUMNS = frozenset({"notes", "officer_hours"})


def _rows(activities: QuerySet[Activity], *, internal: bool = True) -> Iterator[list[Any]]:
    zone = timezone.get_current_timezone()  # looked up once: per row it is a tenth of the time
    hidden = [] if internal else [EXPORT_COLUMNS.index(name) for name in sorted(INTERNAL_COLUMNS)]
    for row in activity_export_rows(activities, chunk_size=CHUNK_SIZE):
        values = export_values(row, zone=zone)
        for index in hidden:
            values[index] = None
        yield values


# --- CSV ---------------------------------------------------------------------------------


def csv_lines(activities: QuerySet[Activity], *, internal: bool = True) -> Iterator[str]:
    writer = csv_row_writer()
    yield BYTE_ORDER_MARK + writer.writerow(EXPORT_COLUMNS)
    for values in _rows(activities, internal=internal):
        yield writer.writerow([csv_text(value) for value in values])


def export_filename(extension: str) -> str:
    return f"activity-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_response(activities: QuerySet[Activity], *, internal: bool = True) -> StreamingHttpResponse:
    """The activities as a CSV download, written while it is sent (partners: `internal=False`)."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(activities, internal=internal)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv")}"'
    return response


# --- XLSX --------------------------------------------------------------------------------

# openpyxl writes about 2,500 rows a second here (measured: 100,000 activities took 40 s), so
# a bigger workbook would hold a web worker past a proxy's timeout. CSV has no such limit.
XLSX_MAX_ROWS = 50_000


def write_xlsx(activities: QuerySet[Activity], target: Any) -> None:
    """Write the activities as an XLSX workbook to the binary file-like `target`."""
    write_xlsx_sheet(target, sheet_title="Activity", header=EXPORT_COLUMNS, rows=_rows(activities))


def xlsx_response(activities: QuerySet[Activity], *, internal: bool = True) -> FileResponse:
    """The activities as an XLSX download (built in a temporary file, then sent; partners: `internal=False`)."""
    return xlsx_sheet_response(
        filename=export_filename("xlsx"),
        sheet_title="Activity",
        header=EXPORT_COLUMNS,
        rows=_rows(activities, internal=internal),
    )
