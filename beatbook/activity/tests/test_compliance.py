"""The compliance engine's stated rules (compliance.py's docstring), with hand-worked cases for
each of the seven default standards: met, missed, at risk and on track.

The engine is pure: these tests give it counts by local date. Which activity reaches those
counts (types, partners, priorities, areas, time zones) is tested with the database in
test_compliance_selectors.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from beatbook.activity.compliance import Evaluation, Status, evaluate, evaluate_window
from beatbook.activity.models import Standard
from beatbook.activity.periods import parse_period

D = date

# The installed defaults (migration 0002), copied by hand: key → (minimum, period, applies to,
# requires a partner, requires priorities). test_defaults_are_as_installed keeps them honest.
DEFAULTS = {
    "ward-meeting-yearly": (1, "year", "neighbourhood", False, False),
    "patch-walks-yearly": (2, "year", "neighbourhood", True, False),
    "priorities-quarterly": (1, "quarter", "neighbourhood", False, True),
    "survey-quarterly": (1, "quarter", "neighbourhood", False, False),
    "newsletter-monthly": (1, "month", "neighbourhood", False, False),
    "commander-blog-weekly": (1, "week", "npa", False, False),
    "social-media-daily": (1, "day", "neighbourhood", False, False),
}


@pytest.mark.django_db
def test_defaults_are_as_installed() -> None:
    installed = {
        s.key: (s.minimum, s.period, s.applies_to, s.requires_partner, s.requires_priorities)
        for s in Standard.objects.filter(force__isnull=True)
    }
    assert installed == DEFAULTS


def judge(key: str, report: str, as_of: date, days: dict[date, int], *, day_over: bool = False) -> Evaluation:
    """`day_over` False: as_of is today, still running (rule 1); True: as_of is an earlier day."""
    minimum, period, *_ = DEFAULTS[key]
    return evaluate(
        minimum=minimum,
        standard_period=period,
        report_period=parse_period(report),
        as_of=as_of,
        daily_counts=days,
        day_over=day_over,
    )


# --- one window ---------------------------------------------------------------------------------


def test_window_not_started() -> None:
    window = evaluate_window(period=parse_period("2025-Q3"), count=0, minimum=1, as_of=D(2025, 6, 30))
    assert (window.status, window.projected, window.elapsed_days) == (Status.NOT_STARTED, None, 0)


def test_window_complete() -> None:
    q2 = parse_period("2025-Q2")
    met = evaluate_window(period=q2, count=1, minimum=1, as_of=D(2025, 7, 1))
    missed = evaluate_window(period=q2, count=1, minimum=2, as_of=D(2025, 7, 1))
    assert (met.status, met.projected, met.elapsed_days) == (Status.MET, None, 91)
    assert (missed.status, missed.needed) == (Status.MISSED, 1)


def test_window_on_its_last_day_is_open_while_that_day_runs() -> None:
    # as_of is inclusive: judged on 30 June while it is today, the quarter still has that day to go.
    window = evaluate_window(period=parse_period("2025-Q2"), count=0, minimum=1, as_of=D(2025, 6, 30))
    assert window.status == Status.AT_RISK
    assert window.elapsed_days == 91 and window.projected == 0.0
    assert window.is_open


def test_window_on_its_last_day_is_complete_once_that_day_is_over() -> None:
    # Judged on 30 June after 30 June has ended (a report for the quarter made in July): complete.
    q2 = parse_period("2025-Q2")
    missed = evaluate_window(period=q2, count=0, minimum=1, as_of=D(2025, 6, 30), day_over=True)
    assert (missed.status, missed.projected, missed.elapsed_days, missed.is_open) == (Status.MISSED, None, 91, False)
    met = evaluate_window(period=q2, count=1, minimum=1, as_of=D(2025, 6, 30), day_over=True)
    assert (met.status, met.projected) == (Status.MET, None)
    # A window that goes on after as_of is still open, whether or not the as_of day is over.
    open_q2 = evaluate_window(period=q2, count=0, minimum=1, as_of=D(2025, 6, 29), day_over=True)
    assert (open_q2.status, open_q2.elapsed_days, open_q2.projected) == (Status.AT_RISK, 90, 0.0)


def test_pace_rule_worked_numbers() -> None:
    year = parse_period("2025")  # 365 days
    # 1 July 2025 is day 182 (31+28+31+30+31+30 = 181 days before it): 1 x 365 / 182 = 2.00549…
    on_pace = evaluate_window(period=year, count=1, minimum=2, as_of=D(2025, 7, 1))
    assert on_pace.elapsed_days == 182
    assert on_pace.projected == pytest.approx(2.005494505)
    assert on_pace.status == Status.ON_TRACK
    # 2 July is day 183: 365 / 183 = 1.99453…
    behind = evaluate_window(period=year, count=1, minimum=2, as_of=D(2025, 7, 2))
    assert behind.projected == pytest.approx(1.994535519)
    assert behind.status == Status.AT_RISK
    # 3 July is day 184: 365 / 184 = 1.98369…
    later = evaluate_window(period=year, count=1, minimum=2, as_of=D(2025, 7, 3))
    assert later.elapsed_days == 184
    assert later.projected == pytest.approx(1.983695652)
    assert later.status == Status.AT_RISK


def test_pace_exactly_on_the_minimum_is_on_track() -> None:
    # 2024 has 366 days; 1 July 2024 is day 183 (31+29+31+30+31+30 = 182 before it): 1 x 366 / 183 = 2 exactly.
    window = evaluate_window(period=parse_period("2024"), count=1, minimum=2, as_of=D(2024, 7, 1))
    assert window.elapsed_days == 183
    assert window.projected == 2.0
    assert window.status == Status.ON_TRACK
    # A day later: 366 / 184 = 1.989…
    assert evaluate_window(period=parse_period("2024"), count=1, minimum=2, as_of=D(2024, 7, 2)).status == (
        Status.AT_RISK
    )


def test_open_window_met_as_soon_as_the_minimum_is_reached() -> None:
    window = evaluate_window(period=parse_period("2025"), count=2, minimum=2, as_of=D(2025, 1, 2))
    assert window.status == Status.MET
    assert window.projected == pytest.approx(365.0)  # 2 x 365 / 2


# --- ward or parish meeting: at least 1 a year -------------------------------------------------


def test_ward_meeting_met() -> None:
    result = judge("ward-meeting-yearly", "2025", D(2025, 7, 1), {D(2025, 6, 12): 1})
    assert result.status == Status.MET
    assert (result.counted, result.minimum, result.needed_now) == (1, 1, 0)


def test_ward_meeting_missed_and_next_january_does_not_count() -> None:
    result = judge("ward-meeting-yearly", "2025", D(2026, 1, 15), {D(2026, 1, 1): 1, D(2024, 12, 31): 1})
    assert result.status == Status.MISSED
    assert result.counted == 0 and result.needed_now == 0


def test_ward_meeting_at_risk_and_never_on_track() -> None:
    # With a minimum of 1 an open window is met or, with nothing yet, at risk (projected 0):
    # on track cannot happen for a one-window, minimum-1 standard.
    result = judge("ward-meeting-yearly", "2025", D(2025, 3, 1), {})
    assert result.status == Status.AT_RISK
    assert result.windows[0].projected == 0.0
    assert result.needed_now == 1


def test_ward_meeting_in_a_monthly_report_is_judged_on_its_year() -> None:
    # A yearly standard seen for March 2025: its window is 2025, and a meeting in January counts.
    result = judge("ward-meeting-yearly", "2025-03", D(2025, 3, 20), {D(2025, 1, 10): 1})
    assert [w.period.code for w in result.windows] == ["2025"]
    assert result.status == Status.MET


def test_a_report_period_in_the_future_is_not_started() -> None:
    result = judge("ward-meeting-yearly", "2026", D(2025, 12, 31), {D(2025, 12, 1): 1})
    assert result.status == Status.NOT_STARTED
    assert result.counted == 0


# --- patch walks with partners: at least 2 a year (the partner rule is a selector test) --------


def test_patch_walks_met_on_31_december() -> None:
    days = {D(2025, 3, 10): 1, D(2025, 12, 31): 1, D(2026, 1, 1): 1}
    result = judge("patch-walks-yearly", "2025", D(2026, 1, 10), days)
    assert result.status == Status.MET
    assert result.counted == 2  # 1 January 2026 belongs to the next year


def test_patch_walks_missed_when_the_second_is_on_1_january() -> None:
    result = judge("patch-walks-yearly", "2025", D(2026, 1, 10), {D(2025, 3, 10): 1, D(2026, 1, 1): 1})
    assert result.status == Status.MISSED
    assert (result.counted, result.minimum, result.met_windows, result.judged_windows) == (1, 2, 0, 1)


def test_patch_walks_on_track_by_1_july_at_risk_by_3_july() -> None:
    # 1 walk by 1 July: 1 x 365 / 182 = 2.005 ≥ 2. By 3 July: 365 / 184 = 1.984 < 2.
    assert judge("patch-walks-yearly", "2025", D(2025, 7, 1), {D(2025, 2, 1): 1}).status == Status.ON_TRACK
    at_risk = judge("patch-walks-yearly", "2025", D(2025, 7, 3), {D(2025, 2, 1): 1})
    assert at_risk.status == Status.AT_RISK
    assert at_risk.needed_now == 1


def test_activity_after_as_of_does_not_count() -> None:
    # The second walk is dated 2 July; seen as of 1 July only the first has happened.
    result = judge("patch-walks-yearly", "2025", D(2025, 7, 1), {D(2025, 2, 1): 1, D(2025, 7, 2): 1})
    assert result.counted == 1
    assert result.status == Status.ON_TRACK


# --- priorities every quarter (the priorities condition is a selector test) ----------------------


def test_priorities_met_on_the_last_day_of_the_quarter() -> None:
    result = judge("priorities-quarterly", "2025-Q1", D(2025, 4, 5), {D(2025, 3, 31): 1})
    assert result.status == Status.MET


def test_priorities_missed_when_set_on_1_april() -> None:
    result = judge("priorities-quarterly", "2025-Q1", D(2025, 4, 5), {D(2025, 4, 1): 1})
    assert result.status == Status.MISSED


def test_priorities_at_risk_on_day_60_with_none() -> None:
    # 1 March 2025 is day 60 of Q1 (31 + 28 + 1): 0 x 90 / 60 = 0 < 1.
    result = judge("priorities-quarterly", "2025-Q1", D(2025, 3, 1), {})
    assert result.status == Status.AT_RISK
    assert result.windows[0].elapsed_days == 60


def test_priorities_on_track_over_the_year() -> None:
    # Q1 met, Q2 met already, Q3 and Q4 still to come.
    result = judge("priorities-quarterly", "2025", D(2025, 5, 1), {D(2025, 2, 15): 1, D(2025, 4, 2): 1})
    assert [w.status for w in result.windows] == [Status.MET, Status.MET, Status.NOT_STARTED, Status.NOT_STARTED]
    assert result.status == Status.ON_TRACK


# --- a survey every quarter --------------------------------------------------------------------


def test_survey_at_risk_on_day_30_of_90() -> None:
    # 30 January 2025 is day 30 of Q1 (90 days); nothing yet: projected 0 x 90 / 30 = 0 < 1.
    result = judge("survey-quarterly", "2025-Q1", D(2025, 1, 30), {})
    assert result.status == Status.AT_RISK
    window = result.windows[0]
    assert (window.elapsed_days, window.projected, result.needed_now) == (30, 0.0, 1)


def test_survey_met() -> None:
    assert judge("survey-quarterly", "2025-Q1", D(2025, 2, 10), {D(2025, 2, 3): 1}).status == Status.MET


def test_survey_missed_even_with_one_on_1_january() -> None:
    result = judge("survey-quarterly", "2024-Q4", D(2025, 1, 2), {D(2025, 1, 1): 1, D(2024, 9, 30): 1})
    assert result.status == Status.MISSED
    assert result.counted == 0


def test_survey_on_track_over_the_year() -> None:
    result = judge("survey-quarterly", "2025", D(2025, 6, 30), {D(2025, 2, 10): 1, D(2025, 5, 14): 1})
    assert result.status == Status.ON_TRACK
    assert (result.counted, result.minimum, result.met_windows, result.judged_windows, result.needed_now) == (
        2,
        4,
        2,
        2,
        0,
    )


# --- a newsletter every month ------------------------------------------------------------------


def test_newsletter_met_each_month_of_the_quarter() -> None:
    days = {D(2025, 1, 5): 1, D(2025, 2, 3): 1, D(2025, 3, 31): 1}
    result = judge("newsletter-monthly", "2025-Q1", D(2025, 4, 1), days)
    assert result.status == Status.MET
    assert (result.met_windows, result.judged_windows, result.minimum) == (3, 3, 3)


def test_newsletter_missed_in_february() -> None:
    result = judge("newsletter-monthly", "2025-Q1", D(2025, 4, 1), {D(2025, 1, 5): 2, D(2025, 3, 31): 1})
    assert result.status == Status.MISSED
    assert [w.period.code for w in result.missed_windows] == ["2025-02"]
    assert result.counted == 3  # two in January, one in March


def test_newsletter_at_risk_on_20_february() -> None:
    result = judge("newsletter-monthly", "2025-Q1", D(2025, 2, 20), {D(2025, 1, 5): 1})
    assert result.status == Status.AT_RISK
    assert result.needed_now == 1
    assert [w.status for w in result.windows] == [Status.MET, Status.AT_RISK, Status.NOT_STARTED]


def test_newsletter_on_track() -> None:
    result = judge("newsletter-monthly", "2025-Q1", D(2025, 2, 20), {D(2025, 1, 5): 1, D(2025, 2, 3): 1})
    assert result.status == Status.ON_TRACK


def test_newsletter_on_the_last_day_at_risk_next_day_missed() -> None:
    assert judge("newsletter-monthly", "2025-02", D(2025, 2, 28), {}).status == Status.AT_RISK
    assert judge("newsletter-monthly", "2025-02", D(2025, 3, 1), {}).status == Status.MISSED


def test_newsletter_for_a_finished_month_judged_on_its_last_day_is_missed() -> None:
    # The March 2025 performance pack, made on 10 April: judged on 31 March, a day that is over.
    # No newsletter in March: missed, as the pages judging it later say, not "at risk".
    result = judge("newsletter-monthly", "2025-03", D(2025, 3, 31), {D(2025, 2, 3): 1}, day_over=True)
    assert result.status == Status.MISSED
    assert (result.counted, result.needed_now, result.open_window) == (0, 0, None)
    assert [w.status for w in result.missed_windows] == [Status.MISSED]
    written = judge("newsletter-monthly", "2025-03", D(2025, 3, 31), {D(2025, 3, 31): 1}, day_over=True)
    assert written.status == Status.MET and written.judged_windows == 1


# --- a commander's blog every ISO week ---------------------------------------------------------

# January 2026 holds the Thursdays of weeks 1-5: W01 29 Dec-4 Jan, W02 5-11, W03 12-18,
# W04 19-25, W05 26 Jan-1 Feb.


def test_blog_iso_weeks_of_january_2026_met() -> None:
    days = {D(2025, 12, 29): 1, D(2026, 1, 7): 1, D(2026, 1, 14): 1, D(2026, 1, 21): 1, D(2026, 2, 1): 1}
    result = judge("commander-blog-weekly", "2026-01", D(2026, 2, 2), days)
    assert [w.period.code for w in result.windows] == ["2026-W01", "2026-W02", "2026-W03", "2026-W04", "2026-W05"]
    assert result.status == Status.MET  # Monday 29 December and Sunday 1 February both count
    assert result.counted == 5


def test_blog_sunday_4_january_2026_is_in_w01() -> None:
    result = judge("commander-blog-weekly", "2026-W01", D(2026, 1, 4), {D(2026, 1, 4): 1})
    assert result.status == Status.MET
    assert result.windows[0].count == 1


def test_blog_missed_when_the_first_is_on_sunday_28_december() -> None:
    days = {D(2025, 12, 28): 1, D(2026, 1, 7): 1, D(2026, 1, 14): 1, D(2026, 1, 21): 1, D(2026, 1, 28): 1}
    result = judge("commander-blog-weekly", "2026-01", D(2026, 2, 2), days)
    assert result.status == Status.MISSED
    assert [w.period.code for w in result.missed_windows] == ["2026-W01"]
    assert (result.met_windows, result.counted) == (4, 4)


def test_blog_at_risk_on_wednesday_with_none_this_week() -> None:
    result = judge("commander-blog-weekly", "2026-01", D(2026, 1, 7), {D(2025, 12, 29): 1})
    assert result.status == Status.AT_RISK
    open_window = result.open_window
    assert open_window is not None
    assert (open_window.period.code, open_window.elapsed_days, open_window.projected) == ("2026-W02", 3, 0.0)


def test_blog_on_track() -> None:
    result = judge("commander-blog-weekly", "2026-01", D(2026, 1, 7), {D(2025, 12, 29): 1, D(2026, 1, 6): 1})
    assert result.status == Status.ON_TRACK
    assert [w.status for w in result.windows][2:] == [Status.NOT_STARTED] * 3


def test_blog_for_2025_does_not_count_29_december() -> None:
    # 29 December 2025 is in 2026-W01, so it is not in any week of 2025 (which ends on the 28th).
    result = judge("commander-blog-weekly", "2025", D(2026, 1, 5), {D(2025, 12, 29): 1})
    assert len(result.windows) == 52
    assert result.counted == 0


# --- social-media content every day ------------------------------------------------------------


def _march(skip: set[int], upto: int = 31) -> dict[date, int]:
    return {D(2025, 3, day): 1 for day in range(1, upto + 1) if day not in skip}


def test_social_media_every_day_met() -> None:
    days = _march(set())
    days[D(2025, 3, 5)] = 2
    result = judge("social-media-daily", "2025-03", D(2025, 4, 1), days)
    assert result.status == Status.MET
    assert (result.counted, result.minimum, result.met_windows) == (32, 31, 31)


def test_social_media_one_day_missing_is_missed() -> None:
    result = judge("social-media-daily", "2025-03", D(2025, 4, 1), _march({12}))
    assert result.status == Status.MISSED
    assert [w.period.code for w in result.missed_windows] == ["2025-03-12"]
    assert (result.met_windows, result.judged_windows) == (30, 31)


def test_social_media_mid_month_today_without_a_post_is_at_risk() -> None:
    result = judge("social-media-daily", "2025-03", D(2025, 3, 15), _march(set(), upto=14))
    assert result.status == Status.AT_RISK
    assert result.needed_now == 1
    assert (result.met_windows, result.judged_windows) == (14, 14)


def test_social_media_mid_month_posted_today_is_on_track() -> None:
    result = judge("social-media-daily", "2025-03", D(2025, 3, 15), _march(set(), upto=15))
    assert result.status == Status.ON_TRACK
    assert (result.met_windows, result.judged_windows, result.needed_now) == (15, 15, 0)


def test_social_media_today_keeps_the_pace_rule_yesterday_is_complete() -> None:
    # Judged on 15 March while it is today: no post yet today is at risk (the day is not over).
    today = judge("social-media-daily", "2025-03", D(2025, 3, 15), _march(set(), upto=14))
    assert today.windows[14].status == Status.AT_RISK and today.status == Status.AT_RISK
    # Judged on 15 March once it is over: that day had no post, so it is missed.
    over = judge("social-media-daily", "2025-03", D(2025, 3, 15), _march(set(), upto=14), day_over=True)
    assert over.windows[14].status == Status.MISSED and over.status == Status.MISSED
    assert (over.met_windows, over.judged_windows, over.needed_now) == (14, 15, 0)
    # With the 15th's post: every day so far met, sixteen still to come.
    posted = judge("social-media-daily", "2025-03", D(2025, 3, 15), _march(set(), upto=15), day_over=True)
    assert posted.status == Status.ON_TRACK
    assert (posted.met_windows, posted.judged_windows, posted.open_window) == (15, 15, None)


def test_patch_walks_judged_on_31_december() -> None:
    # One walk with a partner in 2025. On 31 December itself: 1 x 365 / 365 = 1 < 2, at risk;
    # judged on 31 December after it is over, the year is complete: missed.
    days = {D(2025, 5, 6): 1}
    assert judge("patch-walks-yearly", "2025", D(2025, 12, 31), days).status == Status.AT_RISK
    assert judge("patch-walks-yearly", "2025", D(2025, 12, 31), days, day_over=True).status == Status.MISSED


def test_social_media_missed_outranks_at_risk() -> None:
    result = judge("social-media-daily", "2025-03", D(2025, 3, 15), _march({12}, upto=14))
    assert result.status == Status.MISSED


# --- overall rule details ----------------------------------------------------------------------


def test_month_not_started_until_its_first_iso_week() -> None:
    # March 2026's first week (Thursday 5 March) starts Monday 2 March; on Sunday 1 March none has.
    result = judge("commander-blog-weekly", "2026-03", D(2026, 3, 1), {})
    assert result.windows[0].period.start == D(2026, 3, 2)
    assert result.status == Status.NOT_STARTED


def test_status_labels() -> None:
    assert [str(s.label) for s in Status] == ["met", "on track", "at risk", "missed", "not started"]
    assert Status.AT_RISK == "at_risk"
