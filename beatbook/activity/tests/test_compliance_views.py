"""The compliance pages: teams ranked in an area, one team's detail, for each persona, with
hand-worked statuses for the first quarter of 2025, and both pages in Chromium with axe."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beatbook.activity import compliance_views, services
from beatbook.activity.compliance import Status, WindowResult
from beatbook.activity.compliance_views import WindowGroup
from beatbook.activity.models import Activity, ActivityType, Partner
from beatbook.activity.periods import Period, parse_period, periods_within
from beatbook.core.tests.browser import assert_accessible

OVERVIEW = reverse("compliance:overview")
Q1 = {"period": "2025-Q1", "as_of": "2025-03-31"}
TODAY = dt.date(2025, 4, 10)


def team_url(area: Any) -> str:
    return reverse("compliance:team", kwargs={"level": area.level, "code": area.code})


def signed_in(login_as: Any, user: Any) -> Client:
    return login_as(Client(), user)


def record(type_slug: str, day: str, areas: list[Any], **extra: Any) -> Activity:
    moment = dt.datetime.fromisoformat(f"{day}T10:00:00+00:00")
    data = services.ActivityData(type=ActivityType.objects.get(slug=type_slug), starts_at=moment, areas=areas, **extra)
    return services.activity_create(actor=None, data=data, today=TODAY)


def build_quarter(tree: Any) -> None:
    """The first quarter of 2025, judged on 31 March 2025 after that day is over (the tests run
    later), so the quarter is complete; worked by hand from the rules.

    Abbeyfield (A): ward meeting 10 Feb (met); a patch walk with a partner 5 Mar, 1 of 2 for
    the year by day 90 of 365 projects 4.1 (on track); priorities set at a PACT meeting 20 Jan
    (met); a survey 1 Mar (met); newsletters 5 Jan, 5 Feb, 5 Mar (met); one social-media post
    on 14 Feb, so every other day is missed (missed). 5 of 6 met or on track: 83%.
    Brookside (B): newsletters each month (met); nothing else: the yearly standards are open
    with none (at risk), the quarter's priorities and survey and social media missed. 1 of 6: 17%.
    Castlegate (C): nothing: the yearly standards at risk, the rest missed. 0%.
    North: a commander's blog every ISO week from week 1 (30 Dec 2024) to week 13: met, 100%.
    South: no blog: missed, 0%.
    """
    council = Partner.objects.create(force=tree.force, name="Abbeyfield Borough Council")
    a, b = tree.nbhd_a, tree.nbhd_b
    record("ward-meeting", "2025-02-10", [a])
    record("patch-walk", "2025-03-05", [a], partners=[council])
    record("pact-meeting", "2025-01-20", [a], priorities_set=True)
    record("survey", "2025-03-01", [a])
    record("social-media", "2025-02-14", [a])
    for day in ("2025-01-05", "2025-02-05", "2025-03-05"):
        record("newsletter", day, [a])
        record("newsletter", day, [b])
    monday = dt.date(2024, 12, 30)
    for week in range(13):
        record("commander-blog", (monday + dt.timedelta(weeks=week)).isoformat(), [tree.npa_north])


def statuses(table: Any) -> dict[str, list[str]]:
    return {row.team.name: [cell.status.value if cell else "" for cell in row.cells] for row in table.rows}


# --- The overview ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_analyst_sees_the_force_ranked(area_tree, users, login_as):
    build_quarter(area_tree)
    response = signed_in(login_as, users.analyst).get(OVERVIEW, Q1)
    assert response.status_code == 200
    assert response.context["area"] == area_tree.force
    npas, neighbourhoods = response.context["tables"]
    assert [(r.rank, r.team.name, r.score_text) for r in npas.rows] == [(1, "North", "100%"), (2, "South", "0%")]
    assert [(r.rank, r.team.name, r.score_text) for r in neighbourhoods.rows] == [
        (1, "Abbeyfield", "83%"),
        (2, "Brookside", "17%"),
        (3, "Castlegate", "0%"),
    ]
    assert [s.key for s in neighbourhoods.standards] == [
        "ward-meeting-yearly",
        "patch-walks-yearly",
        "priorities-quarterly",
        "survey-quarterly",
        "newsletter-monthly",
        "social-media-daily",
    ]
    assert statuses(neighbourhoods) == {
        "Abbeyfield": ["met", "on_track", "met", "met", "met", "missed"],
        "Brookside": ["at_risk", "at_risk", "missed", "missed", "met", "missed"],
        "Castlegate": ["at_risk", "at_risk", "missed", "missed", "missed", "missed"],
    }
    assert neighbourhoods.counts == {
        Status.MET: 5,
        Status.ON_TRACK: 1,
        Status.AT_RISK: 4,
        Status.MISSED: 8,
        Status.NOT_STARTED: 0,
    }
    html = response.content.decode()
    # The tag's words say the status; colour is not the only cue.
    assert '<strong class="govuk-tag govuk-tag--green">Met</strong>' in html
    assert '<strong class="govuk-tag ">On track</strong>' in html
    assert '<strong class="govuk-tag govuk-tag--orange">At risk</strong>' in html
    assert '<strong class="govuk-tag govuk-tag--red">Missed</strong>' in html
    assert "3 teams: Met 5, On track 1, At risk 4, Missed 8, Not started 0." in html
    assert f'href="{team_url(area_tree.nbhd_a)}?period=2025-Q1&amp;as_of=2025-03-31"' in html
    assert (
        '<caption class="govuk-table__caption govuk-table__caption--m" id="compliance-neighbourhood-caption">' in html
    )
    assert 'role="region" aria-labelledby="compliance-neighbourhood-caption" tabindex="0"' in html
    assert html.count('<th scope="col"') == 2 * 3 + 1 + 6  # rank, team, score in each table + standards
    assert "Performance pack: North" in html and "Performance pack: South" in html


@pytest.mark.django_db
def test_commander_sees_their_npa_and_not_the_other(area_tree, users, login_as):
    build_quarter(area_tree)
    client = signed_in(login_as, users.commander)
    response = client.get(OVERVIEW, Q1)
    assert response.context["area"] == area_tree.npa_north
    npas, neighbourhoods = response.context["tables"]
    assert [r.team.name for r in npas.rows] == ["North"]
    assert [r.team.name for r in neighbourhoods.rows] == ["Abbeyfield", "Castlegate"]
    assert "Brookside" not in response.content.decode()
    chosen = client.get(OVERVIEW, {**Q1, "area": "NB-C"})
    assert [r.team.name for t in chosen.context["tables"] for r in t.rows] == ["Castlegate"]
    refused = client.get(OVERVIEW, {**Q1, "area": "NPA-S"})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Choose an area from the list" in html and "South" not in html.split("<main", 1)[1]
    assert refused.context["area"] == area_tree.npa_north


@pytest.mark.django_db
def test_officers_see_their_own_team_only(area_tree, users, login_as):
    build_quarter(area_tree)
    response = signed_in(login_as, users.officer_b).get(OVERVIEW, Q1)
    assert response.status_code == 200
    (table,) = response.context["tables"]
    assert [(r.team.name, r.score_text) for r in table.rows] == [("Brookside", "17%")]
    other = signed_in(login_as, users.officer_b).get(OVERVIEW, {**Q1, "area": "NB-A"})
    assert "Abbeyfield" not in other.content.decode().split("<main", 1)[1]
    assert "Performance pack" not in response.content.decode()


@pytest.mark.django_db
def test_partners_are_refused_and_visitors_sent_to_sign_in(area_tree, users, login_as):
    assert signed_in(login_as, users.partner).get(OVERVIEW).status_code == 403
    anonymous = Client().get(OVERVIEW)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


@pytest.mark.django_db
def test_period_defaults_errors_and_quick_links(area_tree, users, login_as):
    today = timezone.localdate()
    client = signed_in(login_as, users.analyst)
    plain = client.get(OVERVIEW)
    assert plain.context["period"].code == str(today.year) and plain.context["as_of"] == today
    html = plain.content.decode()
    assert (
        f'href="{OVERVIEW}?area=TESTSHIRE&amp;period={today.year}-Q{(today.month - 1) // 3 + 1}">This quarter</a>'
        in html
    )
    assert f'href="{OVERVIEW}?area=TESTSHIRE&amp;period={today:%Y-%m}">This month</a>' in html
    iso = today.isocalendar()
    assert f"period={iso.year}-W{iso.week:02d}" in html

    wrong = client.get(OVERVIEW, {"period": "2025-Q5", "as_of": (today + dt.timedelta(days=1)).isoformat()})
    assert wrong.status_code == 200
    page = wrong.content.decode()
    assert '<a href="#id_period">Enter a period like 2025, 2025-Q3, 2025-07 or 2025-W27</a>' in page
    tomorrow = today + dt.timedelta(days=1)
    assert (
        f'<a href="#id_as_of">The date cannot be in the future: {tomorrow.isoformat()} is after today, '
        f"{today.isoformat()}.</a>"
    ) in page
    assert 'value="2025-Q5"' in page
    assert wrong.context["period"].code == str(today.year)  # the page still shows something sensible

    week = client.get(OVERVIEW, {"period": "2025-W05", "as_of": "2025-02-28"})
    assert week.context["period"] == Period("week", dt.date(2025, 1, 27), dt.date(2025, 2, 2))


@pytest.mark.django_db
def test_overview_query_count_does_not_grow_with_teams(area_tree, users, login_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from beatbook.areas.models import Area, Level

    build_quarter(area_tree)
    client = signed_in(login_as, users.analyst)
    client.get(OVERVIEW, Q1)  # the session and the first-request work, once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(OVERVIEW, Q1).status_code == 200
        return len(captured)

    before = queries()
    for n in range(5):
        extra = Area.objects.create(
            level=Level.NEIGHBOURHOOD,
            code=f"NB-X{n}",
            name=f"Extra {n}",
            parent=area_tree.npa_south,
            force=area_tree.force,
        )
        record("newsletter", "2025-01-06", [extra])
    assert queries() == before
    assert len(client.get(OVERVIEW, Q1).context["tables"][1].rows) == 8


# --- One team -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_team_page_explains_each_standard(area_tree, users, login_as):
    build_quarter(area_tree)
    response = signed_in(login_as, users.commander).get(team_url(area_tree.nbhd_a), Q1)
    assert response.status_code == 200
    sections = {s.standard.key: s for s in response.context["sections"]}
    assert list(sections) == [
        "ward-meeting-yearly",
        "patch-walks-yearly",
        "priorities-quarterly",
        "survey-quarterly",
        "newsletter-monthly",
        "social-media-daily",
    ]
    walks = sections["patch-walks-yearly"]
    assert walks.status_text == "On track"
    assert walks.needed == ["1 more in 2025, by 31 December 2025."]
    assert [a.type.slug for a in walks.evidence] == ["patch-walk"]
    newsletters = sections["newsletter-monthly"]
    assert [(w.period.code, w.count, w.status) for w in newsletters.windows] == [
        ("2025-01", 1, Status.MET),
        ("2025-02", 1, Status.MET),
        ("2025-03", 1, Status.MET),
    ]
    assert newsletters.evidence_total == 3 and newsletters.evidence_more == 0
    html = response.content.decode()
    survey = Activity.objects.get(type__slug="survey")
    assert f'href="{reverse("activity:detail", args=[survey.pk])}"' in html
    assert "1 Mar 2025: Community survey" in html
    assert "Engagement standards: Abbeyfield" in html


@pytest.mark.django_db
def test_a_daily_standard_over_a_year_is_summarised(area_tree, users, login_as):
    build_quarter(area_tree)
    response = signed_in(login_as, users.officer_a).get(
        team_url(area_tree.nbhd_a), {"period": "2025", "as_of": "2025-03-31"}
    )
    social = next(s for s in response.context["sections"] if s.standard.key == "social-media-daily")
    assert social.windows == []  # not 365 rows
    assert len(social.groups) == 12
    assert social.groups[:3] == [
        WindowGroup("January 2025", 31, 0, 31, 0),
        WindowGroup("February 2025", 28, 1, 27, 1),
        WindowGroup("March 2025", 31, 0, 31, 0),  # 31 March is over: missed too
    ]
    assert social.groups[3] == WindowGroup("April 2025", 30, 0, 0, 0)
    assert social.missed_runs == [
        "1 January 2025 to 13 February 2025 (44 days)",
        "15 February 2025 to 31 March 2025 (45 days)",
    ]
    html = response.content.decode()
    assert html.count('<tr class="govuk-table__row">') < 120


@pytest.mark.django_db
def test_team_page_as_of_and_evidence_limit(area_tree, users, login_as):
    for day in range(1, 27):
        record("newsletter", f"2025-01-{day:02d}", [area_tree.nbhd_c])
        record("newsletter", f"2025-02-{day:02d}", [area_tree.nbhd_c])
    record("newsletter", "2025-03-01", [area_tree.nbhd_c])
    client = signed_in(login_as, users.commander)
    early = client.get(team_url(area_tree.nbhd_c), {"period": "2025-Q1", "as_of": "2025-01-31"})
    newsletters = next(s for s in early.context["sections"] if s.standard.key == "newsletter-monthly")
    # January met; February and March not started: on track overall (rule 5).
    assert newsletters.result.status == Status.ON_TRACK
    assert newsletters.evidence_total == 26 and newsletters.evidence_more == 0
    assert newsletters.needed == ["Then at least 1 in each of the 2 months still to come."]
    later = client.get(team_url(area_tree.nbhd_c), {"period": "2025-Q1", "as_of": "2025-03-31"})
    newsletters = next(s for s in later.context["sections"] if s.standard.key == "newsletter-monthly")
    assert newsletters.evidence_total == 53
    assert len(newsletters.evidence) == 50 and newsletters.evidence_more == 3
    assert newsletters.evidence[0].date == dt.date(2025, 3, 1)  # newest first
    assert "and 3 more." in later.content.decode()


@pytest.mark.django_db
def test_team_page_access(area_tree, users, login_as):
    url = team_url(area_tree.nbhd_a)
    assert signed_in(login_as, users.officer_a).get(url).status_code == 200
    assert signed_in(login_as, users.analyst).get(url).status_code == 200
    assert signed_in(login_as, users.officer_b).get(url).status_code == 404
    assert signed_in(login_as, users.partner).get(url).status_code == 404
    assert signed_in(login_as, users.commander).get(team_url(area_tree.nbhd_b)).status_code == 404
    assert signed_in(login_as, users.analyst).get(team_url(area_tree.lsoa_a)).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


@pytest.mark.django_db
def test_npa_team_page_links_to_the_pack(area_tree, users, login_as):
    build_quarter(area_tree)
    url = team_url(area_tree.npa_north)
    html = signed_in(login_as, users.commander).get(url, Q1).content.decode()
    assert f'href="{reverse("compliance:pack", args=["NPA-N"])}?month=2025-03"' in html
    blog = signed_in(login_as, users.analyst).get(url, Q1).context["sections"][0]
    assert blog.standard.key == "commander-blog-weekly" and blog.result.status == Status.MET
    assert len(blog.windows) == 13 and blog.evidence_total == 13


@pytest.fixture
def today_is(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pin `timezone.localdate()`, the pages' today."""

    def pin(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    return pin


@pytest.mark.django_db
def test_a_past_period_is_judged_on_its_last_day_by_default(area_tree, users, login_as, today_is):
    # Walks with a partner in June and November 2025: March 2025 seen in 2026 is judged as it
    # stood on 31 March (none yet: at risk), not met by the walks that came after it.
    council = Partner.objects.create(force=area_tree.force, name="Abbeyfield Borough Council")
    for day in (dt.date(2025, 6, 12), dt.date(2025, 11, 3)):
        walk = services.ActivityData(
            type=ActivityType.objects.get(slug="patch-walk"),
            starts_at=dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC),
            areas=[area_tree.nbhd_a],
            partners=[council],
        )
        services.activity_create(actor=None, data=walk, today=dt.date(2026, 6, 1))
    today_is(dt.date(2026, 6, 1))
    client = signed_in(login_as, users.commander)
    page = client.get(team_url(area_tree.nbhd_a), {"period": "2025-03"})
    assert page.context["as_of"] == dt.date(2025, 3, 31)
    sections = {s.standard.key: s for s in page.context["sections"]}
    assert sections["patch-walks-yearly"].result.status == Status.AT_RISK
    assert sections["patch-walks-yearly"].evidence_total == 0
    assert sections["newsletter-monthly"].result.status == Status.MISSED  # 31 March is over
    assert "March 2025, as it stood on 31 March 2025." in page.content.decode()
    overview = client.get(OVERVIEW, {"period": "2025-03", "area": "NB-A"})
    assert overview.context["as_of"] == dt.date(2025, 3, 31)
    (table,) = overview.context["tables"]
    assert statuses(table)["Abbeyfield"][:2] == ["at_risk", "at_risk"]
    # The year as a whole, seen in 2026, is judged on 31 December 2025: both walks, met.
    year = client.get(team_url(area_tree.nbhd_a), {"period": "2025"})
    assert year.context["as_of"] == dt.date(2025, 12, 31)
    assert {s.standard.key: s for s in year.context["sections"]}["patch-walks-yearly"].result.status == Status.MET


