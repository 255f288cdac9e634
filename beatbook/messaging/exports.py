"""Message metrics as a spreadsheet: CSV and XLSX, one row per message, channel and area.

The same choices as every download (`beatbook.core.exports`): the CSV starts with a UTF-8 byte-order mark so Excel reads accents right, and
a text cell a spreadsheet would run as a formula (= + - @, tab, carriage return) gets a
leading apostrophe; XLSX cells are typed, text is never a formula. Counts mean what
`metrics` says they mean. Opened is left empty when the force does not track opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from beatbook.core.exports import BYTE_ORDER_MARK, csv_row_writer, csv_text
from beatbook.core.exports import write_xlsx as write_xlsx_sheet
from beatbook.core.exports import xlsx_response as xlsx_sheet_response

from . import access
from .metrics import message_metrics
from .models import Message

CHUNK = 500
COUNT_COLUMNS = (
    "targeted",
    "sent",
    "delivered",
    "failed",
    "waiting",
    "not_sent",
    "clicked",
    "clicks",
    "useful",
    "not_useful",
    "unsubscribed",
    "converted",
    "opened",
)
EXPORT_COLUMNS: tuple[str, ...] = (
    "message_id",
    "subject",
    "kind",
    "status",
    "started_at",  # ISO 8601, Europe/London
    "channel",  # email or sms
    "area_code",  # the targeted area the recipients were reached through
    "area_name",
    *COUNT_COLUMNS,
)


def export_rows(messages: QuerySet[Message]) -> Iterator[list[Any]]:
    """Typed values in EXPORT_COLUMNS order; metrics of CHUNK messages per query."""
    tracking: dict[int, bool] = {}
    batch: list[Message] = []
    for message in messages.iterator(chunk_size=CHUNK):
        batch.append(message)
        if len(batch) == CHUNK:
            yield from _batch_rows(batch, tracking)
            batch = []
    if batch:
        yield from _batch_rows(batch, tracking)


def _batch_rows(batch: list[Message], tracking: dict[int, bool]) -> Iterator[list[Any]]:
    figures = message_metrics(m.pk for m in batch)
    for message in batch:
        if message.force_id not in tracking:
            tracking[message.force_id] = access.messaging_settings(message.force_id).open_tracking
        started = timezone.localtime(message.started_at).replace(microsecond=0) if message.started_at else None
        found = figures[message.pk]
        areas = {a.area_id: a for a in found.by_area}
        for (channel, area_id), counts in sorted(found.cells.items(), key=lambda c: (c[0][0], str(c[0][1]))):
            area = areas.get(area_id)
            values: list[Any] = [getattr(counts, name) for name in COUNT_COLUMNS]
            if not tracking[message.force_id]:
                values[-1] = None
            yield [
                message.pk,
                message.subject,
                message.kind,
                message.status,
                started,
                channel,
                area.code if area else "",
                area.name if area else "",
                *values,
            ]


def _csv_value(value: Any) -> str:
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return str(value.isoformat())
    return csv_text(value)


def csv_lines(messages: QuerySet[Message]) -> Iterator[str]:
    writer = csv_row_writer()
    yield BYTE_ORDER_MARK + writer.writerow(EXPORT_COLUMNS)
    for values in export_rows(messages):
        yield writer.writerow([_csv_value(v) for v in values])


def export_filename(extension: str) -> str:
    return f"message-metrics-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_response(messages: QuerySet[Message]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(messages)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv")}"'
    return response


def write_xlsx(messages: QuerySet[Message], target: Any) -> None:
    write_xlsx_sheet(target, sheet_title="Message metrics", header=EXPORT_COLUMNS, rows=export_rows(messages))


def xlsx_response(messages: QuerySet[Message]) -> FileResponse:
    return xlsx_sheet_response(
        filename=export_filename("xlsx"),
        sheet_title="Message metrics",
        header=EXPORT_COLUMNS,
        rows=export_rows(messages),
    )
