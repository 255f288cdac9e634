"""`beatbook survey-scores --representation`: who answered against who lives there, by hand.

Every Testshire LSOA has the same residents (Census 2021 wording): 16-24 gets 4/5 of the
15-19s plus the 20-24s = 40 + 60 = 100, 25-44 gets the 25-29s = 100, 75 or over the 85+ = 20,
so the census shares are 16-24 100/220, 25-44 100/220, 75+ 20/220; sex 300 female / 200 male;
ethnic group white 400, mixed 50, Asian 150, other 10 of 610.

In May, Brookside (NB-B) has 21 responses: 2 aged 16-24 and 18 aged 25-44, all white, 12
women and 8 men, and one who preferred not to say anything. Worked by hand (rule 9: a share
below 0.8 x the census share with p < 0.05 in a one-sample z test):
* 16-24: 2/20 = 0.1 against 0.4545: z = -0.3545 / sqrt(0.4545 x 0.5455 / 20) = -3.18, p = 0.0015:
  under-represented;
* Asian: 0/20 against 0.2459: z = -0.2459 / sqrt(0.2459 x 0.7541 / 20) = -2.55, p = 0.011: under;
* 75 or over: 0/20 against 0.0909: z = -1.41, p = 0.16; mixed: 0/20 against 0.0820: z = -1.34,
  p = 0.18: too few people to tell, not named;
* women 12/20 = 0.6, exactly the census share: not named.
Abbeyfield (NB-A) has 2 responses, below the survey's minimum of 3: suppressed, no numbers.
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from beatbook.areas.models import CensusCount, CensusTopic
from beatbook.surveys import services
from beatbook.surveys.models import Survey, Wave

from .survey_fixtures import confidence

pytestmark = pytest.mark.django_db

AGE = [("Aged 4 years and under", 30), ("Aged 15 to 19", 50), ("Aged 20 to 24", 60), ("Aged 25 to 29", 100)]
AGE += [("Aged 85 years and over", 20)]
SEX = [("Female", 300), ("Male", 200)]
ETHNIC = [
    ("White: English, Welsh, Scottish, Northern Irish or British", 400),
    ("Mixed or Multiple ethnic groups: White and Asian", 50),
    ("Asian, Asian British or Asian Welsh: Indian", 150),
    ("Other ethnic group: Arab", 10),
]
YOUNG = "16 to 24"
ASIAN = "Asian or Asian British"


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    for lsoa in area_tree.lsoas.values():
        for topic, cells in ((CensusTopic.AGE, AGE), (CensusTopic.SEX, SEX), (CensusTopic.ETHNIC_GROUP, ETHNIC)):
            for position, (category, count) in enumerate(cells):
                CensusCount.objects.create(
                    lsoa=lsoa, census_year=2021, topic=topic, category=category, position=position, count=count
                )
    survey = services.survey_create_from_template(
        actor=None, force=area_tree.force, name="Your Views", slug="your-views", min_responses=3
    )
    may = _wave(survey, "2026-05", 5)
    _wave(survey, "2026-11", 11)
    brookside, abbeyfield = area_tree.lsoa_b, area_tree.lsoa_a
    for number in range(20):
        _answer(
            survey,
            may,
            brookside,
            **{
                "age-band": "16-24" if number < 2 else "25-44",
                "sex": "female" if number < 12 else "male",
                "ethnic-group": "white",
            },
        )
    _answer(survey, may, brookside, **dict.fromkeys(("age-band", "sex", "ethnic-group"), "prefer-not-to-say"))
    for _ in range(2):
        _answer(survey, may, abbeyfield, **{"age-band": "75-plus", "sex": "male", "ethnic-group": "asian"})
    return survey


def _wave(survey: Survey, code: str, month: int) -> Wave:
    return services.wave_create(
        actor=None,
        survey=survey,
        code=code,
        name=code,
        opens_on=dt.date(2026, month, 1),
        closes_on=dt.date(2026, month, 28),
    )


def _answer(survey: Survey, wave: Wave, lsoa: Any, **equality: str) -> None:
    services.response_record(
        survey=survey,
        wave=wave,
        answers={**confidence(4, 4, 4, 4, 4), **equality},
        channel="paper",
        language="en",
        lsoa=lsoa,
    )


def _run(*args: str) -> str:
    out = StringIO()
    call_command("survey-scores", "--survey", "your-views", "--representation", *args, stdout=out)
    return out.getvalue()


def _json(*args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_run("--json", *args))
    return document


def _rows(document: dict[str, Any], area: str, wave: str) -> dict[str, dict[str, Any]]:
    return {r["group"]: r for r in document["representation"] if (r["area"], r["wave"]) == (area, wave)}


def test_hand_worked_shares_and_named_groups(survey: Survey) -> None:
    document = _json("--level", "neighbourhood")
    brookside = _rows(document, "NB-B", "2026-05")
    young = brookside[YOUNG]
    assert young["characteristic"] == "age band"
    assert (young["respondents"], young["gave_characteristic"]) == (2, 20)
    assert young["respondent_share"] == pytest.approx(0.1)
    assert young["population_share"] == pytest.approx(100 / 220)
    assert young["ratio"] == pytest.approx(0.1 / (100 / 220))
    assert young["p_value"] == pytest.approx(0.0015, abs=0.0002)
    assert young["under_represented"] is True
    assert brookside[ASIAN]["population_share"] == pytest.approx(150 / 610)
    assert brookside[ASIAN]["p_value"] == pytest.approx(0.011, abs=0.001)
    assert brookside[ASIAN]["under_represented"] is True
    for group in ("75 or over", "Mixed or multiple ethnic groups", "Female", "25 to 44"):
        assert brookside[group]["under_represented"] is False, group
    assert brookside["75 or over"]["p_value"] == pytest.approx(0.16, abs=0.01)
    [named] = [u for u in document["under_represented"] if (u["area"], u["wave"]) == ("NB-B", "2026-05")]
    assert named == {
        "level": "neighbourhood",
        "area": "NB-B",
        "area_name": "Brookside",
        "wave": "2026-05",
        "groups": [YOUNG, ASIAN],
    }


def test_small_and_empty_areas_show_no_respondent_numbers(survey: Survey) -> None:
    document = _json("--level", "neighbourhood")
    for group, row in _rows(document, "NB-A", "2026-05").items():
        assert row["status"] == "suppressed", group
        assert row["respondents"] is None and row["respondent_share"] is None and row["p_value"] is None
        assert row["under_represented"] is False
        assert row["population_share"] > 0 or group in (
            "45 to 59",
            "60 to 74",
            "Black, Black British, Caribbean or African",
        )
    assert {row["status"] for row in _rows(document, "NB-C", "2026-05").values()} == {"no-responses"}
    assert {row["status"] for row in _rows(document, "NB-B", "2026-11").values()} == {"no-responses"}
    assert not any(u["area"] in ("NB-A", "NB-C") for u in document["under_represented"])


def test_wave_and_level_filters(survey: Survey) -> None:
    document = _json("--wave", "2026-05", "--level", "npa")
    assert {r["level"] for r in document["representation"]} == {"npa"}
    assert {r["wave"] for r in document["representation"]} == {"2026-05"}
    assert {r["area"] for r in document["representation"]} == {"NPA-N", "NPA-S"}
    # Five age bands, two sexes, five ethnic groups for each of the two policing areas.
    assert len(document["representation"]) == 2 * (5 + 2 + 5)
    assert document["waves"] == ["2026-05"]


def test_text_output_names_the_groups_to_engage_with(survey: Survey) -> None:
    text = _run("--level", "neighbourhood", "--wave", "2026-05")
    lines = text.splitlines()
    summary = lines[lines.index("Under-represented groups (engage with):") + 1 :]
    assert len(summary) == 1
    assert "Brookside" in summary[0] and "2026-05" in summary[0]
    assert summary[0].endswith(f"{YOUNG}, {ASIAN}")
    young_line = next(line for line in lines if "Brookside" in line and f"age band: {YOUNG}" in line)
    assert "10.0%" in young_line and "45.5%" in young_line and "UNDER-REPRESENTED" in young_line
    assert any("Abbeyfield" in line and "[suppressed]" in line for line in lines)
