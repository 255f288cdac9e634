"""Confidence scores: a hand-worked example, independent second implementations, suppression,
change, small-area shrinkage and representation. The simulation of biased response is in
test_scoring_simulation.py."""

from __future__ import annotations

import math
from functools import partial
from statistics import NormalDist

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from beatbook.surveys.scoring import (
    AreaHierarchy,
    Census,
    Characteristic,
    Level,
    Responses,
    ScoreRow,
    ScoringSettings,
    Status,
    benjamini_hochberg,
    domain_estimates,
    positive_and_answered,
    representation,
    score_survey,
    survey_weights,
    under_represented_groups,
    wilson_interval,
)
from beatbook.surveys.weighting import RakingSettings

from .reference import (
    array_score,
    calibration_residuals_by_regression,
    complex_step_gradient,
    fixture,
    given,
    loop_score,
    samplics_mean,
    with_replacement_variance,
)

Z95 = NormalDist().inv_cdf(0.975)


def one_area(answers: list[list[int]], *, age: list[int] | None = None) -> tuple[Responses, AreaHierarchy, Census]:
    count = len(answers)
    responses = Responses(
        neighbourhood=np.zeros(count, dtype=np.int64),
        wave=np.zeros(count, dtype=np.int64),
        answers=np.array(answers, dtype=np.int64),
        age_band=np.array(age if age is not None else [0] * count, dtype=np.int64),
        sex=np.zeros(count, dtype=np.int64),
        ethnic_group=np.zeros(count, dtype=np.int64),
    )
    areas = AreaHierarchy(("NB-A",), np.array([0]), ("North",), "Testshire")
    census = Census(("16-34", "35+"), ("all",), ("all",), np.array([[[500.0], [500.0]]]), np.array([[1000.0]]))
    return responses, areas, census


def row(rows: list[ScoreRow], level: Level, area: str, wave: int = 0) -> ScoreRow:
    return next(r for r in rows if r.level == level and r.area == area and r.wave == wave)


# --- hand-worked -----------------------------------------------------------------------------


def test_unweighted_score_matches_hand_worked_example():
    answers = [
        [5, 4, 3, 2, 1],  # positive on questions 1 and 2
        [4, 4, 4, 0, 2],  # positive on 1, 2, 3; "don't know" on 4
        [2, 5, 1, 5, 4],  # positive on 2, 4, 5
        [1, 3, 5, 4, 0],  # positive on 3, 4; no answer to 5
    ]
    responses, areas, census = one_area(answers)
    rows = score_survey(responses, areas=areas, census=census, settings=ScoringSettings(min_responses=1))
    neighbourhood = row(rows, Level.NEIGHBOURHOOD, "NB-A")
    # Question shares among those who answered:
    #   Q1 2/4 = 0.5, Q2 3/4 = 0.75, Q3 2/4 = 0.5, Q4 2/3 (R2 skipped), Q5 1/3 (R4 skipped).
    expected_shares = [0.5, 0.75, 0.5, 2 / 3, 1 / 3]
    assert [given(q.unweighted).value for q in neighbourhood.questions] == pytest.approx(expected_shares)
    assert [q.answered for q in neighbourhood.questions] == [4, 4, 4, 3, 3]
    # Overall: (0.5 + 0.75 + 0.5 + 0.6667 + 0.3333) / 5 = 2.75 / 5 = 0.55.
    assert given(neighbourhood.unweighted).value == pytest.approx(0.55)
    # Unweighted, the linearised SE of a share is √(p(1-p)/(n-1)): Q1 √(0.25/3) = 0.288675.
    assert given(neighbourhood.questions[0].unweighted).se == pytest.approx(math.sqrt(0.25 / 3))
    # Q4, answered by 3 of the 4: the influence u = (y - 2/3) / 3 for the three, 0 for R2, and
    # all four respondents count: 4/3 x ((2/3)² + (1/3)² + (1/3)²) / 9 = 4/3 x 6/81 = 8/81.
    assert given(neighbourhood.questions[3].unweighted).se == pytest.approx(math.sqrt(8 / 81))
    # The force and NPA, with one neighbourhood, say the same.
    assert given(row(rows, Level.FORCE, "Testshire").unweighted).value == pytest.approx(0.55)


