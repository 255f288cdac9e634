"""Reads for the staff results pages: one `survey_scores` call turned into what each page shows.

Every page scores the whole survey once (`selectors.survey_scores`) and picks the areas and
waves it needs from that, so the number of queries a page makes does not grow with the number
of areas or waves. Which areas a user may see is decided by `access.score_areas`; these
functions take the areas they are given and never widen them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from beatbook.areas.models import Area, CensusCount, Level
from beatbook.areas.selectors import BORDER_COLOUR, CLASS_COLOURS, with_geometry
from beatbook.insight.models import BenchmarkPoint, BenchmarkSeries

from . import selectors
from .models import CONFIDENCE_ROLES, Response, ResponseStatus, Survey, Wave
from .scoring import (
    Change,
    Estimate,
    QuestionScore,
    RepresentationRow,
    ScoreRow,
    ScoringSettings,
    Status,
    representation,
)
from .selectors import ScoringInputs

# --- one area in one wave ------------------------------------------------------------------


@dataclass(frozen=True)
class WaveFigure:
    """What the pages show for one area in one wave. `reason` says why there is no direct
    figure (empty when there is one)."""

    wave: Wave
    status: str
    responses: int | None
    unweighted: Estimate | None
    weighted: Estimate | None
    modelled: Estimate | None
    change: Change | None
    questions: tuple[QuestionScore, ...]
    reason: str

    @property
    def published(self) -> bool:
        return self.weighted is not None

    @property
    def headline(self) -> Estimate | None:
        return self.weighted if self.weighted is not None else self.modelled

    @property
    def change_points(self) -> str:
        """The change since the wave before in percentage points, signed ("+3.1")."""
        return f"{self.change.difference * 100:+.1f}" if self.change else ""


def suppression_reason(status: str | None, min_responses: int) -> str:
    if status == Status.OK:
        return ""
    if status == Status.SUPPRESSED:
        return _("Too few responses: fewer than %(minimum)s people answered.") % {"minimum": min_responses}
    if status == Status.NO_RESPONSES:
        return _("No responses.")
    return _("Not scored: no census population to weight the answers to.")


class ScoreIndex:
    """The rows of one `survey_scores` call, found by (level, area code, wave position)."""

    def __init__(
        self,
        survey: Survey,
        rows: Sequence[ScoreRow],
        inputs: ScoringInputs | None,
        waves: list[Wave],
        notes: list[str],
    ) -> None:
        self.survey = survey
        self.rows = rows
        self.waves = waves
        self.area_names = inputs.area_names if inputs else {}
        self.force_code = inputs.areas.force if inputs else survey.force.code
        self.notes = [*notes, *(inputs.notes if inputs else [])]
        self.left_out = inputs.left_out if inputs else 0
        self._rows = {(str(row.level), row.area, row.wave): row for row in rows}

    def name(self, code: str) -> str:
        return self.area_names.get(code, code)

    def figure(self, level: str, code: str, wave_index: int) -> WaveFigure:
        row = self._rows.get((level, code, wave_index))
        status = str(row.status) if row is not None else "not-scored"
        return WaveFigure(
            wave=self.waves[wave_index],
            status=status,
            responses=row.responses if row else None,
            unweighted=row.unweighted if row else None,
            weighted=row.weighted if row else None,
            modelled=row.modelled if row else None,
            change=row.change if row else None,
            questions=row.questions if row else (),
            reason=suppression_reason(row.status if row else None, self.survey.min_responses),
        )

    def trend(self, level: str, code: str) -> list[WaveFigure]:
        return [self.figure(level, code, index) for index in range(len(self.waves))]

    def wave_index(self, wave: Wave) -> int:
        return [w.pk for w in self.waves].index(wave.pk)


def unscorable_reason(survey: Survey) -> tuple[list[Wave], str]:
    """The survey's waves, and why it cannot be scored at all ("" when it can): scoring needs
    a wave and census population in the force's neighbourhoods to weight to."""
    waves = selectors.survey_waves(survey)
    if not waves:
        return waves, _("The survey has no waves yet.")
    populated = CensusCount.objects.filter(
        lsoa__level=Level.LSOA, lsoa__parent__level=Level.NEIGHBOURHOOD, lsoa__force_id=survey.force_id
    )
    if not populated.exists():
        return waves, _("No census population is held for the force's neighbourhoods, so nothing can be scored.")
    return waves, ""


