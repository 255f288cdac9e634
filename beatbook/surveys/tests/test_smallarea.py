"""The Fay-Herriot small-area model against samplics' EblupAreaModel and by hand."""

from __future__ import annotations

import numpy as np
import pytest

from beatbook.surveys.smallarea import fay_herriot

from .reference import given, samplics_fay_herriot


def test_estimates_and_mse_match_samplics():
    rng = np.random.default_rng(17)
    group = np.repeat([0, 1, 2], [6, 5, 7])
    true = np.array([0.55, 0.45, 0.6])[group] + rng.normal(0, 0.06, group.size)
    variance = rng.uniform(0.0005, 0.02, group.size)
    direct = true + rng.normal(0, np.sqrt(variance))
    ours = fay_herriot(direct=direct, sampling_variance=variance, group=group)
    assert ours is not None
    assert ours.between_variance > 0
    estimate, mse = samplics_fay_herriot(direct, variance, group)
    np.testing.assert_allclose(ours.estimate, estimate, atol=1e-6, rtol=0)
    np.testing.assert_allclose(ours.mse, mse, atol=1e-8, rtol=1e-6)


def test_the_between_variance_solves_the_moment_equation():
    rng = np.random.default_rng(3)
    group = np.repeat([0, 1], 10)
    variance = rng.uniform(0.001, 0.01, 20)
    direct = 0.5 + rng.normal(0, 0.1, 20)
    fit = given(fay_herriot(direct=direct, sampling_variance=variance, group=group))
    a = fit.between_variance
    # Σ (y - mean)² / (A + ψ) = m - p = 20 - 2, with precision-weighted group means.
    precision = 1 / (a + variance)
    means = np.array([np.sum(direct[group == k] * precision[group == k]) / precision[group == k].sum() for k in (0, 1)])
    assert np.sum((direct - means[group]) ** 2 * precision) == pytest.approx(18, rel=1e-9)
    assert fit.group_means == pytest.approx(means)
    assert fit.estimate == pytest.approx(fit.weight_on_direct * direct + (1 - fit.weight_on_direct) * means[group])


def test_no_spread_beyond_sampling_error_means_full_shrinkage():
    # Directs closer to their group mean than sampling error explains: A = 0, every estimate
    # is its group's precision-weighted mean: group 0 (0.50 + 0.52) / 2 = 0.51.
    direct = np.array([0.50, 0.52, 0.30, 0.31])
    fit = given(fay_herriot(direct=direct, sampling_variance=np.full(4, 0.01), group=np.array([0, 0, 1, 1])))
    assert fit.between_variance == 0
    assert fit.weight_on_direct.tolist() == [0, 0, 0, 0]
    assert fit.estimate == pytest.approx([0.51, 0.51, 0.305, 0.305])
    # MSE is then at least the error of the group mean: 0.01 / 2.
    assert np.all(fit.mse >= 0.005 - 1e-15)


def test_too_few_areas_to_estimate_the_spread():
    assert (
        fay_herriot(direct=np.array([0.4, 0.6]), sampling_variance=np.array([0.01, 0.01]), group=np.array([0, 1]))
        is None
    )


def test_sampling_variances_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        fay_herriot(
            direct=np.array([0.4, 0.6, 0.5]),
            sampling_variance=np.array([0.01, 0.0, 0.01]),
            group=np.zeros(3, dtype=np.int64),
        )
