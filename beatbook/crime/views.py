"""Staff crime pages: an area's crime profile and the points of its crime map.

Every view finds its area through `beatbook.accounts.access`, so an area outside the
user's scope is a 404, and a ward or district reaching outside it is limited to the LSOAs
inside (`lsoa_limit`), as on the area profiles.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beatbook.accounts.access import areas_for_user, get_area_for_user, lsoa_limit
from beatbook.accounts.forms import GovukFormMixin
from beatbook.areas import selectors as area_selectors
from beatbook.areas.models import POLICING_LEVELS, Area, Level

from . import charts, selectors
from .templatetags.crime_tags import rounded

TOP_LOCATIONS = 10


class PeriodForm(GovukFormMixin, forms.Form):
    """The months the page covers, and what the map shows. Field names are the URL's."""

    category = forms.ChoiceField(label=gettext_lazy("Map: crime type"), required=False)
    month = forms.ChoiceField(label=gettext_lazy("Map: month"), required=False)

    def __init__(self, *args: Any, months: list[date], categories: list[selectors.CategoryInfo], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [(selectors.format_month(m), _month_label(m)) for m in reversed(months)]
        for name in ("from", "to"):
            self.fields[name].choices = choices  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("All crime and anti-social behaviour")),
            *((c.slug, c.name) for c in categories),
        ]
        self.fields["month"].choices = [("", _("The last month of the period")), *choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and end < start:
            self.add_error("to", _("The last month must be the same as or after the first month."))
        return cleaned


# "from" is a Python keyword, so the period's two fields are added by name, first.
PeriodForm.base_fields = {
    "from": forms.ChoiceField(label=gettext_lazy("From"), required=False),
    "to": forms.ChoiceField(label=gettext_lazy("To"), required=False),
    **PeriodForm.base_fields,
}


def _month_label(month: date) -> str:
    # Month names follow the active language; the value stays YYYY-MM.
    from django.utils.dateformat import format as date_format

    return date_format(month, "F Y")


def _period(form: PeriodForm, months: list[date]) -> tuple[date, date, date]:
    """The chosen (start, end, map month), falling back to the last 12 months held."""
    default = selectors.default_range(months)
    assert default is not None
    start, end = default
    if form.is_bound and form.is_valid():
        chosen_start, chosen_end = form.cleaned_data.get("from"), form.cleaned_data.get("to")
        if chosen_end:
            end = selectors.parse_month(chosen_end)
            start = max(months[0], selectors.add_months(end, 1 - selectors.TREND_MONTHS))
        if chosen_start:
            start = selectors.parse_month(chosen_start)
            if not chosen_end:
                end = max(start, end)
    map_month = end
    if form.is_bound and form.is_valid() and form.cleaned_data.get("month"):
        map_month = selectors.parse_month(form.cleaned_data["month"])
    return start, end, map_month


def _monthly_chart(summary: selectors.CrimeSummary) -> str:
    labels = [_month_label(m.month) if len(summary.months) <= 6 else m.label for m in summary.months]
    return charts.line_chart(
        chart_id="crime-trend-chart",
        title=_("Crimes and anti-social behaviour each month in %(name)s") % {"name": summary.area.name},
        description=_(
            "Line chart from %(start)s to %(end)s. The solid line with circles is crime; the dashed line with "
            "squares is anti-social behaviour. The table after the chart gives the same figures."
        )
        % {"start": _month_label(summary.start), "end": _month_label(summary.end)},
        labels=labels,
        series=[
            charts.Series(_("Crimes"), [m.crimes for m in summary.months]),
            charts.Series(
                _("Anti-social behaviour"),
                [m.anti_social_behaviour for m in summary.months],
                colour=charts.RED,
                css="bb-chart__series--2",
                dashed=True,
                marker="square",
            ),
        ],
    )


def _category_chart(summary: selectors.CrimeSummary) -> str | None:
    rows = [c for c in summary.categories if not c.category.is_anti_social_behaviour and c.count]
    crimes, harm = summary.crimes, summary.harm
    if not rows or not crimes:
        return None
    rows.sort(key=lambda c: -c.harm)
    return charts.paired_bar_chart(
        chart_id="crime-category-chart",
        title=_("Share of crimes and share of harm by crime type in %(name)s") % {"name": summary.area.name},
        description=_(
            "Bar chart, two bars per crime type, most harm first: the upper bar is the type's share of crimes, the "
            "lower its share of harm. Anti-social behaviour has no harm weight and is left out. The table after "
            "the chart gives the same figures."
        ),
        labels=[c.category.name for c in rows],
        first=charts.Series(_("Share of crimes"), [c.count * 100 / crimes for c in rows]),
        second=charts.Series(
            _("Share of harm"),
            [c.harm * 100 / harm if harm else 0.0 for c in rows],
            colour=charts.TEXT,
            css="bb-chart__series--2",
        ),
        value_text=lambda v: f"{rounded(v, 1)}%",
    )


def _bounds(area: Area, lsoa_filter: QuerySet[Area] | None) -> list[float] | None:
    """South, west, north, east of the area (of its visible LSOAs when limited)."""
    if lsoa_filter is None:
        box = (area.min_lat, area.min_lon, area.max_lat, area.max_lon)
        if all(v is not None for v in box):
            return [float(v) for v in box if v is not None]
    boxes = area_selectors.lsoas_within(area, lsoa_filter=lsoa_filter).filter(
        min_lat__isnull=False, min_lon__isnull=False, max_lat__isnull=False, max_lon__isnull=False
    )
    edges = list(boxes.values_list("min_lat", "min_lon", "max_lat", "max_lon"))
    if not edges:
        return None
    return [
        min(float(e[0] or 0) for e in edges),
        min(float(e[1] or 0) for e in edges),
        max(float(e[2] or 0) for e in edges),
        max(float(e[3] or 0) for e in edges),
    ]


@login_required
def profile(request: HttpRequest, level: str, code: str) -> HttpResponse:
    area = get_area_for_user(request.user, code=code, level=level)
    limit = lsoa_limit(request.user, area)
    visible = areas_for_user(request.user)
    months = selectors.available_months(area)
    categories = selectors.category_weights(area.owning_force)
    form = PeriodForm(request.GET or None, months=months, categories=categories)
    context: dict[str, Any] = {
        "area": area,
        "form": form,
        "months": months,
        "ancestors": area_selectors.area_ancestors(area, visible=visible),
        "part_only": limit is not None,
        "summary": None,
    }
    if months:
        start, end, map_month = _period(form, months)
        population = selectors.area_population(area, lsoa_filter=limit)
        summary = selectors.crime_summary(area, start=start, end=end, lsoa_filter=limit, population=population)
        trend = selectors.crime_trend(area, end=end, lsoa_filter=limit)
        current = selectors.crime_summary(
            area, start=trend.current_start, end=end, lsoa_filter=limit, population=population
        )
        category_slug = form.cleaned_data.get("category", "") if form.is_bound and form.is_valid() else ""
        chosen = next((c for c in categories if c.slug == category_slug), None)
        points = selectors.crime_points(area, month=map_month, category=chosen, lsoa_filter=limit)
        context.update(
            {
                "start": start,
                "end": end,
                "summary": summary,
                "current": current,
                "trend": trend,
                "trend_rows": [t for t in trend.categories if t.count.current or t.count.previous],
                "outcomes": selectors.outcome_mix(area, start=start, end=end, lsoa_filter=limit),
                "monthly_chart": _monthly_chart(summary) if summary.has_data else None,
                "category_chart": _category_chart(summary),
                "map_month": map_month,
                "map_category": chosen,
                "points": points,
                "top_locations": points.top(TOP_LOCATIONS),
                "points_query": f"month={selectors.format_month(map_month)}"
                + (f"&category={chosen.slug}" if chosen else ""),
                "bounds": _bounds(area, limit),
                "outline_lsoas": area.level != Level.FORCE,
                "link_lsoas": area.level in POLICING_LEVELS or limit is not None,
                "map_tile_url": settings.MAP_TILE_URL,
                "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            }
        )
    return render(request, "crime/profile.html", context)


@login_required
def points(request: HttpRequest, level: str, code: str) -> HttpResponse:
    """The crimes of one month as GeoJSON points, one feature per published location with its count."""
    area = get_area_for_user(request.user, code=code, level=level)
    limit = lsoa_limit(request.user, area)
    months = selectors.available_months(area)
    empty: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    requested = request.GET.get("month")
    if requested:
        try:
            month = selectors.parse_month(requested)
        except ValueError as error:
            return JsonResponse({"detail": str(error)}, status=400)
    elif months:
        month = months[-1]
    else:
        return JsonResponse(empty, content_type="application/geo+json")
    category = None
    slug = request.GET.get("category")
    if slug:
        category = next((c for c in selectors.category_weights(area.owning_force) if c.slug == slug), None)
        if category is None:
            return JsonResponse({"detail": _("There is no crime type %(slug)s.") % {"slug": slug}}, status=400)
    found = selectors.crime_points(area, month=month, category=category, lsoa_filter=limit)
    return JsonResponse(found.geojson(), content_type="application/geo+json")