# Scoring a survey is the slow part of every results page, and the map page and its GeoJSON,
# the list and the downloads all want the same figures: they are kept in Django's cache under
# a stamp of what they depend on. Census counts and wave dates are not in the stamp (they
# change by import, rarely); the time limit bounds how long such a change goes unseen.
SCORE_CACHE_SECONDS = 60 * 60


def _score_cache_key(survey: Survey) -> str:
    """A key that changes whenever the figures could: a response counted or no longer
    counted (count and latest id of counted responses), a review decision, a wave added or
    removed, or the publication threshold changed."""
    stamp = Response.objects.filter(survey=survey).aggregate(
        counted=Count("pk", filter=Q(status=ResponseStatus.COUNTED)),
        last=Max("pk", filter=Q(status=ResponseStatus.COUNTED)),
        reviewed=Max("reviewed_at"),
    )
    reviewed = stamp["reviewed"].timestamp() if stamp["reviewed"] else 0
    created = survey.created_at.timestamp() if survey.created_at else 0
    parts = (survey.pk, created, stamp["counted"], stamp["last"] or 0, reviewed, survey.waves.count())
    return "surveys:score-index:" + ":".join(str(part) for part in (*parts, survey.min_responses))


def score_index(survey: Survey) -> ScoreIndex:
    """The survey's scores, from the cache while nothing they depend on has changed."""
    key = _score_cache_key(survey)
    index = cache.get(key)
    if not isinstance(index, ScoreIndex):
        index = _score_index(survey)
        cache.set(key, index, SCORE_CACHE_SECONDS)
    # The caller's survey, not the cached copy: the pages read its name and slug.
    index.survey = survey
    return index


def _score_index(survey: Survey) -> ScoreIndex:
    waves, reason = unscorable_reason(survey)
    if reason:
        return ScoreIndex(survey, [], None, waves, [reason])
    rows, inputs = selectors.survey_scores(survey)
    return ScoreIndex(survey, rows, inputs, inputs.waves, [])


def choose_wave(waves: Sequence[Wave], code: str | None) -> tuple[Wave | None, bool]:
    """The wave with `code` (default: the latest), and whether `code` named no wave."""
    if not waves:
        return None, bool(code)
    if code:
        for wave in waves:
            if wave.code == code:
                return wave, False
        return waves[-1], True
    return waves[-1], False


# --- the survey list -------------------------------------------------------------------------


@dataclass
class SurveySummary:
    survey: Survey
    waves: list[Wave]
    counted: int = 0
    flagged: int = 0
    per_wave: dict[int, tuple[int, int]] = field(default_factory=dict)
    latest_wave: Wave | None = None
    latest_force: Estimate | None = None

    @property
    def wave_rows(self) -> list[tuple[Wave, int, int]]:
        """(wave, counted, flagged) for each wave."""
        return [(wave, *self.per_wave.get(wave.pk, (0, 0))) for wave in self.waves]


