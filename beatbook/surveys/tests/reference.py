"""Second implementations and synthetic data for the scoring tests.

The references are deliberately written differently from `beatbook.surveys`: plain loops,
samplics (an independent survey library), statsmodels, and derivatives taken numerically by the
complex step instead of from a formula.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np

from beatbook.surveys.scoring import AreaHierarchy, Census, Responses

with warnings.catch_warnings():
    # samplics warns on import that it is archived; it is only a reference here.
    warnings.simplefilter("ignore")
    import samplics


T = TypeVar("T")


def given(value: T | None) -> T:
    """The value, which the test expects to be there (and mypy to know it is)."""
    assert value is not None
    return value


def samplics_rake(
    weights: np.ndarray, categories: dict[str, np.ndarray], controls: dict[str, dict[int, float]]
) -> np.ndarray:
    # samplics annotates margins and controls more narrowly than it accepts them.
    raked: np.ndarray = samplics.SampleWeight().rake(
        samp_weight=weights,
        margins=cast(Any, categories),
        control=cast(Any, controls),
        tol=1e-13,
        ctrl_tol=1e-13,
        max_iter=1000,
    )
    return raked


def samplics_mean(
    y: np.ndarray, weights: np.ndarray, stratum: np.ndarray | None = None, domain: np.ndarray | None = None
) -> tuple[float, float]:
    """Weighted mean and Taylor SE; with `domain` (booleans), of the domain True, the other
    rows still counting in the variance as sample units outside it."""
    estimator = samplics.TaylorEstimator(samplics.PopParam.mean)
    if domain is None:
        estimator.estimate(y=y, samp_weight=weights, stratum=stratum)
        return float(estimator.point_est), float(estimator.stderror)
    estimator.estimate(y=y, samp_weight=weights, stratum=stratum, domain=domain.astype(int))
    return float(estimator.point_est[1]), float(estimator.stderror[1])


def calibration_residuals_by_regression(
    values: np.ndarray,
    weights: np.ndarray,
    group: np.ndarray,
    categories: list[np.ndarray],
    shares: list[np.ndarray],
) -> np.ndarray:
    """Residuals of `values` on the raking constraints, one explicit weighted least squares fit
    per group: regressors 1 and, per margin and category c, 1[c] - share_c·1[gave]."""
    residuals = np.empty(values.size)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        columns = [np.ones(rows.size)]
        for category, share in zip(categories, shares, strict=True):
            gave = category[rows] >= 0
            for c in range(share.shape[1]):
                columns.append((category[rows] == c) - share[g, c] * gave)
        x = np.column_stack(columns)
        root = np.sqrt(weights[rows])
        coefficients = np.linalg.lstsq(x * root[:, None], values[rows] * root, rcond=None)[0]
        residuals[rows] = values[rows] - x @ coefficients
    return residuals


def samplics_fay_herriot(direct: np.ndarray, variance: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EBLUP and MSE from samplics' area model, FH moment method, with one mean per group."""
    groups = np.unique(group)
    # Intercept (added by samplics) plus indicators for all but the first group.
    x = (group[:, None] == groups[None, 1:]).astype(float)
    areas = np.arange(direct.size)
    model = samplics.EblupAreaModel(method=samplics.FitMethod.fh)
    model.fit(yhat=direct, X=x, area=areas, error_std=np.sqrt(variance), tol=1e-14, maxiter=500)
    model.predict(X=x, area=areas)
    return (
        np.array([model.area_est[int(a)] for a in areas]),
        np.array([model.area_mse[int(a)] for a in areas]),
    )


def loop_score(weights: np.ndarray, answers: np.ndarray) -> complex:
    """The Leicestershire score by loops: mean over questions of Σw·positive / Σw over answerers.
    Works on complex weights, for the complex-step derivative."""
    shares = []
    for question in range(answers.shape[1]):
        top = 0j
        bottom = 0j
        for weight, answer in zip(weights, answers[:, question], strict=True):
            if answer != 0:
                bottom += weight
                if answer >= 4:
                    top += weight
        shares.append(top / bottom)
    return sum(shares) / len(shares)


def array_score(weights: np.ndarray, answers: np.ndarray) -> complex:
    """The same score with array sums, fast enough to differentiate over a thousand weights."""
    answered = answers != 0
    positive = answers >= 4
    shares = (weights[:, None] * positive).sum(axis=0) / (weights[:, None] * answered).sum(axis=0)
    return complex(shares.mean())


