"""Calendar periods for engagement standards and reports: days, ISO weeks, months, quarters, years.

Pure date arithmetic (no database), shared by the compliance engine, its pages, the
`compliance` command and the performance pack.

Nesting rules:

- Days, months, quarters and years nest in the ordinary way.
- Weeks are ISO weeks (Monday to Sunday, numbered within the ISO year). A week often straddles
  two months, and sometimes two calendar years, so it belongs to the month, quarter and year that
  hold its Thursday: the ISO convention, which makes every week belong to exactly one of each.
  Week 1 of 2026 (29 December 2025 to 4 January 2026) belongs to January 2026; week 5 of 2025
  (27 January to 2 February) belongs to January 2025.
- A period kind longer than the period it is looked at for (a yearly standard in a monthly
  report) is represented by its own period that holds the end of the report period (see
  `periods_within`).
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from django.utils.dates import MONTHS, MONTHS_3
from django.utils.text import capfirst
from django.utils.translation import gettext as _

Kind = Literal["day", "week", "month", "quarter", "year"]
# Shortest first: a kind's position says which of two kinds is longer.
KINDS: tuple[Kind, ...] = ("day", "week", "month", "quarter", "year")
FORMS = "YYYY, YYYY-Qn, YYYY-MM, YYYY-Www (an ISO week) or YYYY-MM-DD"

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq](\d)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-[Ww](\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A run of whole days, `start` to `end` inclusive, that is one calendar period of `kind`."""

    kind: str
    start: date
    end: date

    @property
    def code(self) -> str:
        """'2025', '2025-Q1', '2025-03', '2025-W05' (ISO year and week) or '2025-03-14'."""
        if self.kind == "year":
            return f"{self.start.year:04d}"
        if self.kind == "quarter":
            return f"{self.start.year:04d}-Q{_quarter_of(self.start)}"
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "week":
            iso = self.start.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        return self.start.isoformat()

    @property
    def label(self) -> str:
        """For people: '2025', 'January to March 2025', 'March 2025',
        'Week 5 of 2025 (27 Jan to 2 Feb)', '14 March 2025'."""
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "quarter":
            return _("%(first)s to %(last)s %(year)s") % {
                "first": MONTHS[self.start.month],
                "last": MONTHS[self.end.month],
                "year": self.start.year,
            }
        if self.kind == "month":
            return _("%(month)s %(year)s") % {"month": MONTHS[self.start.month], "year": self.start.year}
        if self.kind == "week":
            iso = self.start.isocalendar()
            return _("Week %(week)s of %(year)s (%(first)s to %(last)s)") % {
                "week": iso.week,
                "year": iso.year,
                "first": _short_day(self.start),
                "last": _short_day(self.end),
            }
        return _("%(day)s %(month)s %(year)s") % {
            "day": self.start.day,
            "month": MONTHS[self.start.month],
            "year": self.start.year,
        }

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _short_day(day: date) -> str:
    return f"{day.day} {capfirst(MONTHS_3[day.month])}"


def _quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"{kind!r} is not a kind of period: use one of {', '.join(KINDS)}.")


def is_longer(kind: str, than: str) -> bool:
    """True when periods of `kind` are longer than periods of `than` (a year is longer than a week)."""
    _check_kind(kind)
    _check_kind(than)
    return KINDS.index(kind) > KINDS.index(than)


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31))


def quarter_period(year: int, quarter: int) -> Period:
    first_month = 3 * (quarter - 1) + 1
    last_month = first_month + 2
    return Period(
        "quarter", date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])
    )


