"""`beatbook compliance`: the JSON shape and numbers, the tables, errors that say what to fix."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from beatbook.areas.models import Area, Level

from .test_compliance_selectors import at, record

pytestmark = pytest.mark.django_db

D = date


def run(*args: str) -> str:
    out = StringIO()
    call_command("compliance", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict[str, Any]:
    return json.loads(run(*args, "--json"))


@pytest.fixture
def activity(area_tree: Any) -> None:
    """Q1 2025 seen on Saturday 15 March (day 74 of 90: 31 + 28 + 15)."""
    a, b, c = area_tree.nbhd_a, area_tree.nbhd_b, area_tree.nbhd_c
    record("newsletter", at(D(2025, 1, 6)), a)
    record("newsletter", at(D(2025, 2, 3)), a)  # none yet in March: at risk
    record("survey", at(D(2025, 2, 2)), a)  # met
    record("patch-walk", at(D(2025, 1, 10)), a, other_partners="Council")  # 1 of 2 by day 74 of 365
    day = D(2025, 1, 1)
    while day <= D(2025, 3, 15):  # a post every day so far, today's included
        record("social-media", at(day, 9), a)
        day += timedelta(days=1)
    record("newsletter", at(D(2025, 1, 7)), c)
    record("newsletter", at(D(2025, 2, 4)), c)
    record("newsletter", at(D(2025, 1, 8)), b)  # none in February: missed


def standards_of(team: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in team["standards"]}


def test_json_for_a_neighbourhood(activity: None) -> None:
    data = run_json("--area", "NB-A", "--period", "2025-Q1", "--as-of", "2025-03-15")
    assert data["area"] == "NB-A" and data["area_name"] == "Abbeyfield" and data["area_level"] == "neighbourhood"
    assert data["period"] == {
        "code": "2025-Q1",
        "start": "2025-01-01",
        "end": "2025-03-31",
        "label": "January to March 2025",
    }
    assert data["as_of"] == "2025-03-15"
    [team] = data["teams"]
    assert {k: team[k] for k in ("code", "name", "level", "met", "on_track", "at_risk", "missed", "not_started")} == {
        "code": "NB-A",
        "name": "Abbeyfield",
        "level": "neighbourhood",
        "met": 1,  # survey
        "on_track": 2,  # patch walks, social media
        "at_risk": 3,  # ward meeting, priorities, newsletter
        "missed": 0,
        "not_started": 0,
    }
    assert team["score"] == 0.5  # 3 of 6 met or on track
    found = standards_of(team)
    assert list(found) == [
        "ward-meeting-yearly",
        "patch-walks-yearly",
        "priorities-quarterly",
        "survey-quarterly",
        "newsletter-monthly",
        "social-media-daily",
    ]
    numbers = {k: (s["status"], s["counted"], s["minimum"], s["needed_now"]) for k, s in found.items()}
    assert numbers == {
        "ward-meeting-yearly": ("at_risk", 0, 1, 1),
        # 1 walk by day 74 of 365: 1 x 365 / 74 = 4.93 ≥ 2
        "patch-walks-yearly": ("on_track", 1, 2, 1),
        "priorities-quarterly": ("at_risk", 0, 1, 1),
        "survey-quarterly": ("met", 1, 1, 0),
        "newsletter-monthly": ("at_risk", 2, 3, 1),
        # 74 posts, one a day from 1 January to 15 March; 90 days in the quarter
        "social-media-daily": ("on_track", 74, 90, 0),
    }
    assert found["newsletter-monthly"]["windows"] == [
        {"period": "2025-01", "count": 1, "status": "met"},
        {"period": "2025-02", "count": 1, "status": "met"},
        {"period": "2025-03", "count": 0, "status": "at_risk"},
    ]
    assert found["patch-walks-yearly"]["windows"] == [{"period": "2025", "count": 1, "status": "on_track"}]
    social = found["social-media-daily"]["windows"]
    assert len(social) == 90
    assert social[73] == {"period": "2025-03-15", "count": 1, "status": "met"}
    assert social[74] == {"period": "2025-03-16", "count": 0, "status": "not_started"}
    assert found["survey-quarterly"]["name"] == "Run a survey every quarter"
    assert found["survey-quarterly"]["explanation"] == "1 of 1 activities in January to March 2025 so far: met."


def test_json_for_a_force_ranks_policing_areas_then_neighbourhoods(activity: None) -> None:
    data = run_json("--area", "TESTSHIRE", "--period", "2025-Q1", "--as-of", "2025-03-15")
    ranked = [(t["code"], t["score"], t["missed"]) for t in data["teams"]]
    assert ranked == [
        ("NPA-N", 0.0, 1),  # no blog in any week: week 1 is missed
        ("NPA-S", 0.0, 1),
        ("NB-A", 0.5, 0),
        ("NB-C", 0.0, 1),  # social media missed; newsletters on pace
        ("NB-B", 0.0, 2),  # social media and February's newsletter missed
    ]
    north = standards_of(data["teams"][0])
    assert list(north) == ["commander-blog-weekly"]
    assert len(north["commander-blog-weekly"]["windows"]) == 13  # ISO weeks 1-13 of 2025 hold Q1's Thursdays


def test_json_for_an_npa_holds_it_and_its_neighbourhoods(activity: None) -> None:
    data = run_json("--area", "NPA-N", "--period", "2025-Q1", "--as-of", "2025-03-15")
    assert [t["code"] for t in data["teams"]] == ["NPA-N", "NB-A", "NB-C"]


def test_tables(activity: None) -> None:
    text = run("--area", "TESTSHIRE", "--period", "2025-Q1", "--as-of", "2025-03-15")
    assert "Testshire Police (Force, TESTSHIRE): engagement standards, January to March 2025 (2025-Q1)" in text
    assert "as of 15 March 2025" in text
    lines = text.splitlines()
    neighbourhoods = lines[lines.index("Neighbourhood teams") :]
    assert neighbourhoods[1].split() == ["#", "Team", "Code", "Score", "Met", "On", "track", "At", "risk", "Missed"]
    assert neighbourhoods[3].split() == ["1", "Abbeyfield", "NB-A", "50%", "1", "2", "3", "0"]
    assert neighbourhoods[4].split() == ["2", "Castlegate", "NB-C", "0%", "0", "0", "5", "1"]
    assert neighbourhoods[5].split() == ["3", "Brookside", "NB-B", "0%", "0", "0", "4", "2"]


def test_tables_for_a_neighbourhood_list_windows(activity: None) -> None:
    text = run("--area", "NB-A", "--period", "2025-Q1", "--as-of", "2025-03-15")
    assert "Publish a newsletter every month: 2 of 3 months met in January to March 2025" in text
    assert "2025-01 1 met; 2025-02 1 met; 2025-03 0 at risk" in text
    rows = {line.split("  ")[0]: line.split() for line in text.splitlines()[4:10]}
    assert rows["Run a survey every quarter"][-3:] == ["met", "1/1", "0"]
    assert rows["Post social-media content every day"][-4:] == ["on", "track", "74/90", "0"]


@pytest.fixture
def today_is(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pin `timezone.localdate()`, the command's today."""

    def pin(day: date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    return pin


def test_as_of_defaults_to_today_while_the_period_runs(area_tree: Any, today_is: Any) -> None:
    today_is(D(2025, 3, 15))
    assert run_json("--area", "NB-A", "--period", "2025")["as_of"] == "2025-03-15"
    assert run_json("--area", "NB-A", "--period", "2025-03")["as_of"] == "2025-03-15"


def test_as_of_defaults_to_the_last_day_of_a_past_period(area_tree: Any, today_is: Any) -> None:
    # Walks with a partner in June and November 2025: March 2025 judged now is judged as it
    # stood on 31 March (none yet: at risk), not met from walks that came later.
    record("patch-walk", at(D(2025, 6, 12)), area_tree.nbhd_a, other_partners="Council")
    record("patch-walk", at(D(2025, 11, 3)), area_tree.nbhd_a, other_partners="Council")
    today_is(D(2026, 6, 1))
    data = run_json("--area", "NB-A", "--period", "2025-03")
    assert data["as_of"] == "2025-03-31"
    found = standards_of(data["teams"][0])
    assert (found["patch-walks-yearly"]["status"], found["patch-walks-yearly"]["counted"]) == ("at_risk", 0)
    # 31 March is over: March's newsletter window is complete, so none is missed, not at risk.
    assert found["newsletter-monthly"]["status"] == "missed"
    assert run_json("--area", "NB-A", "--period", "2025")["as_of"] == "2025-12-31"


def test_a_future_as_of_is_refused(area_tree: Any, today_is: Any) -> None:
    today_is(D(2025, 3, 15))
    with pytest.raises(CommandError) as error:
        run("--area", "NB-A", "--period", "2025-Q1", "--as-of", "2025-03-16")
    assert str(error.value) == "--as-of: The date cannot be in the future: 2025-03-16 is after today, 2025-03-15."
    assert run_json("--area", "NB-A", "--period", "2025-Q1", "--as-of", "2025-03-15")["as_of"] == "2025-03-15"


def test_judged_on_today_the_day_is_not_over(activity: None, today_is: Any) -> None:
    # NB-C has no newsletter in March. Judged on 31 March while it is today: at risk; on the
    # same day seen from 1 April: missed.
    today_is(D(2025, 3, 31))
    running = standards_of(run_json("--area", "NB-C", "--period", "2025-03")["teams"][0])
    assert running["newsletter-monthly"]["status"] == "at_risk"
    today_is(D(2025, 4, 1))
    over = run_json("--area", "NB-C", "--period", "2025-03")
    assert over["as_of"] == "2025-03-31"
    assert standards_of(over["teams"][0])["newsletter-monthly"]["status"] == "missed"
    chosen = run_json("--area", "NB-C", "--period", "2025-03", "--as-of", "2025-03-31")
    assert standards_of(chosen["teams"][0])["newsletter-monthly"]["status"] == "missed"


def test_a_week_period(area_tree: Any) -> None:
    record("commander-blog", at(D(2025, 12, 29)), area_tree.npa_north)  # Monday of 2026-W01
    data = run_json("--area", "NPA-N", "--period", "2026-W01", "--as-of", "2026-01-04")
    north = standards_of(data["teams"][0])["commander-blog-weekly"]
    assert (north["status"], north["counted"]) == ("met", 1)
    assert data["period"]["start"] == "2025-12-29" and data["period"]["end"] == "2026-01-04"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "NOPE", "--period", "2025"], "No area has the code 'NOPE'."),
        (["--area", "NB-A", "--level", "npa", "--period", "2025"], "No area has the code 'NB-A' at level 'npa'."),
        (["--area", "NB-A", "--period", "2025-13"], "--period: '2025-13' is not a period (a month is 01 to 12)"),
        (["--area", "NB-A", "--period", "Q1"], "write it as YYYY, YYYY-Qn, YYYY-MM, YYYY-Www"),
        (["--area", "NB-A", "--period", "2025", "--as-of", "2025-02-30"], "--as-of: '2025-02-30' is not a date"),
        (["--area", "E01900001", "--period", "2025"], "compliance is for a force, a policing area or a neighbourhood"),
        (["--area", "NB-A"], "the following arguments are required: --period"),
    ],
)
def test_errors(area_tree: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as error:
        run(*args)
    assert message in str(error.value)


def test_an_ambiguous_code_asks_for_the_level(area_tree: Any) -> None:
    Area.objects.create(level=Level.NEIGHBOURHOOD, code="NPA-N", name="Northgate", force=area_tree.force)
    with pytest.raises(CommandError, match="--level"):
        run("--area", "NPA-N", "--period", "2025")
    data = run_json("--area", "NPA-N", "--level", "npa", "--period", "2025", "--as-of", "2025-06-30")
    assert data["area_name"] == "North"
