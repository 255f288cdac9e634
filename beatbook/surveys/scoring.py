"""Confidence scores from "Your Views" responses: per question, overall, weighted, with intervals.

Pure functions over numpy arrays (the database is read elsewhere). One call, `score_survey`,
scores every neighbourhood, NPA and the force in every wave; `representation` compares who
answered with who lives there. The rules (the tests check exactly these):

1. Answers are on a 5-point agreement scale, 1 (strongly disagree) to 5 (strongly agree); 0 is
   "don't know" or no answer. Positive means 4 or 5. A question's share is the share positive
   among those who answered it; "don't know" is left out, like a blank.
2. The overall confidence score is the mean of the per-question shares (the Leicestershire
   method), so each question counts equally whoever skipped what.
3. Unweighted estimates give every respondent the same weight (the figure forces report today).
   Weighted estimates use `weighting.rake`: each neighbourhood's respondents in each wave are
   raked to its census margins (age band x sex, ethnic group) and trimmed. NPA and force
   estimates use the same weights, which add up to each neighbourhood's population, so every
   neighbourhood counts by its size, not by how many of its people answered. A neighbourhood
   with no responses in a wave is simply absent from its NPA's estimate for that wave.
4. Standard errors come from Taylor linearisation: each estimate's linearised value per
   respondent (its derivative with respect to that respondent's weight), summed with the
   with-replacement formula n/(n-1)·Σ(u - ū)² within strata, every respondent of the stratum
   counting (those who skipped a question with value 0: domain estimation). For a neighbourhood
   the stratum is the neighbourhood; for an NPA or the force the strata are its neighbourhoods,
   because the weighting makes each a separate sample. For weighted estimates the linearised
   values are first replaced by their residuals on the raking constraints
   (`weighting.CalibrationResiduals`), so the SE reflects both the cost of unequal weights and
   the precision that raking to known census margins brings; treating the weights as fixed
   instead overstated the SE by about 10% in the simulation test, and covered 97-98%.
   Unweighted estimates are treated as simple random samples of their area.
5. 95% intervals are Wilson score intervals at the effective sample size n* = p(1 - p) / SE²
   (the size of a simple random sample with the same standard error), so they carry the design
   effect of the weighting and stay inside 0-1 for small or lopsided samples. When SE is 0
   (everyone answered alike), n* is Kish's effective size (Σw)² / Σw² instead. Each estimate
   also reports Kish's effective size and design effect n / n_eff.
6. Suppression: an area-wave with fewer than `min_responses` respondents (people who answered at
   least one confidence question) gets status "suppressed" and no numbers at all, not even its
   count; a question answered by fewer than `min_responses` likewise.
7. Change since the last wave (the wave immediately before, when both are published): a z test
   on the difference of the weighted scores, z = (now - before) / √(SE_now² + SE_before²), the
   waves being independent samples; two-sided p; "more than noise" when p < `change_alpha`.
   With dozens of neighbourhoods some changes pass by chance, so each change also carries a
   Benjamini-Hochberg q-value over all areas of its level in its wave.
8. Small-area estimates (`smallarea.fay_herriot`), per wave, for every neighbourhood with at
   least `min_responses_modelled` respondents: its weighted score shrunk toward its NPA, with
   `modelled=True` and its own interval (estimate ± z·√MSE, within 0-1). The sampling variance
   the model needs is smoothed, because a handful of responses gives a useless estimate of its
   own variance: ψ = S² / n_eff, with S² the per-respondent variance pooled over the wave's
   neighbourhoods (Σ(n - 1)·SE²·n_eff / Σ(n - 1)) and n_eff the neighbourhood's Kish size.
9. Representation: for each area, wave and group (age band, sex, ethnic group), the share of
   respondents who gave that characteristic against the census share. A group is
   under-represented when its share is below `under_represented_ratio` (0.8) times the census
   share and a one-sample z test against the census share gives p < `representation_alpha`.
   Suppressed area-waves (rule 6, counting everyone who responded) show no respondent numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from .smallarea import fay_herriot
from .weighting import (
    NOT_GIVEN,
    CalibrationResiduals,
    FloatArray,
    IntArray,
    Margin,
    RakedWeights,
    RakingSettings,
    rake,
)

BoolArray = npt.NDArray[np.bool_]

NO_ANSWER = 0
POSITIVE_FROM = 4
SCALE_TOP = 5


class Level(StrEnum):
    NEIGHBOURHOOD = "neighbourhood"
    NPA = "npa"
    FORCE = "force"


class Status(StrEnum):
    OK = "ok"
    SUPPRESSED = "suppressed"
    NO_RESPONSES = "no-responses"


class Characteristic(StrEnum):
    AGE_BAND = "age band"
    SEX = "sex"
    ETHNIC_GROUP = "ethnic group"


@dataclass(frozen=True)
class AreaHierarchy:
    """Neighbourhoods (indexed 0 … N-1 in `Responses.neighbourhood`), the NPA each is in, and
    the force."""

    neighbourhoods: tuple[str, ...]
    npa_of_neighbourhood: IntArray
    npas: tuple[str, ...]
    force: str


@dataclass(frozen=True)
class Census:
    """Residents per neighbourhood: `age_sex` is neighbourhoods x age bands x sexes, and
    `ethnic_group` neighbourhoods x ethnic groups. The age x sex total is the population the
    weights add up to; the ethnic margin is used as shares (it may count a different universe)."""

    age_bands: tuple[str, ...]
    sexes: tuple[str, ...]
    ethnic_groups: tuple[str, ...]
    age_sex: FloatArray
    ethnic_group: FloatArray


@dataclass(frozen=True)
class Responses:
    """One row per response. `answers` is responses x questions on the 1-5 scale (0: none or
    "don't know"); the equality answers index `Census`'s labels, -1 for "prefer not to say"."""

    neighbourhood: IntArray
    wave: IntArray
    answers: IntArray
    age_band: IntArray
    sex: IntArray
    ethnic_group: IntArray

    def __len__(self) -> int:
        return int(self.wave.size)


