"""Survey scoring for a whole force: 200,000 responses, 60 neighbourhoods, 10 waves.

    .venv/bin/python bench/survey.py                     # --responses 200000 --repeat 3
    .venv/bin/python bench/survey.py --no-samplics       # skip the per-group samplics comparison
    .venv/bin/python bench/survey.py --http              # then the HTTP submissions (PostgreSQL)

Builds a seeded synthetic force, "Benchshire": 6 NPAs of 10 neighbourhoods, each with census
margins (6 age bands x 2 sexes, 5 ethnic groups; 4,000-15,000 adults, some neighbourhoods far
more diverse than others), and N responses spread over 10 waves with realistic non-response:
young people and three ethnic groups under-respond, response volume differs tenfold between
neighbourhoods (so some neighbourhood-waves fall below the suppression minimum and get only a
modelled estimate), 5% "prefer not to say" on each equality question, 4% "don't know".

Times `score_survey` (raking and trimming every neighbourhood-wave, unweighted and weighted
estimates with calibrated linearised SEs and Wilson intervals for the five questions and the
overall score at neighbourhood, NPA and force level, changes since the last wave, and the
Fay-Herriot small-area estimates): the median of `--repeat` runs, wall clock and CPU. Also
times the raking alone, `representation`, and the baseline: the raw average forces publish
today (the five shares per neighbourhood-wave, one `bincount` pass). With samplics installed
(a dev dependency), raking the first 60 neighbourhood-waves one by one with
`samplics.SampleWeight.rake` shows what a per-group loop through a survey library would cost.

The other half of the issue's bench, public submissions through gunicorn and PostgreSQL, is
`bench/survey_http.py`; `--http` runs it after the scoring (with `--http-submissions`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from beatbook.surveys.scoring import (
    AreaHierarchy,
    Census,
    Level,
    Responses,
    ScoringSettings,
    Status,
    representation,
    score_survey,
    survey_weights,
)

TARGET_SECONDS = 2.0
AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65+")
SEXES = ("female", "male")
ETHNIC_GROUPS = ("White", "Asian", "Black", "Mixed", "Other")
AGE_PROPENSITY = np.array([0.35, 0.55, 0.85, 1.1, 1.3, 1.5])
ETHNIC_PROPENSITY = np.array([1.0, 0.55, 0.45, 0.8, 0.6])
AGE_TRUST = np.array([-0.7, -0.4, -0.1, 0.1, 0.3, 0.5])
ETHNIC_TRUST = np.array([0.0, -0.3, -0.6, -0.2, -0.1])
QUESTION_TRUST = np.array([0.2, 0.6, -0.5, 0.3, 0.1])


def synthetic_force(
    *, responses: int, npas: int, per_npa: int, waves: int, seed: int
) -> tuple[Responses, AreaHierarchy, Census]:
    rng = np.random.default_rng(seed)
    neighbourhoods = npas * per_npa
    areas = AreaHierarchy(
        neighbourhoods=tuple(f"NB-{i:02d}" for i in range(neighbourhoods)),
        npa_of_neighbourhood=np.repeat(np.arange(npas), per_npa),
        npas=tuple(f"NPA-{k}" for k in range(npas)),
        force="Benchshire",
    )
    adults = rng.integers(4_000, 15_000, neighbourhoods).astype(float)
    age_mix = rng.dirichlet(np.array([0.14, 0.17, 0.16, 0.17, 0.15, 0.21]) * 80, neighbourhoods)
    sex_mix = rng.uniform(0.47, 0.53, (neighbourhoods, len(AGE_BANDS)))
    age_sex = np.round(adults[:, None, None] * age_mix[:, :, None] * np.stack([sex_mix, 1 - sex_mix], axis=2))
    diversity = rng.choice([8.0, 30.0, 120.0], neighbourhoods)  # low: very mixed neighbourhoods
    ethnic_mix = np.vstack([rng.dirichlet(np.array([0.75, 0.12, 0.05, 0.04, 0.04]) * d) for d in diversity])
    ethnic = np.round(adults[:, None] * ethnic_mix)
    census = Census(AGE_BANDS, SEXES, ETHNIC_GROUPS, age_sex, ethnic)

    # Response volume per neighbourhood-wave varies tenfold and more.
    volume = rng.lognormal(0, 0.9, (waves, neighbourhoods))
    counts = rng.multinomial(responses, (volume / volume.sum()).ravel()).reshape(waves, neighbourhoods)
    wave = np.repeat(np.arange(waves), counts.sum(axis=1))
    neighbourhood = np.concatenate([np.repeat(np.arange(neighbourhoods), counts[w]) for w in range(waves)])

    # Who responds: residents tilted by age and ethnic response propensities (independently
    # drawn age x sex cell and ethnic group, each from its own tilted census margin).
    age_sex_cells = age_sex.reshape(neighbourhoods, -1) * np.repeat(AGE_PROPENSITY, 2)[None, :]
    cell_cdf = np.cumsum(age_sex_cells / age_sex_cells.sum(axis=1, keepdims=True), axis=1)
    cell = (rng.random(wave.size)[:, None] > cell_cdf[neighbourhood]).sum(axis=1)
    ethnic_tilted = ethnic * ETHNIC_PROPENSITY[None, :]
    ethnic_cdf = np.cumsum(ethnic_tilted / ethnic_tilted.sum(axis=1, keepdims=True), axis=1)
    ethnic_group = (rng.random(wave.size)[:, None] > ethnic_cdf[neighbourhood]).sum(axis=1)
    cell = np.minimum(cell, len(AGE_BANDS) * 2 - 1)
    ethnic_group = np.minimum(ethnic_group, len(ETHNIC_GROUPS) - 1)
    age_band, sex = cell // 2, cell % 2

    trend = rng.normal(0, 0.05, (waves, neighbourhoods))
    trust = AGE_TRUST[age_band] + ETHNIC_TRUST[ethnic_group] + trend[wave, neighbourhood] + rng.normal(0, 1, wave.size)
    chance = 1 / (1 + np.exp(-(trust[:, None] + QUESTION_TRUST[None, :])))
    positive = rng.random(chance.shape) < chance
    answers = np.where(positive, rng.integers(4, 6, chance.shape), rng.integers(1, 4, chance.shape))
    answers[rng.random(chance.shape) < 0.04] = 0
    for column in (age_band, sex, ethnic_group):
        column[rng.random(wave.size) < 0.05] = -1
    return (
        Responses(
            neighbourhood=neighbourhood.astype(np.int64),
            wave=wave.astype(np.int64),
            answers=answers.astype(np.int64),
            age_band=age_band.astype(np.int64),
            sex=sex.astype(np.int64),
            ethnic_group=ethnic_group.astype(np.int64),
        ),
        areas,
        census,
    )


def timed(function: Callable[[], Any], repeat: int) -> tuple[Any, list[float], list[float]]:
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, walls, cpus


def raw_average(responses: Responses, groups: int) -> np.ndarray:
    """The baseline: per neighbourhood-wave, the five shares positive and their mean."""
    group = responses.wave * (groups // (int(responses.wave.max()) + 1)) + responses.neighbourhood
    answered = responses.answers > 0
    positive = responses.answers >= 4
    shares = np.column_stack(
        [
            np.bincount(group, positive[:, q], minlength=groups) / np.bincount(group, answered[:, q], minlength=groups)
            for q in range(responses.answers.shape[1])
        ]
    )
    mean: np.ndarray = shares.mean(axis=1)
    return mean


def samplics_per_group(responses: Responses, areas: AreaHierarchy, census: Census, groups: int) -> float | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import samplics
    except ImportError:
        return None
    neighbourhoods = len(areas.neighbourhoods)
    group = responses.wave * neighbourhoods + responses.neighbourhood
    start = time.perf_counter()
    for g in range(groups):
        members = (group == g) & (responses.age_band >= 0) & (responses.sex >= 0) & (responses.ethnic_group >= 0)
        n = int(g % neighbourhoods)
        age_sex_counts = census.age_sex[n].reshape(-1)
        cell = responses.age_band[members] * 2 + responses.sex[members]
        ethnic = responses.ethnic_group[members]
        total = age_sex_counts.sum()
        ethnic_counts = census.ethnic_group[n] / census.ethnic_group[n].sum() * total
        # samplics needs every census category present among the respondents.
        cells, groups_present = np.unique(cell), np.unique(ethnic)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            samplics.SampleWeight().rake(
                samp_weight=np.full(int(members.sum()), total / max(int(members.sum()), 1)),
                # (samplics annotates these more narrowly than it accepts them)
                margins=cast(Any, {"age_sex": cell, "ethnic": ethnic}),
                control=cast(
                    Any,
                    {
                        "age_sex": {
                            int(c): float(age_sex_counts[c] / age_sex_counts[cells].sum() * total) for c in cells
                        },
                        "ethnic": {
                            int(e): float(ethnic_counts[e] / ethnic_counts[groups_present].sum() * total)
                            for e in groups_present
                        },
                    },
                ),
                tol=1e-10,
                ctrl_tol=1e-10,
                max_iter=200,
            )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--npas", type=int, default=6)
    parser.add_argument("--per-npa", type=int, default=10)
    parser.add_argument("--waves", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--no-samplics", dest="samplics", action="store_false")
    parser.add_argument("--http", action="store_true", help="also run bench/survey_http.py (needs PostgreSQL)")
    parser.add_argument("--http-submissions", type=int, default=20_000)
    args = parser.parse_args(argv)

    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"numpy {np.__version__}, load average {os.getloadavg()[0]:.1f}"
    )
    build_start = time.perf_counter()
    responses, areas, census = synthetic_force(
        responses=args.responses, npas=args.npas, per_npa=args.per_npa, waves=args.waves, seed=args.seed
    )
    groups = len(areas.neighbourhoods) * args.waves
    print(
        f"data: {len(responses):,} responses, {len(areas.neighbourhoods)} neighbourhoods in {len(areas.npas)} NPAs, "
        f"{args.waves} waves ({groups} neighbourhood-waves), built in {time.perf_counter() - build_start:.1f} s"
    )
    settings = ScoringSettings()

    rows, walls, cpus = timed(
        lambda: score_survey(responses, areas=areas, census=census, waves=args.waves, settings=settings),
        args.repeat,
    )
    raked, rake_walls, _ = timed(
        lambda: survey_weights(responses, areas=areas, census=census, waves=args.waves, settings=settings.raking),
        args.repeat,
    )
    represented, representation_walls, _ = timed(
        lambda: representation(responses, areas=areas, census=census, waves=args.waves, settings=settings),
        args.repeat,
    )
    _, baseline_walls, _ = timed(lambda: raw_average(responses, groups), max(args.repeat, 5))

    neighbourhood_rows = [r for r in rows if r.level == Level.NEIGHBOURHOOD]
    suppressed = sum(r.status == Status.SUPPRESSED for r in neighbourhood_rows)
    modelled_only = sum(r.weighted is None and r.modelled is not None for r in neighbourhood_rows)
    changes = [r.change for r in rows if r.change is not None]
    gaps = [abs(r.weighted.value - r.unweighted.value) for r in rows if r.weighted and r.unweighted]
    force = [r for r in rows if r.level == Level.FORCE]
    median = statistics.median(walls)
    verdict = "met" if median < TARGET_SECONDS else "NOT met"

    print(
        f"score_survey: median {median:.3f} s wall ({', '.join(f'{w:.3f}' for w in walls)}), "
        f"median CPU {statistics.median(cpus):.3f} s; goal < {TARGET_SECONDS:.0f} s {verdict}"
    )
    print(
        f"  of which raking and trimming alone: median {statistics.median(rake_walls):.3f} s; "
        f"{int(raked.converged.sum())} of {groups} neighbourhood-waves met their margins, "
        f"{int(raked.trimmed.sum()):,} respondents' weights capped"
    )
    print(
        f"representation: median {statistics.median(representation_walls):.3f} s for {len(represented):,} rows, "
        f"{sum(r.under_represented for r in represented):,} flagged under-represented"
    )
    baseline = statistics.median(baseline_walls)
    print(
        f"baseline (raw average, one bincount pass): {baseline * 1000:.1f} ms; score_survey is {median / baseline:.0f}x that"
    )
    print(
        f"rows: {len(rows)} ({len(neighbourhood_rows)} neighbourhood-waves: {suppressed} suppressed, "
        f"{modelled_only} of them with a modelled estimate); {len(changes)} changes tested, "
        f"{sum(c.more_than_noise for c in changes)} more than noise at 5%, {sum(c.q_value < 0.05 for c in changes)} "
        f"after the false-discovery correction"
    )
    print(
        f"weighting moves published scores by {statistics.mean(gaps) * 100:.1f} points on average "
        f"(max {max(gaps) * 100:.1f}); force, wave 0: raw {force[0].unweighted.value:.3f}, "
        f"weighted {force[0].weighted.value:.3f} ± {1.96 * force[0].weighted.se:.3f}"
        if force and force[0].weighted and force[0].unweighted
        else "no force estimate"
    )
    if args.samplics:
        sample_groups = min(60, groups)
        seconds = samplics_per_group(responses, areas, census, sample_groups)
        if seconds is None:
            print("samplics not installed: per-group comparison skipped")
        else:
            print(
                f"samplics.SampleWeight.rake, one neighbourhood-wave at a time: {seconds:.2f} s for {sample_groups} "
                f"groups, so about {seconds / sample_groups * groups:.1f} s for all {groups} (raking only)"
            )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if not args.http:
        print("HTTP submissions: not run (add --http, or run bench/survey_http.py)")
        return 0
    from bench import survey_http

    return survey_http.main(["--submissions", str(args.http_submissions)])


if __name__ == "__main__":
    raise SystemExit(main())
