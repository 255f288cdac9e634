"""The performance pack as a PDF (ReportLab platypus), for the monthly performance meeting.

A4 landscape, so that twelve months fit across a table. The same sections and figures as the
pack's page (`pack.Pack`), as tables, with the activity trend also drawn as a bar chart; the
document carries its title, author (the force), subject and language in its metadata. Status
cells are shaded, and their text always says the status, so a black-and-white print loses
nothing. Text uses the PDF standard Helvetica, so names are searchable in the file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .compliance import Status
from .pack import ComplianceTable, Pack

PAGE = landscape(A4)
MARGIN = 14 * mm
# Light fills, so black text stays readable on each (and in greyscale).
STATUS_FILLS = {
    Status.MET: colors.HexColor("#cce2d8"),
    Status.ON_TRACK: colors.HexColor("#d2e2f1"),
    Status.AT_RISK: colors.HexColor("#fcd6c3"),
    Status.MISSED: colors.HexColor("#f4cdc6"),
    Status.NOT_STARTED: colors.HexColor("#eeefef"),
}
HEADER_FILL = colors.HexColor("#f3f2f1")
GRID = colors.HexColor("#b1b4b6")
BLUE = colors.HexColor("#1d70b8")


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12)
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], fontName="Helvetica-Bold", fontSize=20, alignment=0),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontName="Helvetica-Bold", fontSize=14, spaceBefore=10),
        "h3": ParagraphStyle("h3", parent=sheet["Heading3"], fontName="Helvetica-Bold", fontSize=11, spaceBefore=6),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=9.5),
        "head": ParagraphStyle("head", parent=body, fontName="Helvetica-Bold", fontSize=8, leading=9.5),
        "number": ParagraphStyle("number", parent=body, fontSize=8, leading=9.5, alignment=TA_RIGHT),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(
    rows: list[list[Any]], widths: Sequence[float] | None, *, numeric_from: int, total_row: bool = False
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
    ]
    if total_row:
        commands.append(("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8))
    table.setStyle(TableStyle(commands))
    return table


def _compliance(table: ComplianceTable, styles: dict[str, ParagraphStyle], width: float) -> Table:
    head = [_p(_("Rank"), styles["head"]), _p(_("Team"), styles["head"])]
    head += [_p(s.name, styles["head"]) for s in table.standards]
    head.append(_p(_("Score"), styles["head"]))
    rows: list[list[Any]] = [head]
    fills: list[tuple[Any, ...]] = []
    for y, row in enumerate(table.rows, start=1):
        line: list[Any] = [str(row.rank), _p(row.team.name, styles["cell"])]
        for x, cell in enumerate(row.cells, start=2):
            if cell is None:
                line.append(_("n/a"))
            else:
                line.append(cell.text)
                fills.append(("BACKGROUND", (x, y), (x, y), STATUS_FILLS[cell.status]))
        line.append(row.score_text)
        rows.append(line)
    fixed = 14 * mm + 40 * mm + 16 * mm
    each = max(20 * mm, (width - fixed) / max(1, len(table.standards)))
    widths = [14 * mm, 40 * mm, *([each] * len(table.standards)), 16 * mm]
    result = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    result.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                *fills,
            ]
        )
    )
    return result


def _compliance_section(
    title: str, tables: list[ComplianceTable], styles: dict[str, ParagraphStyle], width: float
) -> list[Any]:
    story: list[Any] = [_p(title, styles["h2"])]
    if not tables:
        story.append(_p(_("No teams or standards to judge."), styles["body"]))
    for table in tables:
        heading = _("Policing area") if table.level == "npa" else _("Neighbourhood teams")
        summary = ", ".join(f"{text}: {n}" for text, n in table.summary)
        story.append(
            KeepTogether(
                [
                    _p(heading, styles["h3"]),
                    _compliance(table, styles, width),
                    Spacer(1, 2 * mm),
                    _p(summary, styles["body"]),
                ]
            )
        )
    return story


def _month_labels(result: Pack) -> list[str]:
    return [date_format(m.start, "M y") for m in result.months]


def _chart(result: Pack, width: float) -> Drawing:
    height = 55 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = width - 20 * mm, height - 18 * mm
    chart.data = [[m.activities for m in result.monthly]]
    chart.categoryAxis.categoryNames = _month_labels(result)
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7
    maximum = max([m.activities for m in result.monthly] + [1])
    chart.valueAxis.valueStep = max(1, round(maximum / 4))
    chart.bars[0].fillColor = BLUE
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = "Helvetica"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(String(12 * mm, height - 4 * mm, _("Activities each month"), fontName="Helvetica-Bold", fontSize=9))
    return drawing


def _activity_section(result: Pack, styles: dict[str, ParagraphStyle], width: float) -> list[Any]:
    story: list[Any] = [_p(_("Activity by type"), styles["h2"]), _chart(result, width)]
    head = [_p(_("Type"), styles["head"]), *_month_labels(result), _("Total")]
    rows: list[list[Any]] = [head]
    for trend in result.by_type:
        rows.append([_p(trend.type.name, styles["cell"]), *trend.counts, trend.total])
    rows.append([_("All types"), *[m.activities for m in result.monthly], result.totals.activities])
    first = 50 * mm
    each = (width - first) / (len(result.months) + 1)
    story.append(_table(rows, [first, *([each] * (len(result.months) + 1))], numeric_from=1, total_row=True))
    return story


def _reach_section(result: Pack, styles: dict[str, ParagraphStyle]) -> list[Any]:
    rows: list[list[Any]] = [
        [_("Month"), _("Activities"), _("People reached in person"), _("Online reach"), _("With partners")]
    ]
    for m in result.monthly:
        rows.append([m.month.label, m.activities, f"{m.people_reached:,}", f"{m.online_reach:,}", m.with_partner])
    totals = result.totals
    rows.append(
        [
            _("Twelve months"),
            totals.activities,
            f"{totals.people_reached:,}",
            f"{totals.online_reach:,}",
            totals.with_partner,
        ]
    )
    widths = [45 * mm, 30 * mm, 45 * mm, 35 * mm, 30 * mm]
    return [_p(_("People reached"), styles["h2"]), _table(rows, widths, numeric_from=1, total_row=True)]


def _issues_section(result: Pack, styles: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [_p(_("Issues raised by category"), styles["h2"])]
    if not result.categories:
        story.append(_p(_("No issues were recorded with a category."), styles["body"]))
        return story
    rows: list[list[Any]] = [[_("Category"), _("Activities, twelve months"), _("Activities, this month")]]
    rows += [[_p(c.category.name, styles["cell"]), c.twelve_months, c.this_month] for c in result.categories]
    story.append(_table(rows, [70 * mm, 45 * mm, 45 * mm], numeric_from=1))
    return story


def _partner_section(result: Pack, styles: dict[str, ParagraphStyle]) -> list[Any]:
    walks_year, walks_month = result.patch_walks_year, result.patch_walks_month
    story: list[Any] = [
        _p(_("Partner involvement"), styles["h2"]),
        _p(
            _(
                "Patch walks with a partner: %(part)s of %(whole)s (%(share)s) over twelve months; "
                "%(month_part)s of %(month_whole)s (%(month_share)s) this month."
            )
            % {
                "part": walks_year.part,
                "whole": walks_year.whole,
                "share": walks_year.text,
                "month_part": walks_month.part,
                "month_whole": walks_month.whole,
                "month_share": walks_month.text,
            },
            styles["body"],
        ),
    ]
    if result.partners:
        rows: list[list[Any]] = [[_("Partner"), _("Activities, twelve months"), _("Activities, this month")]]
        rows += [[_p(p.name, styles["cell"]), p.twelve_months, p.this_month] for p in result.partners]
        story += [Spacer(1, 2 * mm), _table(rows, [70 * mm, 45 * mm, 45 * mm], numeric_from=1)]
    else:
        story.append(_p(_("No partner from the force's list took part."), styles["body"]))
    if result.unlisted_partner_activities:
        story.append(
            _p(
                ngettext(
                    "%(n)s activity named a partner not in the force's list; it is not in the table.",
                    "%(n)s activities named partners not in the force's list; they are not in the table.",
                    result.unlisted_partner_activities,
                )
                % {"n": result.unlisted_partner_activities},
                styles["body"],
            )
        )
    return story


def render_pack_pdf(result: Pack, *, made_on: str, compress: bool = True) -> bytes:
    """The pack as PDF bytes. `compress=False` leaves page text readable in the file (tests)."""
    styles = _styles()
    buffer = io.BytesIO()
    title = result.title
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=result.force.name,
        subject=_("Engagement compliance and activity of %(npa)s for %(month)s")
        % {"npa": result.npa.name, "month": result.month.label},
        creator="Beatbook",
        lang="en-GB",
        pageCompression=1 if compress else 0,
        invariant=0 if compress else 1,
    )
    width = PAGE[0] - 2 * MARGIN
    first, last = result.months[0], result.months[-1]
    story: list[Any] = [
        _p(title, styles["title"]),
        _p(
            _(
                "%(force)s. Activity from %(first)s to %(last)s; compliance as of %(as_of)s. "
                "Made on %(made)s by Beatbook."
            )
            % {
                "force": result.force.name,
                "first": first.label,
                "last": last.label,
                "as_of": date_format(result.as_of, "j F Y"),
                "made": made_on,
            },
            styles["body"],
        ),
        *[_p(note, styles["body"]) for note in result.notes],
    ]
    story += _compliance_section(
        _("Compliance in %(month)s") % {"month": result.month.label}, result.compliance_month, styles, width
    )
    story += _compliance_section(
        _("Compliance, year to date (%(year)s)") % {"year": result.year_to_date.label},
        result.compliance_year,
        styles,
        width,
    )
    story += _activity_section(result, styles, width)
    story += _reach_section(result, styles)
    story += _issues_section(result, styles)
    story += _partner_section(result, styles)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(MARGIN, 8 * mm, title)
        canvas.drawRightString(PAGE[0] - MARGIN, 8 * mm, _("Page %(n)s") % {"n": doc.page})
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
