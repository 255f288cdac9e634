"""Areas needing immediate-response engagement: the detector run on the database, plus flags
raised by hand.

Reads each area's monthly counts from CrimeCount with one aggregate query per level,
hands them to `beatbook.crime.detector.detect` (pure NumPy; its docstring states the
method), and merges the incident flags staff raised after critical incidents. Commands,
pages and tests call `immediate_response`; writes to flags are in `services`.

Two measures are tested for every area: all crime except anti-social behaviour, and
anti-social behaviour. Each is a separate test at the stated false-alarm rate, so an
ordinary area has at most about twice that chance of some flag in a month. For a flagged
measure the categories that rose most are found by testing each category of that area
against its own history in the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beatbook.accounts.access import areas_for_user, user_force
from beatbook.accounts.models import Role
from beatbook.areas.models import Area, Level

from . import detector
from .models import CrimeCategory, CrimeCount, CrimeImport, IncidentFlag

DEFAULT_ALPHA = 0.01
# Levels the detector runs at, largest first.
LEVELS = (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD, Level.LSOA)
# Levels staff may mark by hand: a whole force is not "an area" needing engagement.
FLAG_LEVELS = (Level.NPA, Level.NEIGHBOURHOOD, Level.LSOA)
FLAG_ROLES = frozenset({Role.OFFICER, Role.COMMANDER, Role.ANALYST, Role.ADMIN})

CRIME, ASB = "crime", "asb"
MEASURES = {
    CRIME: gettext_lazy("Crime (excluding anti-social behaviour)"),
    ASB: gettext_lazy("Anti-social behaviour"),
}
# How many categories an explanation names.
TOP_CATEGORIES = 3

# The CrimeCount field holding each level's area (LSOA → neighbourhood → NPA by parent).
_AREA_KEY = {
    Level.LSOA: "lsoa_id",
    Level.NEIGHBOURHOOD: "lsoa__parent_id",
    Level.NPA: "lsoa__parent__parent_id",
    Level.FORCE: "force_id",
}


def default_alpha() -> float:
    return float(getattr(settings, "IMMEDIATE_RESPONSE_ALPHA", DEFAULT_ALPHA))


# --- Months -------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def parse_month(text: str) -> dt.date:
    """'2024-07' → 1 July 2024; ValueError for anything else."""
    try:
        parsed = dt.datetime.strptime(text.strip(), "%Y-%m")  # noqa: DTZ007 - a calendar month, not a moment
    except ValueError as error:
        raise ValueError(f"{text!r} is not a month in the form YYYY-MM") from error
    return parsed.date()


def months_with_data(force: Area) -> list[dt.date]:
    """Months with crime data for the force (imported, or counts present), newest first."""
    imported = set(CrimeImport.objects.filter(force=force).values_list("month", flat=True))
    counted = set(CrimeCount.objects.filter(force=force).values_list("month", flat=True).distinct())
    return sorted({month_start(m) for m in imported | counted}, reverse=True)


# --- Results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryChange:
    name: str
    observed: int
    expected: float

    @property
    def rise(self) -> float:
        return self.observed - self.expected


@dataclass(frozen=True)
class StatisticalFlag:
    measure: str
    observed: int
    expected: float
    lower: int
    upper: int
    tail_probability: float
    dispersion: float
    trend_per_year: float
    alpha: float
    month: dt.date
    categories: tuple[CategoryChange, ...] = ()

    @property
    def measure_label(self) -> str:
        return str(MEASURES[self.measure])

    @property
    def rise(self) -> float:
        return self.observed - self.expected

    @property
    def rise_percent(self) -> float | None:
        return None if self.expected <= 0 else 100.0 * self.rise / self.expected

    def explanation(self) -> str:
        """One paragraph in plain English: what rose, by how much, against what range."""
        values = {
            "measure": self.measure_label,
            "observed": f"{self.observed:,}",
            "month": f"{self.month:%B %Y}",
            "expected": _format_expected(self.expected),
            "lower": f"{self.lower:,}",
            "upper": f"{self.upper:,}",
            "rate": _format_rate(self.alpha),
            "rise": _format_expected(self.rise),
        }
        if self.rise_percent is None:
            text = _(
                "%(measure)s: %(observed)s in %(month)s, where about %(expected)s were expected "
                "(usual range %(lower)s to %(upper)s, with a %(rate)s chance of a count above it in an ordinary month). "
                "Up %(rise)s."
            )
        else:
            values["percent"] = f"{self.rise_percent:,.0f}"
            text = _(
                "%(measure)s: %(observed)s in %(month)s, where about %(expected)s were expected "
                "(usual range %(lower)s to %(upper)s, with a %(rate)s chance of a count above it in an ordinary month). "
                "Up %(rise)s (%(percent)s%%)."
            )
        text = text % values
        # A category up by less than one crime did not "rise" in any sense worth reading.
        rising = [c for c in self.categories if c.rise >= 1.0]
        if rising:
            parts = [
                _("%(name)s %(observed)s (about %(expected)s expected)")
                % {"name": c.name, "observed": f"{c.observed:,}", "expected": _format_expected(c.expected)}
                for c in rising
            ]
            text += " " + _("Rose most: %(list)s.") % {"list": "; ".join(parts)}
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "statistical",
            "measure": self.measure,
            "measure_label": self.measure_label,
            "observed": self.observed,
            "expected": round(self.expected, 2),
            "lower": self.lower,
            "upper": self.upper,
            "alpha": self.alpha,
            "rise": round(self.rise, 2),
            "rise_percent": None if self.rise_percent is None else round(self.rise_percent, 1),
            "tail_probability": float(f"{self.tail_probability:.3g}"),
            "dispersion": round(self.dispersion, 3),
            "trend_per_year_percent": round(100.0 * (self.trend_per_year - 1.0), 1),
            "categories": [
                {"category": c.name, "observed": c.observed, "expected": round(c.expected, 2), "rise": round(c.rise, 2)}
                for c in self.categories
            ],
            "explanation": self.explanation(),
        }


def _format_expected(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}"


def _format_rate(alpha: float) -> str:
    return f"{100 * alpha:g}%"


def manual_flag_dict(flag: IncidentFlag) -> dict[str, Any]:
    return {
        "kind": "manual",
        "id": flag.pk,
        "title": flag.title,
        "description": flag.description,
        "starts_on": flag.starts_on.isoformat(),
        "ends_on": flag.ends_on.isoformat() if flag.ends_on else None,
        "closed_at": flag.closed_at.isoformat() if flag.closed_at else None,
        "raised_by": str(flag.raised_by) if flag.raised_by else None,
        "area": {"code": flag.area.code, "name": flag.area.name, "level": flag.area.level},
    }


@dataclass
class AreaFlags:
    area: Area
    statistical: list[StatisticalFlag] = field(default_factory=list)
    manual: list[IncidentFlag] = field(default_factory=list)

    @property
    def strongest(self) -> float:
        """For ordering: the smallest tail probability (manual flags first)."""
        if self.manual:
            return -1.0
        return min((f.tail_probability for f in self.statistical), default=1.0)


@dataclass
class ImmediateResponse:
    force: Area
    month: dt.date
    level: str
    alpha: float
    config: detector.DetectorConfig
    has_data: bool  # the month itself has data for the force
    areas_checked: int
    not_enough_history: list[Area]
    flagged: list[AreaFlags]

    @property
    def statistical_count(self) -> int:
        return sum(len(a.statistical) for a in self.flagged)

    def as_dict(self) -> dict[str, Any]:
        return {
            "force": {"code": self.force.code, "name": self.force.name},
            "as_of": f"{self.month:%Y-%m}",
            "level": self.level,
            "alpha": self.alpha,
            "method": method_summary(self.config),
            "rules": {
                "min_observed": self.config.min_observed,
                "min_excess": self.config.min_excess,
                "min_history_months": self.config.min_history_months,
            },
            "has_data": self.has_data,
            "areas_checked": self.areas_checked,
            "not_enough_history": [{"code": a.code, "name": a.name} for a in self.not_enough_history],
            "areas": [
                {
                    "code": item.area.code,
                    "name": item.area.name,
                    "level": item.area.level,
                    "flags": [f.as_dict() for f in item.statistical] + [manual_flag_dict(m) for m in item.manual],
                }
                for item in self.flagged
            ],
        }


def method_summary(config: detector.DetectorConfig) -> str:
    return _(
        "Each area's count for the month is compared with what that area's own last three years predict for "
        "the same time of year (the same calendar month and the months either side), allowing for its "
        "overall rise or fall and for how much its counts vary from month to month. An area is flagged when "
        "the count is above the range that an ordinary month exceeds only %(rate)s of the time, is at least "
        "%(min_observed)s, and is at least %(min_excess)s above the expected count. Areas with less than "
        "%(years)s years of data are not tested. Crime (excluding anti-social behaviour) and anti-social "
        "behaviour are tested separately."
    ) % {
        "rate": _format_rate(config.alpha),
        "min_observed": config.min_observed,
        "min_excess": f"{config.min_excess:g}",
        "years": config.min_years,
    }


# --- Reading the series ---------------------------------------------------------------------


def _series_months(month: dt.date, config: detector.DetectorConfig) -> list[dt.date]:
    return [add_months(month, -offset) for offset in range(config.span, -1, -1)]


def _observed_months(force: Area, months: Sequence[dt.date]) -> set[dt.date]:
    """Months the force has data for. A month never imported is unknown, not zero."""
    span = Q(month__gte=months[0], month__lte=months[-1])
    imported = CrimeImport.objects.filter(span, force=force).values_list("month", flat=True)
    counted = CrimeCount.objects.filter(span, force=force).values_list("month", flat=True).distinct()
    return {month_start(m) for m in [*imported, *counted]}


def _counts_base(force: Area, level: str, months: Sequence[dt.date]) -> QuerySet[CrimeCount]:
    queryset = CrimeCount.objects.filter(force=force, month__gte=months[0], month__lte=months[-1])
    if level != Level.FORCE:
        # Area figures count only rows in one of the force's own LSOAs; force totals count all.
        queryset = queryset.filter(lsoa__isnull=False)
    return queryset


def measure_series(force: Area, level: str, areas: Sequence[Area], months: Sequence[dt.date]) -> dict[str, np.ndarray]:
    """Counts per area (rows, in `areas` order) and month (columns) for each measure.

    Months with no data for the force are NaN; months with data but no rows for an area are 0.
    """
    key = _AREA_KEY[Level(level)]
    row_of = {area.pk: i for i, area in enumerate(areas)}
    col_of = {m: j for j, m in enumerate(months)}
    series = {measure: np.zeros((len(areas), len(months))) for measure in MEASURES}
    asb = Q(category__is_anti_social_behaviour=True)
    rows = (
        _counts_base(force, level, months)
        .filter(**{f"{key}__in": list(row_of)})
        .values(key, "month")
        .annotate(
            crime=Sum(Case(When(~asb, then=F("count")), default=0, output_field=IntegerField())),
            asb=Sum(Case(When(asb, then=F("count")), default=0, output_field=IntegerField())),
        )
    )
    for row in rows:
        i, j = row_of[row[key]], col_of[month_start(row["month"])]
        series[CRIME][i, j] += row["crime"] or 0
        series[ASB][i, j] += row["asb"] or 0
    observed = _observed_months(force, months)
    missing = [j for j, m in enumerate(months) if m not in observed]
    for values in series.values():
        values[:, missing] = np.nan
    return series


def _category_changes(
    force: Area,
    level: str,
    wanted: Sequence[tuple[Area, str]],
    months: Sequence[dt.date],
    config: detector.DetectorConfig,
) -> dict[tuple[int, str], tuple[CategoryChange, ...]]:
    """For each (area, measure) flagged: its categories' observed and expected counts,
    those that rose most first."""
    if not wanted:
        return {}
    key = _AREA_KEY[Level(level)]
    area_ids = sorted({area.pk for area, _measure in wanted})
    categories = {c.pk: c for c in CrimeCategory.objects.all()}
    col_of = {m: j for j, m in enumerate(months)}
    cells: dict[tuple[int, int], np.ndarray] = {}
    rows = (
        _counts_base(force, level, months)
        .filter(**{f"{key}__in": area_ids})
        .values(key, "category_id", "month")
        .annotate(total=Sum("count"))
    )
    for row in rows:
        series = cells.setdefault((row[key], row["category_id"]), np.zeros(len(months)))
        series[col_of[month_start(row["month"])]] += row["total"] or 0
    observed = _observed_months(force, months)
    missing = [j for j, m in enumerate(months) if m not in observed]
    wanted_keys = {(area.pk, measure) for area, measure in wanted}
    pairs = [
        (area_id, category_id)
        for (area_id, category_id) in sorted(cells)
        if (area_id, ASB if categories[category_id].is_anti_social_behaviour else CRIME) in wanted_keys
    ]
    if not pairs:
        return {}
    matrix = np.array([cells[p] for p in pairs])
    matrix[:, missing] = np.nan
    # Only the expected counts are used here: the small-count rules do not apply.
    result = detector.detect(matrix, detector.DetectorConfig(alpha=config.alpha, min_observed=0, min_excess=0))
    changes: dict[tuple[int, str], list[CategoryChange]] = {}
    for index, (area_id, category_id) in enumerate(pairs):
        category = categories[category_id]
        measure = ASB if category.is_anti_social_behaviour else CRIME
        observed_count = result.observed[index]
        expected = result.expected[index]
        if np.isnan(observed_count) or np.isnan(expected):
            continue
        changes.setdefault((area_id, measure), []).append(
            CategoryChange(name=category.name, observed=int(observed_count), expected=float(expected))
        )
    return {
        key_: tuple(sorted(items, key=lambda c: (-c.rise, c.name))[:TOP_CATEGORIES]) for key_, items in changes.items()
    }


# --- Manual flags -----------------------------------------------------------------------------


def active_in_month_q(month: dt.date) -> Q:
    """Flags in force at some time during the month: started by its end, not ended or closed
    before it began, and not closed before they started."""
    first, last = month_start(month), month_end(month)
    return (
        Q(starts_on__lte=last)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        & (Q(closed_at__isnull=True) | (Q(closed_at__date__gte=first) & Q(closed_at__date__gte=F("starts_on"))))
    )


def open_now_q(today: dt.date) -> Q:
    """Flags not closed and not past their end date: the ones staff are acting on now."""
    return Q(closed_at__isnull=True) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def manual_flags(areas: QuerySet[Area], where: Q) -> list[IncidentFlag]:
    return list(
        IncidentFlag.objects.filter(where, area__in=areas)
        .select_related("area", "raised_by", "closed_by")
        .order_by("-starts_on", "-id")
    )


def can_raise_flags(user: Any) -> bool:
    """Staff who may mark areas by hand: everyone signed in with a scope except partners."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and bool(getattr(user, "is_active", False))
        and getattr(user, "area_id", None) is not None
        and getattr(user, "role", None) in FLAG_ROLES
    )