def test_weighting_corrects_a_hand_worked_imbalance():
    # Census: half the people are 16-34, half 35+. Respondents: 1 young (positive on all five),
    # 3 older (negative on all). Unweighted: 1/4 = 0.25. Raked: the young respondent stands for
    # 500 people, the older ones 500/3 each, so every share is 500 / 1000 = 0.5.
    answers = [[5, 5, 5, 5, 5], [1, 1, 1, 1, 1], [2, 2, 2, 2, 2], [3, 3, 3, 3, 3]]
    responses, areas, census = one_area(answers, age=[0, 1, 1, 1])
    settings = ScoringSettings(min_responses=1, raking=RakingSettings(trim_ratio=None, min_category_respondents=1))
    neighbourhood = row(
        score_survey(responses, areas=areas, census=census, settings=settings), Level.NEIGHBOURHOOD, "NB-A"
    )
    assert given(neighbourhood.unweighted).value == pytest.approx(0.25)
    assert given(neighbourhood.weighted).value == pytest.approx(0.5)
    # Kish: weights 500, 166.7 x 3: (Σw)² / Σw² = 1000² / (250000 + 3 x 27777.8) = 3.0.
    assert given(neighbourhood.weighted).effective_responses == pytest.approx(3.0)
    assert given(neighbourhood.weighted).design_effect == pytest.approx(4 / 3)


# --- independent implementations ---------------------------------------------------------------


def weights_for(data, raking: RakingSettings | None = None) -> np.ndarray:
    waves = int(data.responses.wave.max()) + 1
    return survey_weights(
        data.responses,
        areas=data.areas,
        census=data.census,
        waves=waves,
        settings=raking or RakingSettings(trim_ratio=None, tolerance=1e-13, max_iterations=1000),
    ).weights


def level_members(data, level: Level) -> tuple[np.ndarray, int, np.ndarray, np.ndarray | None]:
    """Domain per response, number of domains, and the strata (neighbourhood-waves) if any."""
    r = data.responses
    group = r.wave * 4 + r.neighbourhood
    if level == Level.NEIGHBOURHOOD:
        return group, 8, group, None
    if level == Level.NPA:
        npa = data.areas.npa_of_neighbourhood
        return r.wave * 2 + npa[r.neighbourhood], 4, group, np.tile(npa, 2) + np.repeat([0, 2], 4)
    return r.wave.astype(np.int64), 2, group, np.repeat([0, 1], 4)


@pytest.mark.parametrize("level", list(Level))
def test_fixed_weight_shares_and_ses_match_samplics_taylor_estimator(level):
    data = fixture(seed=11)
    r = data.responses
    weights = weights_for(data, RakingSettings())  # trimmed: any weights will do here
    positive, answered = positive_and_answered(r.answers)
    domain, domains, group, group_domain = level_members(data, level)
    ours = domain_estimates(
        weights=weights,
        positive=positive,
        answered=answered,
        domain=domain,
        domains=domains,
        stratum=group if group_domain is not None else None,
        stratum_domain=group_domain,
    )
    # Every question share, as samplics' domain mean over the answerers, stratified by
    # neighbourhood above neighbourhood level.
    for d in range(domains):
        members = domain == d
        stratum = r.neighbourhood[members] if group_domain is not None else None
        for question in range(5):
            gave = answered[members, question] > 0
            # Outside the domain y is irrelevant; 1 keeps samplics from dividing by a zero mean.
            y = np.where(gave, positive[members, question], 1.0)
            value, se = samplics_mean(y, weights[members], stratum, domain=gave)
            assert ours.share[d, question] == pytest.approx(value, abs=1e-6)
            assert math.sqrt(ours.share_variance[d, question]) == pytest.approx(se, abs=1e-6)


def test_overall_score_without_item_missingness_matches_samplics_mean_of_respondent_means():
    data = fixture(seed=3, item_missing=0.0)
    r = data.responses
    weights = weights_for(data, RakingSettings())
    positive, answered = positive_and_answered(r.answers)
    # With every question answered, the mean of the five shares is the weighted mean of each
    # respondent's own share of positive answers, a plain survey mean.
    respondent_mean = positive.mean(axis=1)
    for level in Level:
        domain, domains, group, group_domain = level_members(data, level)
        ours = domain_estimates(
            weights=weights,
            positive=positive,
            answered=answered,
            domain=domain,
            domains=domains,
            stratum=group if group_domain is not None else None,
            stratum_domain=group_domain,
        )
        for d in range(domains):
            keep = domain == d
            value, se = samplics_mean(
                respondent_mean[keep], weights[keep], r.neighbourhood[keep] if group_domain is not None else None
            )
            assert ours.score[d] == pytest.approx(value, abs=1e-6)
            assert math.sqrt(ours.score_variance[d]) == pytest.approx(se, abs=1e-6)


