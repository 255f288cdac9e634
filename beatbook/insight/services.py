"""Writes for benchmark series: save one series and its points, reporting what changed.

Importers call these inside their own transaction (a dry run rolls them back with it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from .models import BenchmarkPoint, BenchmarkSeries

POINT_FIELDS = ("value", "standard_error", "low", "high", "n")


@dataclass(frozen=True)
class SeriesData:
    source: str
    measure: str
    area_name: str
    area_kind: str
    name: str

    @property
    def slug(self) -> str:
        return slugify(f"{self.source} {self.measure} {self.area_name}")[:200]


@dataclass(frozen=True)
class PointData:
    period_end: dt.date
    value: float
    standard_error: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None


@dataclass
class SaveCounts:
    series_created: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _check_point(point: PointData) -> None:
    problems: dict[str, list[str]] = {}
    for name in ("value", "low", "high"):
        number = getattr(point, name)
        if number is not None and not 0 <= number <= 1:
            problems[name] = [f"{number} is not a proportion between 0 and 1"]
    if point.standard_error is not None and point.standard_error < 0:
        problems["standard_error"] = ["a standard error cannot be negative"]
    if point.n is not None and point.n < 0:
        problems["n"] = ["a count cannot be negative"]
    if problems:
        raise ValidationError(problems)


def benchmark_series_save(*, series: SeriesData, points: Sequence[PointData]) -> SaveCounts:
    """Create or update a series (by slug) and its points (by period end). Never deletes a point.

    A point already stored with the same numbers is left alone, so importing a file twice
    changes nothing.
    """
    for point in points:
        _check_point(point)
    periods = [point.period_end for point in points]
    if len(set(periods)) != len(periods):
        raise ValidationError({"period_end": [f"series {series.slug} has two points for one period"]})
    counts = SaveCounts()
    fields = {
        "source": series.source,
        "measure": series.measure,
        "area_name": series.area_name,
        "area_kind": series.area_kind,
        "name": series.name,
    }
    stored_series, counts.series_created = BenchmarkSeries.objects.get_or_create(slug=series.slug, defaults=fields)
    if not counts.series_created and any(getattr(stored_series, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(stored_series, key, value)
        stored_series.save(update_fields=list(fields))
    existing = {p.period_end: p for p in BenchmarkPoint.objects.filter(series=stored_series)}
    to_create: list[BenchmarkPoint] = []
    to_update: list[BenchmarkPoint] = []
    for point in points:
        values = {name: getattr(point, name) for name in POINT_FIELDS}
        stored = existing.get(point.period_end)
        if stored is None:
            to_create.append(BenchmarkPoint(series=stored_series, period_end=point.period_end, **values))
        elif any(getattr(stored, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(stored, name, value)
            to_update.append(stored)
        else:
            counts.unchanged += 1
    BenchmarkPoint.objects.bulk_create(to_create)
    BenchmarkPoint.objects.bulk_update(to_update, list(POINT_FIELDS))
    counts.created, counts.updated = len(to_create), len(to_update)
    return counts
