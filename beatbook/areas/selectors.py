"""Reads for neighbourhood profiles, the area lists and the maps.

Every figure of an area is an aggregate over the LSOAs inside it, summed in SQL. Which
LSOAs are inside depends on the level: the policing hierarchy goes through `parent`
(an NPA's LSOAs are its neighbourhoods' children), the ONS areas through the best-fit
links kept on each LSOA (`lad`, `ward`, `msoa`), and a force through `force`.

Access control is not decided here: callers pass areas they got through
`beatbook.accounts.access`, and may pass the user's visible areas to trim lists. A ward,
district or MSOA can reach outside a user's scope, so every figure, map and table of an
area also takes `lsoa_filter`: the LSOAs (from `access.lsoa_limit`) that the figures may
use. None means every LSOA of the area.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, FloatField, JSONField, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from .models import DOMAINS, Area, CensusCount, CensusTopic, Deprivation, Level

# English Indices of Deprivation 2019 rank every LSOA in England: 1 (most deprived) to 32,844.
IMD_2019_LSOA_COUNT = 32_844
IMD_YEAR = 2019
IMD_POPULATION_YEAR = 2015

# The field on an LSOA row that points at the area containing it, for each level.
LSOA_LINK: dict[str, str] = {
    Level.FORCE: "force_id",
    Level.NPA: "parent__parent_id",
    Level.NEIGHBOURHOOD: "parent_id",
    Level.LAD: "lad_id",
    Level.WARD: "ward_id",
    Level.MSOA: "msoa_id",
    Level.LSOA: "id",
}

LEVEL_ORDER = [Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD, Level.LAD, Level.WARD, Level.MSOA, Level.LSOA]

PROFILE_TOPICS = (
    CensusTopic.AGE,
    CensusTopic.SEX,
    CensusTopic.ETHNIC_GROUP,
    CensusTopic.RELIGION,
    CensusTopic.ENGLISH_PROFICIENCY,
)

# Census 2011 and 2021 both word the two lowest proficiency answers this way.
NOT_PROFICIENT_MARKER = "cannot speak english"

DOMAIN_LABELS = dict(DOMAINS)
SUB_DOMAINS = tuple(key for key, _label in DOMAINS if key != "imd")


# --------------------------------------------------------------------------- LSOAs inside


def limit_q(lsoa_filter: QuerySet[Area] | None, *, prefix: str = "") -> Q:
    """A filter keeping only the LSOAs in `lsoa_filter` (no filter when it is None)."""
    if lsoa_filter is None:
        return Q()
    return Q(**{f"{prefix}pk__in": lsoa_filter.values("pk")})


def lsoas_within_q(area: Area, *, prefix: str = "", lsoa_filter: QuerySet[Area] | None = None) -> Q:
    """A filter on LSOA rows (or on rows reaching them through `prefix`) for LSOAs inside `area`,
    limited to `lsoa_filter` when given."""
    if area.level == Level.LSOA:
        return Q(**{f"{prefix}pk": area.pk}) & limit_q(lsoa_filter, prefix=prefix)
    link = LSOA_LINK.get(area.level)
    if link is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}level": Level.LSOA, f"{prefix}{link}": area.pk}) & limit_q(lsoa_filter, prefix=prefix)


def lsoas_within(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> QuerySet[Area]:
    """The LSOAs inside an area of any level (an LSOA contains itself), within `lsoa_filter`."""
    return Area.objects.filter(lsoas_within_q(area, lsoa_filter=lsoa_filter))


def areas_overlapping(area: Area, *, level: str) -> QuerySet[Area]:
    """Areas of `level` that share at least one LSOA with `area` (for LSOAs: those inside it)."""
    if level == Level.LSOA:
        return lsoas_within(area)
    if level == area.level:
        return Area.objects.filter(pk=area.pk)
    link = LSOA_LINK[level]
    return Area.objects.filter(level=level, pk__in=lsoas_within(area).values(link))


# --------------------------------------------------------------------------- figures


@dataclass
class AreaFigures:
    """Headline figures of one area, all summed over its LSOAs."""

    lsoa_count: int = 0
    population: int | None = None  # census usual residents
    census_year: int | None = None
    census_lsoa_count: int = 0
    imd_population: int | None = None  # mid-2015 denominators published with the IMD
    imd_lsoa_count: int = 0
    imd_rank: float | None = None  # an LSOA's rank, or the average rank of its LSOAs
    imd_decile: int | None = None  # an LSOA's decile, or the decile of that average rank
    imd_rank_is_average: bool = False
    imd_rank_is_weighted: bool = False  # the average is weighted by the mid-2015 population

    @property
    def imd_rank_display(self) -> int | None:
        return None if self.imd_rank is None else round(self.imd_rank)


def decile_of_rank(rank: float) -> int:
    """The national decile (1 = most deprived 10%) that an IMD 2019 rank falls in."""
    return min(10, max(1, math.ceil(rank * 10 / IMD_2019_LSOA_COUNT)))


def _population_by(key: str, where: Q) -> dict[int, tuple[int, int, int]]:
    """(census year, usual residents, LSOAs counted) per area, from the latest census present.

    The population topic may hold more than one total (e.g. households); the resident
    total is the topic's first category.
    """
    rows = (
        CensusCount.objects.filter(where, topic=CensusTopic.POPULATION)
        .values("census_year", "category", target=F(f"lsoa__{key}"))
        .annotate(total=Sum("count"), position=Min("position"), lsoas=Count("lsoa_id", distinct=True))
    )
    best: dict[int, tuple[int, int, int, int]] = {}
    for row in rows:
        candidate = (row["census_year"], -row["position"], row["total"], row["lsoas"])
        current = best.get(row["target"])
        if current is None or candidate[:2] > current[:2]:
            best[row["target"]] = candidate
    return {target: (year, total, lsoas) for target, (year, _position, total, lsoas) in best.items()}


def figures_for_areas(areas: Iterable[Area], *, lsoa_filter: QuerySet[Area] | None = None) -> dict[int, AreaFigures]:
    """Figures for many areas at once: three aggregate queries per level, whatever the count.

    With `lsoa_filter`, each area's figures cover only its LSOAs in that queryset.
    """
    by_level: dict[str, list[Area]] = defaultdict(list)
    for area in areas:
        by_level[area.level].append(area)
    figures: dict[int, AreaFigures] = {}
    for level, members in by_level.items():
        key = LSOA_LINK.get(level)
        ids = [a.pk for a in members]
        for a in members:
            figures[a.pk] = AreaFigures()
        if key is None:
            continue
        counts = (
            Area.objects.filter(limit_q(lsoa_filter), level=Level.LSOA, **{f"{key}__in": ids})
            .values(target=F(key))
            .annotate(n=Count("id"))
        )
        for row in counts:
            figures[row["target"]].lsoa_count = row["n"]
        limited = Q(**{f"lsoa__{key}__in": ids}) & limit_q(lsoa_filter, prefix="lsoa__")
        for target, (year, total, lsoas) in _population_by(key, limited).items():
            figures[target].population = total
            figures[target].census_year = year
            figures[target].census_lsoa_count = lsoas
        deprivation = (
            Deprivation.objects.filter(limited).values(target=F(f"lsoa__{key}")).annotate(**_rank_aggregates())
        )
        for row in deprivation:
            _apply_rank_aggregates(figures[row["target"]], row, is_lsoa=level == Level.LSOA)
    return figures


def _rank_aggregates() -> dict[str, Any]:
    return {
        "n": Count("id"),
        "ranked": Count("imd_rank"),
        "with_population": Count("population_total"),
        "pop": Sum("population_total"),
        "rank_sum": Sum("imd_rank"),
        "weighted_sum": Sum(Cast(F("imd_rank"), FloatField()) * Cast(F("population_total"), FloatField())),
        "min_decile": Min("imd_decile"),
    }


def _rank_is_weighted(row: dict[str, Any]) -> bool:
    """Weight only when every ranked LSOA has a population: weighting some LSOAs and not
    others would let the ones with a denominator swamp the ones without."""
    return bool(row["ranked"]) and row["with_population"] == row["ranked"] and bool(row["pop"])


def _apply_rank_aggregates(fig: AreaFigures, row: dict[str, Any], *, is_lsoa: bool) -> None:
    fig.imd_lsoa_count = row["n"]
    fig.imd_population = row["pop"]
    if not row["ranked"]:
        return
    if is_lsoa:
        fig.imd_rank = float(row["rank_sum"])
        fig.imd_decile = row["min_decile"]
        return
    # An average over people says more about an area than an average over statistical
    # units of unequal size, so weight by population when every LSOA has one.
    if _rank_is_weighted(row):
        fig.imd_rank = row["weighted_sum"] / row["pop"]
        fig.imd_rank_is_weighted = True
    else:
        fig.imd_rank = row["rank_sum"] / row["ranked"]
    fig.imd_decile = decile_of_rank(fig.imd_rank)
    fig.imd_rank_is_average = True


def area_figures(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> AreaFigures:
    return figures_for_areas([area], lsoa_filter=lsoa_filter)[area.pk]


# --------------------------------------------------------------------------- census profile


@dataclass(frozen=True)
class CategoryFigure:
    category: str
    count: int
    share: float  # 0..1 of the topic total

    @property
    def percent(self) -> float:
        return self.share * 100


@dataclass(frozen=True)
class TopicProfile:
    topic: str
    label: str
    census_year: int
    total: int
    rows: list[CategoryFigure]


def census_profile(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> list[TopicProfile]:
    """Counts and shares per census topic (latest census year present), summed over the LSOAs."""
    rows = (
        CensusCount.objects.filter(
            lsoas_within_q(area, prefix="lsoa__", lsoa_filter=lsoa_filter), topic__in=PROFILE_TOPICS
        )
        .values("census_year", "topic", "category")
        .annotate(total=Sum("count"), position=Min("position"))
    )
    grouped: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        grouped[row["topic"]][row["census_year"]].append(row)
    labels = dict(CensusTopic.choices)
    profiles = []
    for topic in PROFILE_TOPICS:
        if topic not in grouped:
            continue
        year = max(grouped[topic])
        cells = sorted(grouped[topic][year], key=lambda r: (r["position"], r["category"]))
        total = sum(r["total"] for r in cells)
        if total <= 0:
            continue
        profiles.append(
            TopicProfile(
                topic=topic,
                label=str(labels[topic]),
                census_year=year,
                total=total,
                rows=[CategoryFigure(r["category"], r["total"], r["total"] / total) for r in cells],
            )
        )
    return profiles


# --------------------------------------------------------------------------- deprivation


@dataclass(frozen=True)
class DecileRow:
    decile: int
    lsoas: int
    population: int  # mid-2015 denominators; 0 where none were imported
    share: float  # of LSOAs with a decile for this domain


@dataclass(frozen=True)
class DomainDeciles:
    domain: str
    label: str
    lsoas: int
    rows: list[DecileRow]


@dataclass(frozen=True)
class LsoaRank:
    code: str
    name: str
    rank: int
    decile: int


@dataclass
class DeprivationSummary:
    lsoas: int
    population: int | None
    average_rank: float | None
    average_decile: int | None
    rank_is_weighted: bool
    imd: DomainDeciles
    domains: list[DomainDeciles] = field(default_factory=list)
    most_deprived: LsoaRank | None = None
    least_deprived: LsoaRank | None = None
    national_lsoas: int = IMD_2019_LSOA_COUNT
    year: int = IMD_YEAR
    population_year: int = IMD_POPULATION_YEAR

    @property
    def average_rank_display(self) -> int | None:
        return None if self.average_rank is None else round(self.average_rank)


def deprivation_summary(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> DeprivationSummary | None:
    """Decile distributions (IMD and the seven domains), average rank, extremes. None without data.

    All eighty decile counts and their populations come from one conditional aggregate.
    """
    rows = Deprivation.objects.filter(lsoas_within_q(area, prefix="lsoa__", lsoa_filter=lsoa_filter))
    aggregates: dict[str, Any] = _rank_aggregates()
    for domain, _label in DOMAINS:
        column = f"{domain}_decile"
        aggregates[f"{domain}__n"] = Count("id", filter=Q(**{f"{column}__isnull": False}))
        for decile in range(1, 11):
            aggregates[f"{domain}__{decile}__n"] = Count("id", filter=Q(**{column: decile}))
            aggregates[f"{domain}__{decile}__pop"] = Sum("population_total", filter=Q(**{column: decile}))
    totals = rows.aggregate(**aggregates)
    if not totals["n"]:
        return None
    fig = AreaFigures()
    _apply_rank_aggregates(fig, totals, is_lsoa=False)

    def distribution(domain: str) -> DomainDeciles:
        with_data = totals[f"{domain}__n"]
        deciles = [
            DecileRow(
                decile=d,
                lsoas=totals[f"{domain}__{d}__n"],
                population=totals[f"{domain}__{d}__pop"] or 0,
                share=(totals[f"{domain}__{d}__n"] / with_data) if with_data else 0.0,
            )
            for d in range(1, 11)
        ]
        return DomainDeciles(domain=domain, label=_(DOMAIN_LABELS[domain]), lsoas=with_data, rows=deciles)

    def extreme(order: str) -> LsoaRank | None:
        top = rows.select_related("lsoa").order_by(order, "lsoa__code").first()
        if top is None:
            return None
        return LsoaRank(code=top.lsoa.code, name=top.lsoa.name, rank=top.imd_rank, decile=top.imd_decile)

    return DeprivationSummary(
        lsoas=totals["n"],
        population=totals["pop"],
        average_rank=fig.imd_rank,
        average_decile=fig.imd_decile,
        rank_is_weighted=fig.imd_rank_is_weighted,
        imd=distribution("imd"),
        domains=[distribution(d) for d in SUB_DOMAINS if totals[f"{d}__n"]],
        most_deprived=extreme("imd_rank"),
        least_deprived=extreme("-imd_rank"),
    )


# --------------------------------------------------------------------------- hierarchy


@dataclass(frozen=True)
class AreaWithFigures:
    area: Area
    figures: AreaFigures
    linked: bool = True


def area_children(area: Area, *, visible: QuerySet[Area] | None = None) -> QuerySet[Area]:
    """The areas one step down: NPAs of a force (its districts when it has no NPAs yet),
    neighbourhoods of an NPA, LSOAs of anything else."""
    if area.level == Level.LSOA:
        return Area.objects.none()
    if area.level in (Level.FORCE, Level.NPA):
        children = Area.objects.filter(parent=area).exclude(level=Level.LSOA)
        if area.level == Level.FORCE and not children.exists():
            children = areas_overlapping(area, level=Level.LAD)
    else:
        children = lsoas_within(area)
    if visible is not None:
        children = children.filter(pk__in=visible.values("pk"))
    return children.select_related("parent", "force").order_by("name", "code")


def children_with_figures(area: Area, *, visible: QuerySet[Area] | None = None) -> list[AreaWithFigures]:
    children = list(area_children(area, visible=visible))
    figures = figures_for_areas(children)
    return [AreaWithFigures(child, figures[child.pk]) for child in children]


def area_ancestors(area: Area, *, visible: QuerySet[Area] | None = None) -> list[AreaWithFigures]:
    """Areas above this one, top first, for breadcrumbs; `linked` says whether the user may open them.

    Policing levels climb `parent`; wards, districts and MSOAs sit under the force. Figures
    are left empty: breadcrumbs need only names.
    """
    chain: list[Area] = []
    if area.level in (Level.NEIGHBOURHOOD, Level.LSOA, Level.NPA):
        step = area.parent
        while step is not None and len(chain) < 4:
            chain.append(step)
            step = step.parent
    force = area.force
    if force is not None and all(a.pk != force.pk for a in chain):
        chain.append(force)
    chain.reverse()
    ids = {a.pk for a in chain}
    allowed = ids if visible is None else set(visible.filter(pk__in=ids).values_list("pk", flat=True))
    return [AreaWithFigures(a, AreaFigures(), linked=a.pk in allowed) for a in chain]


def related_areas(area: Area, *, visible: QuerySet[Area] | None = None) -> list[AreaWithFigures]:
    """For an LSOA: the district, ward and MSOA it is linked to (open data, not policing)."""
    if area.level != Level.LSOA:
        return []
    ids = [pk for pk in (area.lad_id, area.ward_id, area.msoa_id) if pk is not None]
    related = list(Area.objects.filter(pk__in=ids).order_by("level"))
    allowed = (
        {a.pk for a in related} if visible is None else set(visible.filter(pk__in=ids).values_list("pk", flat=True))
    )
    return [AreaWithFigures(a, AreaFigures(), linked=a.pk in allowed) for a in related]


# --------------------------------------------------------------------------- map measures

# Viridis: sequential, readable with every common colour-vision deficiency, and still
# ordered when printed in grey. Deciles run dark (most deprived) to light; counts and
# shares run light (low) to dark (high), so darker always means "more of the concern".
DECILE_COLOURS = (
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
)
CLASS_COLOURS = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
NO_DATA_COLOUR = "#ffffff"
BORDER_COLOUR = "#0b0c0c"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    group: str
    kind: str  # "decile", "count", "density" or "share"
    domain: str = ""
    topic: str = ""
    category: str = ""


@dataclass(frozen=True)
class LegendClass:
    index: int  # 0 for "no data"
    label: str
    colour: str
    lsoas: int


@dataclass(frozen=True)
class MapRow:
    code: str
    name: str
    value: float | None
    display: str
    class_index: int
    class_label: str
    colour: str


@dataclass
class AreaMap:
    measure: Measure
    source: str
    rows: list[MapRow]
    legend: list[LegendClass]
    # [[south, west], [north, east]] of the LSOAs with a boundary; None when none has one.
    bounds: list[list[float]] | None = None


def _decile_measures() -> list[Measure]:
    return [
        Measure(
            key=key,
            label=_("%(domain)s decile") % {"domain": _(label)},
            group=_("Deprivation"),
            kind="decile",
            domain=key,
        )
        for key, label in DOMAINS
    ]


def available_measures(area: Area, *, lsoa_filter: QuerySet[Area] | None = None) -> list[Measure]:
    """Every measure the map of this area can show: those with data for its LSOAs."""
    measures: list[Measure] = []
    inside = lsoas_within_q(area, prefix="lsoa__", lsoa_filter=lsoa_filter)
    if Deprivation.objects.filter(inside).exists():
        measures += _decile_measures()
    cells = (
        CensusCount.objects.filter(
            inside,
            topic__in=[
                CensusTopic.POPULATION,
                CensusTopic.ETHNIC_GROUP,
                CensusTopic.RELIGION,
                CensusTopic.ENGLISH_PROFICIENCY,
            ],
        )
        .values("topic", "category")
        .annotate(position=Min("position"))
        .order_by("topic", "position", "category")
    )
    by_topic: dict[str, list[str]] = defaultdict(list)
    for cell in cells:
        if cell["category"] not in by_topic[cell["topic"]]:
            by_topic[cell["topic"]].append(cell["category"])
    has_imd_population = Deprivation.objects.filter(inside, population_total__isnull=False).exists()
    if by_topic.get(CensusTopic.POPULATION) or has_imd_population:
        measures.append(Measure(key="population", label=_("Population"), group=_("Population"), kind="count"))
        measures.append(
            Measure(
                key="density", label=_("Population density (people per km²)"), group=_("Population"), kind="density"
            )
        )
    for topic, group in ((CensusTopic.ETHNIC_GROUP, "Ethnic group"), (CensusTopic.RELIGION, "Religion")):
        for category in by_topic.get(topic, []):
            measures.append(
                Measure(
                    key=f"{topic}:{category}",
                    label=_("Share: %(category)s") % {"category": category},
                    group=group,
                    kind="share",
                    topic=topic,
                    category=category,
                )
            )
    if any(NOT_PROFICIENT_MARKER in c.lower() for c in by_topic.get(CensusTopic.ENGLISH_PROFICIENCY, [])):
        measures.append(
            Measure(
                key="english_not_proficient",
                label=_("Share who cannot speak English well or at all"),
                group=_("Language"),
                kind="share",
                topic=CensusTopic.ENGLISH_PROFICIENCY,
            )
        )
    return measures


def choose_measure(measures: Sequence[Measure], key: str | None) -> Measure | None:
    """The measure named by `key` if the area has it, else the first one (IMD decile when present)."""
    for measure in measures:
        if measure.key == key:
            return measure
    return measures[0] if measures else None


def _lsoa_values(
    area: Area, measure: Measure, lsoas: Sequence[Any], lsoa_filter: QuerySet[Area] | None
) -> tuple[dict[int, float], str]:
    """The measure's value per LSOA id, and where the figures come from."""
    inside = lsoas_within_q(area, prefix="lsoa__", lsoa_filter=lsoa_filter)
    if measure.kind == "decile":
        column = f"{measure.domain}_decile"
        rows = Deprivation.objects.filter(inside, **{f"{column}__isnull": False}).values_list("lsoa_id", column)
        return {pk: float(v) for pk, v in rows}, _("English Indices of Deprivation %(year)s") % {"year": IMD_YEAR}
    if measure.kind in ("count", "density"):
        census = _population_by("id", inside)
        if census:
            year = max(y for y, _total, _lsoas in census.values())
            values = {pk: float(total) for pk, (y, total, _lsoas) in census.items() if y == year}
            source = _("Census %(year)s, usual residents") % {"year": year}
        else:
            estimates = Deprivation.objects.filter(inside, population_total__isnull=False)
            values = {pk: float(v or 0) for pk, v in estimates.values_list("lsoa_id", "population_total")}
            source = _("Mid-%(year)s population estimates (Indices of Deprivation %(imd)s)") % {
                "year": IMD_POPULATION_YEAR,
                "imd": IMD_YEAR,
            }
        if measure.kind == "density":
            size = {row["id"]: row["area_sq_km"] for row in lsoas}
            values = {pk: v / size[pk] for pk, v in values.items() if size.get(pk)}
        return values, source
    # Shares: the chosen categories over the topic total, per LSOA, from the latest census.
    latest = CensusCount.objects.filter(inside, topic=measure.topic).order_by("-census_year").first()
    if latest is None:
        return {}, ""
    chosen = Q(category=measure.category) if measure.category else Q(category__icontains=NOT_PROFICIENT_MARKER)
    cells = (
        CensusCount.objects.filter(inside, topic=measure.topic, census_year=latest.census_year)
        .values("lsoa_id")
        .annotate(total=Sum("count"), part=Sum("count", filter=chosen))
    )
    values = {row["lsoa_id"]: (row["part"] or 0) / row["total"] for row in cells if row["total"]}
    return values, _("Census %(year)s") % {"year": latest.census_year}


