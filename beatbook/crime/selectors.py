"""Reads for crime profiles, the `crime-summary` command and the crime API.

Every figure is an aggregate of `CrimeCount` rows summed in SQL, grouped by category and
month (at most a few hundred rows back, whatever the area's size); harm is the weighted
sum of those groups, done in Python with the force's weights.

Which rows count: a force counts every row published for it (rows with no location, no
LSOA or an LSOA outside it included), so its totals match data.police.uk's; any other area
counts the rows whose `lsoa` is one of its LSOAs. As in `beatbook.areas.selectors`, access
is decided by the caller, and a ward or district reaching outside the user's scope is
limited by `lsoa_filter` (from `beatbook.accounts.access.lsoa_limit`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from beatbook.areas.models import Area, Deprivation, Level
from beatbook.areas.selectors import area_figures, lsoas_within, lsoas_within_q

from .models import CrimeCategory, CrimeCount, CrimeImport, HarmWeight

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
TREND_MONTHS = 12  # a year against the year before: whole years keep the seasons aligned
PER = 1000  # rates are per 1,000 residents


# --------------------------------------------------------------------------- months


def parse_month(text: str) -> date:
    """ "2021-06" → date(2021, 6, 1). ValueError (naming the text) when it is not a month."""
    match = MONTH_PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"{text!r} is not a month: write it as YYYY-MM, for example 2021-06.")
    return date(int(match.group(1)), int(match.group(2)), 1)


def format_month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """Every month from `start` to `end`, both included (empty when end is before start)."""
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    return [add_months(start, i) for i in range(max(0, count))]


def available_months(area: Area) -> list[date]:
    """The months of crime data held for the area's force, oldest first.

    The months imported (one `CrimeImport` row each) say which months exist even where an
    area had no crime; without imports (counts written directly) the months with counts do.
    """
    force = area.owning_force
    if force is None:
        return []
    months = list(CrimeImport.objects.filter(force=force).order_by("month").values_list("month", flat=True))
    if months:
        return months
    span = CrimeCount.objects.filter(force=force).aggregate(first=Min("month"), last=Max("month"))
    if span["first"] is None:
        return []
    return months_between(span["first"], span["last"])


def default_range(months: list[date], *, length: int = TREND_MONTHS) -> tuple[date, date] | None:
    """The last `length` months of data (fewer when there are fewer), or None without data."""
    if not months:
        return None
    end = months[-1]
    return max(months[0], add_months(end, 1 - length)), end


# --------------------------------------------------------------------------- categories and weights


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    name: str
    slug: str
    is_anti_social_behaviour: bool
    weight: float
    weight_source: str
    weight_is_force_override: bool


def category_weights(force: Area | None) -> list[CategoryInfo]:
    """Every category with the weight that applies in `force`: its own row, else the default.

    A category with no weight at all (one the importer met for the first time) weighs 0.
    """
    weights: dict[int, tuple[float, str, bool]] = {}
    rows = HarmWeight.objects.filter(Q(force__isnull=True) | Q(force=force)).values_list(
        "category_id", "force_id", "weight", "source"
    )
    # Defaults first, then the force's rows over them.
    for category_id, force_id, weight, source in sorted(rows, key=lambda r: r[1] is not None):
        weights[category_id] = (weight, source, force_id is not None)
    return [
        CategoryInfo(
            id=c.pk,
            name=c.name,
            slug=c.slug,
            is_anti_social_behaviour=c.is_anti_social_behaviour,
            weight=weights.get(c.pk, (0.0, "", False))[0],
            weight_source=weights.get(c.pk, (0.0, "", False))[1],
            weight_is_force_override=weights.get(c.pk, (0.0, "", False))[2],
        )
        for c in CrimeCategory.objects.order_by("position", "name")
    ]


# --------------------------------------------------------------------------- which rows


def counts_q(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> Q:
    """A filter on CrimeCount for the rows that belong to `area` (see the module docstring)."""
    if area.level == Level.FORCE:
        return Q(force_id=area.pk)
    return lsoas_within_q(area, prefix="lsoa__", lsoa_filter=lsoa_filter)


def area_counts(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> QuerySet[CrimeCount]:
    return CrimeCount.objects.filter(counts_q(area, lsoa_filter=lsoa_filter))


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class Population:
    residents: int | None
    source: str  # what the figure is, for the page and the JSON

    def per_1000(self, value: float) -> float | None:
        if not self.residents:
            return None
        return value * PER / self.residents


def area_population(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> Population:
    """The residents of the area's LSOAs, for rates per 1,000.

    The census count when every LSOA has one; else the mid-2015 denominators published
    with the Indices of Deprivation when every LSOA has those (the 2011 census files lack
    Rutland, for example); else none, because a rate over part of the LSOAs would mislead.
    """
    fig = area_figures(area, lsoa_filter=lsoa_filter)
    if not fig.lsoa_count:
        return Population(None, "")
    if fig.population and fig.census_lsoa_count >= fig.lsoa_count:
        return Population(fig.population, _("Census %(year)s usual residents") % {"year": fig.census_year})
    # Count the LSOAs that have a denominator, not those that have a deprivation row.
    estimates = Deprivation.objects.filter(
        lsoas_within_q(area, prefix="lsoa__", lsoa_filter=lsoa_filter), population_total__isnull=False
    ).aggregate(lsoas=Count("lsoa_id"), residents=Sum("population_total"))
    if estimates["residents"] and estimates["lsoas"] >= fig.lsoa_count:
        return Population(
            int(estimates["residents"]),
            _("Mid-2015 population estimates (published with the Indices of Deprivation 2019)"),
        )
    return Population(None, _("No population figure covers every LSOA of this area."))


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class CategoryTotal:
    category: CategoryInfo
    count: int
    harm: float


@dataclass
class MonthTotal:
    month: date
    count: int = 0
    crimes: int = 0  # all but anti-social behaviour
    anti_social_behaviour: int = 0
    harm: float = 0.0
    by_category: dict[str, int] = field(default_factory=dict)  # slug → count

    @property
    def label(self) -> str:
        return format_month(self.month)


@dataclass
class CrimeSummary:
    area: Area
    start: date
    end: date
    months: list[MonthTotal]
    categories: list[CategoryTotal]
    population: Population
    partial: bool = False  # limited to the LSOAs inside the user's scope

    @property
    def count(self) -> int:
        return sum(c.count for c in self.categories)

    @property
    def anti_social_behaviour(self) -> int:
        return sum(c.count for c in self.categories if c.category.is_anti_social_behaviour)

    @property
    def crimes(self) -> int:
        return self.count - self.anti_social_behaviour

    @property
    def harm(self) -> float:
        return sum(c.harm for c in self.categories)

    @property
    def has_data(self) -> bool:
        return self.count > 0

    @property
    def count_per_1000(self) -> float | None:
        return self.population.per_1000(self.count)

    @property
    def crimes_per_1000(self) -> float | None:
        return self.population.per_1000(self.crimes)

    @property
    def harm_per_1000(self) -> float | None:
        return self.population.per_1000(self.harm)

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `beatbook crime-summary` and of the API (one shape for both)."""
        return {
            "area": {"code": self.area.code, "name": self.area.name, "level": self.area.level},
            "from": format_month(self.start),
            "to": format_month(self.end),
            "months": len(self.months),
            "partial": self.partial,
            "population": self.population.residents,
            "population_source": self.population.source,
            "count": self.count,
            "crimes": self.crimes,
            "anti_social_behaviour": self.anti_social_behaviour,
            "harm": round(self.harm, 1),
            "count_per_1000": _rounded(self.count_per_1000),
            "harm_per_1000": _rounded(self.harm_per_1000),
            "by_category": [
                {
                    "category": c.category.name,
                    "slug": c.category.slug,
                    "anti_social_behaviour": c.category.is_anti_social_behaviour,
                    "count": c.count,
                    "weight": c.category.weight,
                    "harm": round(c.harm, 1),
                }
                for c in self.categories
            ],
            "by_month": [
                {
                    "month": m.label,
                    "count": m.count,
                    "crimes": m.crimes,
                    "anti_social_behaviour": m.anti_social_behaviour,
                    "harm": round(m.harm, 1),
                    "by_category": m.by_category,
                }
                for m in self.months
            ],
        }