def complex_step_gradient(function: Callable[[np.ndarray], complex], weights: np.ndarray) -> np.ndarray:
    """d function / d weight_i for every i, exact to rounding (no subtraction error)."""
    step = 1e-30
    gradient = np.empty(weights.size)
    for i in range(weights.size):
        shifted = weights.astype(complex)
        shifted[i] += step * 1j
        gradient[i] = function(shifted).imag / step
    return gradient


def with_replacement_variance(influence: np.ndarray, stratum: np.ndarray) -> float:
    """Σ over strata of n_h/(n_h - 1)·Σ(u - ū_h)², by loop."""
    total = 0.0
    for h in np.unique(stratum):
        values = influence[stratum == h]
        count = values.size
        if count > 1:
            total += count / (count - 1) * float(np.sum((values - values.mean()) ** 2))
    return total


# --- synthetic data -----------------------------------------------------------------------------

AGE_BANDS = ("16-24", "25-44", "45-64", "65+")
SEXES = ("female", "male")
ETHNIC_GROUPS = ("White", "Asian", "Black", "Mixed or other")


@dataclass(frozen=True)
class Fixture:
    responses: Responses
    areas: AreaHierarchy
    census: Census


def fixture(
    seed: int = 7, *, per_group: int = 160, waves: int = 2, item_missing: float = 0.08, not_given: float = 0.0
) -> Fixture:
    """Two NPAs of two neighbourhoods each, `waves` waves, every age x sex and ethnic cell present
    in every neighbourhood-wave (so samplics can rake each one), young and Black respondents
    scarcer than in the census, some "don't know" answers and, if asked, some equality questions
    not answered (samplics cannot rake those)."""
    rng = np.random.default_rng(seed)
    neighbourhoods = 4
    areas = AreaHierarchy(
        neighbourhoods=("NB-1", "NB-2", "NB-3", "NB-4"),
        npa_of_neighbourhood=np.array([0, 0, 1, 1]),
        npas=("North", "South"),
        force="Testshire",
    )
    age_sex = rng.integers(300, 1500, size=(neighbourhoods, len(AGE_BANDS), len(SEXES))).astype(float)
    # Ethnic mixes near a typical English town's, so that raking is feasible: the few Black
    # respondents must not be asked to stand for more people than their age-sex cells hold.
    mix = rng.dirichlet(np.array([0.7, 0.15, 0.08, 0.07]) * 200, size=neighbourhoods)
    ethnic = np.round(mix * age_sex.sum(axis=(1, 2))[:, None])
    census = Census(AGE_BANDS, SEXES, ETHNIC_GROUPS, age_sex, ethnic)
    parts = []
    for wave in range(waves):
        for neighbourhood in range(neighbourhoods):
            count = per_group + int(rng.integers(0, 40))
            age = rng.choice(4, size=count, p=[0.08, 0.3, 0.35, 0.27])
            sex = rng.integers(0, 2, size=count)
            eth = rng.choice(4, size=count, p=[0.75, 0.15, 0.04, 0.06])
            # Guarantee every cell so the reference rake never meets an empty one.
            age[:8] = np.repeat(np.arange(4), 2)
            sex[:8] = np.tile([0, 1], 4)
            eth[8:12] = np.arange(4)
            lean = 0.15 * (age >= 2) - 0.2 * (eth == 2)
            positive = rng.random((count, 5)) < (0.45 + lean)[:, None]
            answers = np.where(positive, rng.integers(4, 6, (count, 5)), rng.integers(1, 4, (count, 5)))
            answers[rng.random((count, 5)) < item_missing] = 0
            # "Prefer not to say", beyond the rows that guarantee the cells.
            eth[12:][rng.random(count - 12) < not_given] = -1
            age[12:][rng.random(count - 12) < not_given] = -1
            parts.append((np.full(count, neighbourhood), np.full(count, wave), answers, age, sex, eth))
    columns = [np.concatenate([part[i] for part in parts]) for i in range(6)]
    responses = Responses(
        neighbourhood=columns[0].astype(np.int64),
        wave=columns[1].astype(np.int64),
        answers=columns[2].astype(np.int64),
        age_band=columns[3].astype(np.int64),
        sex=columns[4].astype(np.int64),
        ethnic_group=columns[5].astype(np.int64),
    )
    return Fixture(responses, areas, census)
