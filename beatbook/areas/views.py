"""Staff pages for areas: the landing page, neighbourhood profiles and the map chooser.

Every view finds its area through `beatbook.accounts.access`, so an area outside the
user's scope is a 404, not a 403 (its existence is not confirmed).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from beatbook.accounts.access import areas_for_user, get_area_for_user, lsoa_limit

from . import selectors
from .models import POLICING_LEVELS, Area


def _area_and_limit(request: HttpRequest, level: str, code: str) -> tuple[Area, QuerySet[Area] | None]:
    """The area, and the LSOAs its figures may use: a ward, district or MSOA can reach
    beyond the user's scope, so its pages cover only the part inside it."""
    area = get_area_for_user(request.user, code=code, level=level)
    return area, lsoa_limit(request.user, area)


def _map_context(area: Area, measure_key: str | None, lsoa_filter: QuerySet[Area] | None) -> dict[str, Any]:
    measures = selectors.available_measures(area, lsoa_filter=lsoa_filter)
    measure = selectors.choose_measure(measures, measure_key)
    area_map = selectors.area_map(area, measure, lsoa_filter=lsoa_filter) if measure else None
    return {
        "measures": measures,
        "measure": measure,
        "map": area_map,
        # Every LSOA row is one the user may open: policing areas lie inside their scope and
        # other areas are limited to it. A force-wide user's ward is not limited, and could
        # in principle hold an LSOA filed under another force, so those rows stay unlinked.
        "link_lsoas": area.level in POLICING_LEVELS or lsoa_filter is not None,
        "part_only": lsoa_filter is not None,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = getattr(request.user, "area", None)
    if scope is None:
        raise PermissionDenied("Your account has no area yet; ask your force administrator.")
    area = get_area_for_user(request.user, code=scope.code, level=scope.level)
    visible = areas_for_user(request.user)
    context = {
        "area": area,
        "figures": selectors.area_figures(area),
        "children": selectors.children_with_figures(area, visible=visible),
    }
    return render(request, "areas/home.html", context)


@login_required
def area_profile(request: HttpRequest, level: str, code: str) -> HttpResponse:
    area, limit = _area_and_limit(request, level, code)
    visible = areas_for_user(request.user)
    context = {
        "area": area,
        "figures": selectors.area_figures(area, lsoa_filter=limit),
        "census": selectors.census_profile(area, lsoa_filter=limit),
        "deprivation": selectors.deprivation_summary(area, lsoa_filter=limit),
        "children": selectors.children_with_figures(area, visible=visible),
        "ancestors": selectors.area_ancestors(area, visible=visible),
        "related": selectors.related_areas(area, visible=visible),
        **_map_context(area, request.GET.get("measure"), limit),
    }
    return render(request, "areas/profile.html", context)


@login_required
def area_map(request: HttpRequest, level: str, code: str) -> HttpResponse:
    """The measure chooser: the map panel alone for HTMX, the whole page otherwise."""
    area, limit = _area_and_limit(request, level, code)
    context = {"area": area, **_map_context(area, request.GET.get("measure"), limit)}
    htmx = getattr(request, "htmx", None)
    # A history restore asks for the page the URL names, so it gets the full page.
    if htmx and not htmx.history_restore_request:
        response = render(request, "areas/_map_panel.html", {**context, "partial": True})
    else:
        visible = areas_for_user(request.user)
        context["ancestors"] = selectors.area_ancestors(area, visible=visible)
        response = render(request, "areas/map.html", context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def area_geojson(request: HttpRequest, level: str, code: str) -> HttpResponse:
    area, limit = _area_and_limit(request, level, code)
    measure = selectors.choose_measure(
        selectors.available_measures(area, lsoa_filter=limit), request.GET.get("measure")
    )
    if measure is None:
        collection: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    else:
        collection = selectors.area_map_geojson(area, measure, lsoa_filter=limit)
    return JsonResponse(collection, content_type="application/geo+json")