def test_overall_score_se_with_item_missingness_matches_a_complex_step_linearisation():
    data = fixture(seed=5, per_group=45, waves=1, item_missing=0.2)
    weights = weights_for(data, RakingSettings())
    r = data.responses
    positive, answered = positive_and_answered(r.answers)
    npa = data.areas.npa_of_neighbourhood[r.neighbourhood]
    ours = domain_estimates(
        weights=weights,
        positive=positive,
        answered=answered,
        domain=npa,
        domains=2,
        stratum=r.neighbourhood,
        stratum_domain=data.areas.npa_of_neighbourhood,
    )
    for area in (0, 1):
        keep = npa == area
        answers, w = r.answers[keep], weights[keep]
        assert ours.score[area] == pytest.approx(loop_score(w, answers).real, abs=1e-12)
        # The linearised variable is w_i x dC/dw_i; taken here numerically, not by formula.
        influence = w * complex_step_gradient(partial(loop_score, answers=answers), w)
        variance = with_replacement_variance(influence, r.neighbourhood[keep])
        assert math.sqrt(ours.score_variance[area]) == pytest.approx(math.sqrt(variance), abs=1e-6)


def test_weighted_ses_use_residuals_on_the_raking_margins_matching_explicit_regressions():
    data = fixture(seed=19, not_given=0.1)
    r, census = data.responses, data.census
    rows = score_survey(data.responses, areas=data.areas, census=census)
    weights = weights_for(data, RakingSettings())
    group = r.wave * 4 + r.neighbourhood
    # The raking constraints, from the census (every cell has respondents in this fixture).
    age_sex_counts = census.age_sex.reshape(4, 8)
    age_sex_shares = np.tile(age_sex_counts / age_sex_counts.sum(axis=1, keepdims=True), (2, 1))
    ethnic_shares = np.tile(census.ethnic_group / census.ethnic_group.sum(axis=1, keepdims=True), (2, 1))
    age_sex = np.where((r.age_band >= 0) & (r.sex >= 0), r.age_band * 2 + r.sex, -1)
    for level, name, members in (
        (Level.NEIGHBOURHOOD, "NB-1", r.neighbourhood == 0),
        (Level.NPA, "South", r.neighbourhood >= 2),
        (Level.FORCE, "Testshire", np.ones(len(r), dtype=bool)),
    ):
        for wave in (0, 1):
            keep = members & (r.wave == wave)
            w, answers = weights[keep], r.answers[keep]
            score = array_score(w, answers).real
            # The linearised variable of the score per unit weight, from the complex step.
            gradient = complex_step_gradient(partial(array_score, answers=answers), w)
            values = np.zeros(len(r))
            values[keep] = gradient
            residual = calibration_residuals_by_regression(
                values, weights, group, [age_sex, r.ethnic_group], [age_sex_shares, ethnic_shares]
            )
            variance = with_replacement_variance(weights[keep] * residual[keep], group[keep])
            ours = given(row(rows, level, name, wave).weighted)
            assert ours.value == pytest.approx(score, abs=1e-9)
            assert ours.se == pytest.approx(math.sqrt(variance), abs=1e-6)


@pytest.mark.parametrize(("p", "n"), [(0.3, 40.7), (0.02, 12.0), (0.97, 350.5), (0.5, 3.2), (0.0, 25.0)])
def test_wilson_interval_matches_statsmodels(p, n):
    low, high = wilson_interval(np.array([p]), np.array([n]), Z95)
    reference = proportion_confint(p * n, n, alpha=0.05, method="wilson")
    assert low[0] == pytest.approx(reference[0], abs=1e-9)
    assert high[0] == pytest.approx(reference[1], abs=1e-9)


def test_intervals_are_wilson_at_the_design_effective_size():
    data = fixture(seed=2)
    rows = score_survey(data.responses, areas=data.areas, census=data.census)
    for r in rows:
        for estimate in (r.weighted, r.unweighted):
            assert estimate is not None
            effective = estimate.value * (1 - estimate.value) / estimate.se**2
            low, high = proportion_confint(estimate.value * effective, effective, alpha=0.05, method="wilson")
            assert (estimate.low, estimate.high) == pytest.approx((low, high), abs=1e-9)


def test_weighting_widens_intervals_through_the_design_effect():
    data = fixture(seed=2)
    rows = score_survey(data.responses, areas=data.areas, census=data.census)
    for r in rows:
        # Unequal weights cost precision (Kish), which the interval then carries through n*.
        assert given(given(r.weighted).design_effect) > 1


