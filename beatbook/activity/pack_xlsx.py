"""The performance pack as an XLSX workbook: one sheet per section of the pack.

Headers are bold and frozen, numbers are numbers and months are real dates (the first of the
month, shown as "Mar 2025"), so the figures can be charted and summed in a spreadsheet. Text
typed by people (team, partner and category names) is always stored as text, never as a
formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .pack import ComplianceTable, Pack

MONTH_FORMAT = "mmm yyyy"
PERCENT_FORMAT = "0%"
BOLD = Font(bold=True)


def _put(sheet: Worksheet, row: int, column: int, value: Any, *, bold: bool = False) -> Cell:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # text starting "=" must not become a formula
    else:
        cell.value = value
    if bold:
        cell.font = BOLD
    return cell


def _sheet(
    workbook: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, freeze: str = "B2"
) -> Worksheet:
    sheet = workbook.create_sheet(title[:31])
    for x, name in enumerate(header, start=1):
        _put(sheet, 1, x, name, bold=True)
    for y, values in enumerate(rows, start=2):
        for x, value in enumerate(values, start=1):
            _put(sheet, y, x, value)
    sheet.freeze_panes = freeze
    for x, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(x)].width = max(10, min(48, len(name) + 2))
    return sheet


def _compliance_rows(tables: list[ComplianceTable]) -> tuple[list[str], list[list[Any]]]:
    """One sheet for both levels: a column per standard of either, 'n/a' where it is not the team's."""
    standards = []
    seen: set[int] = set()
    for table in tables:
        for standard in table.standards:
            if standard.pk not in seen:
                seen.add(standard.pk)
                standards.append(standard)
    header = [_("Team"), _("Level"), _("Rank"), *[s.name for s in standards], _("Score")]
    rows: list[list[Any]] = []
    for table in tables:
        columns = {s.pk: i for i, s in enumerate(table.standards)}
        for row in table.rows:
            cells = []
            for standard in standards:
                cell = row.cells[columns[standard.pk]] if standard.pk in columns else None
                cells.append(cell.text if cell is not None else _("n/a"))
            score = row.compliance.score if row.compliance.judged else None
            rows.append([row.team.name, row.team.get_level_display(), row.rank, *cells, score])
    return header, rows


def _compliance_sheet(workbook: Workbook, title: str, tables: list[ComplianceTable]) -> None:
    header, rows = _compliance_rows(tables)
    sheet = _sheet(workbook, title, header, rows)
    score_column = len(header)
    for y in range(2, len(rows) + 2):
        sheet.cell(row=y, column=score_column).number_format = PERCENT_FORMAT
    sheet.column_dimensions["A"].width = 30


def render_pack_xlsx(result: Pack, *, made_on: str) -> bytes:
    workbook = Workbook()
    about = workbook.active
    assert about is not None
    about.title = _("About")
    facts: list[tuple[str, Any, str | None]] = [
        (_("Pack"), result.title, None),
        (_("Force"), result.force.name, None),
        (_("Policing area"), f"{result.npa.name} ({result.npa.code})", None),
        (_("Month"), result.month.start, MONTH_FORMAT),
        (_("Compliance as of"), result.as_of, "yyyy-mm-dd"),
        (_("First month of activity"), result.months[0].start, MONTH_FORMAT),
        (_("Made on"), made_on, None),
        *((_("Note"), note, None) for note in result.notes),
    ]
    for y, (name, value, number_format) in enumerate(facts, start=1):
        _put(about, y, 1, name, bold=True)
        cell = _put(about, y, 2, value)
        if number_format:
            cell.number_format = number_format
    about.column_dimensions["A"].width = 26
    about.column_dimensions["B"].width = 60

    _compliance_sheet(workbook, _("Compliance, month"), result.compliance_month)
    _compliance_sheet(workbook, _("Compliance, year to date"), result.compliance_year)

    months = [m.start for m in result.months]
    header = [_("Type"), *[m.label for m in result.months], _("Total")]
    rows = [[t.type.name, *t.counts, t.total] for t in result.by_type]
    rows.append([_("All types"), *[m.activities for m in result.monthly], result.totals.activities])
    by_type = _sheet(workbook, _("Activity by type"), header, rows)
    for x, month in enumerate(months, start=2):
        # The header holds the month as a date, so it sorts and charts as one.
        cell = by_type.cell(row=1, column=x, value=month)
        cell.number_format = MONTH_FORMAT
        cell.font = BOLD
    for x in range(1, len(header) + 1):
        by_type.cell(row=len(rows) + 1, column=x).font = BOLD  # the total row
    by_type.column_dimensions["A"].width = 30

    reach = _sheet(
        workbook,
        _("People reached"),
        [_("Month"), _("Activities"), _("People reached in person"), _("Online reach"), _("With partners")],
        [[m.month.start, m.activities, m.people_reached, m.online_reach, m.with_partner] for m in result.monthly],
    )
    for y in range(2, len(result.monthly) + 2):
        reach.cell(row=y, column=1).number_format = MONTH_FORMAT

    _sheet(
        workbook,
        _("Issues raised"),
        [_("Category"), _("Activities, twelve months"), _("Activities, this month")],
        [[c.category.name, c.twelve_months, c.this_month] for c in result.categories],
    ).column_dimensions["A"].width = 36

    partners = _sheet(
        workbook,
        _("Partners"),
        [_("Partner"), _("Activities, twelve months"), _("Activities, this month")],
        [[p.name, p.twelve_months, p.this_month] for p in result.partners],
    )
    partners.column_dimensions["A"].width = 36
    walks_at = len(result.partners) + 3
    walk_rows: list[tuple[str, int, int, float | None]] = [
        (_("Patch walks, twelve months"), result.patch_walks_year.part, result.patch_walks_year.whole, result.patch_walks_year.ratio),
        (_("Patch walks, this month"), result.patch_walks_month.part, result.patch_walks_month.whole, result.patch_walks_month.ratio),
    ]  # fmt: skip
    for x, name in enumerate((_("Patch walks"), _("With a partner"), _("All"), _("Share")), start=1):
        _put(partners, walks_at, x, name, bold=True)
    for y, values in enumerate(walk_rows, start=walks_at + 1):
        for x, value in enumerate(values, start=1):
            _put(partners, y, x, value)
        partners.cell(row=y, column=4).number_format = PERCENT_FORMAT
    _put(partners, walks_at + 3, 1, _("Activities naming partners not in the force's list"), bold=True)
    _put(partners, walks_at + 3, 2, result.unlisted_partner_activities)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