@pytest.mark.django_db
def test_the_current_period_is_judged_on_today_which_is_not_over(area_tree, users, login_as, today_is):
    # No newsletter in March 2025. On 31 March itself the month has the rest of the day: at risk.
    client = signed_in(login_as, users.commander)
    today_is(dt.date(2025, 3, 31))
    running = client.get(team_url(area_tree.nbhd_a), {"period": "2025-03"})
    assert running.context["as_of"] == dt.date(2025, 3, 31)
    newsletter = next(s for s in running.context["sections"] if s.standard.key == "newsletter-monthly")
    assert newsletter.result.status == Status.AT_RISK
    assert newsletter.needed == ["1 more in March 2025, by 31 March 2025."]
    # The next day, the same question has its final answer.
    today_is(dt.date(2025, 4, 1))
    over = client.get(team_url(area_tree.nbhd_a), {"period": "2025-03"})
    newsletter = next(s for s in over.context["sections"] if s.standard.key == "newsletter-monthly")
    assert newsletter.result.status == Status.MISSED
    assert newsletter.needed == ["The period is over: missed windows cannot be made up."]
    future = client.get(team_url(area_tree.nbhd_a), {"period": "2025-03", "as_of": "2025-04-02"})
    assert (
        '<a href="#id_as_of">The date cannot be in the future: 2025-04-02 is after today, 2025-04-01.</a>'
        in future.content.decode()
    )