# --- suppression ----------------------------------------------------------------------------------


def test_areas_below_the_minimum_are_suppressed_without_any_number():
    rng = np.random.default_rng(1)
    answers = rng.integers(1, 6, size=(30, 5)).tolist()
    responses, areas, census = one_area(answers)
    settings = ScoringSettings(min_responses=30)
    shown = row(score_survey(responses, areas=areas, census=census, settings=settings), Level.NEIGHBOURHOOD, "NB-A")
    assert shown.status == Status.OK
    assert shown.responses == 30

    responses, areas, census = one_area(answers[:29])
    hidden = row(score_survey(responses, areas=areas, census=census, settings=settings), Level.NEIGHBOURHOOD, "NB-A")
    assert hidden.status == Status.SUPPRESSED
    assert hidden.responses is None
    assert hidden.weighted is None
    assert hidden.unweighted is None
    assert hidden.questions == ()
    assert hidden.change is None


def test_a_question_answered_by_too_few_is_suppressed_on_its_own():
    answers = [[5, 4, 3, 0, 1]] * 25 + [[1, 2, 3, 4, 5]] * 10
    responses, areas, census = one_area(answers)
    shown = row(
        score_survey(responses, areas=areas, census=census, settings=ScoringSettings(min_responses=30)),
        Level.NEIGHBOURHOOD,
        "NB-A",
    )
    assert shown.status == Status.OK
    question_four = shown.questions[3]
    assert question_four.status == Status.SUPPRESSED
    assert question_four.answered is None
    assert question_four.weighted is None
    assert shown.questions[0].weighted is not None


def test_a_wave_without_responses_says_so():
    data = fixture(seed=4)
    r = data.responses
    keep = ~((r.neighbourhood == 0) & (r.wave == 1))
    thinned = Responses(
        r.neighbourhood[keep], r.wave[keep], r.answers[keep], r.age_band[keep], r.sex[keep], r.ethnic_group[keep]
    )
    rows = score_survey(thinned, areas=data.areas, census=data.census)
    empty = row(rows, Level.NEIGHBOURHOOD, "NB-1", 1)
    assert empty.status == Status.NO_RESPONSES
    assert empty.weighted is None
    # The NPA is then estimated from its other neighbourhood alone.
    npa = row(rows, Level.NPA, "North", 1)
    assert npa.responses == row(rows, Level.NEIGHBOURHOOD, "NB-2", 1).responses


# --- change since the last wave ---------------------------------------------------------------------


def two_wave_areas(seed: int, areas: int, shift: float, per_area: int = 300) -> tuple[Responses, AreaHierarchy, Census]:
    rng = np.random.default_rng(seed)
    count = areas * per_area * 2
    neighbourhood = np.tile(np.repeat(np.arange(areas), per_area), 2)
    wave = np.repeat([0, 1], areas * per_area)
    chance = np.where(wave == 1, 0.5 + shift, 0.5)
    answers = np.where(rng.random((count, 5)) < chance[:, None], 4, 2)
    hierarchy = AreaHierarchy(
        tuple(f"NB-{i}" for i in range(areas)), np.zeros(areas, dtype=np.int64), ("All",), "Testshire"
    )
    census = Census(
        ("16-34", "35+"),
        ("female", "male"),
        ("White", "Other"),
        np.tile([[400.0, 400.0], [600.0, 600.0]], (areas, 1, 1)),
        np.tile([1500.0, 500.0], (areas, 1)),
    )
    responses = Responses(
        neighbourhood,
        wave,
        answers,
        rng.choice(2, size=count, p=[0.3, 0.7]),
        rng.integers(0, 2, size=count),
        rng.choice(2, size=count, p=[0.8, 0.2]),
    )
    return responses, hierarchy, census


def test_no_change_gives_large_p_values_and_few_false_alarms():
    responses, areas, census = two_wave_areas(seed=21, areas=200, shift=0.0)
    rows = score_survey(responses, areas=areas, census=census)
    changes = [given(r.change) for r in rows if r.level == Level.NEIGHBOURHOOD and r.wave == 1]
    p = np.array([c.p_value for c in changes])
    assert len(p) == 200
    # Under no change p is uniform: mean about 0.5, about 5% below 0.05 (binomial sd 1.5%).
    assert 0.42 < p.mean() < 0.58
    assert np.mean(p < 0.05) < 0.1
    assert sum(c.more_than_noise for c in changes) == np.sum(p < 0.05)
    # After the false-discovery correction, none survives.
    assert min(c.q_value for c in changes) > 0.05
    force = given(row(rows, Level.FORCE, "Testshire", 1).change)
    assert force.p_value > 0.05


