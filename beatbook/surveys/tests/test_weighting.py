"""Raking, trimming and Kish's effective size: against samplics and hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from beatbook.surveys.weighting import (
    NOT_GIVEN,
    Margin,
    RakingSettings,
    group_medians,
    kish_effective_size,
    rake,
)

from .reference import fixture, samplics_rake

EXACT = RakingSettings(trim_ratio=None, tolerance=1e-13, max_iterations=1000, min_category_respondents=1)


def test_raking_matches_samplics_group_by_group():
    data = fixture(seed=13)
    r, census = data.responses, data.census
    neighbourhoods = len(data.areas.neighbourhoods)
    group = r.wave * neighbourhoods + r.neighbourhood
    age_sex = r.age_band * 2 + r.sex
    age_sex_counts = census.age_sex.reshape(neighbourhoods, -1)
    population = np.tile(age_sex_counts.sum(axis=1), 2)
    raked = rake(
        group=group,
        population=population,
        margins=[
            Margin(age_sex, np.tile(age_sex_counts, (2, 1))),
            Margin(r.ethnic_group, np.tile(census.ethnic_group, (2, 1))),
        ],
        settings=EXACT,
    )
    assert raked.converged.all()
    for g in range(8):
        members = group == g
        neighbourhood = g % neighbourhoods
        total = age_sex_counts[neighbourhood].sum()
        ethnic = census.ethnic_group[neighbourhood]
        start = np.full(members.sum(), total / members.sum())
        reference = samplics_rake(
            start,
            {"age_sex": age_sex[members], "ethnic": r.ethnic_group[members]},
            {
                "age_sex": {c: float(age_sex_counts[neighbourhood, c]) for c in range(8)},
                # Our ethnic margin is used as shares of the age x sex population.
                "ethnic": {e: float(ethnic[e] / ethnic.sum() * total) for e in range(4)},
            },
        )
        np.testing.assert_allclose(raked.weights[members], reference, rtol=1e-9)


def one_group(age: list[int], ethnic: list[int], age_counts: list[float], ethnic_counts: list[float], settings=EXACT):
    count = len(age)
    return rake(
        group=np.zeros(count, dtype=np.int64),
        population=np.array([sum(age_counts)]),
        margins=[
            Margin(np.array(age, dtype=np.int64), np.array([age_counts])),
            Margin(np.array(ethnic, dtype=np.int64), np.array([ethnic_counts])),
        ],
        settings=settings,
    )


def test_a_respondent_who_gives_no_ethnic_group_keeps_their_share_and_the_others_meet_the_census():
    age = [0, 0, 1, 1, 1, 1]
    ethnic = [0, NOT_GIVEN, 0, 0, 1, NOT_GIVEN]
    weights = one_group(age, ethnic, [300.0, 700.0], [800.0, 200.0]).weights
    assert weights.sum() == pytest.approx(1000)
    assert weights[[0, 1]].sum() == pytest.approx(300)
    assert weights[[2, 3, 4, 5]].sum() == pytest.approx(700)
    given = np.array(ethnic) >= 0
    ethnic_shares = np.bincount(np.array(ethnic)[given], weights=weights[given]) / weights[given].sum()
    assert ethnic_shares == pytest.approx([0.8, 0.2])


def test_when_nobody_gives_a_variable_raking_is_poststratification_on_the_other():
    # Age cells: 2 respondents for 300 people, 4 for 700: weights 150 and 175 (by hand).
    weights = one_group([0, 0, 1, 1, 1, 1], [NOT_GIVEN] * 6, [300.0, 700.0], [800.0, 200.0]).weights
    assert weights == pytest.approx([150, 150, 175, 175, 175, 175])


def test_an_empty_cell_is_collapsed_and_the_others_take_its_share():
    # Nobody aged 2 answered: the census 200/300/500 becomes 200/500 and 300/500 of the 1000
    # people, so 400 for the one respondent aged 0 and 600 / 2 = 300 for each aged 1.
    weights = one_group([0, 1, 1], [0, 0, 0], [200.0, 300.0, 500.0], [1000.0]).weights
    assert weights == pytest.approx([400, 300, 300])


def test_a_category_with_too_few_respondents_is_collapsed_like_an_empty_one():
    # With the default minimum of 3, the lone respondent aged 0 cannot carry the 200 people
    # aged 0: that category is dropped, so the census becomes 300/500 of the 1000 people for
    # ages 1 and 2 (600 and 400 of weight), and the lone respondent is left out of the age step
    # (starting weight 1000 / 6 each, and the others share the rest).
    weights = one_group([0, 1, 1, 1, 2, 2, 2], [0] * 7, [200.0, 300.0, 500.0], [1000.0], RakingSettings()).weights
    start = 1000 / 7
    rest = 1000 - start
    assert weights[0] == pytest.approx(start)
    assert weights[1:4] == pytest.approx([rest * 300 / 800 / 3] * 3)
    assert weights[4:] == pytest.approx([rest * 500 / 800 / 3] * 3)


def test_a_respondent_in_a_census_empty_category_counts_as_not_giving_it():
    # The census has nobody in ethnic group 1, yet someone chose it: they are not zeroed.
    weights = one_group([0, 1], [0, 1], [500.0, 500.0], [1000.0, 0.0]).weights
    assert weights == pytest.approx([500, 500])


def test_trimming_caps_at_five_times_the_median_by_hand():
    # 1 respondent aged 0 for 500 people and 19 aged 1 for 500: raked weights 500 and 500/19.
    # Cap = 5 x median = 5 x 500/19 = 131.58. Raking keeps pulling the lone respondent back to
    # 500, so after the rounds the cap wins: 131.58, and the 19 share the rest: (1000 - cap)/19.
    settings = RakingSettings(trim_ratio=5.0, tolerance=1e-12, min_category_respondents=1)
    raked = one_group([0] + [1] * 19, [0] * 20, [500.0, 500.0], [1000.0], settings)
    cap = 5 * 500 / 19
    assert raked.weights[0] == pytest.approx(cap)
    assert raked.weights[1:] == pytest.approx([(1000 - cap) / 19] * 19)
    assert raked.trimmed.tolist() == [1]
    assert raked.converged.all()  # the raking itself converged before trimming


def test_trimming_leaves_moderate_weights_alone():
    raked = one_group([0, 0, 1, 1, 1, 1], [0] * 6, [300.0, 700.0], [1000.0], RakingSettings(min_category_respondents=1))
    assert raked.weights == pytest.approx([150, 150, 175, 175, 175, 175])
    assert raked.trimmed.tolist() == [0]


def test_trimmed_weights_of_many_groups_respect_their_caps_and_totals():
    rng = np.random.default_rng(4)
    group = rng.integers(0, 50, 5000)
    category = np.where(rng.random(5000) < 0.03, 0, 1)  # a rare category: large weights
    population = rng.uniform(1000, 5000, 50)
    counts = np.column_stack([population * 0.4, population * 0.6])
    untrimmed = rake(group=group, population=population, margins=[Margin(category, counts)], settings=EXACT)
    trimmed = rake(group=group, population=population, margins=[Margin(category, counts)], settings=RakingSettings())
    caps = 5 * group_medians(untrimmed.weights, group, 50)
    assert np.all(trimmed.weights <= caps[group] * (1 + 1e-9))
    assert trimmed.trimmed.sum() > 0
    np.testing.assert_allclose(np.bincount(group, trimmed.weights, 50), population, rtol=1e-12)


def test_group_medians_and_kish_by_hand():
    values = np.array([5.0, 1.0, 3.0, 10.0, 2.0, 4.0, 7.0])
    group = np.array([0, 0, 0, 1, 1, 1, 1])
    assert group_medians(values, group, 3)[:2].tolist() == [3.0, 5.5]
    assert np.isnan(group_medians(values, group, 3)[2])
    # Group 0: (5 + 1 + 3)² / (25 + 1 + 9) = 81 / 35.
    assert kish_effective_size(values, group, 2)[0] == pytest.approx(81 / 35)


def test_a_group_with_respondents_but_no_population_is_refused():
    with pytest.raises(ValueError, match="population"):
        rake(group=np.array([0, 1]), population=np.array([100.0, 0.0]), margins=[])