def format_value(measure: Measure, value: float | None) -> str:
    if value is None:
        return str(_("No data"))
    if measure.kind == "decile":
        return f"{value:.0f}"
    if measure.kind == "share":
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}"


def _quantile_breaks(values: list[float], classes: int = 5) -> list[float]:
    """Upper bounds of up to `classes` classes holding similar numbers of LSOAs."""
    ordered = sorted(values)
    if not ordered:
        return []
    breaks: list[float] = []
    for i in range(1, classes + 1):
        bound = ordered[min(len(ordered) - 1, math.ceil(i * len(ordered) / classes) - 1)]
        if not breaks or bound > breaks[-1]:
            breaks.append(bound)
    return breaks


def area_map(area: Area, measure: Measure, *, lsoa_filter: QuerySet[Area] | None = None) -> AreaMap:
    """Per-LSOA values of a measure, the class and colour of each, and the legend."""
    lsoas = list(
        lsoas_within(area, lsoa_filter=lsoa_filter)
        .order_by("code")
        .values("id", "code", "name", "area_sq_km", "min_lon", "min_lat", "max_lon", "max_lat")
    )
    values, source = _lsoa_values(area, measure, lsoas, lsoa_filter)
    if measure.kind == "decile":
        labels = {d: f"{d}" for d in range(1, 11)}
        labels[1] = _("1 (most deprived)")
        labels[10] = _("10 (least deprived)")
        classes = [(d, labels[d], DECILE_COLOURS[d - 1]) for d in range(1, 11)]

        def classify(value: float) -> int:
            return int(value)
    else:
        breaks = _quantile_breaks(list(values.values()))
        palette = CLASS_COLOURS if len(breaks) == len(CLASS_COLOURS) else _spread(len(breaks))
        lower = min(values.values()) if values else 0.0
        classes = []
        for i, upper in enumerate(breaks, start=1):
            # Classes hold values up to and including their upper bound, so from the second
            # class on the lower bound itself belongs to the class before.
            start = (
                format_value(measure, lower)
                if i == 1
                else _("over %(value)s") % {"value": format_value(measure, lower)}
            )
            classes.append(
                (i, _("%(start)s to %(end)s") % {"start": start, "end": format_value(measure, upper)}, palette[i - 1])
            )
            lower = upper

        def classify(value: float) -> int:
            return next(i for i, upper in enumerate(breaks, start=1) if value <= upper)

    by_index = {index: (label, colour) for index, label, colour in classes}
    rows: list[MapRow] = []
    counts: dict[int, int] = defaultdict(int)
    for lsoa in lsoas:
        value = values.get(lsoa["id"])
        index = 0 if value is None else classify(value)
        label, colour = by_index.get(index, (_("No data"), NO_DATA_COLOUR))
        counts[index] += 1
        rows.append(MapRow(lsoa["code"], lsoa["name"], value, format_value(measure, value), index, label, colour))
    legend = [LegendClass(index, label, colour, counts[index]) for index, label, colour in classes]
    if counts[0]:
        legend.append(LegendClass(0, _("No data"), NO_DATA_COLOUR, counts[0]))
    boxes: list[tuple[float, float, float, float]] = [
        (b["min_lat"], b["min_lon"], b["max_lat"], b["max_lon"])
        for b in lsoas
        if b["min_lat"] is not None
        and b["min_lon"] is not None
        and b["max_lat"] is not None
        and b["max_lon"] is not None
    ]
    bounds = None
    if boxes:
        bounds = [
            [min(b[0] for b in boxes), min(b[1] for b in boxes)],
            [max(b[2] for b in boxes), max(b[3] for b in boxes)],
        ]
    return AreaMap(measure=measure, source=source, rows=rows, legend=legend, bounds=bounds)