def test_a_real_shift_is_detected_and_the_test_is_the_stated_z_test():
    responses, areas, census = two_wave_areas(seed=22, areas=5, shift=0.15)
    rows = score_survey(responses, areas=areas, census=census)
    for name in areas.neighbourhoods:
        before, now = row(rows, Level.NEIGHBOURHOOD, name, 0), row(rows, Level.NEIGHBOURHOOD, name, 1)
        change = given(now.change)
        assert change.previous_wave == 0
        assert change.more_than_noise
        assert change.p_value < 0.001
        assert change.difference == pytest.approx(given(now.weighted).value - given(before.weighted).value)
        z = change.difference / math.sqrt(given(now.weighted).se ** 2 + given(before.weighted).se ** 2)
        assert change.z == pytest.approx(z)
        assert change.p_value == pytest.approx(2 * (1 - NormalDist().cdf(abs(z))), abs=1e-12)
    assert row(rows, Level.NEIGHBOURHOOD, "NB-0", 0).change is None


def test_benjamini_hochberg_by_hand():
    # Sorted p 0.01, 0.02, 0.03, 0.5 over 4 tests: 0.04, 0.04, 0.04, 0.5 after the step-up.
    assert benjamini_hochberg(np.array([0.5, 0.01, 0.03, 0.02])) == pytest.approx([0.5, 0.04, 0.04, 0.04])


# --- small-area estimates ------------------------------------------------------------------------------


def test_shrinkage_moves_small_areas_toward_their_npa_and_leaves_large_ones():
    rng = np.random.default_rng(8)
    # Two NPAs (true scores around 0.5 and 0.3) of 20 neighbourhoods with 300 responses each,
    # plus in each NPA one neighbourhood of 8 responses, all positive (a direct score of 1.0).
    # A respondent tends to answer all five questions alike, as real respondents do.
    per_npa = 21
    neighbourhood, answers = [], []
    for area in range(2 * per_npa):
        npa, position = divmod(area, per_npa)
        is_small = position == per_npa - 1
        size = 8 if is_small else 300
        chance = 1.0 if is_small else (0.5 if npa == 0 else 0.3) + rng.normal(0, 0.05)
        trusting = rng.random(size) < chance
        neighbourhood.append(np.full(size, area))
        answers.append(np.where(trusting[:, None], 5, 1) * np.ones((1, 5), dtype=np.int64))
    count = sum(len(n) for n in neighbourhood)
    responses = Responses(
        np.concatenate(neighbourhood),
        np.zeros(count, dtype=np.int64),
        np.concatenate(answers),
        np.zeros(count, dtype=np.int64),
        np.zeros(count, dtype=np.int64),
        np.zeros(count, dtype=np.int64),
    )
    names = tuple(f"NB-{i}" for i in range(2 * per_npa))
    areas = AreaHierarchy(names, np.repeat([0, 1], per_npa), ("East", "West"), "Testshire")
    census = Census(
        ("all",), ("all",), ("all",), np.full((2 * per_npa, 1, 1), 1000.0), np.full((2 * per_npa, 1), 1000.0)
    )
    rows = score_survey(responses, areas=areas, census=census, settings=ScoringSettings(min_responses=30))
    for small, large, npa_name in (("NB-20", "NB-0", "East"), ("NB-41", "NB-21", "West")):
        npa_value = given(row(rows, Level.NPA, npa_name).weighted).value
        small_row = row(rows, Level.NEIGHBOURHOOD, small)
        assert small_row.status == Status.SUPPRESSED
        modelled = given(small_row.modelled)
        assert modelled.modelled
        assert small_row.headline is modelled
        # From 1.0 most of the way to the NPA's score.
        assert given(modelled.weight_on_direct) < 0.2
        assert abs(modelled.value - npa_value) < 0.2 * abs(1.0 - npa_value)
        assert modelled.low <= modelled.value <= modelled.high

        large_row = row(rows, Level.NEIGHBOURHOOD, large)
        large_direct, large_modelled = given(large_row.weighted), given(large_row.modelled)
        assert given(large_modelled.weight_on_direct) > 0.6
        # Moved less than 40% of the way to the NPA (1e-3 for a direct estimate right on it).
        assert abs(large_modelled.value - large_direct.value) < 0.4 * abs(large_direct.value - npa_value) + 1e-3
        assert large_row.headline is large_direct