@dataclass(frozen=True)
class ScoringSettings:
    min_responses: int = 30
    min_responses_modelled: int = 5
    confidence: float = 0.95
    change_alpha: float = 0.05
    under_represented_ratio: float = 0.8
    representation_alpha: float = 0.05
    raking: RakingSettings = field(default_factory=RakingSettings)

    @property
    def z(self) -> float:
        return NormalDist().inv_cdf(0.5 + self.confidence / 2)


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float
    low: float
    high: float
    # Direct estimates only: Kish's effective sample size and design effect.
    effective_responses: float | None = None
    design_effect: float | None = None
    # Modelled estimates only: the weight gamma on the area's own direct estimate.
    weight_on_direct: float | None = None
    modelled: bool = False


@dataclass(frozen=True)
class QuestionScore:
    question: int
    status: Status
    answered: int | None
    unweighted: Estimate | None
    weighted: Estimate | None


@dataclass(frozen=True)
class Change:
    previous_wave: int
    difference: float
    se: float
    z: float
    p_value: float
    q_value: float
    more_than_noise: bool


@dataclass(frozen=True)
class ScoreRow:
    level: Level
    area: str
    wave: int
    status: Status
    responses: int | None
    unweighted: Estimate | None
    weighted: Estimate | None
    modelled: Estimate | None
    questions: tuple[QuestionScore, ...]
    change: Change | None
    weights_converged: bool

    @property
    def headline(self) -> Estimate | None:
        """The figure to show: the direct weighted score when published, else the modelled one."""
        return self.weighted if self.weighted is not None else self.modelled


@dataclass(frozen=True)
class RepresentationRow:
    level: Level
    area: str
    wave: int
    characteristic: Characteristic
    group: str
    status: Status
    respondents: int | None
    gave_characteristic: int | None
    respondent_share: float | None
    population_share: float
    ratio: float | None
    p_value: float | None
    under_represented: bool


@dataclass(frozen=True)
class DomainEstimates:
    """Estimates for many domains at once (arrays indexed by domain, then question)."""

    respondents: IntArray
    answered: IntArray
    share: FloatArray
    share_variance: FloatArray
    share_effective: FloatArray
    score: FloatArray
    score_variance: FloatArray
    score_effective: FloatArray


# --- building blocks ------------------------------------------------------------------------


def positive_and_answered(answers: IntArray) -> tuple[FloatArray, FloatArray]:
    """1.0 where an answer is positive (4 or 5), and 1.0 where there is an answer at all."""
    answered = (answers != NO_ANSWER).astype(np.float64)
    positive = (answers >= POSITIVE_FROM).astype(np.float64)
    return positive, answered


