"""Survey weights: raking to census margins, trimming, and Kish's effective sample size.

Pure numpy, vectorised over many weighting groups at once (one group = one neighbourhood in
one wave), because a force has hundreds of them and the scores must come back in well under a
second. The tests check these results against samplics' `SampleWeight.rake`, an independent
implementation; samplics itself is not used here (it loops in Python per category and per
group, and is archived upstream).

The rules:

1. Start: every respondent of a group weighs `population / respondents`, so a group's weights
   add up to the people who live there and areas of different sizes combine correctly.
2. Raking (iterative proportional fitting): for each margin in turn (age band x sex, then
   ethnic group), scale the weights of the respondents in each category so that the category's
   share of the weight equals its census share; repeat until no category needs a factor further
   than `tolerance` from 1 (then every margin is met to that relative precision), at most
   `max_iterations` cycles. Each step keeps the group's total, so it stays the population.
3. A respondent who did not give a raking variable ("prefer not to say", no answer) is left out
   of that margin's step: the census shares are imposed on those who gave it, and the others
   keep their share of the weight, which the other margins still adjust.
4. A category with fewer than `min_category_respondents` (3) respondents in a group is dropped
   from that group's margin and the other categories' census shares are rescaled to add up to
   one (the usual collapsing: the weights cannot put anyone there, or only by leaning on one or
   two people); its few respondents are treated as not having given that variable, as is a
   respondent in a category the census counts as empty.
5. Trimming: after raking, weights above `trim_ratio` x the group's median raked weight are set
   to that cap and what was cut is spread over the other respondents of the group in proportion
   to their weights (so the total is still the population). Raking and trimming then alternate
   until the raked weights are all within the cap, at most `trim_rounds` times; if that many
   rounds do not settle, the cap wins and the margins hold only approximately.
6. Margins that cannot all be met at once (say the census puts more people in one ethnic group
   than the age-sex cells of its few respondents hold) make the raking stop at
   `max_iterations`; the group is then reported as not converged rather than refused.

`CalibrationResiduals` gives the linearised variables that make variances of raked estimates
honest (see its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NOT_GIVEN = -1


@dataclass(frozen=True)
class RakingSettings:
    """How weights are raked and trimmed (the module docstring gives the rules)."""

    tolerance: float = 1e-10
    max_iterations: int = 200
    # A category raked on with one or two respondents pins their weights, and a respondent alone
    # in both an age-sex cell and an ethnic group is asked for two different weights at once.
    min_category_respondents: int = 3
    # 5x the median is a common cap in published surveys: it limits a single respondent's
    # influence while leaving typical non-response corrections (2-3x) alone.
    trim_ratio: float | None = 5.0
    trim_rounds: int = 5


@dataclass(frozen=True)
class Margin:
    """One raking margin: each respondent's category (`NOT_GIVEN` if missing) and, per group,
    the census count of each category (shape: groups x categories)."""

    category: IntArray
    population: FloatArray


@dataclass(frozen=True)
class CalibratedMargin:
    """A margin as the raking used it: each respondent's category after collapsing
    (`NOT_GIVEN` when left out of the margin) and the shares imposed (groups x categories)."""

    category: IntArray
    shares: FloatArray


@dataclass(frozen=True)
class RakedWeights:
    weights: FloatArray
    group: IntArray
    margins: tuple[CalibratedMargin, ...]
    # Per group: True when every margin was met to the tolerance before any trimming.
    converged: BoolArray
    # Per group: respondents whose weight ended at the trimming cap.
    trimmed: IntArray


@dataclass(frozen=True)
class _Plan:
    """One margin prepared for the loop: every respondent's cell, where respondents left out of
    the margin share one extra cell (the last) whose factor is always 1."""

    cells: IntArray
    shares: FloatArray
    categories: int


def _plan_margin(group: IntArray, margin: Margin, groups: int, minimum: int) -> _Plan:
    population = np.asarray(margin.population, dtype=np.float64)
    categories = population.shape[1]
    outside = groups * categories
    given = margin.category >= 0
    cells = np.where(given, group * categories + margin.category, outside)
    counts = np.bincount(cells, minlength=outside + 1)[:outside]
    usable = (counts >= max(minimum, 1)) & (population.reshape(-1) > 0)
    cells = np.where(np.append(usable, False)[cells], cells, outside)
    kept = np.where(usable, population.reshape(-1), 0.0).reshape(groups, categories)
    totals = kept.sum(axis=1, keepdims=True)
    shares = np.divide(kept, totals, out=np.zeros_like(kept), where=totals > 0).reshape(-1)
    return _Plan(cells=cells, shares=shares, categories=categories)


def _adjust(weights: FloatArray, plan: _Plan, groups: int) -> FloatArray:
    """One raking step on one margin, in place; returns each group's largest |factor - 1|."""
    outside = groups * plan.categories
    current = np.bincount(plan.cells, weights=weights, minlength=outside + 1)[:outside]
    given_total = current.reshape(groups, plan.categories).sum(axis=1)
    target = plan.shares * np.repeat(given_total, plan.categories)
    factor = np.ones(outside + 1)
    np.divide(target, current, out=factor[:outside], where=current > 0)
    weights *= factor[plan.cells]
    return np.abs(factor[:outside] - 1.0).reshape(groups, plan.categories).max(axis=1, initial=0.0)