def test_areas_below_the_modelled_minimum_get_no_modelled_estimate():
    responses, areas, census = two_wave_areas(seed=30, areas=6, shift=0.0, per_area=60)
    r = responses
    keep = ~((r.neighbourhood == 0) & (np.arange(len(r)) % 60 >= 4))  # NB-0 keeps 4 per wave
    thinned = Responses(
        r.neighbourhood[keep], r.wave[keep], r.answers[keep], r.age_band[keep], r.sex[keep], r.ethnic_group[keep]
    )
    rows = score_survey(thinned, areas=areas, census=census, settings=ScoringSettings(min_responses_modelled=5))
    tiny = row(rows, Level.NEIGHBOURHOOD, "NB-0")
    assert tiny.status == Status.SUPPRESSED
    assert tiny.modelled is None
    assert tiny.headline is None
    assert row(rows, Level.NEIGHBOURHOOD, "NB-1").modelled is not None


# --- representation ----------------------------------------------------------------------------------


def test_representation_hand_worked():
    # 100 respondents, 10 of them 16-34, where the census says half the people are 16-34:
    # share 0.10, ratio 0.2, z = (0.1 - 0.5) / √(0.25 / 100) = -8: under-represented.
    answers = [[4, 4, 4, 4, 4]] * 100
    responses, areas, census = one_area(answers, age=[0] * 10 + [1] * 90)
    rows = representation(responses, areas=areas, census=census)
    young = next(
        r
        for r in rows
        if r.level == Level.NEIGHBOURHOOD and r.characteristic == Characteristic.AGE_BAND and r.group == "16-34"
    )
    assert young.respondents == 10
    assert young.gave_characteristic == 100
    assert young.respondent_share == pytest.approx(0.1)
    assert young.population_share == pytest.approx(0.5)
    assert young.ratio == pytest.approx(0.2)
    assert young.p_value == pytest.approx(2 * (1 - NormalDist().cdf(8)), abs=1e-12)
    assert young.under_represented
    older = next(r for r in rows if r.level == Level.NEIGHBOURHOOD and r.group == "35+")
    assert not older.under_represented  # over-represented is not flagged
    assert under_represented_groups(rows)[(Level.NEIGHBOURHOOD, "NB-A", 0)] == ["16-34"]


def test_representation_flags_the_group_that_under_responds_and_no_other():
    data = fixture(seed=9, per_group=300)
    rows = representation(data.responses, areas=data.areas, census=data.census)
    flagged = under_represented_groups(rows)
    # The fixture samples 16-24s at 8% and Black respondents at 4%, well under their census share.
    force = flagged[(Level.FORCE, "Testshire", 0)]
    assert "16-24" in force
    assert "Black" in force
    assert "female" not in force
    assert "male" not in force


def test_representation_is_suppressed_for_small_areas_and_ignores_prefer_not_to_say():
    answers = [[4, 4, 4, 4, 4]] * 20
    responses, areas, census = one_area(answers, age=[0] * 5 + [-1] * 15)
    rows = representation(responses, areas=areas, census=census, settings=ScoringSettings(min_responses=10))
    young = next(r for r in rows if r.group == "16-34" and r.level == Level.NEIGHBOURHOOD)
    # Of the 5 who gave an age, all are 16-34: share 1.0 of those who said.
    assert young.gave_characteristic == 5
    assert young.respondent_share == pytest.approx(1.0)
    small = representation(responses, areas=areas, census=census, settings=ScoringSettings(min_responses=30))
    hidden = next(r for r in small if r.group == "16-34" and r.level == Level.NEIGHBOURHOOD)
    assert hidden.status == Status.SUPPRESSED
    assert hidden.respondents is None
    assert hidden.respondent_share is None
    assert not hidden.under_represented


# --- input checks ----------------------------------------------------------------------------------------


def test_bad_input_is_refused():
    responses, areas, census = one_area([[4, 4, 4, 4, 6]])
    with pytest.raises(ValueError, match="answers"):
        score_survey(responses, areas=areas, census=census)
    responses, areas, census = one_area([[4, 4, 4, 4, 4]], age=[2])
    with pytest.raises(ValueError, match="age_band"):
        score_survey(responses, areas=areas, census=census)
    responses, areas, census = one_area([[4, 4, 4, 4, 4]])
    with pytest.raises(ValueError, match="beyond"):
        score_survey(responses, areas=areas, census=census, waves=0)
