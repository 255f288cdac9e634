"""The compliance engine: is a team meeting an engagement standard over a report period?

Pure Python over dates and counts (the database is read in `compliance_selectors`). A standard
says "at least `minimum` activities each `standard_period`"; a report period (a year, a quarter,
a month, an ISO week) is cut into the standard's own periods, the *windows*
(`periods.periods_within`), and each window is judged on its own.

The rules (the tests check exactly these):

1. `as_of` is inclusive: activity dated on or before it counts, activity after it does not.
   Dates are Europe/London calendar dates (`services.local_date`). `day_over` says whether
   the as_of day itself is over: callers pass `as_of < today` (Europe/London), so a report
   judged on today's date treats today as still running, and one judged on an earlier day
   (the end of a past month) treats that day as finished. Which day to judge on by default
   (a past period on its last day, never in the future) is `compliance_selectors.judging_date`.
2. A window that starts after `as_of` is NOT_STARTED.
3. A window that ended before `as_of` is complete: MET if its count reached the minimum,
   else MISSED. So is a window that ends on `as_of` when `day_over`: the March newsletter
   judged on 31 March after 31 March is over is MET or MISSED, never AT_RISK.
4. Otherwise the window holding `as_of` is open (it ends after `as_of`, or ends on it while
   that day is still running). It is MET as soon as its count reaches the minimum.
   Otherwise the pace rule decides: with `elapsed = (as_of - start).days + 1` days gone of the
   window's `days`, `projected = count x days / elapsed`; the window is AT_RISK when
   `projected < minimum` and ON_TRACK otherwise. So an open window with nothing yet is
   AT_RISK (at the current pace nothing will happen), including a daily standard on today
   itself and any window on its last day while that day is today. Example: a minimum of 2
   a year, 1 by 1 July 2025 (day 182 of 365) projects 365/182 = 2.005: on track; 1 by
   3 July (day 184) projects 365/184 = 1.984: at risk.
5. Overall, in this order: NOT_STARTED when the report period starts after `as_of` (or when
   none of its windows has started: a month whose first ISO week starts on the 2nd); MISSED
   when any complete window was missed; AT_RISK when the open window is at risk; MET when
   every window is met; otherwise ON_TRACK (an open window on track, or windows still to
   come in an unfinished report period).
6. Only activity inside a window counts, and the windows cover the report period: days,
   months, quarters and years exactly; weeks are the ISO weeks whose Thursday falls in the
   report period, and are counted whole (so a week can reach up to three days outside it).
   A standard period longer than the report period (a yearly standard in a monthly report)
   has one window, its own period holding the end of the report period, and counts
   everything in that period up to `as_of`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import accumulate

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from .periods import Period, periods_within


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    MISSED = "missed"
    NOT_STARTED = "not_started"

    @property
    def label(self) -> Promise:
        """The status for people, translated ('on track', 'at risk'…)."""
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, Promise] = {
    Status.MET: gettext_lazy("met"),
    Status.ON_TRACK: gettext_lazy("on track"),
    Status.AT_RISK: gettext_lazy("at risk"),
    Status.MISSED: gettext_lazy("missed"),
    Status.NOT_STARTED: gettext_lazy("not started"),
}


@dataclass(frozen=True)
class WindowResult:
    """One standard period (one ISO week of a weekly standard, one day of a daily one…)."""

    period: Period
    count: int  # activities counted in the window on or before as_of
    minimum: int
    status: Status
    projected: float | None  # open windows only: the count the window ends with at this pace
    elapsed_days: int  # days of the window gone by as_of (0 not started, all of them complete)

    @property
    def needed(self) -> int:
        """Activities still needed for this window to be met."""
        return max(0, self.minimum - self.count)

    @property
    def is_open(self) -> bool:
        """Whether the window is still running on as_of (only open windows have a projection)."""
        return self.projected is not None


def evaluate_window(*, period: Period, count: int, minimum: int, as_of: date, day_over: bool = False) -> WindowResult:
    """Judge one window by rules 2-4 of the module docstring."""
    if period.start > as_of:
        return WindowResult(period, count, minimum, Status.NOT_STARTED, None, 0)
    if period.end < as_of or (day_over and period.end == as_of):
        status = Status.MET if count >= minimum else Status.MISSED
        return WindowResult(period, count, minimum, status, None, period.days)
    elapsed = (as_of - period.start).days + 1
    projected = count * period.days / elapsed
    if count >= minimum:
        status = Status.MET
    # In whole numbers, so that a projection exactly on the minimum is on track whatever the rounding.
    elif count * period.days < minimum * elapsed:
        status = Status.AT_RISK
    else:
        status = Status.ON_TRACK
    return WindowResult(period, count, minimum, status, projected, elapsed)


@dataclass(frozen=True)
class Evaluation:
    """A standard over a report period: the overall status and every window's."""

    status: Status
    windows: list[WindowResult]
    counted: int  # activities counted in all windows, on or before as_of
    minimum: int  # needed over the whole report period: the standard's minimum x the windows
    met_windows: int
    judged_windows: int  # windows complete, or open and already met
    needed_now: int  # still needed in the open window; 0 when no window is open

    @property
    def open_window(self) -> WindowResult | None:
        """The window still running on as_of, if the report period has one."""
        return next((w for w in self.windows if w.is_open), None)

    @property
    def missed_windows(self) -> list[WindowResult]:
        return [w for w in self.windows if w.status == Status.MISSED]


