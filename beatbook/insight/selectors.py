"""Reads of benchmark series for the confidence dashboards."""

from __future__ import annotations

from .models import BenchmarkPoint, BenchmarkSeries


def series_for(measure_like: str, area_name: str) -> list[BenchmarkPoint]:
    """Points of every series whose measure contains `measure_like` in the named area.

    Both are compared case-insensitively ("trust", "barnet"). Points come series by series,
    oldest first, each with its series loaded.
    """
    return list(
        BenchmarkPoint.objects.filter(
            series__measure__icontains=measure_like.strip(), series__area_name__iexact=area_name.strip()
        )
        .select_related("series")
        .order_by("series__source", "series__measure", "period_end")
    )


def benchmark_series(*, source: str | None = None) -> list[BenchmarkSeries]:
    """Every series (optionally from one source), for pickers."""
    found = BenchmarkSeries.objects.all()
    if source:
        found = found.filter(source=source)
    return list(found.order_by("source", "measure", "area_name"))
