"""Small-area estimates: a Fay-Herriot model that borrows strength from the policing area (NPA).

A neighbourhood with few responses has a noisy direct estimate. The model says each
neighbourhood's true score is its NPA's mean plus a neighbourhood effect of variance A, and its
direct estimate is the true score plus sampling error of known variance ψ. The best estimate
then shrinks the direct estimate toward the NPA mean:

    estimate = gamma x direct + (1 - gamma) x NPA mean,    gamma = A / (A + ψ)

so a neighbourhood with many responses (small ψ) keeps nearly its direct estimate and one with
few moves most of the way to its NPA. The NPA means are the precision-weighted means of their
neighbourhoods' direct estimates (weights 1 / (A + ψ)), i.e. the model's generalised least
squares fit with one mean per NPA.

A, the between-neighbourhood variance, is the Fay-Herriot method-of-moments estimate: the A ≥ 0
at which Σ (direct - NPA mean)² / (A + ψ) equals m - p (m neighbourhoods, p NPAs); the left side
falls as A grows, so bisection finds it, and A = 0 when even A = 0 leaves it below m - p.

The error of each estimate is the Datta-Rao-Smith (2005) second-order MSE for that estimator:
g1 + g2 + 2·g3 - (1 - gamma)²·b(Â), where g1 = gamma·ψ (the model error), g2 the error from
estimating the NPA means, g3 the error from estimating A, and b the bias of Â. It is never
reported below g1 + g2 (the error if A were known), which the correction could otherwise
undercut when Â = 0.
The tests check estimates and MSEs against samplics' `EblupAreaModel(method="FH")`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_BISECTION_STEPS = 200


@dataclass(frozen=True)
class FayHerriotFit:
    estimate: FloatArray
    mse: FloatArray
    # gamma: the weight on each area's own direct estimate.
    weight_on_direct: FloatArray
    between_variance: float
    group_means: FloatArray


def _group_means(direct: FloatArray, precision: FloatArray, group: IntArray, groups: int) -> FloatArray:
    weighted = np.bincount(group, weights=direct * precision, minlength=groups)
    total = np.bincount(group, weights=precision, minlength=groups)
    return np.divide(weighted, total, out=np.full(groups, np.nan), where=total > 0)


def _moment_gap(a: float, direct: FloatArray, variance: FloatArray, group: IntArray, groups: int, dof: int) -> float:
    precision = 1 / (a + variance)
    means = _group_means(direct, precision, group, groups)
    residual = direct - means[group]
    return float(np.sum(residual * residual * precision)) - dof


def _between_variance(direct: FloatArray, variance: FloatArray, group: IntArray, groups: int, dof: int) -> float:
    if _moment_gap(0.0, direct, variance, group, groups, dof) <= 0:
        return 0.0
    low, high = 0.0, max(float(np.var(direct)), float(variance.max()), 1e-12)
    while _moment_gap(high, direct, variance, group, groups, dof) > 0:
        low, high = high, high * 2
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if _moment_gap(middle, direct, variance, group, groups, dof) > 0:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def fay_herriot(*, direct: FloatArray, sampling_variance: FloatArray, group: IntArray) -> FayHerriotFit | None:
    """Fit the model to areas with direct estimates and known sampling variances, where
    `group` numbers each area's NPA; None when there are too few areas to estimate A
    (no more areas than NPAs)."""
    direct = np.asarray(direct, dtype=np.float64)
    variance = np.asarray(sampling_variance, dtype=np.float64)
    if np.any(variance <= 0):
        raise ValueError("Sampling variances must be positive.")
    present, group = np.unique(np.asarray(group), return_inverse=True)
    groups = present.size
    areas = direct.size
    dof = areas - groups
    if dof < 1:
        return None
    a = _between_variance(direct, variance, group, groups, dof)
    total_variance = a + variance
    precision = 1 / total_variance
    means = _group_means(direct, precision, group, groups)
    gamma = a / total_variance
    estimate = gamma * direct + (1 - gamma) * means[group]

    g1 = gamma * variance
    g2 = (1 - gamma) ** 2 / np.bincount(group, weights=precision, minlength=groups)[group]
    sum_precision = precision.sum()
    variance_of_a = 2 * areas / sum_precision**2
    g3 = (1 - gamma) ** 2 * variance_of_a / total_variance
    bias_of_a = 2 * (areas * np.sum(precision * precision) - sum_precision**2) / sum_precision**3
    mse = np.maximum(g1 - (1 - gamma) ** 2 * bias_of_a + g2 + 2 * g3, g1 + g2)
    return FayHerriotFit(
        estimate=estimate,
        mse=mse,
        weight_on_direct=gamma,
        between_variance=a,
        group_means=means,
    )
