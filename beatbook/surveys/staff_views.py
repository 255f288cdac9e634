"""Staff pages for "Your Views" results: the survey list, an area's dashboard, the neighbourhood
map, representation, what people said, and the scores as a download.

Every view finds its survey through `access.get_survey_for_user` and its area through
`access.get_score_area_for_user`, so a survey of another force or an area outside what the user
may see is a 404. Each page scores the survey once (`dashboard_selectors.score_index`).
A wave or benchmark that names nothing is not an error page: the page says which field was
wrong and shows the default instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from beatbook.areas.models import Area, Level

from . import access, dashboard_selectors, exports, themes
from .models import ResponseStatus, Survey, Wave

LEVEL_ORDER = Case(
    When(level=Level.FORCE, then=Value(0)),
    When(level=Level.NPA, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _visible_areas(user: Any, survey: Survey) -> list[Area]:
    areas: QuerySet[Area] = access.score_areas(user, survey).select_related("parent", "force")
    return list(areas.order_by(LEVEL_ORDER, "parent__name", "name"))


def _chosen_area(request: HttpRequest, survey: Survey, areas: list[Area]) -> Area:
    """The area named by ?area= (default: the user's own scope). An area the user may not
    see is a 404, as everywhere else."""
    code = request.GET.get("area", "").strip()
    if not code:
        scope = getattr(request.user, "area", None)
        if scope is not None:
            code = scope.code if scope.level in access.SCORE_LEVELS else (scope.parent.code if scope.parent else "")
    for area in areas:
        if area.code == code:
            return area
    # Not among the user's areas: ask access once more (it raises Http404 with the same rules).
    return access.get_score_area_for_user(request.user, survey, code=code)


def _wave(request: HttpRequest, waves: list[Wave], errors: list[tuple[str, str]]) -> Wave | None:
    wave, unknown = dashboard_selectors.choose_wave(waves, request.GET.get("wave", "").strip() or None)
    if unknown:
        errors.append(("wave", _("Wave: choose one of the survey's waves; the latest is shown.")))
    return wave


def _menu(user: Any, survey: Survey) -> dict[str, Any]:
    """What the survey's task links (`manage/_menu.html`) offer this user, and how many
    responses wait for review among those they may read."""
    can_read = access.can_read_responses(user)
    flagged = access.responses_for_user(user, survey).filter(status=ResponseStatus.FLAGGED).count() if can_read else 0
    return {
        "can_read": can_read,
        "can_enter": access.can_enter_responses(user),
        "can_manage": access.can_manage_survey(user, survey),
        "flagged_count": flagged,
    }


def _base(
    user: Any,
    survey: Survey,
    areas: list[Area],
    area: Area | None,
    waves: list[Wave],
    wave: Wave | None,
    page: str,
    errors: list[tuple[str, str]],
) -> dict[str, Any]:
    return {
        "survey": survey,
        "waves": waves,
        "errors": errors,
        "field_errors": dict(errors),
        "areas": areas,
        "area": area,
        "wave": wave,
        "page": page,
        "min_responses": survey.min_responses,
        **_menu(user, survey),
    }


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    surveys = list(access.visible_surveys(request.user).order_by("name"))
    context = {"summaries": dashboard_selectors.survey_summaries(surveys)}
    return render(request, "surveys/staff/list.html", context)


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.get_survey_for_user(request.user, slug=slug)
    areas = _visible_areas(request.user, survey)
    area = _chosen_area(request, survey, areas)
    index = dashboard_selectors.score_index(survey)
    errors: list[tuple[str, str]] = []
    wave = _wave(request, index.waves, errors)
    series, benchmark, unknown_series = dashboard_selectors.benchmark_for(
        request.GET.get("benchmark", "").strip() or None, index.waves
    )
    if unknown_series:
        errors.append(("benchmark", _("Benchmark: choose one of the imported series, or none.")))
    trend = index.trend(area.level, area.code)
    figure = trend[index.wave_index(wave)] if wave is not None else None
    compared = dashboard_selectors.comparison_areas(area)
    context = {
        **_base(request.user, survey, areas, area, index.waves, wave, "dashboard", errors),
        "trend": trend,
        "figure": figure,
        "questions": dashboard_selectors.question_lines(survey, figure) if figure else [],
        "comparison": [(other, index.trend(other.level, other.code)) for other in compared],
        "comparison_rows": [
            (wave_row, [index.trend(other.level, other.code)[position] for other in compared])
            for position, wave_row in enumerate(index.waves)
        ],
        "compared": compared,
        "series": series,
        "benchmark": benchmark,
        "chart": dashboard_selectors.trend_chart(area.name, trend, benchmark),
        "notes": index.notes,
        "left_out": index.left_out,
    }
    return render(request, "surveys/staff/dashboard.html", context)


def _map_data(
    request: HttpRequest, slug: str
) -> tuple[Survey, list[Area], list[Wave], Wave | None, Any, list[tuple[str, str]]]:
    survey = access.get_survey_for_user(request.user, slug=slug)
    areas = _visible_areas(request.user, survey)
    index = dashboard_selectors.score_index(survey)
    errors: list[tuple[str, str]] = []
    wave = _wave(request, index.waves, errors)
    neighbourhoods = [area for area in areas if area.level == Level.NEIGHBOURHOOD]
    survey_map = dashboard_selectors.neighbourhood_map(index, wave, neighbourhoods) if wave else None
    return survey, areas, index.waves, wave, survey_map, errors


@login_required
def survey_map(request: HttpRequest, slug: str) -> HttpResponse:
    survey, areas, waves, wave, survey_map, errors = _map_data(request, slug)
    context = {
        **_base(request.user, survey, areas, None, waves, wave, "map", errors),
        "map": survey_map,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    return render(request, "surveys/staff/map.html", context)


@login_required
def map_geojson(request: HttpRequest, slug: str) -> HttpResponse:
    *_rest, survey_map, _errors = _map_data(request, slug)
    collection: dict[str, object] = (
        dashboard_selectors.map_geojson(survey_map) if survey_map else {"type": "FeatureCollection", "features": []}
    )
    return JsonResponse(collection, content_type="application/geo+json")


@login_required
def representation(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.get_survey_for_user(request.user, slug=slug)
    areas = _visible_areas(request.user, survey)
    area = _chosen_area(request, survey, areas)
    errors: list[tuple[str, str]] = []
    waves = list(survey.waves.order_by("opens_on", "code"))
    wave = _wave(request, waves, errors)
    context = {
        **_base(request.user, survey, areas, area, waves, wave, "representation", errors),
        "view": dashboard_selectors.representation_for(survey, area, wave) if wave else None,
    }
    return render(request, "surveys/staff/representation.html", context)


@login_required
def concerns(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.get_survey_for_user(request.user, slug=slug)
    areas = _visible_areas(request.user, survey)
    area = _chosen_area(request, survey, areas)
    errors: list[tuple[str, str]] = []
    waves = list(survey.waves.order_by("opens_on", "code"))
    wave = _wave(request, waves, errors)
    redacted = access.quotes_redacted(request.user)
    # Above the user's own scope (their NPA, the force) the words come from neighbourhoods
    # they do not work in: the themes are counted, nothing is quoted.
    quoted = access.quotes_allowed(request.user, area)
    counted = dashboard_selectors.counted_responses(survey, wave, area) if wave else 0
    # What a handful of people wrote could identify them: below the threshold that hides
    # scores, their words are not shown either.
    shown = counted >= survey.min_responses
    found = (
        themes.top_themes(
            survey=survey, wave=wave, area=area, redacted=redacted, quotes=themes.QUOTES_PER_THEME if quoted else 0
        )
        if wave and shown
        else []
    )
    context = {
        **_base(request.user, survey, areas, area, waves, wave, "concerns", errors),
        "redacted": redacted,
        "quoted": quoted,
        "counted": counted,
        "shown": shown,
        "themes": found,
    }
    return render(request, "surveys/staff/concerns.html", context)


@login_required
def download(request: HttpRequest, slug: str, fmt: str) -> HttpResponseBase:
    survey = access.get_survey_for_user(request.user, slug=slug)
    if fmt not in ("csv", "xlsx"):
        raise Http404("No such format")
    areas = _visible_areas(request.user, survey)
    index = dashboard_selectors.score_index(survey)
    if fmt == "csv":
        return exports.csv_response(survey, index, areas)
    return exports.xlsx_response(survey, index, areas)