# --- The layout helpers ---------------------------------------------------------------------


def _window(period: Period, status: Status, count: int = 0) -> WindowResult:
    return WindowResult(period, count, 1, status, None, period.days)


def test_weeks_are_grouped_by_the_month_of_their_thursday():
    year = parse_period("2026")
    windows = [_window(w, Status.MET, 1) for w in periods_within("week", year)]
    groups = compliance_views.window_groups(windows, year)
    # Week 1 of 2026 (29 Dec 2025 to 4 Jan 2026) is January's; January has weeks 1 to 5.
    assert groups[0] == WindowGroup("January 2026", 5, 5, 0, 5)
    assert sum(g.windows for g in groups) == 53


def test_missed_runs_name_single_windows_by_their_label():
    weeks = periods_within("week", parse_period("2025-Q1"))
    windows = [_window(w, Status.MISSED if i in (0, 5, 6) else Status.MET) for i, w in enumerate(weeks)]
    assert compliance_views.missed_runs(windows) == [
        "Week 1 of 2025 (30 Dec to 5 Jan)",
        "3 February 2025 to 16 February 2025 (2 weeks)",
    ]


# --- In the browser -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_compliance_pages_at_360_pixels_with_axe(area_tree, users, browser_context):
    build_quarter(area_tree)
    context = browser_context(users.analyst, viewport={"width": 360, "height": 740})
    page = context.new_page()
    response = page.goto(f"{OVERVIEW}?period=2025-Q1&as_of=2025-03-31")
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", name="Compliance with engagement standards").is_visible()
    assert_accessible(page)
    # Nothing but the table region scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # By keyboard: the scrolling table region takes focus.
    region = page.get_by_role("region", name="Neighbourhood teams, January to March 2025, best first")
    region.focus()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"

    page.get_by_role("link", name="Abbeyfield").click()
    page.wait_for_url(re.compile(r"/neighbourhood/NB-A/"))
    assert page.get_by_role("heading", name="Engagement standards: Abbeyfield").is_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The chooser with a mistake, by keyboard.
    page.get_by_label("Period", exact=True).fill("2025-Q9")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"period=2025-Q9"))
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="This year").click()
    page.wait_for_url(re.compile(r"\?period=\d{4}$"))
    assert page.get_by_role("heading", name="Engagement standards: Abbeyfield").is_visible()
