"""The immediate-response detector: is this month's count unusually high for this area?

Pure functions over NumPy arrays (no ORM), so the statistics can be tested on synthetic
data of known shape. `beatbook.crime.detection` reads the monthly series from the database
and calls `detect`.

Method (an "improved Farrington" baseline: Farrington et al. 1996, J R Stat Soc A 159:547;
Noufaily et al. 2013, Stat Med 32:1206), for one area, one measure and the month t tested:

1. Baseline data: the 36 months from t-37 to t-2, i.e. the previous three years (b = 3) plus
   one month either side of the same calendar month three years ago (w = 1). Last month
   (t-1) is left out so that a rise that began last month does not raise its own baseline.
2. Model: a log-linear Poisson regression on those months with a linear trend in time and
   a seasonal factor with four levels: the "same season" (the calendar month of t and the
   months either side: up to 9 reference months, 3 in each earlier year) and the other nine
   calendar months in three blocks of three. The expected count for t is the model's
   value for the same season at time t, so it allows for the season and for the area's
   rise or fall over the three years. Weak ridge penalties (prior s.d. 2 on the log scale
   for the seasonal terms, 0.5 a year for the trend) keep sparse series (zeros in a season,
   one event in three years) finite and stop a trend being extrapolated from a handful of
   events; with ordinary counts they change nothing visible (a trend is then fitted from
   tens of events a month, hundreds of times the prior's weight).
3. Overdispersion: the Pearson statistic over the baseline months, divided by its degrees
   of freedom, floored at 1 (quasi-Poisson: the variance is phi times the mean).
   Past outbreaks are then down-weighted, as in Noufaily et al.: each baseline month's
   Anscombe residual is taken from this first fit (1.5 (y^2/3 - mu^2/3) / (mu^1/6
   sqrt(phi (1 - h))), h its leverage); a month whose residual r exceeds 2.58 (the 99.5%
   point of the standard normal) gets weight r^-2, the others weight 1, the weights are
   scaled to sum to the number of months observed, and the model is fitted once more with
   them. phi is then the weighted Pearson statistic over the same degrees of freedom. So a
   surge in an earlier year neither raises the expected count nor widens the range much,
   and cannot hide a new surge of the same size.
4. Predictive distribution of the count at t: negative binomial with that mean and
   variance phi * mean (Poisson when phi = 1), mixed over the uncertainty of the estimated
   mean (log-normal, with the variance of the fitted log mean at t, integrated by
   Gauss-Hermite quadrature). So a short or noisy history widens the range instead of
   raising false alarms.
5. Test: flag when the observed count exceeds the upper (1 - alpha) quantile of that
   distribution, so the chance of a flag in an ordinary month is at most alpha per area,
   month and measure (default alpha = 0.01). Small counts are never flagged: the count
   must be at least `min_observed` (5) and at least `min_excess` (3) above the expected
   count, so an area going from 0 to 3 is not flagged however rare that is.
6. History: at least 24 months of data before t (two years), with the same season seen in
   at least two earlier years; otherwise "not enough history" and no statistical flag.

The distribution functions are written here with NumPy (SciPy is not a dependency): the
probability tables are built by the pmf recurrences in log space, which are exact up to
rounding and need no gamma function.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Below this excess over 1 the negative binomial is a Poisson to 6 significant figures.
_POISSON_EPSILON = 1e-9
_MAX_LOG_MEAN = 30.0
_MIN_LOG_MEAN = -30.0
# Rows per block of probability tables, and at most this many cells (rows x quadrature
# nodes x table length) per block: about 16 MB a temporary array.
_CHUNK = 64
_CELLS = 2_000_000


class Status(StrEnum):
    TESTED = "tested"
    NOT_ENOUGH_HISTORY = "not_enough_history"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class DetectorConfig:
    alpha: float = 0.01
    years: int = 3  # b: how many earlier years the baseline reaches back
    half_window: int = 1  # w: months either side of the same calendar month
    min_years: int = 2  # fewer years of history than this: no statistical flag
    min_observed: int = 5  # never flag a count below this
    min_excess: float = 3.0  # never flag a count less than this above expected
    season_ridge: float = 0.25  # prior precision on the seasonal terms (s.d. 2 on the log scale)
    trend_ridge: float = 4.0  # prior precision on the trend (s.d. 0.5 on the log scale per year)
    quadrature_nodes: int = 12  # for the uncertainty of the expected count
    dispersion_nodes: int = 3  # for the uncertainty of phi
    max_iterations: int = 50
    # Past outbreaks: reference months whose Anscombe residual exceeds this (the 99.5% point
    # of the standard normal, Noufaily et al. 2013) get weight residual^-2 in a second fit.
    reweight_threshold: float = 2.58

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 0.5:
            raise ValueError("alpha must be between 0 and 0.5")
        if self.years < self.min_years or self.min_years < 1:
            raise ValueError("need 1 <= min_years <= years")
        if not 0 <= self.half_window <= 2:
            raise ValueError("half_window must be 0, 1 or 2")

    @property
    def span(self) -> int:
        """How many months before t the baseline reaches back (37 for b=3, w=1)."""
        return 12 * self.years + self.half_window

    @property
    def min_history_months(self) -> int:
        return 12 * self.min_years


@dataclass(frozen=True)
class Detection:
    """The test of one month for n series (one row per area). NaN where not tested."""

    status: NDArray[np.str_]
    observed: FloatArray
    expected: FloatArray
    lower: FloatArray  # alpha quantile: counts below it would be unusually low
    upper: FloatArray  # (1 - alpha) quantile: counts above it are unusually high
    tail_probability: FloatArray  # P(count >= observed) in an ordinary month
    dispersion: FloatArray  # phi, variance / mean, at least 1
    trend_per_year: FloatArray  # fitted multiplicative change per year (1.05 = +5%)
    flagged: BoolArray

    def __len__(self) -> int:
        return len(self.status)


# --- Distributions ---------------------------------------------------------------------


def count_log_pmf_table(mean: FloatArray, dispersion: FloatArray, k_max: int) -> FloatArray:
    """log P(Y = k) for k = 0..k_max, for counts with this mean and variance/mean ratio.

    dispersion 1 is the Poisson; above 1 the negative binomial with size r = mean/(phi - 1)
    and success probability 1/phi (so the variance is phi * mean). Shapes broadcast:
    the result has shape mean.shape + (k_max + 1,). Built by the recurrences
    p(k+1)/p(k) = mean/(k+1) (Poisson) and (k + r)(1 - 1/phi)/(k+1) (negative binomial),
    starting from p(0) = exp(-mean) and (1/phi)^r.
    """
    mean_arr, phi_arr = np.broadcast_arrays(
        np.asarray(mean, dtype=np.float64), np.maximum(np.asarray(dispersion, dtype=np.float64), 1.0)
    )
    k = np.arange(k_max, dtype=np.float64)
    log_k1 = np.log(k + 1.0)
    out = np.empty((*mean_arr.shape, k_max + 1), dtype=np.float64)
    zero = mean_arr <= 0.0
    poisson = ((phi_arr - 1.0) < _POISSON_EPSILON) & ~zero
    nb = ~poisson & ~zero
    if poisson.any():
        m = mean_arr[poisson][:, None]
        out[poisson, 0] = -m[:, 0]
        out[poisson, 1:] = np.log(m) - log_k1
    if nb.any():
        m = mean_arr[nb][:, None]
        excess = phi_arr[nb][:, None] - 1.0
        phi = excess + 1.0
        r = m / excess
        out[nb, 0] = (-r * np.log(phi))[:, 0]
        out[nb, 1:] = np.log(k + r) + np.log(excess / phi) - log_k1
    out[..., 1:] = np.cumsum(out[..., 1:], axis=-1)
    out[..., 1:] += out[..., :1]
    # A zero mean puts all the mass on 0.
    out[zero, 0] = 0.0
    out[zero, 1:] = -np.inf
    return out


def count_cdf_table(mean: FloatArray, dispersion: FloatArray, k_max: int) -> FloatArray:
    """P(Y <= k) for k = 0..k_max (see `count_log_pmf_table`)."""
    return np.minimum(np.cumsum(np.exp(count_log_pmf_table(mean, dispersion, k_max)), axis=-1), 1.0)


def poisson_cdf(k: int, mean: float) -> float:
    """P(Y <= k) for a Poisson count with this mean."""
    if k < 0:
        return 0.0
    return float(count_cdf_table(np.array([mean]), np.array([1.0]), k)[0, k])


def negative_binomial_cdf(k: int, mean: float, dispersion: float) -> float:
    """P(Y <= k) for a negative binomial count with this mean and variance dispersion * mean."""
    if k < 0:
        return 0.0
    return float(count_cdf_table(np.array([mean]), np.array([dispersion]), k)[0, k])


def quantile_from_cdf(cdf: FloatArray, probability: float) -> NDArray[np.int64]:
    """The smallest k with P(Y <= k) >= probability, along the last axis (k_max + 1 if none)."""
    # A hair of tolerance, so that rounding in the cumulative sum cannot move a quantile
    # that sits exactly on a probability (such as a point mass at 0).
    reached = cdf >= probability - 1e-12
    first = np.argmax(reached, axis=-1)
    return np.where(reached.any(axis=-1), first, cdf.shape[-1]).astype(np.int64)


def chi_square_nodes(df: FloatArray, nodes: int) -> tuple[FloatArray, FloatArray]:
    """Quadrature nodes and weights for a chi-square variable with `df` degrees of freedom.

    Gauss-Hermite nodes for a standard normal z, mapped by the Wilson-Hilferty cube
    (chi2 ~ df (1 - 2/(9 df) + z sqrt(2/(9 df)))^3, accurate to a few per cent in the
    tails for df >= 10, which covers our 20-odd degrees of freedom). Shape (n, nodes).
    """
    x, w = np.polynomial.hermite.hermgauss(nodes)
    z = np.sqrt(2.0) * x
    d = np.asarray(df, dtype=np.float64)[:, None]
    c = 2.0 / (9.0 * d)
    values = d * np.maximum(1.0 - c + z[None, :] * np.sqrt(c), 1e-3) ** 3
    return values, np.broadcast_to(w / np.sqrt(np.pi), values.shape)


def predictive_cdf_table(
    median_mean: FloatArray,
    mean_variance: FloatArray,
    dispersion: FloatArray,
    k_max: int,
    *,
    dispersion_df: FloatArray | None = None,
    nodes: int = 12,
    dispersion_nodes: int = 3,
) -> FloatArray:
    """P(Y <= k), k = 0..k_max, allowing for the uncertainty of the estimated mean and dispersion.

    Given the mean m and dispersion phi, Y is negative binomial (Poisson when phi = 1).
    log(m) ~ N(log(median_mean), phi * mean_variance): `mean_variance` is the variance of the
    fitted log mean per unit of dispersion. When `dispersion_df` is given, `dispersion` is
    the raw (unfloored) Pearson estimate and the true phi is taken as
    max(1, dispersion * df / chi2_df), the usual sampling distribution of that estimate.
    Both are integrated by Gauss-Hermite quadrature. Shape (n, k_max + 1).
    """
    median = np.asarray(median_mean, dtype=np.float64)
    unit_variance = np.maximum(np.asarray(mean_variance, dtype=np.float64), 0.0)
    raw_phi = np.asarray(dispersion, dtype=np.float64)
    n = len(median)
    if dispersion_df is None:
        phis = np.maximum(raw_phi, 1.0)[:, None]
        phi_weights = np.ones((n, 1))
    else:
        chi2, phi_weights = chi_square_nodes(dispersion_df, dispersion_nodes)
        phis = np.maximum(raw_phi[:, None] * np.asarray(dispersion_df, dtype=np.float64)[:, None] / chi2, 1.0)
    x, w = np.polynomial.hermite.hermgauss(nodes)
    mean_weights = w / np.sqrt(np.pi)
    sd = np.sqrt(phis * unit_variance[:, None])  # (n, phi nodes)
    log_means = np.log(np.maximum(median, 1e-300))[:, None, None] + np.sqrt(2.0) * sd[:, :, None] * x
    means = np.where(median[:, None, None] > 0, np.exp(np.clip(log_means, _MIN_LOG_MEAN, _MAX_LOG_MEAN)), 0.0)
    table = count_cdf_table(means, np.broadcast_to(phis[:, :, None], means.shape), k_max)
    return np.einsum("npqk,np,q->nk", table, phi_weights, mean_weights)


# --- The baseline model ---------------------------------------------------------------------


def season_blocks(config: DetectorConfig) -> NDArray[np.int64]:
    """Block (0..3) of each calendar offset d = 0..11 months from the month tested.

    Block 0 is the same season (d within w of 0, either way round the year); the other
    months are cut into consecutive blocks of about three.
    """
    w = config.half_window
    d = np.arange(12)
    distance = np.minimum(d, 12 - d)
    blocks = np.zeros(12, dtype=np.int64)
    others = [int(v) for v in d if distance[v] > w]
    for index, group in enumerate(np.array_split(np.array(others), max(1, round(len(others) / 3)))):
        blocks[group] = index + 1
    return blocks


def design_matrix(config: DetectorConfig) -> tuple[FloatArray, NDArray[np.int64]]:
    """Columns: same-season level (intercept), the other season blocks, time in years.

    Rows: the baseline months, as offsets o (months before t) from w + 1 to 12b + w.
    Returns the matrix and the offsets.
    """
    offsets = np.arange(config.half_window + 1, config.span + 1)
    blocks = season_blocks(config)[(-offsets) % 12]
    n_blocks = int(blocks.max()) + 1
    x = np.zeros((len(offsets), n_blocks + 1), dtype=np.float64)
    x[:, 0] = 1.0
    for b in range(1, n_blocks):
        x[:, b] = blocks == b
    x[:, n_blocks] = -offsets / 12.0
    return x, offsets


def _fit(y: FloatArray, observed: FloatArray, x: FloatArray, config: DetectorConfig) -> tuple[FloatArray, FloatArray]:
    """Penalised Poisson regression for every row of y at once (IRLS). Returns (beta, cov/phi)."""
    n, p = y.shape[0], x.shape[1]
    penalty = np.full(p, config.season_ridge)
    penalty[0] = 0.0
    penalty[-1] = config.trend_ridge
    penalty_matrix = np.diag(penalty)
    weight_sum = observed.sum(axis=1)
    mean_y = (y * observed).sum(axis=1) / np.maximum(weight_sum, 1.0)
    beta = np.zeros((n, p))
    beta[:, 0] = np.log(mean_y + 0.5)
    previous = np.full(n, np.inf)
    information = np.zeros((n, p, p))
    for _ in range(config.max_iterations):
        eta = np.clip(beta @ x.T, _MIN_LOG_MEAN, _MAX_LOG_MEAN)
        mu = np.exp(eta)
        working = eta + (y - mu) / mu
        weights = observed * mu
        information = np.einsum("nm,mi,mj->nij", weights, x, x) + penalty_matrix
        score = np.einsum("nm,mi->ni", weights * working, x)
        beta = np.linalg.solve(information, score[..., None])[..., 0]
        # Poisson deviance-like convergence check on the penalised log likelihood.
        loglik = (observed * (y * eta - mu)).sum(axis=1) - 0.5 * (beta**2 * penalty).sum(axis=1)
        if np.all(np.abs(loglik - previous) < 1e-8 * (1.0 + np.abs(loglik))):
            break
        previous = loglik
    eta = np.clip(beta @ x.T, _MIN_LOG_MEAN, _MAX_LOG_MEAN)
    mu = np.exp(eta)
    information = np.einsum("nm,mi,mj->nij", observed * mu, x, x) + penalty_matrix
    return beta, np.linalg.inv(information)


def _fit_reweighted(
    y: FloatArray, observed: FloatArray, x: FloatArray, df: FloatArray, config: DetectorConfig
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Fit, down-weight past outbreaks among the reference months, refit once (Noufaily et al. 2013).

    Returns (beta, cov/phi, the weights used, fitted means). The Anscombe residual of each
    month uses the first fit's dispersion (floored at 1) and leverage; months with a residual
    above `reweight_threshold` get weight residual^-2, the others 1, and the weights are
    scaled to sum to the number of months observed. Rows with no such month keep the first fit.
    """
    beta, covariance = _fit(y, observed, x, config)
    mu = np.exp(np.clip(beta @ x.T, _MIN_LOG_MEAN, _MAX_LOG_MEAN))
    phi = np.maximum((observed * (y - mu) ** 2 / mu).sum(axis=1) / df, 1.0)
    # Leverage h = mu x' (X'WX + P)^-1 x, from the penalised information of the first fit.
    leverage = mu * np.einsum("mi,nij,mj->nm", x, covariance, x)
    spread = np.sqrt(phi[:, None] * np.maximum(1.0 - leverage, 1e-6)) * mu ** (1.0 / 6.0)
    residual = 1.5 * (y ** (2.0 / 3.0) - mu ** (2.0 / 3.0)) / spread
    outlying = (observed > 0) & (residual > config.reweight_threshold)
    weights = observed.copy()
    rows = np.flatnonzero(outlying.any(axis=1))
    if len(rows) == 0:
        return beta, covariance, weights, mu
    omega = np.where(outlying[rows], 1.0 / np.where(outlying[rows], residual[rows], 1.0) ** 2, 1.0) * observed[rows]
    weights[rows] = omega * (observed[rows].sum(axis=1) / omega.sum(axis=1))[:, None]
    beta[rows], covariance[rows] = _fit(y[rows], weights[rows], x, config)
    mu[rows] = np.exp(np.clip(beta[rows] @ x.T, _MIN_LOG_MEAN, _MAX_LOG_MEAN))
    return beta, covariance, weights, mu


