"""`beatbook survey-scores`: scoring inputs from the database, hand-worked scores, suppression."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.areas.models import CensusCount, CensusTopic
from beatbook.surveys import selectors, services
from beatbook.surveys.models import Response, ResponseStatus, Survey, Wave

from .survey_fixtures import confidence

pytestmark = pytest.mark.django_db

# Per LSOA (Census 2021 wording): 16-24 gets 4/5 of 15-19 plus 20-24 = 40 + 60 = 100;
# 25-44 gets 25-29 = 100; 75+ gets 85+ = 20; the under-5s are in no band.
AGE = [("Aged 4 years and under", 30), ("Aged 15 to 19", 50), ("Aged 20 to 24", 60), ("Aged 25 to 29", 100)]
AGE += [("Aged 85 years and over", 20)]
SEX = [("Female", 300), ("Male", 200)]
ETHNIC = [
    ("White: English, Welsh, Scottish, Northern Irish or British", 400),
    ("Mixed or Multiple ethnic groups: White and Asian", 50),
    ("Asian, Asian British or Asian Welsh: Indian", 150),
    ("Other ethnic group: Arab", 10),
]


@pytest.fixture
def census(area_tree: Any) -> None:
    for lsoa in area_tree.lsoas.values():
        for topic, cells in ((CensusTopic.AGE, AGE), (CensusTopic.SEX, SEX), (CensusTopic.ETHNIC_GROUP, ETHNIC)):
            for position, (category, count) in enumerate(cells):
                CensusCount.objects.create(
                    lsoa=lsoa, census_year=2021, topic=topic, category=category, position=position, count=count
                )


@pytest.fixture
def survey(area_tree: Any, census: None) -> Survey:
    return services.survey_create_from_template(
        actor=None, force=area_tree.force, name="Your Views", slug="your-views", min_responses=3
    )


def make_wave(survey: Survey, code: str, month: int) -> Wave:
    return services.wave_create(
        actor=None,
        survey=survey,
        code=code,
        name=code,
        opens_on=dt.date(2026, month, 1),
        closes_on=dt.date(2026, month, 28),
    )


def answer(survey: Survey, wave: Wave, lsoa: Any, values: tuple[int | None, ...], **extra: str) -> Response:
    return services.response_record(
        survey=survey, wave=wave, answers={**confidence(*values), **extra}, channel="paper", language="en", lsoa=lsoa
    )


@pytest.fixture
def scored(area_tree: Any, survey: Survey) -> Survey:
    may = make_wave(survey, "2026-05", 5)
    november = make_wave(survey, "2026-11", 11)
    a, b, c = area_tree.lsoa_a, area_tree.lsoa_b, area_tree.lsoas["E01900003"]
    hidden = {"age-band": "prefer-not-to-say", "sex": "prefer-not-to-say", "ethnic-group": "prefer-not-to-say"}
    for values in ((4, 5, 2, 4, 0), (2, 4, 4, 1, 4), (5, 3, 4, 4, 5), (4, 4, None, 2, 2)):
        answer(survey, may, a, values, **hidden)
    alike = {"age-band": "16-24", "sex": "female", "ethnic-group": "white"}
    for values in ((5, 5, 5, 5, 5), (1, 1, 1, 1, 1), (4, 2, 4, 2, 4)):
        answer(survey, may, b, values, **alike)
    flagged = answer(survey, may, b, (1, 1, 1, 1, 1))
    Response.objects.filter(pk=flagged.pk).update(status=ResponseStatus.FLAGGED)
    answer(survey, may, c, (5, 5, 5, 5, 5))
    services.response_record(survey=survey, wave=may, answers=confidence(1, 1, 1, 1, 1), channel="paper", language="en")
    for _ in range(3):
        answer(survey, november, b, (5, 5, 5, 5, 5), **alike)
    return survey


def run(*args: str) -> dict[str, Any]:
    from io import StringIO

    out = StringIO()
    call_command("survey-scores", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def row(document: dict[str, Any], level: str, area: str, wave: str) -> dict[str, Any]:
    [found] = [r for r in document["scores"] if (r["level"], r["area"], r["wave"]) == (level, area, wave)]
    return found


def test_age_bands_and_ethnic_groups_map_from_census_wording() -> None:
    assert selectors.age_band_shares("Aged 15 to 19") == [0.8, 0, 0, 0, 0]
    assert selectors.age_band_shares("Aged 90 years and over") == [0, 0, 0, 0, 1]
    assert selectors.age_band_shares("Aged 4 years and under") == [0] * 5
    assert selectors.age_band_shares("Aged 30 to 44") == [0, 1, 0, 0, 0]
    assert selectors.age_band_shares("Aged 60 to 64") == [0, 0, 0, 1, 0]
    groups = [key for key, _ in selectors.templates.ETHNIC_GROUPS]
    for category, group in (
        ("Mixed or Multiple ethnic groups: White and Black Caribbean", "mixed"),
        ("White British and Irish", "white"),
        ("Other White", "white"),
        ("Pakistani", "asian"),
        ("Black, Black British, Caribbean or African", "black"),
        ("Arab or other ethnic group", "other"),
    ):
        assert groups[selectors.ethnic_group_index(category)] == group, category


def test_census_margins_per_neighbourhood(area_tree: Any, census: None) -> None:
    margins, notes = selectors.census_margins([area_tree.nbhd_a.pk, area_tree.nbhd_c.pk])
    # A has two LSOAs: ages [200, 200, 0, 0, 40]; sex shares 0.6 female, 0.4 male.
    assert margins.age_sex[0].ravel().tolist() == pytest.approx([120, 80, 120, 80, 0, 0, 0, 0, 24, 16])
    assert margins.age_sex[1].sum() == pytest.approx(220)
    # white 400, mixed 50, asian 150, black 0, other 10 per LSOA
    assert margins.ethnic_group[0].tolist() == [800, 100, 300, 0, 20]
    assert "census age: 2021" in notes


def test_scoring_inputs_read_counted_responses_only(area_tree: Any, scored: Survey) -> None:
    inputs = selectors.scoring_inputs(scored)
    assert inputs.areas.neighbourhoods == ("NB-A", "NB-C", "NB-B")
    assert inputs.areas.npa_of_neighbourhood.tolist() == [0, 0, 1]
    assert inputs.areas.npas == ("NPA-N", "NPA-S")
    assert [w.code for w in inputs.waves] == ["2026-05", "2026-11"]
    # 4 (A) + 3 (B) + 1 (C) in May, 3 (B) in November; flagged excluded, the one without a place left out
    assert len(inputs.responses) == 11
    assert inputs.left_out == 1
    assert np.bincount(inputs.responses.neighbourhood).tolist() == [4, 1, 6]
    in_a = inputs.responses.neighbourhood == 0
    # The query leaves the order to the database (scoring does not depend on it; PostgreSQL
    # returns rows as it finds them), so compare the rows, not their order.
    assert sorted(inputs.responses.answers[in_a].tolist()) == sorted(
        [
            [4, 5, 2, 4, 0],
            [2, 4, 4, 1, 4],
            [5, 3, 4, 4, 5],
            [4, 4, 0, 2, 2],
        ]
    )
    assert set(inputs.responses.age_band[in_a].tolist()) == {-1}
    assert set(inputs.responses.age_band[inputs.responses.neighbourhood == 2].tolist()) == {0}


def test_scores_match_the_hand_worked_example(scored: Survey) -> None:
    document = run("--survey", "your-views")
    a = row(document, "neighbourhood", "NB-A", "2026-05")
    # A: shares 3/4, 3/4, 2/3, 2/4, 2/3 (blank and don't-know left out) → mean 2/3
    assert a["status"] == "ok"
    assert a["responses"] == 4
    assert a["unweighted"]["value"] == pytest.approx(2 / 3)
    assert [q["unweighted"]["value"] for q in a["questions"]] == pytest.approx([3 / 4, 3 / 4, 2 / 3, 2 / 4, 2 / 3])
    assert a["unweighted"]["low"] < 2 / 3 < a["unweighted"]["high"]
    # nobody in A gave an equality answer, so weighting leaves everyone equal
    assert a["weighted"]["value"] == pytest.approx(2 / 3)
    b = row(document, "neighbourhood", "NB-B", "2026-05")
    # B: 2/3, 1/3, 2/3, 1/3, 2/3 → 8/15; the flagged response is not counted
    assert b["responses"] == 3
    assert b["unweighted"]["value"] == pytest.approx(8 / 15)
    force = row(document, "force", "TESTSHIRE", "2026-05")
    # force: 6/8, 5/8, 5/7, 4/8, 5/7 → 37/56
    assert force["responses"] == 8
    assert force["unweighted"]["value"] == pytest.approx(37 / 56)
    assert force["area_name"] == "Testshire Police"


def test_areas_below_the_minimum_are_suppressed(scored: Survey) -> None:
    document = run("--survey", "your-views", "--wave", "2026-05", "--level", "neighbourhood")
    c = row(document, "neighbourhood", "NB-C", "2026-05")
    assert c["status"] == "suppressed"
    assert (c["responses"], c["unweighted"], c["weighted"], c["questions"]) == (None, None, None, [])
    assert {r["wave"] for r in document["scores"]} == {"2026-05"}
    assert {r["level"] for r in document["scores"]} == {"neighbourhood"}
    assert document["min_responses"] == 3


def test_change_since_the_last_wave(scored: Survey) -> None:
    document = run("--survey", "your-views", "--level", "neighbourhood")
    b = row(document, "neighbourhood", "NB-B", "2026-11")
    assert b["unweighted"]["value"] == pytest.approx(1.0)
    assert b["change"]["previous_wave"] == "2026-05"
    assert b["change"]["difference"] == pytest.approx(1 - 8 / 15)
    assert row(document, "neighbourhood", "NB-A", "2026-11")["status"] == "no-responses"


def test_text_output_and_errors(scored: Survey) -> None:
    from io import StringIO

    out = StringIO()
    call_command("survey-scores", "--survey", "your-views", "--wave", "2026-05", stdout=out)
    text = out.getvalue()
    assert "Abbeyfield" in text
    assert "66.7%" in text
    assert "[suppressed]" in text
    with pytest.raises(CommandError, match="no wave"):
        call_command("survey-scores", "--survey", "your-views", "--wave", "2027-05")


@pytest.mark.parametrize(
    ("category", "group"),
    [
        ("White and Asian", "mixed"),
        ("White and Black Caribbean", "mixed"),
        ("Other Mixed or Multiple ethnic groups", "mixed"),
        ("English, Welsh, Scottish, Northern Irish or British", "white"),
        ("Irish", "white"),
        ("Gypsy or Irish Traveller", "white"),
        ("Roma", "white"),
        ("Other White", "white"),
        ("African", "black"),
        ("Other Black", "black"),
        ("Pakistani", "asian"),
        ("Other Asian", "asian"),
        ("Arab", "other"),
        ("Any other ethnic group", "other"),
    ],
)
def test_census_2021_detailed_ethnic_groups_map_to_their_high_level_group(category, group):
    from beatbook.surveys import selectors, templates

    keys = [key for key, _ in templates.ETHNIC_GROUPS]
    assert keys[selectors.ethnic_group_index(category)] == group


def test_a_survey_with_no_waves_or_no_census_scores_nothing(area_tree: Any, survey: Survey) -> None:
    rows, inputs = selectors.survey_scores(survey)
    assert rows == [] and inputs.waves == []
    wave = make_wave(survey, "2026-05", 5)
    answer(survey, wave, area_tree.lsoa_a, (4, 4, 4, 4, 4))
    assert selectors.survey_scores(survey)[0], "with census counts the wave is scored"
    CensusCount.objects.all().delete()
    rows, inputs = selectors.survey_scores(survey)  # nothing to weight to
    assert rows == [] and inputs.areas.neighbourhoods == () and inputs.left_out == 1
