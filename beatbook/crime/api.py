"""The crime API: an area's counts and harm by category and month, as `beatbook crime-summary --json`.

Mounted at /api/v1/crime. The area comes through `beatbook.accounts.access`, so one
outside the caller's scope answers 404 like one that does not exist, and a ward or
district reaching beyond it is summed over the LSOAs inside it (`partial` says so).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from beatbook.accounts.access import AmbiguousAreaCode, get_area_for_user, lsoa_limit
from beatbook.areas.models import Level

from . import selectors

router = Router(tags=["crime"])


class AreaRefOut(Schema):
    code: str
    name: str
    level: str


class CategoryCountOut(Schema):
    category: str
    slug: str
    anti_social_behaviour: bool
    count: int
    weight: float = Field(description="Harm of one crime of this type in the area's force.")
    harm: float


class MonthCountOut(Schema):
    month: str = Field(description="YYYY-MM")
    count: int
    crimes: int
    anti_social_behaviour: int
    harm: float
    by_category: dict[str, int] = Field(description="Counts by category slug; categories with none are left out.")


class CrimeSummaryOut(Schema):
    area: AreaRefOut
    from_: str = Field(alias="from", description="First month, YYYY-MM.")
    to: str = Field(description="Last month, YYYY-MM.")
    months: int
    partial: bool = Field(description="The figures cover only the part of this ward or district inside your scope.")
    population: int | None
    population_source: str
    count: int
    crimes: int
    anti_social_behaviour: int
    harm: float
    count_per_1000: float | None = Field(description="Over the whole period, per 1,000 residents.")
    harm_per_1000: float | None
    by_category: list[CategoryCountOut]
    by_month: list[MonthCountOut]


def _user(request: HttpRequest) -> Any:
    # Both authenticators return the person; a token request has no session user.
    return getattr(request, "auth", None) or request.user


def _month(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return selectors.parse_month(value)
    except ValueError as error:
        raise HttpError(400, f"{name}: {error}") from error


@router.get(
    "/{code}/summary",
    response=CrimeSummaryOut,
    by_alias=True,
    summary="Crime and anti-social behaviour of one area by category and month",
)
def crime_summary(
    request: HttpRequest,
    code: str,
    level: Level | None = None,
    start: str | None = Query(None, alias="from", description="First month, YYYY-MM (default: 11 before `to`)."),
    end: str | None = Query(None, alias="to", description="Last month, YYYY-MM (default: the latest held)."),
) -> dict[str, Any]:
    """Counts and harm by category and by month. A force counts every row published for it,
    any other area the rows in its LSOAs (only those inside your scope)."""
    user = _user(request)
    try:
        area = get_area_for_user(user, code=code, level=level)
    except AmbiguousAreaCode as error:
        raise HttpError(
            400,
            f"The code {code!r} names more than one area you can see ({', '.join(error.levels)}). "
            f"Say which with ?level=, for example ?level={error.levels[0]}.",
        ) from error
    first, last = _month(start, "from"), _month(end, "to")
    if last is None:
        held = selectors.available_months(area)
        # With nothing held, the last complete month: the answer is then honestly all zeros.
        fallback = selectors.add_months(timezone.localdate().replace(day=1), -1)
        last = max([m for m in (held[-1] if held else None, first) if m is not None], default=fallback)
    if first is None:
        first = selectors.add_months(last, 1 - selectors.TREND_MONTHS)
    if last < first:
        raise HttpError(400, f"to ({selectors.format_month(last)}) is before from ({selectors.format_month(first)}).")
    if len(selectors.months_between(first, last)) > 240:
        raise HttpError(400, "Ask for at most 240 months at a time.")
    summary = selectors.crime_summary(area, start=first, end=last, lsoa_filter=lsoa_limit(user, area))
    return summary.as_dict()
