"""Survey scores as a spreadsheet: CSV and XLSX, one row per area and wave.

Only the areas the user may see (`access.score_areas`) are written. A suppressed area-wave
keeps its row, with every figure empty and the reason in `reason`, so nobody mistakes a
missing row for a zero. Shares are proportions (0 to 1), as the scoring gives them.

The CSV follows `activity.exports`: a UTF-8 byte-order mark for Excel, and text cells that a
spreadsheet would run as a formula guarded by a leading apostrophe (`csv_text`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils import timezone

from beatbook.areas.models import Area
from beatbook.core.exports import BYTE_ORDER_MARK, csv_text
from beatbook.core.exports import write_xlsx as write_xlsx_sheet
from beatbook.core.exports import xlsx_response as xlsx_sheet_response

from .dashboard_selectors import ScoreIndex, question_texts
from .models import Survey
from .scoring import Estimate

BASE_COLUMNS: tuple[str, ...] = (
    "level",
    "area_code",
    "area_name",
    "wave",
    "wave_name",
    "status",
    "reason",
    "responses",
    "unweighted",
    "unweighted_low",
    "unweighted_high",
    "weighted",
    "weighted_low",
    "weighted_high",
    "weighted_se",
    "design_effect",
    "change_since_previous",
    "change_p_value",
    "change_more_than_noise",
    "modelled",
    "modelled_low",
    "modelled_high",
)
LEVEL_ORDER = {"force": 0, "npa": 1, "neighbourhood": 2}


def columns(survey: Survey) -> list[str]:
    """The base columns, then each confidence question's weighted positive share."""
    return [*BASE_COLUMNS, *(f"{key}_weighted" for key, _text in question_texts(survey))]


def _estimate(estimate: Estimate | None) -> list[float | None]:
    if estimate is None:
        return [None, None, None]
    return [round(estimate.value, 6), round(estimate.low, 6), round(estimate.high, 6)]


def score_rows(index: ScoreIndex, areas: Sequence[Area]) -> Iterator[list[Any]]:
    """Typed values, in `columns` order, for every wave of every area in `areas`."""
    ordered = sorted(areas, key=lambda area: (LEVEL_ORDER.get(area.level, 3), area.code))
    questions = len(question_texts(index.survey))
    for area in ordered:
        for figure in index.trend(area.level, area.code):
            weighted = figure.weighted
            change = figure.change
            shares: list[float | None] = [None] * questions
            for score in figure.questions:
                if score.weighted is not None and score.question < questions:
                    shares[score.question] = round(score.weighted.value, 6)
            yield [
                area.level,
                area.code,
                area.name,
                figure.wave.code,
                figure.wave.name,
                figure.status,
                figure.reason,
                figure.responses,
                *_estimate(figure.unweighted),
                *_estimate(weighted),
                round(weighted.se, 6) if weighted else None,
                round(weighted.design_effect, 4) if weighted and weighted.design_effect is not None else None,
                round(change.difference, 6) if change else None,
                round(change.p_value, 6) if change else None,
                ("yes" if change.more_than_noise else "no") if change else None,
                *_estimate(figure.modelled),
                *shares,
            ]


def export_filename(survey: Survey, extension: str) -> str:
    return f"{survey.slug}-scores-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_response(survey: Survey, index: ScoreIndex, areas: Sequence[Area]) -> HttpResponse:
    """The scores as a CSV download (a few hundred rows at most, so built whole)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BYTE_ORDER_MARK)
    writer.writerow(columns(survey))
    for values in score_rows(index, areas):
        writer.writerow([csv_text(value) for value in values])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(survey, "csv")}"'
    return response


def write_xlsx(survey: Survey, index: ScoreIndex, areas: Sequence[Area], target: Any) -> None:
    write_xlsx_sheet(target, sheet_title="Scores", header=columns(survey), rows=score_rows(index, areas))


def xlsx_response(survey: Survey, index: ScoreIndex, areas: Sequence[Area]) -> FileResponse:
    return xlsx_sheet_response(
        filename=export_filename(survey, "xlsx"),
        sheet_title="Scores",
        header=columns(survey),
        rows=score_rows(index, areas),
    )
