"""Staff pages for areas: the landing page, neighbourhood profiles and the map chooser.

Every view finds its area through `beatbook.accounts.access`, so an area outside the
user's scope is a 404, not a 403 (its existence is not confirmed).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from beatbook.accounts.access import areas_for_user, get_area_for_user

from . import selectors
from .models import POLICING_LEVELS, Area, Level


def _map_context(area: Area, measure_key: str | None) -> dict[str, Any]:
    measures = selectors.available_measures(area)
    measure = selectors.choose_measure(measures, measure_key)
    area_map = selectors.area_map(area, measure) if measure else None
    return {
        "measures": measures,
        "measure": measure,
        "map": area_map,
        # LSOAs inside a policing area are inside the user's scope; a ward or district can
        # reach outside it, so its LSOA rows are not linked.
        "link_lsoas": area.level in (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD),
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
    area = get_area_for_user(request.user, code=code, level=level)
    visible = areas_for_user(request.user)
    context = {
        "area": area,
        "figures": selectors.area_figures(area),
        "census": selectors.census_profile(area),
        "deprivation": selectors.deprivation_summary(area),
        "children": selectors.children_with_figures(area, visible=visible),
        "ancestors": selectors.area_ancestors(area, visible=visible),
        "related": selectors.related_areas(area, visible=visible),
        "is_policing_area": area.level in POLICING_LEVELS,
        **_map_context(area, request.GET.get("measure")),
    }
    return render(request, "areas/profile.html", context)


@login_required
def area_map(request: HttpRequest, level: str, code: str) -> HttpResponse:
    """The measure chooser: the map panel alone for HTMX, the whole page otherwise."""
    area = get_area_for_user(request.user, code=code, level=level)
    context = {"area": area, **_map_context(area, request.GET.get("measure"))}
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
    area = get_area_for_user(request.user, code=code, level=level)
    measure = selectors.choose_measure(selectors.available_measures(area), request.GET.get("measure"))
    if measure is None:
        collection: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    else:
        collection = selectors.area_map_geojson(area, measure)
    return JsonResponse(collection, content_type="application/geo+json")