def survey_summaries(surveys: Iterable[Survey]) -> list[SurveySummary]:
    """Each survey with its waves, counted and flagged responses (overall and per wave) and the
    latest published force-wide weighted score. Scoring runs once per survey."""
    summaries = [SurveySummary(survey=survey, waves=[]) for survey in surveys]
    by_pk = {summary.survey.pk: summary for summary in summaries}
    for wave in Wave.objects.filter(survey__in=list(by_pk)).order_by("opens_on", "code"):
        by_pk[wave.survey_id].waves.append(wave)
    counts = (
        Response.objects.filter(survey__in=list(by_pk))
        .values("survey_id", "wave_id")
        .annotate(
            counted=Count("pk", filter=Q(status=ResponseStatus.COUNTED)),
            flagged=Count("pk", filter=Q(status=ResponseStatus.FLAGGED)),
        )
        .order_by()
    )
    for row in counts:
        summary = by_pk[row["survey_id"]]
        summary.per_wave[row["wave_id"]] = (row["counted"], row["flagged"])
        summary.counted += row["counted"]
        summary.flagged += row["flagged"]
    for summary in summaries:
        if not summary.counted:
            continue
        index = score_index(summary.survey)
        force_code = index.force_code
        for position in reversed(range(len(index.waves))):
            figure = index.figure(Level.FORCE, force_code, position)
            if figure.weighted is not None:
                summary.latest_wave, summary.latest_force = figure.wave, figure.weighted
                break
    return summaries


# --- the dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionLine:
    key: str
    text: str
    score: QuestionScore | None
    reason: str


def question_texts(survey: Survey) -> list[tuple[str, str]]:
    """(key, wording) of the five confidence questions, in scoring order (q1 … q5)."""
    by_role = {question.role: (question, version) for question, version in selectors.current_questions(survey).values()}
    texts = []
    for position, role in enumerate(CONFIDENCE_ROLES, start=1):
        if role in by_role:
            question, version = by_role[role]
            wording = (version.texts.get("en") or {}).get("text") or question.key
            texts.append((question.key, str(wording)))
        else:
            texts.append((f"q{position}", _("Confidence question %(number)s") % {"number": position}))
    return texts


def question_lines(survey: Survey, figure: WaveFigure) -> list[QuestionLine]:
    scores = {score.question: score for score in figure.questions}
    lines = []
    for position, (key, text) in enumerate(question_texts(survey)):
        score = scores.get(position)
        if score is not None and score.weighted is not None:
            lines.append(QuestionLine(key, text, score, ""))
        elif not figure.published:
            lines.append(QuestionLine(key, text, None, figure.reason))
        elif score is not None and score.status == Status.NO_RESPONSES:
            lines.append(QuestionLine(key, text, None, _("Nobody answered this question.")))
        else:
            lines.append(
                QuestionLine(
                    key,
                    text,
                    None,
                    _("Too few answers: fewer than %(minimum)s people answered this question.")
                    % {"minimum": survey.min_responses},
                )
            )
    return lines


def comparison_areas(area: Area) -> list[Area]:
    """The area, then the areas above it whose scores it is read beside (its NPA, the force)."""
    chain = [area]
    if area.level == Level.NEIGHBOURHOOD and area.parent is not None:
        chain.append(area.parent)
    if area.level != Level.FORCE and area.force is not None:
        chain.append(area.force)
    return chain


# --- benchmarks --------------------------------------------------------------------------------

# A benchmark point more than this long before the first wave or after the last is not drawn:
# the chart's timeline is the survey's.
BENCHMARK_MARGIN = dt.timedelta(days=366)


@dataclass(frozen=True)
class Benchmark:
    series: BenchmarkSeries
    points: list[BenchmarkPoint]
    left_out: int
    note: str


def benchmark_note(series: BenchmarkSeries) -> str:
    """Why the benchmark's level cannot be read straight against the survey's score."""
    return _(
        "The measures differ. The benchmark is “%(name)s” from the %(source)s for %(area)s; this "
        "survey's score is the average share agreeing with its five confidence statements, "
        "weighted to the census. Compare the direction of change over time rather than the level."
    ) % {"name": series.name, "source": series.get_source_display(), "area": series.area_name}