def _subset(plans: Sequence[_Plan], rows: IntArray) -> list[_Plan]:
    return [_Plan(cells=plan.cells[rows], shares=plan.shares, categories=plan.categories) for plan in plans]


def _rake_loop(
    weights: FloatArray,
    plans: Sequence[_Plan],
    group: IntArray,
    groups: int,
    settings: RakingSettings,
    only: BoolArray | None = None,
) -> BoolArray:
    """Rake the groups (all, or those marked in `only`) in place until each has converged;
    returns which did (groups left alone count as converged)."""
    worst = np.zeros(groups)
    rows: IntArray | None = None  # None: every respondent is being raked
    active = np.ones(groups, dtype=bool)
    working, working_plans = weights, list(plans)
    if only is not None:
        rows, active = np.flatnonzero(only[group]), only
        working, working_plans = weights[rows], _subset(plans, rows)
    for iteration in range(settings.max_iterations):
        latest = np.zeros(groups)
        for plan in working_plans:
            latest = np.maximum(latest, _adjust(working, plan, groups))
        worst = np.where(active, latest, worst)
        unsettled = worst > settings.tolerance
        if not unsettled.any():
            break
        # Groups settle at different speeds and a few never do (margins that cannot all be met):
        # keep raking only their respondents, so they do not cost a pass over everyone.
        if iteration % 8 == 7 and unsettled.sum() < active.sum() / 2:
            if rows is not None:
                weights[rows] = working
            rows = np.flatnonzero(unsettled[group])
            working = weights[rows]
            working_plans = _subset(plans, rows)
            active = unsettled
    if rows is not None:
        weights[rows] = working
    converged: BoolArray = worst <= settings.tolerance
    return converged


def group_medians(values: FloatArray, group: IntArray, groups: int) -> FloatArray:
    """The median of `values` within each group (NaN for an empty group)."""
    # One float sort instead of a lexsort: each group's values land in [group, group + 1).
    scale = 2 * float(values.max(initial=0.0)) or 1.0
    order = np.argsort(group + values / scale)
    ordered = values[order]
    counts = np.bincount(group, minlength=groups)
    starts = np.cumsum(counts) - counts
    medians = np.full(groups, np.nan)
    present = counts > 0
    low = starts[present] + (counts[present] - 1) // 2
    high = starts[present] + counts[present] // 2
    medians[present] = (ordered[low] + ordered[high]) / 2
    return medians


def _cap(weights: FloatArray, group: IntArray, caps: FloatArray, groups: int) -> BoolArray:
    """Set weights above their group's cap to the cap and spread the excess over the rest, in
    place; returns who is at the cap."""
    capped = np.zeros(weights.size, dtype=bool)
    # Spreading the excess can lift others over the cap; each pass caps at least one more
    # respondent, and a handful of passes settles real data.
    for _ in range(100):
        over = (weights > caps[group] * (1 + 1e-12)) & ~capped
        if not over.any():
            break
        over_group = group[over]
        excess = np.bincount(over_group, weights=weights[over] - caps[over_group], minlength=groups)
        weights[over] = caps[over_group]
        capped |= over
        free = ~capped
        free_total = np.bincount(group[free], weights=weights[free], minlength=groups)
        scale = 1 + np.divide(excess, free_total, out=np.zeros(groups), where=free_total > 0)
        weights[free] *= scale[group[free]]
    return capped