def two_sided_p(z: FloatArray) -> FloatArray:
    return np.asarray([math.erfc(abs(value) / math.sqrt(2)) for value in np.ravel(z)]).reshape(np.shape(z))


def benjamini_hochberg(p_values: FloatArray) -> FloatArray:
    """False-discovery-rate q-values (Benjamini-Hochberg step-up) for one family of tests."""
    p = np.asarray(p_values, dtype=np.float64)
    count = p.size
    if count == 0:
        return p.copy()
    order = np.argsort(p)
    scaled = p[order] * count / np.arange(1, count + 1)
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(count)
    q[order] = np.minimum(monotone, 1.0)
    return q


def wilson_interval(p: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for proportion p observed on an (effective) sample of n."""
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n + z2n / (4 * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def effective_for_interval(p: FloatArray, variance: FloatArray, kish: FloatArray) -> FloatArray:
    """n* = p(1 - p) / SE², or Kish's size where that is undefined (SE = 0, p at 0 or 1)."""
    binomial = p * (1 - p)
    usable = (variance > 0) & (binomial > 0)
    return np.where(usable, np.divide(binomial, variance, out=np.ones_like(variance), where=usable), kish)


def _stratified_variance(
    influence: FloatArray, stratum: IntArray, sizes: FloatArray, stratum_domain: IntArray, domains: int
) -> FloatArray:
    strata = stratum_domain.size
    sums = np.bincount(stratum, weights=influence, minlength=strata)
    squares = np.bincount(stratum, weights=influence * influence, minlength=strata)
    within = squares - np.divide(sums * sums, sizes, out=np.zeros(strata), where=sizes > 0)
    # A stratum of one respondent adds nothing: its variance cannot be estimated from it.
    factor = np.divide(sizes, sizes - 1, out=np.zeros(strata), where=sizes > 1)
    return np.bincount(stratum_domain, weights=factor * within, minlength=domains).astype(np.float64)


def domain_estimates(
    *,
    weights: FloatArray,
    positive: FloatArray,
    answered: FloatArray,
    domain: IntArray,
    domains: int,
    stratum: IntArray | None = None,
    stratum_domain: IntArray | None = None,
    residuals: Callable[[FloatArray], FloatArray] | None = None,
) -> DomainEstimates:
    """Per-question shares and the overall score per domain, with linearised variances.

    `stratum` (nested in domains; `stratum_domain[s]` is the domain of stratum s) defaults to
    the domain itself, i.e. each domain is one simple sample. The sample in a stratum is every
    respondent in it: a question's non-answerers count with influence 0 (domain estimation).
    `residuals` (a `CalibrationResiduals`) turns each linearised variable into its residual on
    the raking constraints; without it the weights are treated as fixed."""
    if stratum is None or stratum_domain is None:
        stratum, stratum_domain = domain, np.arange(domains)
    questions = positive.shape[1]
    weighted_answered = weights[:, None] * answered
    # (bincount of nothing is an integer array: hence the casts, for an empty survey)
    totals = np.stack(
        [np.bincount(domain, weighted_answered[:, q], minlength=domains) for q in range(questions)], 1
    ).astype(np.float64)
    positives = np.stack(
        [np.bincount(domain, weighted_answered[:, q] * positive[:, q], minlength=domains) for q in range(questions)],
        1,
    ).astype(np.float64)
    share = np.divide(positives, totals, out=np.full(totals.shape, np.nan), where=totals > 0)
    # A domain where nobody answered has a NaN share but also nobody to carry it.
    inverse_totals = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    linearised = answered * (positive - np.nan_to_num(share)[domain]) * inverse_totals[domain]
    if residuals is not None:
        linearised = np.column_stack([residuals(linearised[:, q]) for q in range(questions)])
    influence = weights[:, None] * linearised
    sizes = np.bincount(stratum, minlength=stratum_domain.size).astype(np.float64)
    share_variance = np.stack(
        [_stratified_variance(influence[:, q], stratum, sizes, stratum_domain, domains) for q in range(questions)],
        1,
    )
    squares = np.stack(
        [np.bincount(domain, weighted_answered[:, q] ** 2, minlength=domains) for q in range(questions)], 1
    )
    share_effective = np.divide(totals * totals, squares, out=np.zeros_like(totals), where=squares > 0)

    took_part = (answered.sum(axis=1) > 0).astype(np.float64)
    part_weights = weights * took_part
    part_total = np.bincount(domain, part_weights, minlength=domains)
    part_squares = np.bincount(domain, part_weights * part_weights, minlength=domains)
    return DomainEstimates(
        respondents=np.bincount(domain, took_part, minlength=domains).round().astype(np.int64),
        answered=np.stack([np.bincount(domain, answered[:, q], minlength=domains) for q in range(questions)], 1).astype(
            np.int64
        ),
        share=share,
        share_variance=share_variance,
        share_effective=share_effective,
        score=share.mean(axis=1),
        score_variance=_stratified_variance(influence.mean(axis=1), stratum, sizes, stratum_domain, domains),
        score_effective=np.divide(part_total * part_total, part_squares, out=np.zeros(domains), where=part_squares > 0),
    )


# --- weights ----------------------------------------------------------------------------------


def _validate(responses: Responses, areas: AreaHierarchy, census: Census) -> None:
    count = len(responses)
    neighbourhoods = len(areas.neighbourhoods)
    vectors = {
        "neighbourhood": responses.neighbourhood,
        "wave": responses.wave,
        "age_band": responses.age_band,
        "sex": responses.sex,
        "ethnic_group": responses.ethnic_group,
    }
    for name, vector in vectors.items():
        if vector.shape != (count,):
            raise ValueError(f"{name} must have one value per response.")
    if responses.answers.ndim != 2 or responses.answers.shape[0] != count:
        raise ValueError("answers must be responses x questions.")
    if count and (responses.answers.min() < NO_ANSWER or responses.answers.max() > SCALE_TOP):
        raise ValueError("answers must be 0 (none) or 1-5.")
    if count and (responses.neighbourhood.min() < 0 or responses.neighbourhood.max() >= neighbourhoods):
        raise ValueError("neighbourhood index out of range.")
    if count and responses.wave.min() < 0:
        raise ValueError("wave must be 0 or more.")
    shape = (neighbourhoods, len(census.age_bands), len(census.sexes))
    if census.age_sex.shape != shape:
        raise ValueError(f"census.age_sex must be {shape}.")
    if census.ethnic_group.shape != (neighbourhoods, len(census.ethnic_groups)):
        raise ValueError("census.ethnic_group must be neighbourhoods x ethnic groups.")
    if areas.npa_of_neighbourhood.shape != (neighbourhoods,) or (
        neighbourhoods and areas.npa_of_neighbourhood.max() >= len(areas.npas)
    ):
        raise ValueError("npa_of_neighbourhood must give an NPA for each neighbourhood.")
    for name, size in (
        ("age_band", len(census.age_bands)),
        ("sex", len(census.sexes)),
        ("ethnic_group", len(census.ethnic_groups)),
    ):
        vector = vectors[name]
        if count and (vector.min() < NOT_GIVEN or vector.max() >= size):
            raise ValueError(f"{name} index out of range.")


def survey_weights(
    responses: Responses, *, areas: AreaHierarchy, census: Census, waves: int, settings: RakingSettings
) -> RakedWeights:
    """Raked, trimmed weights; groups are neighbourhood-waves numbered wave x N + neighbourhood."""
    neighbourhoods = len(areas.neighbourhoods)
    sexes = len(census.sexes)
    group = responses.wave * neighbourhoods + responses.neighbourhood
    age_sex_given = (responses.age_band >= 0) & (responses.sex >= 0)
    age_sex = np.where(age_sex_given, responses.age_band * sexes + responses.sex, NOT_GIVEN)
    age_sex_counts = census.age_sex.reshape(neighbourhoods, -1).astype(np.float64)
    return rake(
        group=group,
        population=np.tile(age_sex_counts.sum(axis=1), waves),
        margins=[
            Margin(category=age_sex, population=np.tile(age_sex_counts, (waves, 1))),
            Margin(
                category=responses.ethnic_group,
                population=np.tile(census.ethnic_group.astype(np.float64), (waves, 1)),
            ),
        ],
        settings=settings,
    )


# --- scores -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Level:
    level: Level
    names: tuple[str, ...]
    domain: IntArray
    # The domain each neighbourhood-wave falls in: its stratum within the domain.
    domain_of_group: IntArray


def _levels(responses: Responses, areas: AreaHierarchy, waves: int) -> list[_Level]:
    neighbourhoods = len(areas.neighbourhoods)
    npas = len(areas.npas)
    group_wave = np.repeat(np.arange(waves), neighbourhoods)
    group_neighbourhood = np.tile(np.arange(neighbourhoods), waves)
    npa = areas.npa_of_neighbourhood
    return [
        _Level(
            Level.NEIGHBOURHOOD,
            areas.neighbourhoods,
            responses.wave * neighbourhoods + responses.neighbourhood,
            group_wave * neighbourhoods + group_neighbourhood,
        ),
        _Level(
            Level.NPA,
            areas.npas,
            responses.wave * npas + npa[responses.neighbourhood],
            group_wave * npas + npa[group_neighbourhood],
        ),
        _Level(Level.FORCE, (areas.force,), responses.wave.astype(np.int64), group_wave),
    ]


def _estimates(
    value: FloatArray, variance: FloatArray, kish: FloatArray, counts: FloatArray, z: float
) -> list[tuple[float, float, float, float, float, float]]:
    low, high = wilson_interval(value, effective_for_interval(value, variance, kish), z)
    deff = np.divide(counts, kish, out=np.full(kish.shape, np.nan), where=kish > 0)
    columns = (value, np.sqrt(variance), low, high, kish, deff)
    return list(zip(*(column.tolist() for column in columns), strict=True))


def _estimate(values: tuple[float, float, float, float, float, float]) -> Estimate:
    value, se, low, high, kish, deff = values
    return Estimate(value=value, se=se, low=low, high=high, effective_responses=kish, design_effect=deff)


def _modelled(
    weighted: DomainEstimates, areas: AreaHierarchy, waves: int, settings: ScoringSettings
) -> dict[int, Estimate]:
    neighbourhoods = len(areas.neighbourhoods)
    modelled: dict[int, Estimate] = {}
    z = settings.z
    for wave in range(waves):
        index = np.arange(wave * neighbourhoods, (wave + 1) * neighbourhoods)
        n = weighted.respondents[index]
        score = weighted.score[index]
        variance = weighted.score_variance[index]
        kish = weighted.score_effective[index]
        pooled = (n >= 2) & np.isfinite(score)
        dof = (n[pooled] - 1).sum()
        unit_variance = float(np.sum((n[pooled] - 1) * variance[pooled] * kish[pooled]) / dof) if dof else 0.0
        fitted = (n >= settings.min_responses_modelled) & np.isfinite(score) & (kish > 0)
        if unit_variance <= 0 or not fitted.any():
            continue
        fit = fay_herriot(
            direct=score[fitted],
            sampling_variance=unit_variance / kish[fitted],
            group=areas.npa_of_neighbourhood[fitted],
        )
        if fit is None:
            continue
        root_mse = np.sqrt(fit.mse)
        lows = np.clip(fit.estimate - z * root_mse, 0, 1).tolist()
        highs = np.clip(fit.estimate + z * root_mse, 0, 1).tolist()
        for position, domain in enumerate(index[fitted].tolist()):
            modelled[domain] = Estimate(
                value=float(fit.estimate[position]),
                se=float(root_mse[position]),
                low=lows[position],
                high=highs[position],
                weight_on_direct=float(fit.weight_on_direct[position]),
                modelled=True,
            )
    return modelled


def _changes(
    weighted: DomainEstimates, published: BoolArray, areas_at_level: int, waves: int, alpha: float
) -> dict[int, Change]:
    grid = (waves, areas_at_level)
    value = weighted.score.reshape(grid)
    variance = weighted.score_variance.reshape(grid)
    shown = published.reshape(grid)
    changes: dict[int, Change] = {}
    for wave in range(1, waves):
        both = shown[wave] & shown[wave - 1]
        if not both.any():
            continue
        difference = value[wave, both] - value[wave - 1, both]
        se = np.sqrt(variance[wave, both] + variance[wave - 1, both])
        z = np.divide(difference, se, out=np.zeros_like(se), where=se > 0)
        p = two_sided_p(z)
        q = benjamini_hochberg(p)
        for position, area in enumerate(np.flatnonzero(both).tolist()):
            changes[wave * areas_at_level + area] = Change(
                previous_wave=wave - 1,
                difference=float(difference[position]),
                se=float(se[position]),
                z=float(z[position]),
                p_value=float(p[position]),
                q_value=float(q[position]),
                more_than_noise=bool(p[position] < alpha),
            )
    return changes


def _question_scores(
    domain: int,
    answered: list[int],
    plain: list[tuple[float, float, float, float, float, float]],
    raked: list[tuple[float, float, float, float, float, float]],
    minimum: int,
) -> tuple[QuestionScore, ...]:
    """One domain's questions; `plain` and `raked` hold every domain's, question by question."""
    questions = len(answered)
    scores = []
    for question, count in enumerate(answered):
        if count < minimum:
            status = Status.NO_RESPONSES if count == 0 else Status.SUPPRESSED
            scores.append(QuestionScore(question, status, None, None, None))
        else:
            position = domain * questions + question
            scores.append(
                QuestionScore(question, Status.OK, count, _estimate(plain[position]), _estimate(raked[position]))
            )
    return tuple(scores)


def score_survey(
    responses: Responses,
    *,
    areas: AreaHierarchy,
    census: Census,
    waves: int | None = None,
    settings: ScoringSettings | None = None,
) -> list[ScoreRow]:
    """Score every neighbourhood, NPA and the force in each wave 0 … waves-1 (waves in time
    order; default: up to the last wave with responses). Rows come level by level (neighbourhoods,
    NPAs, force), then area by area in the hierarchy's order, then wave by wave."""
    settings = settings or ScoringSettings()
    _validate(responses, areas, census)
    if waves is None:
        waves = int(responses.wave.max()) + 1 if len(responses) else 0
    elif len(responses) and responses.wave.max() >= waves:
        raise ValueError("A response is in a wave beyond `waves`.")
    raked = survey_weights(responses, areas=areas, census=census, waves=waves, settings=settings.raking)
    positive, answered = positive_and_answered(responses.answers)
    z = settings.z
    ones = np.ones(len(responses))
    group = responses.wave * len(areas.neighbourhoods) + responses.neighbourhood
    calibration = CalibrationResiduals(raked, waves * len(areas.neighbourhoods))
    rows: list[ScoreRow] = []
    for level in _levels(responses, areas, waves):
        domains = len(level.names) * waves
        unweighted = domain_estimates(
            weights=ones, positive=positive, answered=answered, domain=level.domain, domains=domains
        )
        weighted = domain_estimates(
            weights=raked.weights,
            positive=positive,
            answered=answered,
            domain=level.domain,
            domains=domains,
            stratum=group,
            stratum_domain=level.domain_of_group,
            residuals=calibration,
        )
        published = (weighted.respondents >= settings.min_responses) & np.isfinite(weighted.score)
        converged = np.bincount(level.domain_of_group, ~raked.converged, minlength=domains) == 0
        respondents = weighted.respondents.astype(np.float64)
        plain = _estimates(unweighted.score, unweighted.score_variance, unweighted.score_effective, respondents, z)
        raked_estimates = _estimates(weighted.score, weighted.score_variance, weighted.score_effective, respondents, z)
        answered_counts = unweighted.answered.astype(np.float64).ravel()
        plain_questions = _estimates(
            unweighted.share.ravel(),
            unweighted.share_variance.ravel(),
            unweighted.share_effective.ravel(),
            answered_counts,
            z,
        )
        raked_questions = _estimates(
            weighted.share.ravel(),
            weighted.share_variance.ravel(),
            weighted.share_effective.ravel(),
            answered_counts,
            z,
        )
        answered_lists = unweighted.answered.tolist()
        modelled = _modelled(weighted, areas, waves, settings) if level.level == Level.NEIGHBOURHOOD else {}
        changes = _changes(weighted, published, len(level.names), waves, settings.change_alpha)
        for area_index, area in enumerate(level.names):
            for wave in range(waves):
                domain = wave * len(level.names) + area_index
                count = int(weighted.respondents[domain])
                shown = bool(published[domain])
                if shown:
                    status = Status.OK
                elif count == 0:
                    status = Status.NO_RESPONSES
                else:
                    status = Status.SUPPRESSED
                rows.append(
                    ScoreRow(
                        level=level.level,
                        area=area,
                        wave=wave,
                        status=status,
                        responses=count if shown else None,
                        unweighted=_estimate(plain[domain]) if shown else None,
                        weighted=_estimate(raked_estimates[domain]) if shown else None,
                        modelled=modelled.get(domain),
                        questions=(
                            _question_scores(
                                domain,
                                answered_lists[domain],
                                plain_questions,
                                raked_questions,
                                settings.min_responses,
                            )
                            if shown
                            else ()
                        ),
                        change=changes.get(domain),
                        weights_converged=bool(converged[domain]),
                    )
                )
    return rows


# --- representation ---------------------------------------------------------------------------


def representation(
    responses: Responses,
    *,
    areas: AreaHierarchy,
    census: Census,
    waves: int | None = None,
    settings: ScoringSettings | None = None,
) -> list[RepresentationRow]:
    """Who answered against who lives there, per area, wave and group (rule 9)."""
    settings = settings or ScoringSettings()
    _validate(responses, areas, census)
    if waves is None:
        waves = int(responses.wave.max()) + 1 if len(responses) else 0
    neighbourhoods = len(areas.neighbourhoods)
    npa = areas.npa_of_neighbourhood
    characteristics: list[tuple[Characteristic, tuple[str, ...], IntArray, FloatArray]] = [
        (Characteristic.AGE_BAND, census.age_bands, responses.age_band, census.age_sex.sum(axis=2)),
        (Characteristic.SEX, census.sexes, responses.sex, census.age_sex.sum(axis=1)),
        (Characteristic.ETHNIC_GROUP, census.ethnic_groups, responses.ethnic_group, census.ethnic_group),
    ]
    level_maps: list[tuple[Level, tuple[str, ...], IntArray]] = [
        (Level.NEIGHBOURHOOD, areas.neighbourhoods, np.arange(neighbourhoods)),
        (Level.NPA, areas.npas, npa),
        (Level.FORCE, (areas.force,), np.zeros(neighbourhoods, dtype=np.int64)),
    ]
    rows: list[RepresentationRow] = []
    for level, names, area_of_neighbourhood in level_maps:
        area_count = len(names)
        domain = responses.wave * area_count + area_of_neighbourhood[responses.neighbourhood]
        domains = area_count * waves
        everyone = np.bincount(domain, minlength=domains)
        for characteristic, labels, category, census_counts in characteristics:
            groups = len(labels)
            population = np.zeros((area_count, groups))
            np.add.at(population, area_of_neighbourhood, census_counts.astype(np.float64))
            totals = population.sum(axis=1, keepdims=True)
            population_share = np.divide(population, totals, out=np.zeros_like(population), where=totals > 0)
            gave = category >= 0
            counts = np.bincount(domain[gave] * groups + category[gave], minlength=domains * groups).reshape(
                domains, groups
            )
            gave_total = counts.sum(axis=1)
            expected = np.tile(population_share, (waves, 1))
            share = np.divide(counts, gave_total[:, None], out=np.zeros(counts.shape), where=gave_total[:, None] > 0)
            spread = np.sqrt(
                np.divide(
                    expected * (1 - expected),
                    gave_total[:, None],
                    out=np.zeros(counts.shape),
                    where=gave_total[:, None] > 0,
                )
            )
            z = np.divide(share - expected, spread, out=np.zeros(counts.shape), where=spread > 0)
            p = two_sided_p(z)
            ratio = np.divide(share, expected, out=np.full(counts.shape, np.nan), where=expected > 0)
            under = (
                (ratio < settings.under_represented_ratio)
                & (p < settings.representation_alpha)
                & (gave_total[:, None] > 0)
            )
            for area_index, area in enumerate(names):
                for wave in range(waves):
                    row = wave * area_count + area_index
                    shown = everyone[row] >= settings.min_responses
                    status = Status.OK if shown else Status.SUPPRESSED
                    if everyone[row] == 0:
                        status = Status.NO_RESPONSES
                    for group_index, label in enumerate(labels):
                        rows.append(
                            RepresentationRow(
                                level=level,
                                area=area,
                                wave=wave,
                                characteristic=characteristic,
                                group=label,
                                status=status,
                                respondents=int(counts[row, group_index]) if shown else None,
                                gave_characteristic=int(gave_total[row]) if shown else None,
                                respondent_share=float(share[row, group_index]) if shown else None,
                                population_share=float(expected[row, group_index]),
                                ratio=float(ratio[row, group_index])
                                if shown and expected[row, group_index] > 0
                                else None,
                                p_value=float(p[row, group_index]) if shown else None,
                                under_represented=bool(shown and under[row, group_index]),
                            )
                        )
    return rows


def under_represented_groups(rows: Sequence[RepresentationRow]) -> dict[tuple[Level, str, int], list[str]]:
    """The under-represented groups per (level, area, wave), e.g. for "engage with: 16-24"."""
    named: dict[tuple[Level, str, int], list[str]] = {}
    for row in rows:
        if row.under_represented:
            named.setdefault((row.level, row.area, row.wave), []).append(row.group)
    return named