def benchmark_for(slug: str | None, waves: Sequence[Wave]) -> tuple[list[BenchmarkSeries], Benchmark | None, bool]:
    """Every series (for the chooser), the chosen one with its points on the survey's timeline,
    and whether `slug` named no series."""
    series = list(BenchmarkSeries.objects.order_by("source", "measure", "area_name"))
    if not slug:
        return series, None, False
    chosen = next((item for item in series if item.slug == slug), None)
    if chosen is None:
        return series, None, True
    points = list(BenchmarkPoint.objects.filter(series=chosen).order_by("period_end"))
    if waves:
        start = waves[0].opens_on - BENCHMARK_MARGIN
        end = waves[-1].closes_on + BENCHMARK_MARGIN
        shown = [point for point in points if start <= point.period_end <= end]
    else:
        shown = points
    return series, Benchmark(chosen, shown, len(points) - len(shown), benchmark_note(chosen)), False


# --- the chart ----------------------------------------------------------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 320
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 56, 16, 16, 56
CAP_HALF_WIDTH, SQUARE_HALF, LABEL_GAP = 6, 4, 6


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    low: float
    high: float
    label: str
    modelled: bool = False

    # Offsets for the marks drawn round a point, in the chart's own coordinates: the
    # template's `add` filter would cut them to whole numbers.
    @property
    def cap_left(self) -> float:
        return round(self.x - CAP_HALF_WIDTH, 1)

    @property
    def cap_right(self) -> float:
        return round(self.x + CAP_HALF_WIDTH, 1)

    @property
    def square_x(self) -> float:
        return round(self.x - SQUARE_HALF, 1)

    @property
    def square_y(self) -> float:
        return round(self.y - SQUARE_HALF, 1)


@dataclass(frozen=True)
class ChartTick:
    position: float
    label: str


@dataclass
class TrendChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    points: list[ChartPoint]
    line: str
    benchmark: list[ChartPoint]
    benchmark_line: str
    y_ticks: list[ChartTick]
    x_ticks: list[ChartTick]
    description: str

    @property
    def label_x(self) -> int:
        """Where the y-axis labels end, just left of the plot."""
        return self.left - LABEL_GAP


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def trend_chart(area_name: str, trend: Sequence[WaveFigure], benchmark: Benchmark | None) -> TrendChart | None:
    """Coordinates for the trend chart: each wave's headline score (direct weighted, or
    modelled and marked so) with its 95% interval, and the benchmark's points on the same
    timeline. None when there is nothing to draw."""
    shown = [(figure, figure.headline) for figure in trend if figure.headline is not None]
    if not shown:
        return None
    bench = benchmark.points if benchmark else []

    def wave_date(wave: Wave) -> dt.date:
        return wave.opens_on + (wave.closes_on - wave.opens_on) / 2

    dates = [wave_date(figure.wave) for figure in trend] + [point.period_end for point in bench]
    first, last = min(dates), max(dates)
    span = max((last - first).days, 1)
    lows = [estimate.low for _figure, estimate in shown if estimate] + [p.low or p.value for p in bench]
    highs = [estimate.high for _figure, estimate in shown if estimate] + [p.high or p.value for p in bench]
    bottom_value = max(0.0, math.floor(min(lows) * 10) / 10)
    top_value = min(1.0, math.ceil(max(highs) * 10) / 10)
    if top_value - bottom_value < 0.2:
        top_value = min(1.0, bottom_value + 0.2)
        bottom_value = top_value - 0.2
    plot_right = CHART_WIDTH - CHART_RIGHT
    plot_bottom = CHART_HEIGHT - CHART_BOTTOM
    inner_width = plot_right - CHART_LEFT - 24
    single = first == last

    def x_of(day: dt.date) -> float:
        if single:
            return round(CHART_LEFT + 12 + inner_width / 2, 1)
        return round(CHART_LEFT + 12 + inner_width * (day - first).days / span, 1)

    def y_of(value: float) -> float:
        share = (value - bottom_value) / (top_value - bottom_value)
        return round(plot_bottom - share * (plot_bottom - CHART_TOP), 1)

    points = [
        ChartPoint(
            x=x_of(wave_date(figure.wave)),
            y=y_of(estimate.value),
            low=y_of(estimate.low),
            high=y_of(estimate.high),
            label=figure.wave.name,
            modelled=estimate.modelled,
        )
        for figure, estimate in shown
        if estimate is not None
    ]
    bench_points = [
        ChartPoint(
            x=x_of(point.period_end),
            y=y_of(point.value),
            low=y_of(point.low if point.low is not None else point.value),
            high=y_of(point.high if point.high is not None else point.value),
            label=point.period_end.isoformat(),
        )
        for point in bench
    ]
    steps = round((top_value - bottom_value) * 10)
    y_ticks = [
        ChartTick(y_of(bottom_value + step / 10), _percent(bottom_value + step / 10)) for step in range(steps + 1)
    ]
    x_ticks = [ChartTick(x_of(wave_date(figure.wave)), figure.wave.code) for figure in trend]
    parts = [
        _("%(wave)s: %(value)s (95%% interval %(low)s to %(high)s)%(modelled)s")
        % {
            "wave": figure.wave.name,
            "value": _percent(estimate.value),
            "low": _percent(estimate.low),
            "high": _percent(estimate.high),
            "modelled": _(", modelled") if estimate.modelled else "",
        }
        for figure, estimate in shown
        if estimate is not None
    ]
    description = _("Confidence score in %(area)s by wave. %(parts)s.") % {"area": area_name, "parts": "; ".join(parts)}
    if benchmark and bench:
        description += " " + _("Benchmark %(name)s: %(first)s in %(first_date)s, %(last)s in %(last_date)s.") % {
            "name": benchmark.series.name,
            "first": _percent(bench[0].value),
            "first_date": bench[0].period_end.isoformat(),
            "last": _percent(bench[-1].value),
            "last_date": bench[-1].period_end.isoformat(),
        }
    return TrendChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=CHART_LEFT,
        right=plot_right,
        top=CHART_TOP,
        bottom=plot_bottom,
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points),
        benchmark=bench_points,
        benchmark_line=" ".join(f"{p.x},{p.y}" for p in bench_points),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        description=description,
    )