def rake(
    *,
    group: IntArray,
    population: FloatArray,
    margins: Sequence[Margin],
    settings: RakingSettings | None = None,
) -> RakedWeights:
    """Raked, trimmed weights for respondents in `group` (0 … groups-1), where group `g` has
    `population[g]` people and each margin holds its census counts per group."""
    settings = settings or RakingSettings()
    groups = population.size
    group = np.asarray(group, dtype=np.int64)
    respondents = np.bincount(group, minlength=groups)
    if np.any((respondents > 0) & ~(population > 0)):
        raise ValueError("Every group with respondents needs a positive population.")
    start = np.divide(population, respondents, out=np.zeros(groups), where=respondents > 0)
    weights = start[group].astype(np.float64)
    plans = [_plan_margin(group, margin, groups, settings.min_category_respondents) for margin in margins]
    converged = _rake_loop(weights, plans, group, groups, settings)
    at_cap = np.zeros(weights.size, dtype=bool)
    if settings.trim_ratio is not None and weights.size:
        caps = settings.trim_ratio * group_medians(weights, group, groups)
        # Raking between two cappings need not be exact: the next capping moves the weights
        # again. (If the weights then settle within the caps, margins hold to 1e-8.)
        between_caps = replace(
            settings,
            tolerance=max(settings.tolerance, 1e-8),
            max_iterations=min(settings.max_iterations, 50),
        )
        for _ in range(settings.trim_rounds):
            over = weights > caps[group] * (1 + 1e-9)
            if not over.any():
                break
            _cap(weights, group, caps, groups)
            # Only capped groups need raking again, and not those whose margins could not be met
            # in the first place: more raking will not meet them now.
            capped = np.bincount(group[over], minlength=groups) > 0
            _rake_loop(weights, plans, group, groups, between_caps, only=capped & converged)
        else:
            _cap(weights, group, caps, groups)
        at_cap = weights >= caps[group] * (1 - 1e-9)
    return RakedWeights(
        weights=weights,
        group=group,
        margins=tuple(
            CalibratedMargin(
                category=np.where(plan.cells < groups * plan.categories, plan.cells % plan.categories, NOT_GIVEN),
                shares=plan.shares.reshape(groups, plan.categories),
            )
            for plan in plans
        ),
        converged=converged,
        trimmed=np.bincount(group[at_cap], minlength=groups),
    )


class CalibrationResiduals:
    """Residuals of a variable on the raking constraints, group by group: the linearised
    variable of a raked estimator (Deville & Särndal 1992), so variances credit the precision
    that raking to known margins brings instead of treating the weights as fixed.

    Raking imposes, per group, the total (an intercept) and for each margin and category c the
    share s_c among those who gave it, i.e. Σ w·(1[c] - s_c·1[gave]) = 0; these are the regressors.
    A respondent's regressors depend only on their combination of categories, so the weighted
    least squares fit is built from weight totals per group and combination, not per respondent.
    """

    def __init__(self, raked: RakedWeights, groups: int) -> None:
        self.groups = groups
        combination = np.zeros(raked.weights.size, dtype=np.int64)
        combinations = 1
        for margin in raked.margins:
            # Category index + 1, with 0 for "not given", as one digit of a mixed-radix number.
            size = margin.shares.shape[1] + 1
            combination = combination * size + (margin.category + 1)
            combinations *= size
        self.combinations = combinations
        self.cell = raked.group * combinations + combination
        self.weights = raked.weights
        # Regressors per group and combination: groups x combinations x (1 + Σ categories).
        columns = [np.ones((groups, combinations, 1))]
        remaining = np.arange(combinations)
        digits = []
        for margin in reversed(raked.margins):
            size = margin.shares.shape[1] + 1
            digits.append(remaining % size)
            remaining = remaining // size
        for margin, digit in zip(raked.margins, reversed(digits), strict=True):
            categories = margin.shares.shape[1]
            indicator = (digit[:, None] == np.arange(1, categories + 1)[None, :]).astype(np.float64)
            gave = (digit > 0).astype(np.float64)
            columns.append(indicator[None, :, :] - margin.shares[:, None, :] * gave[None, :, None])
        self.regressors = np.concatenate(columns, axis=2)
        totals = np.bincount(self.cell, weights=raked.weights, minlength=groups * combinations).reshape(
            groups, combinations
        )
        cross = np.einsum("gc,gck,gcl->gkl", totals, self.regressors, self.regressors)
        # The constraints of a margin add up to zero, so the cross-products are singular; the
        # pseudo-inverse gives the least squares fit all the same.
        self.inverse = np.linalg.pinv(cross, rcond=1e-10, hermitian=True)

    def __call__(self, values: FloatArray) -> FloatArray:
        weighted = np.bincount(
            self.cell, weights=self.weights * values, minlength=self.groups * self.combinations
        ).reshape(self.groups, self.combinations)
        coefficients = np.einsum("gkl,gl->gk", self.inverse, np.einsum("gc,gck->gk", weighted, self.regressors))
        fitted = np.einsum("gck,gk->gc", self.regressors, coefficients).reshape(-1)
        residuals: FloatArray = values - fitted[self.cell]
        return residuals


def kish_effective_size(weights: FloatArray, domain: IntArray, domains: int) -> FloatArray:
    """Kish's effective sample size (Σw)² / Σw² per domain (0 for an empty domain)."""
    total = np.bincount(domain, weights=weights, minlength=domains)
    squares = np.bincount(domain, weights=weights * weights, minlength=domains)
    return np.divide(total * total, squares, out=np.zeros(domains), where=squares > 0)
