"""Calendar periods: parsing, ISO weeks, nesting by Thursday, quarters, leap years.

Every expected date below was read off a calendar, not computed by the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from beatbook.activity.periods import (
    Period,
    belongs_to,
    covered_span,
    following,
    is_longer,
    parse_period,
    period_containing,
    periods_within,
)

D = date


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "code"),
    [
        ("2025", "year", D(2025, 1, 1), D(2025, 12, 31), "2025"),
        ("2025-Q1", "quarter", D(2025, 1, 1), D(2025, 3, 31), "2025-Q1"),
        ("2025-Q2", "quarter", D(2025, 4, 1), D(2025, 6, 30), "2025-Q2"),
        ("2025-Q3", "quarter", D(2025, 7, 1), D(2025, 9, 30), "2025-Q3"),
        ("2025-Q4", "quarter", D(2025, 10, 1), D(2025, 12, 31), "2025-Q4"),
        ("2025-q4", "quarter", D(2025, 10, 1), D(2025, 12, 31), "2025-Q4"),
        ("2025-03", "month", D(2025, 3, 1), D(2025, 3, 31), "2025-03"),
        ("2025-04", "month", D(2025, 4, 1), D(2025, 4, 30), "2025-04"),
        ("2025-02", "month", D(2025, 2, 1), D(2025, 2, 28), "2025-02"),
        ("2024-02", "month", D(2024, 2, 1), D(2024, 2, 29), "2024-02"),  # leap year
        ("2000-02", "month", D(2000, 2, 1), D(2000, 2, 29), "2000-02"),  # divisible by 400: leap
        ("2100-02", "month", D(2100, 2, 1), D(2100, 2, 28), "2100-02"),  # divisible by 100 only: not leap
        ("2025-W05", "week", D(2025, 1, 27), D(2025, 2, 2), "2025-W05"),
        ("2025-w05", "week", D(2025, 1, 27), D(2025, 2, 2), "2025-W05"),
        ("2025-W01", "week", D(2024, 12, 30), D(2025, 1, 5), "2025-W01"),  # 1 Jan 2025 is a Wednesday
        ("2026-W01", "week", D(2025, 12, 29), D(2026, 1, 4), "2026-W01"),  # 1 Jan 2026 is a Thursday
        ("2020-W53", "week", D(2020, 12, 28), D(2021, 1, 3), "2020-W53"),  # 2020: leap, began on a Wednesday
        ("2026-W53", "week", D(2026, 12, 28), D(2027, 1, 3), "2026-W53"),  # 2026 begins on a Thursday
        ("2025-03-14", "day", D(2025, 3, 14), D(2025, 3, 14), "2025-03-14"),
        ("2024-02-29", "day", D(2024, 2, 29), D(2024, 2, 29), "2024-02-29"),
        ("  2025-03  ", "month", D(2025, 3, 1), D(2025, 3, 31), "2025-03"),
    ],
)
def test_parse_every_form(text: str, kind: str, start: date, end: date, code: str) -> None:
    period = parse_period(text)
    assert period == Period(kind, start, end)
    assert period.code == code
    assert parse_period(period.code) == period  # the code reads back as the same period


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", ""),
        ("25", ""),
        ("2025-1", ""),
        ("2025/03", ""),
        ("March 2025", ""),
        ("2025-M03", ""),
        ("2025-Q0", "a quarter is Q1 to Q4"),
        ("2025-Q5", "a quarter is Q1 to Q4"),
        ("2025-00", "a month is 01 to 12"),
        ("2025-13", "a month is 01 to 12"),
        ("2025-W00", "2025 has ISO weeks W01 to W52"),
        ("2025-W53", "2025 has ISO weeks W01 to W52"),  # 2025 has 52 ISO weeks
        ("2021-W53", "2021 has ISO weeks W01 to W52"),
        ("2025-02-29", "no such date"),  # not a leap year
        ("2025-04-31", "no such date"),
        ("1899", "between 1900 and 2999"),
        ("2025-W5", ""),
    ],
)
def test_bad_forms_name_the_expected_forms(text: str, hint: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_period(text)
    message = str(error.value)
    assert repr(text) in message
    assert "YYYY, YYYY-Qn, YYYY-MM, YYYY-Www (an ISO week) or YYYY-MM-DD" in message
    assert hint in message


def test_labels() -> None:
    assert parse_period("2025").label == "2025"
    assert parse_period("2025-Q1").label == "January to March 2025"
    assert parse_period("2025-Q4").label == "October to December 2025"
    assert parse_period("2025-03").label == "March 2025"
    assert parse_period("2025-W05").label == "Week 5 of 2025 (27 Jan to 2 Feb)"
    assert parse_period("2026-W01").label == "Week 1 of 2026 (29 Dec to 4 Jan)"
    assert parse_period("2025-03-14").label == "14 March 2025"


def test_days_and_contains() -> None:
    assert parse_period("2025").days == 365
    assert parse_period("2024").days == 366
    assert parse_period("2025-Q1").days == 90  # 31 + 28 + 31
    assert parse_period("2024-Q1").days == 91  # 31 + 29 + 31
    assert parse_period("2025-Q2").days == 91  # 30 + 31 + 30
    assert parse_period("2025-Q3").days == 92  # 31 + 31 + 30
    assert parse_period("2025-Q4").days == 92  # 31 + 30 + 31
    assert parse_period("2025-W05").days == 7
    assert parse_period("2025-03-14").days == 1
    year = parse_period("2025")
    assert year.contains(D(2025, 1, 1)) and year.contains(D(2025, 12, 31))
    assert not year.contains(D(2024, 12, 31)) and not year.contains(D(2026, 1, 1))


# --- the period holding a day -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "code"),
    [
        ("week", D(2026, 1, 4), "2026-W01"),  # Sunday 4 January 2026
        ("week", D(2025, 12, 29), "2026-W01"),  # Monday 29 December 2025
        ("week", D(2025, 12, 28), "2025-W52"),  # the Sunday before
        ("week", D(2021, 1, 3), "2020-W53"),
        ("week", D(2025, 3, 14), "2025-W11"),  # Friday; the week of Monday 10 March
        ("month", D(2024, 2, 29), "2024-02"),
        ("quarter", D(2025, 3, 31), "2025-Q1"),
        ("quarter", D(2025, 4, 1), "2025-Q2"),
        ("quarter", D(2025, 12, 31), "2025-Q4"),
        ("year", D(2025, 12, 31), "2025"),
        ("year", D(2026, 1, 1), "2026"),
        ("day", D(2025, 12, 31), "2025-12-31"),
    ],
)
def test_period_containing(kind: str, day: date, code: str) -> None:
    period = period_containing(kind, day)
    assert period.code == code
    assert period.contains(day)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="fortnight"):
        period_containing("fortnight", D(2025, 1, 1))


def test_following_crosses_years() -> None:
    assert following(parse_period("2025-W52")).code == "2026-W01"
    assert following(parse_period("2026-W53")).code == "2027-W01"
    assert following(parse_period("2025-12")).code == "2026-01"
    assert following(parse_period("2025-Q4")).code == "2026-Q1"
    assert following(parse_period("2024-02-28")).code == "2024-02-29"


# --- weeks belong by their Thursday -----------------------------------------------------------


def test_week_belongs_to_the_month_quarter_and_year_of_its_thursday() -> None:
    w01 = parse_period("2026-W01")  # Thursday 1 January 2026
    assert belongs_to(w01, parse_period("2026")) and not belongs_to(w01, parse_period("2025"))
    assert belongs_to(w01, parse_period("2026-Q1")) and not belongs_to(w01, parse_period("2025-Q4"))
    assert belongs_to(w01, parse_period("2026-01")) and not belongs_to(w01, parse_period("2025-12"))
    w53 = parse_period("2020-W53")  # Thursday 31 December 2020
    assert belongs_to(w53, parse_period("2020-12")) and not belongs_to(w53, parse_period("2021-01"))
    w05 = parse_period("2025-W05")  # 27 Jan to 2 Feb; Thursday 30 January
    assert belongs_to(w05, parse_period("2025-01")) and not belongs_to(w05, parse_period("2025-02"))
    w09 = parse_period("2025-W09")  # 24 Feb to 2 Mar; Thursday 27 February
    assert belongs_to(w09, parse_period("2025-02")) and not belongs_to(w09, parse_period("2025-03"))


def test_every_week_belongs_to_exactly_one_month_quarter_and_year() -> None:
    for kind, outers in (
        ("month", [parse_period(f"{y}-{m:02d}") for y in range(2018, 2031) for m in range(1, 13)]),
        ("quarter", [parse_period(f"{y}-Q{q}") for y in range(2018, 2031) for q in range(1, 5)]),
        ("year", [parse_period(str(y)) for y in range(2018, 2031)]),
    ):
        weeks = [w for outer in outers for w in periods_within("week", outer)]
        starts = [w.start for w in weeks]
        assert len(starts) == len(set(starts)), kind  # no week in two of them
        # ...and none missing: consecutive Mondays from the first to the last.
        assert starts == [starts[0] + timedelta(weeks=i) for i in range(len(starts))], kind
        assert starts[0] == D(2018, 1, 1) and starts[-1] == D(2030, 12, 23), kind


# --- periods within a period: every kind pair -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "outer", "count", "first", "last"),
    [
        # days
        ("day", "2025-03-14", 1, "2025-03-14", "2025-03-14"),
        ("day", "2025-W05", 7, "2025-01-27", "2025-02-02"),
        ("day", "2024-02", 29, "2024-02-01", "2024-02-29"),
        ("day", "2025-Q1", 90, "2025-01-01", "2025-03-31"),
        ("day", "2024", 366, "2024-01-01", "2024-12-31"),
        # weeks: those whose Thursday is inside
        ("week", "2025-03-14", 1, "2025-W11", "2025-W11"),  # longer: the week holding the day
        ("week", "2026-W01", 1, "2026-W01", "2026-W01"),
        ("week", "2025-01", 5, "2025-W01", "2025-W05"),  # Thursdays 2, 9, 16, 23, 30 January
        ("week", "2025-03", 4, "2025-W10", "2025-W13"),  # Thursdays 6, 13, 20, 27 March
        ("week", "2026-01", 5, "2026-W01", "2026-W05"),  # Thursdays 1, 8, 15, 22, 29 January
        ("week", "2025-12", 4, "2025-W49", "2025-W52"),  # 2026-W01 (Thursday 1 January) is January's
        ("week", "2025-Q1", 13, "2025-W01", "2025-W13"),
        ("week", "2025", 52, "2025-W01", "2025-W52"),
        ("week", "2020", 53, "2020-W01", "2020-W53"),
        ("week", "2026", 53, "2026-W01", "2026-W53"),
        # months
        ("month", "2025-03-14", 1, "2025-03", "2025-03"),
        ("month", "2025-W05", 1, "2025-02", "2025-02"),  # longer: the month holding the week's end
        ("month", "2025-03", 1, "2025-03", "2025-03"),
        ("month", "2025-Q2", 3, "2025-04", "2025-06"),
        ("month", "2025", 12, "2025-01", "2025-12"),
        # quarters
        ("quarter", "2025-03-31", 1, "2025-Q1", "2025-Q1"),
        ("quarter", "2025-W14", 1, "2025-Q2", "2025-Q2"),  # 31 Mar to 6 Apr: the quarter holding 6 April
        ("quarter", "2025-05", 1, "2025-Q2", "2025-Q2"),
        ("quarter", "2025-Q3", 1, "2025-Q3", "2025-Q3"),
        ("quarter", "2025", 4, "2025-Q1", "2025-Q4"),
        # years
        ("year", "2025-12-31", 1, "2025", "2025"),
        ("year", "2026-W01", 1, "2026", "2026"),  # 29 Dec 2025 to 4 Jan 2026: the year holding 4 January
        ("year", "2025-06", 1, "2025", "2025"),
        ("year", "2025-Q4", 1, "2025", "2025"),
        ("year", "2025", 1, "2025", "2025"),
    ],
)
def test_periods_within(kind: str, outer: str, count: int, first: str, last: str) -> None:
    periods = periods_within(kind, parse_period(outer))
    assert len(periods) == count
    assert periods[0] == parse_period(first)
    assert periods[-1] == parse_period(last)
    assert all(p.kind == kind for p in periods)
    assert all(following(a) == b for a, b in pairwise(periods))


def test_covered_span() -> None:
    # Weeks of January 2026 reach back to Monday 29 December 2025 and on to Sunday 1 February.
    assert covered_span("week", parse_period("2026-01")) == (D(2025, 12, 29), D(2026, 2, 1))
    assert covered_span("day", parse_period("2025-Q1")) == (D(2025, 1, 1), D(2025, 3, 31))
    assert covered_span("year", parse_period("2025-03")) == (D(2025, 1, 1), D(2025, 12, 31))


def test_is_longer() -> None:
    assert is_longer("year", "week") and is_longer("week", "day") and is_longer("quarter", "month")
    assert not is_longer("week", "week") and not is_longer("day", "month")