# --- the map ----------------------------------------------------------------------------------

# Confidence classes: light (low) to dark (high), the areas maps' palette.
SCORE_CLASSES: tuple[tuple[float, str], ...] = (
    (0.0, "below 50%"),
    (0.5, "50% to 59%"),
    (0.6, "60% to 69%"),
    (0.7, "70% to 79%"),
    (0.8, "80% or more"),
)


@dataclass(frozen=True)
class MapRow:
    area: Area
    figure: WaveFigure
    class_index: int | None

    @property
    def colour(self) -> str | None:
        return CLASS_COLOURS[self.class_index] if self.class_index is not None else None

    @property
    def class_label(self) -> str:
        if self.class_index is None:
            return _("Too few responses") if self.figure.status != "not-scored" else _("Not scored")
        return _(SCORE_CLASSES[self.class_index][1])


def score_class(value: float) -> int:
    index = 0
    for position, (lowest, _label) in enumerate(SCORE_CLASSES):
        if value >= lowest:
            index = position
    return index


@dataclass
class SurveyMap:
    rows: list[MapRow]
    legend: list[tuple[str, str, int]]
    bounds: list[list[float]] | None
    suppressed: int


def neighbourhood_map(index: ScoreIndex, wave: Wave, neighbourhoods: Sequence[Area]) -> SurveyMap:
    """The neighbourhoods' direct weighted scores in `wave`, classed for the map. A
    neighbourhood without a published score has no class: it is not coloured."""
    position = index.wave_index(wave)
    rows = []
    for area in neighbourhoods:
        figure = index.figure(Level.NEIGHBOURHOOD, area.code, position)
        klass = score_class(figure.weighted.value) if figure.weighted is not None else None
        rows.append(MapRow(area, figure, klass))
    legend = [
        (CLASS_COLOURS[i], _(label), sum(1 for row in rows if row.class_index == i))
        for i, (_lowest, label) in enumerate(SCORE_CLASSES)
    ]
    boxes: list[tuple[float, float, float, float]] = [
        (a.min_lat, a.min_lon, a.max_lat, a.max_lon)
        for a in neighbourhoods
        if a.min_lat is not None and a.min_lon is not None and a.max_lat is not None and a.max_lon is not None
    ]
    bounds = None
    if boxes:
        bounds = [
            [min(b[0] for b in boxes), min(b[1] for b in boxes)],
            [max(b[2] for b in boxes), max(b[3] for b in boxes)],
        ]
    return SurveyMap(rows, legend, bounds, sum(1 for row in rows if row.class_index is None))


