"""The demo's engagement activity: imported through the real importer, and designed so that the
compliance pages show teams that meet, miss and are at risk on different standards.

The force is built once for the module; the designed outcomes are read back with the
compliance selectors, for last year (complete) and this year as of today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from beatbook.accounts.models import AuditEvent, User
from beatbook.activity import access
from beatbook.activity.compliance_selectors import TeamCompliance, teams_compliance, teams_under
from beatbook.activity.models import Activity, ActivityArea, Partner, Place
from beatbook.activity.periods import parse_period
from beatbook.areas.models import Area, Level
from beatbook.core.demo import DemoResult, build_demo, reset_demo
from beatbook.core.demo.activity import (
    EXEMPLARY,
    LATE_NEWSLETTER,
    MIXED,
    NO_PARTNER_WALKS,
    SOCIAL_GAPS,
    SURVEY_GAP,
    SURVEY_LATE,
    assign_profiles,
    generate_activity,
)
from beatbook.core.demo.geography import build_geography

SEED = 2026
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
YEARLY = {"ward-meeting-yearly", "patch-walks-yearly"}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[DemoResult]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):  # type: ignore[attr-defined]
        first_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        result = build_demo(seed=SEED)
    yield result
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        reset_demo()
        AuditEvent.objects.filter(id__gt=first_event).delete()


def _profiles(demo: DemoResult) -> dict[str, str]:
    codes = list(Area.objects.filter(force=demo.force, level=Level.NEIGHBOURHOOD).values_list("code", flat=True))
    officer_area = User.objects.get(username="demo.officer").area
    assert officer_area is not None
    return assign_profiles(codes, officer_area.code)


def _judged(demo: DemoResult, period: str, as_of: dt.date) -> dict[str, TeamCompliance]:
    teams = teams_under(demo.force)
    return {t.team.code: t for t in teams_compliance(teams=teams, period=parse_period(period), as_of=as_of)}


def _status(team: TeamCompliance, key: str) -> str:
    return str(next(r.status for r in team.results if r.standard.key == key))


def _last_year(demo: DemoResult) -> dict[str, TeamCompliance]:
    # Judged today: on 31 December itself a year's last day is still open.
    today = timezone.localdate()
    return _judged(demo, str(today.year - 1), today)


def _this_year(demo: DemoResult) -> dict[str, TeamCompliance]:
    today = timezone.localdate()
    return _judged(demo, str(today.year), today)


# --- The generator alone ------------------------------------------------------------------------


def test_same_seed_and_day_same_rows_and_nothing_after_the_build_time() -> None:
    geography = build_geography(SEED)
    today = dt.date(2026, 3, 15)
    first = generate_activity(geography, seed=SEED, today=today, now=dt.time(8, 5), focus="DEM-NH03")
    again = generate_activity(geography, seed=SEED, today=today, now=dt.time(8, 5), focus="DEM-NH03")
    assert first.rows == again.rows
    other = generate_activity(geography, seed=SEED + 1, today=today, now=dt.time(8, 5), focus="DEM-NH03")
    assert other.rows != first.rows
    # 24 months: from April two years back to this March, nothing later than 08:05 today.
    assert first.start == dt.date(2024, 4, 1)
    assert min(r["date"] for r in first.rows) >= "2024-04-01"
    assert max((r["date"], r["time"]) for r in first.rows) <= ("2026-03-15", "08:05")


def test_every_profile_is_dealt_and_the_officers_team_is_mixed() -> None:
    codes = [f"DEM-NH{n:02d}" for n in range(1, 13)]
    profiles = assign_profiles(codes, "DEM-NH03")
    assert profiles["DEM-NH03"] == MIXED
    assert set(profiles.values()) == {
        EXEMPLARY,
        NO_PARTNER_WALKS,
        SURVEY_GAP,
        LATE_NEWSLETTER,
        SURVEY_LATE,
        SOCIAL_GAPS,
        MIXED,
    }


# --- In the database ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_years_of_activity_through_the_importer(demo: DemoResult) -> None:
    activities = Activity.objects.filter(force=demo.force)
    today = timezone.localdate()
    assert activities.count() > 4000
    # Imported rows carry their import key and were recorded by the command line, audited.
    assert not activities.filter(import_key="").exists() and not activities.filter(recorded_by__isnull=False).exists()
    assert AuditEvent.objects.filter(action="import.activities", force=demo.force).count() == 1
    assert activities.filter(date__gt=today).count() == 0
    assert activities.order_by("date").first().date <= today - dt.timedelta(days=700)  # type: ignore[union-attr]
    # Every neighbourhood and every policing area has its own record.
    teams = Area.objects.filter(force=demo.force, level__in=(Level.NEIGHBOURHOOD, Level.NPA))
    linked = set(ActivityArea.objects.filter(force=demo.force).values_list("area_id", flat=True).distinct())
    assert set(teams.values_list("pk", flat=True)) <= linked
    assert Partner.objects.filter(force=demo.force).count() == 11
    assert Place.objects.filter(force=demo.force).count() == 23
    by_type = dict(activities.values_list("type__slug").annotate(n=Count("id")))
    assert by_type["commander-blog"] > 250 and by_type["patch-walk"] > 100 and by_type["newsletter"] > 250
    # Summer brings the community events.
    events = activities.filter(type__slug="community-event")
    summer = events.filter(date__month__in=(6, 7, 8)).count()
    assert summer > events.count() / 3


@pytest.mark.django_db
def test_the_demo_people_are_named_and_the_partner_sees_shared_activity(demo: DemoResult) -> None:
    officer = User.objects.get(username="demo.officer")
    assert officer.activities_attended.count() > 100
    assert {a.code for a in Area.objects.filter(activities_in__officers=officer).distinct()} == {officer.area.code}  # type: ignore[union-attr]
    commander = User.objects.get(username="demo.commander")
    assert commander.activities_attended.filter(type__slug="commander-blog").count() > 80
    partner = User.objects.get(username="demo.partner")
    seen = access.visible_activities(partner)
    assert seen.count() > 50 and not seen.filter(shared_with_partners=False).exists()
    assert seen.filter(partners__name="Demtown City Council").exists()


@pytest.mark.django_db
def test_last_year_has_teams_that_met_everything_and_teams_that_missed(demo: DemoResult) -> None:
    judged = _last_year(demo)
    profiles = _profiles(demo)
    for code, profile in profiles.items():
        team = judged[code]
        if profile in (EXEMPLARY, SURVEY_LATE):
            assert (team.met, team.missed, team.at_risk) == (len(team.results), 0, 0), (code, profile)
    expected_miss = {
        NO_PARTNER_WALKS: "patch-walks-yearly",
        SURVEY_GAP: "survey-quarterly",
        LATE_NEWSLETTER: "newsletter-monthly",
        SOCIAL_GAPS: "social-media-daily",
        MIXED: "priorities-quarterly",
    }
    for code, profile in profiles.items():
        if profile in expected_miss:
            team = judged[code]
            missed = {r.standard.key for r in team.results if str(r.status) == "missed"}
            assert missed == {expected_miss[profile]}, (code, profile, missed)
    npas = {code: t for code, t in judged.items() if t.team.level == Level.NPA}
    last_npa = max(npas)
    assert _status(npas[last_npa], "commander-blog-weekly") == "missed"
    assert all(_status(t, "commander-blog-weekly") == "met" for code, t in npas.items() if code != last_npa)


@pytest.mark.django_db
def test_this_year_shows_teams_missed_and_at_risk_and_the_officers_team_a_mix(demo: DemoResult) -> None:
    judged = _this_year(demo)
    profiles = _profiles(demo)
    today = timezone.localdate()
    for code, profile in profiles.items():
        team = judged[code]
        statuses = {r.standard.key: str(r.status) for r in team.results}
        if profile == EXEMPLARY:
            assert "missed" not in statuses.values(), (code, statuses)
            assert all(status != "at_risk" for key, status in statuses.items() if key not in YEARLY), statuses
        if profile == LATE_NEWSLETTER:
            assert statuses["newsletter-monthly"] == "at_risk"
        if profile in (SURVEY_LATE, MIXED):
            assert statuses["survey-quarterly"] == "at_risk"
        if profile == SOCIAL_GAPS and today.timetuple().tm_yday > 1:
            assert statuses["social-media-daily"] == "missed"
        if profile == MIXED:
            assert {"met", "on_track"} & set(statuses.values())
    at_risk = [code for code, t in judged.items() if t.at_risk and not t.missed]
    missed = [code for code, t in judged.items() if t.missed]
    assert at_risk
    if today.timetuple().tm_yday > 1:
        assert missed
    npas = sorted(code for code, t in judged.items() if t.team.level == Level.NPA)
    # The last policing area's commander has not written this week's blog.
    assert _status(judged[npas[-1]], "commander-blog-weekly") in ("at_risk", "missed")


@pytest.mark.django_db
def test_building_again_changes_nothing(demo: DemoResult) -> None:
    before = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    again = build_demo(seed=SEED)
    assert again.created is False
    assert {model._meta.label: model._default_manager.count() for model in apps.get_models()} == before
