"""`beatbook immediate-response`: JSON and text output, options and mistakes."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.areas.models import Area, Level
from beatbook.crime.models import IncidentFlag

from .test_detection import A_LSOAS, AS_OF, B_LSOAS, VIOLENCE, build_history


def run(*args: str) -> str:
    out = StringIO()
    call_command("immediate-response", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_json_lists_flagged_areas_with_explanations(area_tree):
    history = build_history(area_tree)
    IncidentFlag.objects.create(
        area=area_tree.lsoas["E01900003"], title="Arson at the community centre", starts_on=dt.date(2024, 7, 20)
    )
    IncidentFlag.objects.create(area=area_tree.nbhd_c, title="Later", starts_on=dt.date(2024, 8, 2))
    data = json.loads(run("--as-of", "2024-07", "--json"))
    assert data["force"] == {"code": "TESTSHIRE", "name": "Testshire Police"}
    assert (data["as_of"], data["level"], data["alpha"], data["has_data"]) == ("2024-07", "neighbourhood", 0.01, True)
    assert data["areas_checked"] == 3 and data["not_enough_history"] == []
    assert data["rules"] == {"min_observed": 5, "min_excess": 3.0, "min_history_months": 24}
    assert "1% of the time" in data["method"]
    areas = {a["code"]: a for a in data["areas"]}
    assert set(areas) == {"NB-A", "NB-B", "E01900003"}

    (crime,) = areas["NB-A"]["flags"]
    assert crime["measure"] == "crime"
    assert crime["observed"] == history.total(A_LSOAS, AS_OF, asb=False)
    assert crime["lower"] < crime["expected"] < crime["upper"] < crime["observed"]
    assert crime["rise"] == pytest.approx(crime["observed"] - crime["expected"], abs=0.01)
    assert crime["categories"][0]["category"] == VIOLENCE
    assert crime["explanation"].startswith("Crime (excluding anti-social behaviour): ")

    (asb,) = areas["NB-B"]["flags"]
    assert asb["measure"] == "asb" and asb["observed"] == history.total(B_LSOAS, AS_OF, asb=True)

    (manual,) = areas["E01900003"]["flags"]
    assert manual["kind"] == "manual" and manual["title"] == "Arson at the community centre"
    assert manual["area"]["level"] == "lsoa"


@pytest.mark.django_db
def test_options(area_tree):
    build_history(area_tree)
    lsoas = json.loads(run("--as-of", "2024-07", "--level", "lsoa", "--json", "--force", "TESTSHIRE"))
    assert lsoas["areas_checked"] == 5
    strict = json.loads(run("--as-of", "2024-07", "--level", "lsoa", "--alpha", "0.0000001", "--json"))
    assert strict["alpha"] == 1e-7
    assert sum(len(a["flags"]) for a in strict["areas"]) <= sum(len(a["flags"]) for a in lsoas["areas"])
    # Default month: the latest with data.
    assert json.loads(run("--json"))["as_of"] == "2024-07"
    earlier = json.loads(run("--as-of", "2024-06", "--json"))
    assert earlier["areas"] == []
    none = json.loads(run("--as-of", "2025-01", "--json"))
    assert none["has_data"] is False and none["areas_checked"] == 0


@pytest.mark.django_db
def test_text_output(area_tree):
    build_history(area_tree)
    text = run("--as-of", "2024-07")
    assert text.startswith(
        "Testshire Police: neighbourhood areas, July 2024.\n3 areas checked; 2 unusual counts at a 1% false-alarm rate; 0 not tested"
    )
    assert "\nAbbeyfield (Neighbourhood, NB-A)\n  - Crime (excluding anti-social behaviour): " in text
    assert "\nBrookside (Neighbourhood, NB-B)\n  - Anti-social behaviour: " in text
    assert "Castlegate" not in text


@pytest.mark.django_db
def test_mistakes(area_tree):
    with pytest.raises(CommandError, match="has no crime data yet"):
        run()
    with pytest.raises(CommandError, match="YYYY-MM"):
        run("--as-of", "July")
    with pytest.raises(CommandError, match="--alpha"):
        run("--as-of", "2024-07", "--alpha", "0.7")
    with pytest.raises(CommandError, match="--alpha must be a number"):
        run("--as-of", "2024-07", "--alpha", "one")
    with pytest.raises(CommandError, match="No force has the code 'NOPE'"):
        run("--as-of", "2024-07", "--force", "NOPE")
    with pytest.raises(CommandError):
        run("--as-of", "2024-07", "--level", "ward")
    Area.objects.create(level=Level.FORCE, code="OTHER", name="Otherford Police")
    with pytest.raises(CommandError, match="more than one force"):
        run("--as-of", "2024-07")


@pytest.mark.django_db
def test_no_force():
    with pytest.raises(CommandError, match="no force"):
        run("--as-of", "2024-07")