def detect(counts: FloatArray, config: DetectorConfig | None = None) -> Detection:
    """Test the last month (column) of each row of `counts` against that row's history.

    `counts` has shape (n, T): consecutive months, oldest first, the month tested last;
    NaN marks a month with no data (not imported), as opposed to a true zero.
    """
    config = config or DetectorConfig()
    counts = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    n, length = counts.shape
    span = config.span
    # Pad on the left so that every row has the whole span before t (NaN = no data).
    if length < span + 1:
        counts = np.concatenate([np.full((n, span + 1 - length), np.nan), counts], axis=1)
    history = counts[:, -(span + 1) : -1][:, ::-1]  # column o-1 is month t-o
    current = counts[:, -1]

    x, offsets = design_matrix(config)
    y_fit = history[:, offsets - 1]
    seen = ~np.isnan(y_fit)
    observed_weight = seen.astype(np.float64)
    y_fit = np.where(seen, y_fit, 0.0)

    # Enough history: min_years * 12 observed months before t, and the same season seen
    # in at least min_years earlier years.
    months_seen = (~np.isnan(history)).sum(axis=1)
    same_season = season_blocks(config)[(-offsets) % 12] == 0
    year_of = (offsets + config.half_window) // 12  # 1 for t-13..t-11, 2 for t-25..t-23, ...
    years_seen = np.zeros(n, dtype=np.int64)
    for year in range(1, config.years + 1):
        in_year = same_season & (year_of == year)
        years_seen += (seen[:, in_year]).any(axis=1)
    enough = (months_seen >= config.min_history_months) & (years_seen >= config.min_years)
    has_current = ~np.isnan(current)
    status = np.where(
        ~has_current, Status.NO_DATA.value, np.where(enough, Status.TESTED.value, Status.NOT_ENOUGH_HISTORY.value)
    )

    expected = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    tail = np.full(n, np.nan)
    dispersion = np.full(n, np.nan)
    trend = np.full(n, np.nan)
    tested = np.flatnonzero(enough & has_current)
    if len(tested):
        result = _test_rows(y_fit[tested], observed_weight[tested], current[tested], x, config)
        expected[tested], lower[tested], upper[tested], tail[tested], dispersion[tested], trend[tested] = result
    with np.errstate(invalid="ignore"):
        flagged = (
            (status == Status.TESTED.value)
            & (current > upper)
            & (current >= config.min_observed)
            & (current - expected >= config.min_excess)
        )
    return Detection(
        status=status,
        observed=current,
        expected=expected,
        lower=lower,
        upper=upper,
        tail_probability=tail,
        dispersion=dispersion,
        trend_per_year=trend,
        flagged=flagged,
    )