def flaggable_areas(user: Any) -> QuerySet[Area]:
    """Areas this user may mark: officers their neighbourhood and its LSOAs, commanders their
    policing area and everything in it, analysts and administrators their whole force."""
    if not can_raise_flags(user):
        return Area.objects.none()
    largest_first = Case(
        *(When(level=level, then=index) for index, level in enumerate(FLAG_LEVELS)), output_field=IntegerField()
    )
    return areas_for_user(user).filter(level__in=FLAG_LEVELS).order_by(largest_first, "name", "code")


# --- The list ---------------------------------------------------------------------------------


def immediate_response(
    *,
    force: Area,
    month: dt.date,
    level: str = Level.NEIGHBOURHOOD,
    alpha: float | None = None,
    areas: QuerySet[Area] | None = None,
    manual_where: Q | None = None,
) -> ImmediateResponse:
    """Areas of `level` in `force` (limited to `areas` when given) flagged for `month`.

    Manual flags are those active during the month on any area in scope (any level), unless
    `manual_where` says otherwise (the staff page adds the flags open today).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    config = detector.DetectorConfig(alpha=default_alpha() if alpha is None else alpha)
    month = month_start(month)
    in_force = Q(pk=force.pk) if level == Level.FORCE else Q(force=force)
    candidates = Area.objects.filter(in_force, level=level)
    scope = Area.objects.filter(Q(pk=force.pk) | Q(force=force))
    if areas is not None:
        candidates = candidates.filter(pk__in=areas.values("pk"))
        scope = scope.filter(pk__in=areas.values("pk"))
    tested_areas = list(candidates.order_by("name", "code"))
    months = _series_months(month, config)
    has_data = month in _observed_months(force, months[-1:])

    by_area: dict[int, AreaFlags] = {}
    not_enough: list[Area] = []
    if tested_areas and has_data:
        series = measure_series(force, level, tested_areas, months)
        results = {measure: detector.detect(values, config) for measure, values in series.items()}
        too_short = np.zeros(len(tested_areas), dtype=bool)
        for result in results.values():
            too_short |= result.status == detector.Status.NOT_ENOUGH_HISTORY.value
        not_enough = [a for a, short in zip(tested_areas, too_short, strict=True) if short]
        wanted = [
            (area, measure)
            for measure, result in results.items()
            for area, hit in zip(tested_areas, result.flagged, strict=True)
            if hit
        ]
        changes = _category_changes(force, level, wanted, months, config)
        index_of = {area.pk: i for i, area in enumerate(tested_areas)}
        for area, measure in wanted:
            result, i = results[measure], index_of[area.pk]
            flag = StatisticalFlag(
                measure=measure,
                observed=int(result.observed[i]),
                expected=float(result.expected[i]),
                lower=int(result.lower[i]),
                upper=int(result.upper[i]),
                tail_probability=float(result.tail_probability[i]),
                dispersion=float(result.dispersion[i]),
                trend_per_year=float(result.trend_per_year[i]),
                alpha=config.alpha,
                month=month,
                categories=changes.get((area.pk, measure), ()),
            )
            by_area.setdefault(area.pk, AreaFlags(area=area)).statistical.append(flag)

    for incident in manual_flags(scope, manual_where if manual_where is not None else active_in_month_q(month)):
        by_area.setdefault(incident.area_id, AreaFlags(area=incident.area)).manual.append(incident)

    flagged = sorted(by_area.values(), key=lambda item: (item.strongest, item.area.name, item.area.code))
    return ImmediateResponse(
        force=force,
        month=month,
        level=level,
        alpha=config.alpha,
        config=config,
        has_data=has_data,
        areas_checked=len(tested_areas) if has_data else 0,
        not_enough_history=not_enough,
        flagged=flagged,
    )


def immediate_response_for_user(
    user: Any, *, month: dt.date, level: str, alpha: float | None = None, today: dt.date | None = None
) -> ImmediateResponse | None:
    """The staff page's list: the user's areas only; manual flags active in the month or open now."""
    force = user_force(user)
    if force is None:
        return None
    today = today or timezone.localdate()
    return immediate_response(
        force=force,
        month=month,
        level=level,
        alpha=alpha,
        areas=areas_for_user(user),
        manual_where=active_in_month_q(month) | open_now_q(today),
    )