class _Tally:
    """Counts by day, summed over any run of days by bisection over running totals."""

    def __init__(self, daily_counts: Mapping[date, int], as_of: date) -> None:
        self.days = sorted(day for day in daily_counts if day <= as_of)
        self.totals = [0, *accumulate(daily_counts[day] for day in self.days)]

    def between(self, first: date, last: date) -> int:
        return self.totals[bisect_right(self.days, last)] - self.totals[bisect_left(self.days, first)]


def overall_status(windows: list[WindowResult], *, report_period: Period, as_of: date) -> Status:
    """Rule 5 of the module docstring."""
    if report_period.start > as_of or all(w.status == Status.NOT_STARTED for w in windows):
        return Status.NOT_STARTED
    if any(w.status == Status.MISSED for w in windows):
        return Status.MISSED
    if any(w.status == Status.AT_RISK for w in windows):
        return Status.AT_RISK
    if all(w.status == Status.MET for w in windows):
        return Status.MET
    return Status.ON_TRACK


def evaluate(
    *,
    minimum: int,
    standard_period: str,
    report_period: Period,
    as_of: date,
    daily_counts: Mapping[date, int],
    day_over: bool = False,
) -> Evaluation:
    """Judge a standard ("at least `minimum` each `standard_period`") over `report_period`.

    `daily_counts` maps a local date to the number of activities that count for the standard
    on that day (already filtered by type, team and conditions); dates outside the windows and
    after `as_of` are ignored. `day_over`: whether the as_of day is over (rule 1), so that a
    window ending on it is complete.
    """
    tally = _Tally(daily_counts, as_of)
    windows = [
        evaluate_window(
            period=window,
            count=tally.between(window.start, window.end),
            minimum=minimum,
            as_of=as_of,
            day_over=day_over,
        )
        for window in periods_within(standard_period, report_period)
    ]
    open_window = next((w for w in windows if w.is_open), None)
    return Evaluation(
        status=overall_status(windows, report_period=report_period, as_of=as_of),
        windows=windows,
        counted=sum(w.count for w in windows),
        minimum=minimum * len(windows),
        met_windows=sum(1 for w in windows if w.status == Status.MET),
        judged_windows=sum(1 for w in windows if w.status in (Status.MET, Status.MISSED)),
        needed_now=open_window.needed if open_window is not None else 0,
    )