def map_geojson(survey_map: SurveyMap) -> dict[str, object]:
    """The map's neighbourhoods as GeoJSON, with what the tooltip says and the fill (null:
    too few responses, drawn as an outline only)."""
    pks = [row.area.pk for row in survey_map.rows]
    geometries = dict(with_geometry(Area.objects.filter(pk__in=pks)).values_list("pk", "geometry"))
    features = []
    for row in survey_map.rows:
        if row.area.pk not in geometries:
            continue
        weighted = row.figure.weighted
        features.append(
            {
                "type": "Feature",
                "id": row.area.code,
                "geometry": geometries[row.area.pk],
                "properties": {
                    "code": row.area.code,
                    "name": row.area.name,
                    "value": weighted.value if weighted else None,
                    "display": f"{weighted.value * 100:.0f}%" if weighted else str(row.class_label),
                    "class_label": str(row.class_label),
                    "fill": row.colour,
                    "border": BORDER_COLOUR,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- representation ----------------------------------------------------------------------------


@dataclass
class RepresentationTable:
    characteristic: str
    rows: list[RepresentationRow]


@dataclass
class RepresentationView:
    status: str
    reason: str
    tables: list[RepresentationTable]
    under_represented: list[str]
    notes: list[str]


def representation_for(survey: Survey, area: Area, wave: Wave) -> RepresentationView:
    """Who answered in `area` and `wave` against who lives there (scoring rule 9), one table
    per characteristic, naming the under-represented groups."""
    _waves, reason = unscorable_reason(survey)
    if reason:
        return RepresentationView(status="not-scored", reason=reason, tables=[], under_represented=[], notes=[])
    inputs = selectors.scoring_inputs(survey)
    codes = [w.pk for w in inputs.waves]
    rows = [
        row
        for row in representation(
            inputs.responses,
            areas=inputs.areas,
            census=inputs.census,
            waves=len(inputs.waves),
            settings=ScoringSettings(min_responses=survey.min_responses),
        )
        if str(row.level) == area.level and row.area == area.code and codes[row.wave] == wave.pk
    ]
    tables: dict[str, RepresentationTable] = {}
    for row in rows:
        tables.setdefault(str(row.characteristic), RepresentationTable(str(row.characteristic), [])).rows.append(row)
    return RepresentationView(
        status=str(rows[0].status) if rows else "not-scored",
        reason=suppression_reason(rows[0].status if rows else None, survey.min_responses),
        tables=list(tables.values()),
        under_represented=[f"{row.characteristic}: {row.group}" for row in rows if row.under_represented],
        notes=inputs.notes,
    )


# --- concerns -----------------------------------------------------------------------------------


def counted_responses(survey: Survey, wave: Wave, area: Area) -> int:
    """Counted responses in `area` and `wave` (to decide whether what people said is shown)."""
    responses = Response.objects.filter(survey=survey, wave=wave, status=ResponseStatus.COUNTED)
    if area.level == Level.NPA:
        responses = responses.filter(neighbourhood__parent=area)
    elif area.level == Level.NEIGHBOURHOOD:
        responses = responses.filter(neighbourhood=area)
    return responses.count()