def _spread(n: int) -> tuple[str, ...]:
    """n colours from the five-class palette, keeping its light and dark ends."""
    if n <= 1:
        return CLASS_COLOURS[-1:]
    return tuple(CLASS_COLOURS[round(i * (len(CLASS_COLOURS) - 1) / (n - 1))] for i in range(n))


def with_geometry(areas: QuerySet[Area]) -> QuerySet[Area]:
    """Areas that have a geometry. `geometry=None` on a JSONField means JSON null, not SQL
    NULL, so both are excluded explicitly (an importer writing JSON null is then harmless)."""
    return areas.filter(geometry__isnull=False).exclude(geometry=Value(None, JSONField()))


def area_map_geojson(area: Area, measure: Measure, *, lsoa_filter: QuerySet[Area] | None = None) -> dict[str, Any]:
    """The map as a GeoJSON FeatureCollection: one feature per LSOA with its value and class."""
    result = area_map(area, measure, lsoa_filter=lsoa_filter)
    geometries = dict(with_geometry(lsoas_within(area, lsoa_filter=lsoa_filter)).values_list("code", "geometry"))
    features = [
        {
            "type": "Feature",
            "id": row.code,
            "geometry": geometries[row.code],
            "properties": {
                "code": row.code,
                "name": row.name,
                "measure": measure.key,
                "value": row.value,
                "display": row.display,
                "class": row.class_index,
                "class_label": row.class_label,
                "fill": row.colour,
            },
        }
        for row in result.rows
        if row.code in geometries
    ]
    return {"type": "FeatureCollection", "features": features}


