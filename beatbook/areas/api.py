"""The areas API: areas the caller may see, with their figures, as JSON and GeoJSON.

Mounted at /api/v1/areas. Every query starts from `beatbook.accounts.access`, so an area
outside the caller's scope answers 404 exactly like one that does not exist. A ward,
district or MSOA the caller sees only in part (it shares an LSOA with their scope) has its
figures summed over the LSOAs inside their scope, and says so with `partial`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from beatbook.accounts.access import (
    AmbiguousAreaCode,
    areas_for_user,
    get_area_for_user,
    lsoa_limit,
    visible_lsoas,
)

from . import selectors
from .models import POLICING_LEVELS, Area, Level

router = Router(tags=["areas"])


class AreaRefOut(Schema):
    code: str
    name: str
    level: str


class AreaOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    parent: AreaRefOut | None
    force_code: str | None
    lsoas: int
    population: int | None
    census_year: int | None
    census_lsoas: int
    imd_population_2015: int | None
    imd_rank: float | None
    imd_rank_is_average: bool
    imd_rank_is_weighted: bool = Field(description="The average rank is weighted by the mid-2015 population.")
    imd_decile: int | None
    area_sq_km: float | None
    partial: bool = Field(
        description="The figures cover only the part of this ward, district or MSOA inside your scope."
    )


class CategoryOut(Schema):
    category: str
    count: int
    share: float


class TopicOut(Schema):
    topic: str
    label: str
    census_year: int
    total: int
    categories: list[CategoryOut]


class DecileOut(Schema):
    decile: int
    lsoas: int
    population: int


class DomainOut(Schema):
    domain: str
    label: str
    lsoas: int
    deciles: list[DecileOut]


class LsoaRankOut(Schema):
    code: str
    name: str
    rank: int
    decile: int


class DeprivationOut(Schema):
    year: int
    lsoas: int
    population_2015: int | None
    average_rank: float | None
    average_decile: int | None
    rank_is_weighted: bool
    imd: DomainOut
    domains: list[DomainOut]
    most_deprived: LsoaRankOut | None
    least_deprived: LsoaRankOut | None


class AreaDetailOut(AreaOut):
    ancestors: list[AreaRefOut]
    children: list[AreaOut]
    census: list[TopicOut]
    deprivation: DeprivationOut | None


class FeatureOut(Schema):
    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]


class FeatureCollectionOut(Schema):
    type: Literal["FeatureCollection"]
    features: list[FeatureOut]


def _ref(area: Area | None) -> dict[str, Any] | None:
    if area is None:
        return None
    return {"code": area.code, "name": area.name, "level": area.level}


def _area_out(area: Area, fig: selectors.AreaFigures, *, partial: bool = False) -> dict[str, Any]:
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "level_label": area.get_level_display(),
        "parent": _ref(area.parent),
        "force_code": area.force.code if area.force else None,
        "lsoas": fig.lsoa_count,
        "population": fig.population,
        "census_year": fig.census_year,
        "census_lsoas": fig.census_lsoa_count,
        "imd_population_2015": fig.imd_population,
        "imd_rank": fig.imd_rank,
        "imd_rank_is_average": fig.imd_rank_is_average,
        "imd_rank_is_weighted": fig.imd_rank_is_weighted,
        "imd_decile": fig.imd_decile,
        # The size is the whole area's, so it is left out when the figures cover a part.
        "area_sq_km": None if partial else area.area_sq_km,
        "partial": partial,
    }


def _domain_out(domain: selectors.DomainDeciles) -> dict[str, Any]:
    return {
        "domain": domain.domain,
        "label": domain.label,
        "lsoas": domain.lsoas,
        "deciles": [{"decile": r.decile, "lsoas": r.lsoas, "population": r.population} for r in domain.rows],
    }


def _deprivation_out(summary: selectors.DeprivationSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {
        "year": summary.year,
        "lsoas": summary.lsoas,
        "population_2015": summary.population,
        "average_rank": summary.average_rank,
        "average_decile": summary.average_decile,
        "rank_is_weighted": summary.rank_is_weighted,
        "imd": _domain_out(summary.imd),
        "domains": [_domain_out(d) for d in summary.domains],
        "most_deprived": asdict(summary.most_deprived) if summary.most_deprived else None,
        "least_deprived": asdict(summary.least_deprived) if summary.least_deprived else None,
    }


def _user(request: HttpRequest) -> Any:
    # Both authenticators return the person; a token request has no session user.
    return getattr(request, "auth", None) or request.user


def _area(user: Any, code: str, level: str | None, *, parameter: str = "level") -> Area:
    """The area by code; a code naming several areas the caller sees is a 400, not a guess."""
    try:
        return get_area_for_user(user, code=code, level=level)
    except AmbiguousAreaCode as error:
        raise HttpError(
            400,
            f"The code {code!r} names more than one area you can see ({', '.join(error.levels)}). "
            f"Say which with ?{parameter}=, for example ?{parameter}={error.levels[0]}.",
        ) from error


def _listed(request: HttpRequest, level: Level | None, within: str | None, within_level: Level | None) -> list[Area]:
    user = _user(request)
    areas: QuerySet[Area] = areas_for_user(user)
    if within:
        scope = _area(user, within, within_level, parameter="within_level")
        inside = selectors.areas_overlapping(scope, level=level) if level else selectors.area_children(scope)
        areas = areas.filter(pk__in=inside.values("pk"))
    elif level:
        areas = areas.filter(level=level)
    return list(areas.select_related("parent", "force").order_by("level", "name", "code"))


def _figures(request: HttpRequest, areas: list[Area]) -> tuple[dict[int, selectors.AreaFigures], set[int]]:
    """Figures over the LSOAs the caller may see, and which areas they cover only in part.

    Policing areas the caller sees lie wholly inside their scope, so the limit changes
    nothing for them; it trims wards, districts and MSOAs that reach outside it.
    """
    limit = visible_lsoas(_user(request))
    partial = set() if limit is None else {a.pk for a in areas if a.level not in POLICING_LEVELS}
    return selectors.figures_for_areas(areas, lsoa_filter=limit), partial


@router.get("/", response=list[AreaOut], summary="Areas you can see, with their figures")
def list_areas(
    request: HttpRequest, level: Level | None = None, within: str | None = None, within_level: Level | None = None
) -> list[dict[str, Any]]:
    """Areas of `level` sharing at least one LSOA with `within` (its children when no level is given).

    `within_level` says which area `within` is when its code names more than one."""
    areas = _listed(request, level, within, within_level)
    figures, partial = _figures(request, areas)
    return [_area_out(a, figures[a.pk], partial=a.pk in partial) for a in areas]


@router.get("/geojson", response=FeatureCollectionOut, summary="Areas you can see as GeoJSON")
def list_areas_geojson(
    request: HttpRequest, level: Level | None = None, within: str | None = None, within_level: Level | None = None
) -> dict[str, Any]:
    areas = _listed(request, level, within, within_level)
    figures, _partial = _figures(request, areas)
    return selectors.areas_geojson(areas, figures)


@router.get("/{code}", response=AreaDetailOut, summary="One area's profile")
def area_detail(request: HttpRequest, code: str, level: Level | None = None) -> dict[str, Any]:
    """One area. When its code names more than one area you can see, `level` says which (400 otherwise)."""
    user = _user(request)
    area = _area(user, code, level)
    limit = lsoa_limit(user, area)
    visible = areas_for_user(user)
    children = selectors.children_with_figures(area, visible=visible)
    return {
        **_area_out(area, selectors.area_figures(area, lsoa_filter=limit), partial=limit is not None),
        "ancestors": [_ref(a.area) for a in selectors.area_ancestors(area, visible=visible) if a.linked],
        "children": [_area_out(c.area, c.figures) for c in children],
        "census": [
            {
                "topic": t.topic,
                "label": t.label,
                "census_year": t.census_year,
                "total": t.total,
                "categories": [{"category": r.category, "count": r.count, "share": r.share} for r in t.rows],
            }
            for t in selectors.census_profile(area, lsoa_filter=limit)
        ],
        "deprivation": _deprivation_out(selectors.deprivation_summary(area, lsoa_filter=limit)),
    }


@router.get("/{code}/geojson", response=FeatureCollectionOut, summary="An area's LSOAs coloured by a measure")
def area_geojson(
    request: HttpRequest, code: str, level: Level | None = None, measure: str | None = None
) -> dict[str, Any]:
    """Each LSOA's value of `measure` (default: IMD decile), its map class and colour.

    Only the LSOAs you can see: a ward, district or MSOA is limited to the part inside your scope."""
    user = _user(request)
    area = _area(user, code, level)
    limit = lsoa_limit(user, area)
    chosen = selectors.choose_measure(selectors.available_measures(area, lsoa_filter=limit), measure)
    if chosen is None:
        return {"type": "FeatureCollection", "features": []}
    return selectors.area_map_geojson(area, chosen, lsoa_filter=limit)
