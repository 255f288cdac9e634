"""Compliance read from the database: which activity counts for which team and standard.

Activities are recorded through `services.activity_create` (actor=None, the command line), so
the local date, partner and priorities copies on `ActivityArea` are the services' own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beatbook.activity import compliance_selectors as selectors
from beatbook.activity.compliance import Status
from beatbook.activity.models import Activity, ActivityArea, ActivityType, Partner, Standard
from beatbook.activity.periods import parse_period
from beatbook.activity.services import (
    ActivityData,
    StandardData,
    activity_create,
    standard_create,
    standard_update,
    standards_adopt,
)
from beatbook.areas.models import Area, Level

pytestmark = pytest.mark.django_db

D = date
LONDON = ZoneInfo("Europe/London")
TODAY = D(2026, 6, 1)  # activity is validated as "not in the future" against this


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def record(
    slug: str,
    when: datetime,
    *areas: Area,
    other_partners: str = "",
    partners: tuple[Partner, ...] = (),
    priorities: bool = False,
) -> Activity:
    data = ActivityData(
        type=ActivityType.objects.get(slug=slug),
        starts_at=when,
        areas=list(areas),
        other_partners=other_partners,
        partners=partners,
        priorities_set=priorities,
    )
    return activity_create(actor=None, data=data, today=TODAY)


def by_key(team: selectors.TeamCompliance) -> dict[str, selectors.StandardResult]:
    return {r.standard.key: r for r in team.results}


def only(force: Area, keys: set[str]) -> None:
    """Give the force its own standards and keep only `keys` active."""
    for standard in standards_adopt(actor=None, force=force):
        set_fields(force, standard, active=standard.key in keys)


def set_fields(force: Area, standard: Standard, **changes: Any) -> Standard:
    values: dict[str, Any] = {
        "key": standard.key,
        "name": standard.name,
        "types": list(standard.types.all()),
        "minimum": standard.minimum,
        "period": standard.period,
        "applies_to": standard.applies_to,
        "requires_partner": standard.requires_partner,
        "requires_priorities": standard.requires_priorities,
        "active": standard.active,
    }
    values.update(changes)
    return standard_update(actor=None, force=force, standard=standard, data=StandardData(**values))


# --- time zones --------------------------------------------------------------------------------


def test_half_past_midnight_bst_on_1_april_counts_in_q2(area_tree: Any) -> None:
    # 23:30 UTC on 31 March 2025 is 00:30 BST on 1 April (the clocks went forward on 30 March).
    survey = record("survey", datetime(2025, 3, 31, 23, 30, tzinfo=UTC), area_tree.nbhd_a)
    assert survey.date == D(2025, 4, 1)
    assert ActivityArea.objects.get(activity=survey).date == D(2025, 4, 1)
    q1 = by_key(selectors.team_compliance(team=area_tree.nbhd_a, period=parse_period("2025-Q1"), as_of=D(2025, 4, 10)))
    q2 = by_key(selectors.team_compliance(team=area_tree.nbhd_a, period=parse_period("2025-Q2"), as_of=D(2025, 4, 10)))
    assert (q1["survey-quarterly"].status, q1["survey-quarterly"].evaluation.counted) == (Status.MISSED, 0)
    assert (q2["survey-quarterly"].status, q2["survey-quarterly"].evaluation.counted) == (Status.MET, 1)


def test_half_past_eleven_on_new_years_eve_stays_in_the_old_year(area_tree: Any) -> None:
    # In winter London is on GMT: 23:30 UTC on 31 December is 23:30 local, still 2025.
    walk = record("patch-walk", datetime(2025, 12, 31, 23, 30, tzinfo=UTC), area_tree.nbhd_a, other_partners="Council")
    assert walk.date == D(2025, 12, 31)
    late = record("patch-walk", datetime(2026, 1, 1, 0, 15, tzinfo=UTC), area_tree.nbhd_a, other_partners="Council")
    assert late.date == D(2026, 1, 1)
    result = by_key(selectors.team_compliance(team=area_tree.nbhd_a, period=parse_period("2025"), as_of=D(2026, 1, 5)))
    assert result["patch-walks-yearly"].evaluation.counted == 1


# --- conditions --------------------------------------------------------------------------------


def test_patch_walks_need_a_partner_and_must_fall_in_the_year(area_tree: Any) -> None:
    council = Partner.objects.create(force=area_tree.force, name="Abbeyfield Borough Council")
    a, c = area_tree.nbhd_a, area_tree.nbhd_c
    record("patch-walk", at(D(2025, 3, 10)), a, partners=(council,))
    record("patch-walk", at(D(2025, 6, 20)), a)  # no partner: does not count
    record("patch-walk", at(D(2025, 12, 31), 22), a, other_partners="Fire and rescue")
    record("patch-walk", at(D(2025, 3, 10)), c, partners=(council,))
    record("patch-walk", at(D(2025, 6, 20)), c)  # no partner
    record("patch-walk", at(D(2026, 1, 1), 9), c, other_partners="Fire and rescue")  # next year
    year = parse_period("2025")
    results = {
        t.team.code: by_key(t)["patch-walks-yearly"]
        for t in selectors.teams_compliance(teams=[a, c], period=year, as_of=D(2026, 1, 10))
    }
    assert (results["NB-A"].status, results["NB-A"].evaluation.counted) == (Status.MET, 2)
    assert (results["NB-C"].status, results["NB-C"].evaluation.counted) == (Status.MISSED, 1)
    assert results["NB-A"].explanation == "2 of 2 activities with a partner in 2025: met."
    assert results["NB-C"].explanation == "1 of 2 activities with a partner in 2025: missed."


def test_priorities_need_priorities_set(area_tree: Any) -> None:
    a, b, c = area_tree.nbhd_a, area_tree.nbhd_b, area_tree.nbhd_c
    record("pact-meeting", at(D(2025, 2, 5)), a, priorities=True)
    record("pact-meeting", at(D(2025, 2, 5)), c)  # a PACT meeting that set no priorities
    record("ward-meeting", at(D(2025, 3, 3)), b, priorities=True)  # counts for two standards
    record("survey", at(D(2025, 3, 3)), c, priorities=True)  # not one of the standard's types
    teams = {
        t.team.code: by_key(t)
        for t in selectors.teams_compliance(teams=[a, b, c], period=parse_period("2025-Q1"), as_of=D(2025, 4, 2))
    }
    assert teams["NB-A"]["priorities-quarterly"].status == Status.MET
    assert teams["NB-C"]["priorities-quarterly"].status == Status.MISSED
    assert teams["NB-B"]["priorities-quarterly"].status == Status.MET
    # The ward meeting also meets the yearly standard: seen for Q1, its window is 2025.
    assert teams["NB-B"]["ward-meeting-yearly"].status == Status.MET
    assert teams["NB-A"]["ward-meeting-yearly"].status == Status.AT_RISK  # 0 by 2 April


# --- areas: neighbourhoods and their NPA --------------------------------------------------------


@pytest.fixture
def blogs(area_tree: Any) -> dict[str, Activity]:
    # January 2025's weeks: W01 30 Dec-5 Jan, W02 6-12, W03 13-19, W04 20-26, W05 27 Jan-2 Feb.
    north, a, b, c = area_tree.npa_north, area_tree.nbhd_a, area_tree.nbhd_b, area_tree.nbhd_c
    return {
        "npa": record("commander-blog", at(D(2024, 12, 31)), north),  # W01
        "nbhd": record("commander-blog", at(D(2025, 1, 8)), a),  # W02, through neighbourhood A
        "joint": record("commander-blog", at(D(2025, 1, 15)), a, c),  # W03: one blog, two neighbourhoods
        "both": record("commander-blog", at(D(2025, 1, 16)), north, a),  # W03 again, linked twice
        "south": record("commander-blog", at(D(2025, 1, 22)), b),  # W04, South's
        "post": record("social-media", at(D(2025, 1, 10)), north),  # the NPA's post: no neighbourhood's
        "post_a": record("social-media", at(D(2025, 1, 11)), a),
    }


def test_npa_standard_counts_the_npa_and_its_neighbourhoods_once_each(area_tree: Any, blogs: Any) -> None:
    teams = selectors.teams_under(area_tree.force)
    judged = {
        t.team.code: t
        for t in selectors.teams_compliance(teams=teams, period=parse_period("2025-01"), as_of=D(2025, 2, 3))
    }
    north = by_key(judged["NPA-N"])
    assert list(north) == ["commander-blog-weekly"]  # the only NPA standard
    blog = north["commander-blog-weekly"].evaluation
    assert [w.count for w in blog.windows] == [1, 1, 2, 0, 0]
    assert blog.status == Status.MISSED and blog.counted == 4
    south = by_key(judged["NPA-S"])["commander-blog-weekly"].evaluation
    assert [w.count for w in south.windows] == [0, 0, 0, 1, 0]
    # Neighbourhoods are not judged on the NPA standard, and the NPA's own post is no neighbourhood's.
    assert "commander-blog-weekly" not in by_key(judged["NB-A"])
    social_a = by_key(judged["NB-A"])["social-media-daily"].evaluation
    social_c = by_key(judged["NB-C"])["social-media-daily"].evaluation
    assert (social_a.counted, social_c.counted) == (1, 0)


def test_daily_counts_shape(area_tree: Any, blogs: Any) -> None:
    standards = list(
        Standard.objects.filter(force__isnull=True, key__in=["commander-blog-weekly", "social-media-daily"])
    )
    blog = next(s for s in standards if s.key == "commander-blog-weekly")
    social = next(s for s in standards if s.key == "social-media-daily")
    north, a = area_tree.npa_north, area_tree.nbhd_a
    counts = selectors.daily_counts(teams=[north, a], standards=standards, start=D(2025, 1, 1), end=D(2025, 1, 31))
    assert counts == {
        (north.pk, blog.pk): {D(2025, 1, 8): 1, D(2025, 1, 15): 1, D(2025, 1, 16): 1},  # 31 Dec is before start
        (a.pk, social.pk): {D(2025, 1, 11): 1},
    }


def test_evidence_lists_the_activities_that_counted_newest_first(
    area_tree: Any, blogs: Any, django_assert_num_queries: Any
) -> None:
    blog = Standard.objects.get(force__isnull=True, key="commander-blog-weekly")
    w03 = parse_period("2025-W03")
    found = selectors.evidence(team=area_tree.npa_north, standard=blog, window=w03)
    with django_assert_num_queries(1):
        rows = [(activity.pk, activity.type.slug) for activity in found]
    assert rows == [(blogs["both"].pk, "commander-blog"), (blogs["joint"].pk, "commander-blog")]
    w01 = parse_period("2025-W01")
    assert list(selectors.evidence(team=area_tree.npa_north, standard=blog, window=w01)) == [blogs["npa"]]
    assert list(selectors.evidence(team=area_tree.npa_south, standard=blog, window=w03)) == []
    assert list(selectors.evidence(team=area_tree.npa_south, standard=blog, window=parse_period("2025-W04"))) == [
        blogs["south"]
    ]
    assert list(selectors.evidence(team=area_tree.npa_north, standard=blog, window=w03, as_of=D(2025, 1, 15))) == [
        blogs["joint"]
    ]


def test_evidence_applies_the_conditions(area_tree: Any) -> None:
    a = area_tree.nbhd_a
    with_partner = record("patch-walk", at(D(2025, 5, 1)), a, other_partners="Council")
    record("patch-walk", at(D(2025, 6, 1)), a)  # no partner
    record("patch-walk", at(D(2025, 6, 2)), area_tree.nbhd_c, other_partners="Council")  # another team
    record("street-briefing", at(D(2025, 6, 3)), a, other_partners="Council")  # another type
    later = record("patch-walk", at(D(2025, 9, 1)), a, other_partners="Council")
    walks = Standard.objects.get(force__isnull=True, key="patch-walks-yearly")
    assert list(selectors.evidence(team=a, standard=walks, window=parse_period("2025"))) == [later, with_partner]


# --- which standards -----------------------------------------------------------------------------


def test_inactive_standards_are_ignored(area_tree: Any) -> None:
    survey = Standard.objects.get(force__isnull=True, key="survey-quarterly")
    set_fields(area_tree.force, survey, active=False)
    judged = selectors.team_compliance(team=area_tree.nbhd_a, period=parse_period("2025"), as_of=D(2025, 6, 1))
    assert set(by_key(judged)) == {
        "ward-meeting-yearly",
        "patch-walks-yearly",
        "priorities-quarterly",
        "newsletter-monthly",
        "social-media-daily",
    }


def test_the_force_s_own_standards_replace_the_defaults(area_tree: Any) -> None:
    a = area_tree.nbhd_a
    record("newsletter", at(D(2025, 3, 4)), a)
    march = parse_period("2025-03")
    before = by_key(selectors.team_compliance(team=a, period=march, as_of=D(2025, 4, 1)))["newsletter-monthly"]
    assert (before.standard.force_id, before.status) == (None, Status.MET)

    default = Standard.objects.get(force__isnull=True, key="newsletter-monthly")
    set_fields(area_tree.force, default, minimum=2)
    standard_create(
        actor=None,
        force=area_tree.force,
        data=StandardData(
            key="school-visit-monthly",
            name="Visit a school every month",
            types=[ActivityType.objects.get(slug="school-visit")],
            minimum=1,
            period="month",
            applies_to="neighbourhood",
        ),
    )
    after = by_key(selectors.team_compliance(team=a, period=march, as_of=D(2025, 4, 1)))
    newsletter = after["newsletter-monthly"]
    assert (newsletter.standard.force_id, newsletter.evaluation.minimum, newsletter.status) == (
        area_tree.force.pk,
        2,
        Status.MISSED,
    )
    assert after["school-visit-monthly"].status == Status.MISSED
    assert len(after) == 7  # six neighbourhood defaults, copied, plus the new one
    # Other forces keep the defaults.
    assert Standard.objects.get(force__isnull=True, key="newsletter-monthly").minimum == 1


def test_adopted_copies_keep_their_types(area_tree: Any) -> None:
    a = area_tree.nbhd_a
    record("survey", at(D(2025, 2, 4)), a)
    standards_adopt(actor=None, force=area_tree.force)
    survey = by_key(selectors.team_compliance(team=a, period=parse_period("2025-Q1"), as_of=D(2025, 4, 1)))
    assert survey["survey-quarterly"].standard.force_id == area_tree.force.pk
    assert survey["survey-quarterly"].status == Status.MET


# --- ranking -----------------------------------------------------------------------------------


def test_ranking_best_first_then_fewest_missed_then_name(area_tree: Any) -> None:
    only(area_tree.force, {"newsletter-monthly", "survey-quarterly"})
    ashby = Area.objects.create(
        level=Level.NEIGHBOURHOOD, code="NB-E", name="Ashby", parent=area_tree.npa_south, force=area_tree.force
    )
    a, b, c = area_tree.nbhd_a, area_tree.nbhd_b, area_tree.nbhd_c
    for team in (a, b, c, ashby):
        record("newsletter", at(D(2025, 1, 6)), team)
        record("survey", at(D(2025, 2, 2)), team)
    record("newsletter", at(D(2025, 2, 3)), a)
    record("newsletter", at(D(2025, 3, 3)), a)
    record("newsletter", at(D(2025, 3, 3)), b)  # none in February: missed
    record("newsletter", at(D(2025, 3, 3)), ashby)  # the same as Brookside
    record("newsletter", at(D(2025, 2, 3)), c)  # none yet in March: at risk on the 15th
    judged = selectors.teams_compliance(teams=[a, b, c, ashby], period=parse_period("2025-Q1"), as_of=D(2025, 3, 15))
    assert [(t.team.name, t.score, t.met, t.at_risk, t.missed) for t in judged] == [
        ("Abbeyfield", 1.0, 2, 0, 0),
        ("Castlegate", 0.5, 1, 1, 0),
        ("Ashby", 0.5, 1, 0, 1),
        ("Brookside", 0.5, 1, 0, 1),
    ]
    castlegate = by_key(judged[1])["newsletter-monthly"]
    assert castlegate.explanation == (
        "2 of 3 months met in January to March 2025; 1 more needed in March 2025: at risk."
    )


def test_score_is_zero_when_nothing_is_judged_yet(area_tree: Any) -> None:
    judged = selectors.team_compliance(team=area_tree.nbhd_a, period=parse_period("2027"), as_of=D(2026, 6, 1))
    assert judged.score == 0.0
    assert judged.not_started == 6 and judged.judged == 0
    assert all(r.explanation == "2027 has not started yet." for r in judged.results)


def test_social_media_explanation_names_the_missed_days(area_tree: Any) -> None:
    a = area_tree.nbhd_a
    for day in range(1, 32):
        if day not in (4, 9, 20, 21):
            record("social-media", at(D(2025, 3, day), 8), a)
    result = by_key(selectors.team_compliance(team=a, period=parse_period("2025-03"), as_of=D(2025, 4, 1)))
    social = result["social-media-daily"]
    assert social.status == Status.MISSED
    assert social.explanation == (
        "27 of 31 days met in March 2025; missed 4 March 2025, 9 March 2025, 20 March 2025 and 1 more: missed."
    )


# --- queries do not grow with teams or standards ------------------------------------------------


def _queries(teams: list[Area]) -> int:
    with CaptureQueriesContext(connection) as queries:
        judged = selectors.teams_compliance(teams=teams, period=parse_period("2025"), as_of=D(2025, 12, 31))
    assert len(judged) == len(teams)
    return len(queries.captured_queries)


def test_query_count_does_not_grow_with_teams_or_standards(area_tree: Any) -> None:
    force, north, south = area_tree.force, area_tree.npa_north, area_tree.npa_south
    standards_adopt(actor=None, force=force)
    record("commander-blog", at(D(2025, 5, 5)), area_tree.nbhd_a)
    record("social-media", at(D(2025, 5, 5)), area_tree.nbhd_b)
    few = [area_tree.nbhd_a, area_tree.nbhd_b, north]
    few_queries = _queries(few)

    Area.objects.bulk_create(
        Area(level=Level.NEIGHBOURHOOD, code=f"NB-X{n:02d}", name=f"Extra {n:02d}", parent=parent, force=force)
        for n, parent in enumerate([north, south] * 13)
    )
    for extra in Area.objects.filter(code__in=["NB-X00", "NB-X01", "NB-X25"]):
        record("social-media", at(D(2025, 6, 1)), extra)
        record("newsletter", at(D(2025, 6, 1)), extra)
    many = [t for t in selectors.teams_under(force) if t.code != "NB-C"]
    assert len(many) == 30
    assert _queries(many) == few_queries

    for n in range(5):
        standard_create(
            actor=None,
            force=force,
            data=StandardData(
                key=f"extra-{n}",
                name=f"Extra standard {n}",
                types=list(ActivityType.objects.all()[n : n + 2]),
                minimum=n + 1,
                period=["day", "week", "month", "quarter", "year"][n],
                applies_to="npa" if n % 2 else "neighbourhood",
                requires_partner=n == 3,
            ),
        )
    assert _queries(many) == few_queries
    assert few_queries == 4  # the teams' forces, the standards, their types, one grouped query


# --- teams under an area -------------------------------------------------------------------------


def test_teams_under(area_tree: Any) -> None:
    codes = lambda area: [t.code for t in selectors.teams_under(area)]  # noqa: E731
    assert codes(area_tree.force) == ["NPA-N", "NPA-S", "NB-A", "NB-B", "NB-C"]
    assert codes(area_tree.npa_north) == ["NPA-N", "NB-A", "NB-C"]
    assert codes(area_tree.nbhd_b) == ["NB-B"]
    assert codes(area_tree.lsoa_a) == []


def test_a_non_team_is_refused(area_tree: Any) -> None:
    with pytest.raises(ValueError, match="not a team"):
        selectors.teams_compliance(teams=[area_tree.force], period=parse_period("2025"), as_of=D(2025, 6, 1))


# --- the day a period is judged on ----------------------------------------------------------------


def test_judging_date_for_a_past_period_is_its_last_day_and_over() -> None:
    march = parse_period("2025-03")
    assert selectors.judging_date(march, None, today=D(2025, 4, 10)) == (D(2025, 3, 31), True)
    assert selectors.judging_date(march, None, today=D(2026, 11, 21)) == (D(2025, 3, 31), True)
    # The day after the month ends is the first day it is judged whole.
    assert selectors.judging_date(march, None, today=D(2025, 4, 1)) == (D(2025, 3, 31), True)


def test_judging_date_for_a_running_period_is_today_and_not_over() -> None:
    march = parse_period("2025-03")
    assert selectors.judging_date(march, None, today=D(2025, 3, 31)) == (D(2025, 3, 31), False)
    assert selectors.judging_date(march, None, today=D(2025, 3, 14)) == (D(2025, 3, 14), False)
    # A period still to come is judged today too (and is not started).
    assert selectors.judging_date(parse_period("2026"), None, today=D(2025, 6, 1)) == (D(2025, 6, 1), False)


def test_judging_date_keeps_a_chosen_day() -> None:
    q1 = parse_period("2025-Q1")
    assert selectors.judging_date(q1, D(2025, 2, 14), today=D(2025, 3, 1)) == (D(2025, 2, 14), True)
    assert selectors.judging_date(q1, D(2025, 3, 1), today=D(2025, 3, 1)) == (D(2025, 3, 1), False)
    # A later day than the period's end may be chosen: the period as it stood then.
    assert selectors.judging_date(q1, D(2025, 5, 1), today=D(2025, 6, 1)) == (D(2025, 5, 1), True)


def test_judging_date_refuses_the_future() -> None:
    with pytest.raises(ValueError, match=r"cannot be in the future: 2025-03-02 is after today, 2025-03-01"):
        selectors.judging_date(parse_period("2025-Q1"), D(2025, 3, 2), today=D(2025, 3, 1))


def test_a_past_month_is_not_judged_on_later_activity(area_tree: Any) -> None:
    # Two walks with a partner in 2025, in June and November; none by the end of March.
    a = area_tree.nbhd_a
    record("patch-walk", at(D(2025, 6, 12)), a, other_partners="Council")
    record("patch-walk", at(D(2025, 11, 3)), a, other_partners="Council")
    march = parse_period("2025-03")
    as_of, day_over = selectors.judging_date(march, None, today=D(2026, 6, 1))
    walks = by_key(selectors.team_compliance(team=a, period=march, as_of=as_of, day_over=day_over))
    # The year's window is open on 31 March with nothing yet: at risk, as it stood then.
    assert (walks["patch-walks-yearly"].status, walks["patch-walks-yearly"].evaluation.counted) == (Status.AT_RISK, 0)
    # What the pages used to show, judged on "today": the walks after March made it met.
    later = by_key(selectors.team_compliance(team=a, period=march, as_of=D(2026, 6, 1)))
    assert (later["patch-walks-yearly"].status, later["patch-walks-yearly"].evaluation.counted) == (Status.MET, 2)


def test_day_over_defaults_to_whether_as_of_is_before_today(area_tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # March 2025 with no newsletter, judged on 31 March: at risk on the 31st, missed from 1 April.
    from django.utils import timezone

    a, march = area_tree.nbhd_a, parse_period("2025-03")

    def newsletter(today: date | None = None, day_over: bool | None = None) -> Status:
        if today is not None:
            monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
        judged = selectors.team_compliance(team=a, period=march, as_of=D(2025, 3, 31), day_over=day_over)
        return by_key(judged)["newsletter-monthly"].status

    assert newsletter(today=D(2025, 3, 31)) == Status.AT_RISK
    assert newsletter(today=D(2025, 4, 1)) == Status.MISSED
    assert newsletter(day_over=False) == Status.AT_RISK  # said outright, today does not matter
    assert newsletter(today=D(2025, 3, 31), day_over=True) == Status.MISSED