def _test_rows(
    y: FloatArray, observed: FloatArray, current: FloatArray, x: FloatArray, config: DetectorConfig
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    n, p = y.shape[0], x.shape[1]
    expected = np.zeros(n)
    unit_variance = np.zeros(n)  # variance of the fitted log mean at t, per unit of phi
    raw_phi = np.ones(n)
    df = np.ones(n)
    trend = np.ones(n)
    total = (y * observed).sum(axis=1)
    nonzero = total > 0
    if nonzero.any():
        y_nz = y[nonzero]
        df[nonzero] = np.maximum(observed[nonzero].sum(axis=1) - p, 1.0)
        beta, covariance, weights, mu = _fit_reweighted(y_nz, observed[nonzero], x, df[nonzero], config)
        pearson = (weights * (y_nz - mu) ** 2 / mu).sum(axis=1)
        raw_phi[nonzero] = pearson / df[nonzero]
        expected[nonzero] = np.exp(beta[:, 0])
        unit_variance[nonzero] = covariance[:, 0, 0]
        trend[nonzero] = np.exp(beta[:, -1])
    tables = _predictive_cdfs(expected, unit_variance, raw_phi, df, observed.sum(axis=1), current, nonzero, config)
    lower = np.array([quantile_from_cdf(c, config.alpha) for c in tables], dtype=np.float64)
    upper = np.array([quantile_from_cdf(c, 1.0 - config.alpha) for c in tables], dtype=np.float64)
    tail = np.array(
        [1.0 - (c[int(obs) - 1] if obs >= 1 else 0.0) for c, obs in zip(tables, current, strict=True)],
        dtype=np.float64,
    )
    return expected, lower, upper, np.clip(tail, 0.0, 1.0), np.maximum(raw_phi, 1.0), trend


def _predictive_cdfs(
    expected: FloatArray,
    unit_variance: FloatArray,
    raw_phi: FloatArray,
    df: FloatArray,
    months: FloatArray,
    current: FloatArray,
    nonzero: BoolArray,
    config: DetectorConfig,
) -> list[FloatArray]:
    """One CDF table per row, long enough for its upper quantile and its observed count."""
    # How far each table must reach: the mean at 3.5 s.d. of its uncertainty plus six
    # s.d. of the count, with phi at its highest quadrature node; past the observed count.
    # Rows whose table still ends short of 1 - alpha/100 are redone twice as long.
    chi2_low, _ = chi_square_nodes(df, config.dispersion_nodes)
    phi_high = np.maximum(raw_phi * df / chi2_low.min(axis=1), 1.0)
    high = expected * np.exp(3.5 * np.sqrt(phi_high * unit_variance))
    reach = np.ceil(high + 6.0 * np.sqrt(phi_high * np.maximum(high, 1.0)) + 10.0)
    reach = np.maximum(reach, np.nan_to_num(current) + 1).astype(np.int64)
    tables: list[FloatArray] = [np.empty(0)] * len(expected)
    # Rows with no event in the whole baseline: nothing to fit a trend to. Their rate has
    # the Jeffreys posterior Gamma(1/2, months), so the count is negative binomial with
    # size 1/2 and mean 1/(2 months), variance/mean 1 + 1/months.
    for i in np.flatnonzero(~nonzero):
        months_i = max(float(months[i]), 1.0)
        tables[i] = count_cdf_table(np.array([0.5 / months_i]), np.array([1.0 + 1.0 / months_i]), int(reach[i]))[0]
    # The others in chunks of similar reach, so that one long table does not make all long.
    pending = np.flatnonzero(nonzero)
    while len(pending):
        pending = pending[np.argsort(reach[pending], kind="stable")]
        short: list[int] = []
        start = 0
        while start < len(pending):
            # As many rows as fit the cell budget at the longest table among them (sorted).
            nodes = config.quadrature_nodes * config.dispersion_nodes
            longest = int(reach[pending[min(start + _CHUNK, len(pending)) - 1]]) + 1
            size = max(1, min(_CHUNK, _CELLS // (nodes * longest)))
            part = pending[start : start + size]
            start += size
            k_max = int(reach[part].max())
            block = predictive_cdf_table(
                expected[part],
                unit_variance[part],
                raw_phi[part],
                k_max,
                dispersion_df=df[part],
                nodes=config.quadrature_nodes,
                dispersion_nodes=config.dispersion_nodes,
            )
            for j, i in enumerate(part):
                tables[i] = block[j, : reach[i] + 1]
                if tables[i][-1] < 1.0 - config.alpha / 100.0:
                    short.append(int(i))
        pending = np.array(short, dtype=np.int64)
        reach[pending] *= 2
    return tables