def areas_geojson(areas: Sequence[Area], figures: dict[int, AreaFigures]) -> dict[str, Any]:
    """Areas with their headline figures as a FeatureCollection (areas without geometry are left out)."""
    geometries = dict(with_geometry(Area.objects.filter(pk__in=[a.pk for a in areas])).values_list("pk", "geometry"))
    features = []
    for area in areas:
        if area.pk not in geometries:
            continue
        fig = figures[area.pk]
        features.append(
            {
                "type": "Feature",
                "id": f"{area.level}/{area.code}",
                "geometry": geometries[area.pk],
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "lsoas": fig.lsoa_count,
                    "population": fig.population,
                    "census_year": fig.census_year,
                    "imd_rank": fig.imd_rank_display,
                    "imd_decile": fig.imd_decile,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def public_forces() -> QuerySet[Area]:
    """Forces with their numbers of policing areas and neighbourhoods: open geography, safe to publish."""
    return (
        Area.objects.filter(level=Level.FORCE)
        .annotate(
            npa_count=Count("force_areas", filter=Q(force_areas__level=Level.NPA), distinct=True),
            neighbourhood_count=Count("force_areas", filter=Q(force_areas__level=Level.NEIGHBOURHOOD), distinct=True),
        )
        .order_by("name")
    )