def month_period(year: int, month: int) -> Period:
    return Period("month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def week_period(iso_year: int, week: int) -> Period:
    """ISO week `week` of `iso_year`; ValueError when that year has no such week."""
    monday = date.fromisocalendar(iso_year, week, 1)
    return Period("week", monday, monday + timedelta(days=6))


def day_period(day: date) -> Period:
    return Period("day", day, day)


def parse_period(text: str) -> Period:
    """'2025' | '2025-Q1' | '2025-03' | '2025-W05' | '2025-03-14' → the Period.

    ValueError, naming the text and the accepted forms, for anything else (including a month 13,
    a fifth quarter or a week 53 in a year of 52 ISO weeks).
    """
    value = text.strip() if isinstance(text, str) else ""

    def wrong(reason: str) -> ValueError:
        return ValueError(f"{text!r} is not a period{reason}: write it as {FORMS}, for example 2025-Q1.")

    if match := _YEAR.match(value):
        return year_period(_year(match.group(1), wrong))
    if match := _QUARTER.match(value):
        quarter = int(match.group(2))
        if not 1 <= quarter <= 4:
            raise wrong(" (a quarter is Q1 to Q4)")
        return quarter_period(_year(match.group(1), wrong), quarter)
    if match := _MONTH.match(value):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise wrong(" (a month is 01 to 12)")
        return month_period(_year(match.group(1), wrong), month)
    if match := _WEEK.match(value):
        year = _year(match.group(1), wrong)
        try:
            return week_period(year, int(match.group(2)))
        except ValueError:
            weeks = date(year, 12, 28).isocalendar().week  # 28 December is always in the year's last week
            raise wrong(f" ({year} has ISO weeks W01 to W{weeks})") from None
    if match := _DAY.match(value):
        try:
            return day_period(date(_year(match.group(1), wrong), int(match.group(2)), int(match.group(3))))
        except ValueError:
            raise wrong(" (no such date)") from None
    raise wrong("")


def _year(digits: str, wrong: Callable[[str], ValueError]) -> int:
    year = int(digits)
    # Years 1 and 9999 would make the weeks round them run off the calendar; no report needs them.
    if not 1900 <= year <= 2999:
        raise wrong(" (the year must be between 1900 and 2999)")
    return year


def period_containing(kind: str, day: date) -> Period:
    """The period of `kind` that holds `day` (for a week: the ISO week, Monday to Sunday)."""
    _check_kind(kind)
    if kind == "day":
        return day_period(day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    if kind == "month":
        return month_period(day.year, day.month)
    if kind == "quarter":
        return quarter_period(day.year, _quarter_of(day))
    return year_period(day.year)


def following(period: Period) -> Period:
    """The next period of the same kind."""
    return period_containing(period.kind, period.end + timedelta(days=1))


def belongs_to(week: Period, outer: Period) -> bool:
    """Whether a week belongs to `outer`: true when `outer` holds the week's Thursday."""
    return outer.contains(week.start + timedelta(days=3))


def periods_within(kind: str, outer: Period) -> list[Period]:
    """The periods of `kind` that make up `outer`, in order.

    - A kind no longer than `outer`: the periods inside it. Weeks are those whose Thursday is
      in `outer`, so they can start up to three days before it or end up to three days after
      it; days, months and quarters fill it exactly.
    - A kind longer than `outer` (a yearly standard looked at for a month): one period, the
      standard's own period that holds the end of `outer`, i.e.
      `[period_containing(kind, outer.end)]`.
    - Weeks looked at for a week: that week.
    """
    _check_kind(kind)
    _check_kind(outer.kind)
    return list(_periods_within(kind, outer))


# A force's compliance asks for the same windows once per team, and periods are immutable.
@functools.lru_cache(maxsize=256)
def _periods_within(kind: str, outer: Period) -> tuple[Period, ...]:
    if is_longer(kind, outer.kind):
        return (period_containing(kind, outer.end),)
    periods = []
    if kind == "week":
        week = period_containing("week", outer.start)
        if not belongs_to(week, outer):
            week = following(week)
        while belongs_to(week, outer):
            periods.append(week)
            week = following(week)
        return tuple(periods)
    current = period_containing(kind, outer.start)
    while current.start <= outer.end:
        periods.append(current)
        current = following(current)
    return tuple(periods)


def covered_span(kind: str, outer: Period) -> tuple[date, date]:
    """First and last day of `periods_within(kind, outer)`: the days whose activity can count."""
    windows = periods_within(kind, outer)
    return windows[0].start, windows[-1].end