def _rounded(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def crime_summary(
    area: Area,
    *,
    start: date,
    end: date,
    lsoa_filter: QuerySet[Area] | None = None,
    population: Population | None = None,
) -> CrimeSummary:
    """Counts and harm by category and by month from `start` to `end` (months, both included).

    One aggregate query for the counts; every category and every month is present, with 0
    where there was none, so tables and JSON keep one shape.
    """
    categories = category_weights(area.owning_force)
    by_id = {c.id: c for c in categories}
    months = {m: MonthTotal(m) for m in months_between(start, end)}
    totals: dict[int, int] = defaultdict(int)
    rows = (
        area_counts(area, lsoa_filter=lsoa_filter)
        .filter(month__gte=start, month__lte=end)
        .values("month", "category_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for row in rows:
        category = by_id.get(row["category_id"])
        month = months.get(row["month"])
        if category is None or month is None:  # a category created after the weights were read
            continue
        n = int(row["n"] or 0)
        totals[category.id] += n
        month.count += n
        month.harm += n * category.weight
        month.by_category[category.slug] = month.by_category.get(category.slug, 0) + n
        if category.is_anti_social_behaviour:
            month.anti_social_behaviour += n
        else:
            month.crimes += n
    return CrimeSummary(
        area=area,
        start=start,
        end=end,
        months=list(months.values()),
        categories=[CategoryTotal(c, totals[c.id], totals[c.id] * c.weight) for c in categories],
        population=population if population is not None else area_population(area, lsoa_filter=lsoa_filter),
        partial=lsoa_filter is not None and area.level != Level.FORCE,
    )


# --------------------------------------------------------------------------- trends


@dataclass(frozen=True)
class Change:
    current: float
    previous: float

    @property
    def difference(self) -> float:
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """The change as a percentage of the year before; None when that was 0."""
        if not self.previous:
            return None
        return (self.current - self.previous) * 100 / self.previous


@dataclass(frozen=True)
class CategoryTrend:
    category: CategoryInfo
    count: Change
    harm: Change
    force_count: Change


@dataclass
class Trend:
    """The 12 months to `end` against the same 12 months a year before, for an area and its force."""

    end: date
    current_start: date
    previous_start: date
    previous_end: date
    categories: list[CategoryTrend]
    months_held: int  # of the 24 months compared, how many the force has data for

    @property
    def complete(self) -> bool:
        return self.months_held >= 2 * TREND_MONTHS

    def _sum(self, attr: str, *, asb: bool | None = None) -> Change:
        rows = [getattr(t, attr) for t in self.categories if asb is None or t.category.is_anti_social_behaviour == asb]
        return Change(sum(c.current for c in rows), sum(c.previous for c in rows))

    @property
    def count(self) -> Change:
        return self._sum("count")

    @property
    def crimes(self) -> Change:
        return self._sum("count", asb=False)

    @property
    def anti_social_behaviour(self) -> Change:
        return self._sum("count", asb=True)

    @property
    def harm(self) -> Change:
        return self._sum("harm")

    @property
    def force_count(self) -> Change:
        return self._sum("force_count")

    @property
    def has_data(self) -> bool:
        return bool(self.count.current or self.count.previous)


def _by_category_two_periods(
    rows: QuerySet[CrimeCount], current: tuple[date, date], previous: tuple[date, date]
) -> dict[int, tuple[int, int]]:
    grouped = (
        rows.filter(month__gte=previous[0], month__lte=current[1])
        .values("category_id")
        .annotate(
            now=Sum("count", filter=Q(month__gte=current[0], month__lte=current[1])),
            before=Sum("count", filter=Q(month__gte=previous[0], month__lte=previous[1])),
        )
        .order_by()
    )
    return {r["category_id"]: (int(r["now"] or 0), int(r["before"] or 0)) for r in grouped}


def crime_trend(area: Area, *, end: date, lsoa_filter: QuerySet[Area] | None = None) -> Trend:
    """Per category: the 12 months to `end`, the 12 months before, and the force's same figures.

    Two aggregate queries (one when the area is the force).
    """
    force = area.owning_force
    current = (add_months(end, 1 - TREND_MONTHS), end)
    previous = (add_months(end, 1 - 2 * TREND_MONTHS), add_months(end, -TREND_MONTHS))
    categories = category_weights(force)
    mine = _by_category_two_periods(area_counts(area, lsoa_filter=lsoa_filter), current, previous)
    if force is None:
        theirs: dict[int, tuple[int, int]] = {}
    elif force.pk == area.pk:
        theirs = mine
    else:
        theirs = _by_category_two_periods(area_counts(force), current, previous)
    held = 0
    if force is not None:
        held = sum(1 for m in available_months(force) if previous[0] <= m <= current[1])
    trends = []
    for c in categories:
        now, before = mine.get(c.id, (0, 0))
        force_now, force_before = theirs.get(c.id, (0, 0))
        trends.append(
            CategoryTrend(
                category=c,
                count=Change(now, before),
                harm=Change(now * c.weight, before * c.weight),
                force_count=Change(force_now, force_before),
            )
        )
    return Trend(
        end=end,
        current_start=current[0],
        previous_start=previous[0],
        previous_end=previous[1],
        categories=trends,
        months_held=held,
    )


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class OutcomeShare:
    outcome: str
    count: int
    share: float  # 0..1 of the crimes counted


@dataclass(frozen=True)
class OutcomeMix:
    total: int
    rows: list[OutcomeShare]


def outcome_mix(area: Area, *, start: date, end: date, lsoa_filter: QuerySet[Area] | None = None) -> OutcomeMix | None:
    """The share of crimes by last outcome, most common first. Anti-social behaviour has no
    outcomes, so it is left out; crimes published without one are a row of their own."""
    rows = (
        area_counts(area, lsoa_filter=lsoa_filter)
        .filter(month__gte=start, month__lte=end, category__is_anti_social_behaviour=False)
        .values("outcome__name")
        .annotate(n=Sum("count"))
        .order_by()
    )
    counted = [(r["outcome__name"] or _("No outcome recorded"), int(r["n"] or 0)) for r in rows]
    total = sum(n for _name, n in counted)
    if not total:
        return None
    counted.sort(key=lambda item: (-item[1], item[0]))
    return OutcomeMix(total, [OutcomeShare(name, n, n / total) for name, n in counted if n])


# --------------------------------------------------------------------------- LSOAs for the map


def lsoa_codes_within(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> list[str] | None:
    """The LSOA codes whose rows make up the area's points; None for a force (every row)."""
    if area.level == Level.FORCE:
        return None
    return list(lsoas_within(area, lsoa_filter=lsoa_filter).order_by("code").values_list("code", flat=True))


# --------------------------------------------------------------------------- points


@dataclass(frozen=True)
class PointCount:
    longitude: float
    latitude: float
    location: str  # as published, e.g. "On or near Marquis Street"
    count: int


@dataclass
class PointSet:
    """One month's crimes of an area at their published (snapped, anonymised) locations."""

    month: date
    category: CategoryInfo | None
    points: list[PointCount]
    unmapped: int = 0  # rows published without coordinates

    @property
    def total(self) -> int:
        return sum(p.count for p in self.points)

    def top(self, n: int) -> list[PointCount]:
        return sorted(self.points, key=lambda p: (-p.count, p.location, p.longitude, p.latitude))[:n]

    def geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "month": format_month(self.month),
            "category": self.category.slug if self.category else None,
            "total": self.total,
            "unmapped": self.unmapped,
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
                    "properties": {"location": p.location, "count": p.count},
                }
                for p in self.points
            ],
        }


def crime_points(
    area: Area,
    *,
    month: date,
    category: CategoryInfo | None = None,
    lsoa_filter: QuerySet[Area] | None = None,
) -> PointSet:
    """The month's rows of the area (a force: every row; else rows in its LSOAs), one point
    per published location with its count. Read from the force-month's Parquet file."""
    from . import storage  # DuckDB is loaded only for the maps

    found = PointSet(month=month, category=category, points=[])
    force = area.owning_force
    codes = lsoa_codes_within(area, lsoa_filter=lsoa_filter)
    if force is None or codes == []:
        return found
    try:
        rows = storage.read_points(
            force.code,
            [month],
            lsoa_codes=codes,
            categories=[category.name] if category is not None else None,
            located_only=False,
        )
    except ValueError:  # a force code that cannot name a folder has no files
        return found
    counts: dict[tuple[float, float, str], int] = defaultdict(int)
    for row in rows:
        if row.longitude is None or row.latitude is None:
            found.unmapped += 1
            continue
        counts[(row.longitude, row.latitude, row.location or "")] += 1
    found.points = [PointCount(lon, lat, location, n) for (lon, lat, location), n in counts.items()]
    return found
