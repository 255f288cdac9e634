"""Three years of the demo force's "Your Views" survey, as the CSV a force would import.

`generate_survey` is pure Python and NumPy over the generated geography and people (no
queries): the same seed and the same build day give the same rows. `load_survey` creates the
survey from the standard template and its waves through the survey services, writes the rows
as a response CSV and loads it with `beatbook import-survey-responses`' own function,
committed, so every demo build runs that importer.

Waves run every May and November; the demo holds the last six that have opened by the build
day (a wave still open only has answers up to the day before). Each neighbourhood gets 20 to
120 responses a wave; one small neighbourhood stays below the 30 needed to publish a direct
score in every wave, so the pages show suppressed and modelled figures.

Designed non-response, so that weighting visibly matters: who answers is drawn from the
census population of the neighbourhood (age band x sex x ethnic group, taken as independent
within a neighbourhood) with a response propensity that is low for 16-24s, men and the Black,
Asian, mixed and other ethnic groups, and high for 60-74s. The same groups are less confident
in the police (a lower latent score), so the raw average overstates confidence and the
weighted estimate comes out lower. The answer on each question is an ordered-logit draw from
that latent score, with a little "don't know" and "prefer not to say". A third of respondents
write a main concern, in the words residents use.

So that the pages have something to show beside the survey, `load_survey` also adds a
benchmark series that is made up and named so ("Synthetic regional survey (demo)") through
the insight services, and submits a small burst of repeated answers and one form-filler
(the hidden honeypot field filled in) through the public path's `services.response_submit`,
so the review queue holds a few flagged responses. Nothing is read from outside the project.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.utils import timezone

from beatbook.accounts.models import User
from beatbook.areas.models import Area, Level
from beatbook.core.imports import ImportReport
from beatbook.insight.models import AreaKind, BenchmarkSource
from beatbook.insight.services import PointData, SeriesData, benchmark_series_save
from beatbook.surveys import services, templates
from beatbook.surveys.importers.responses import import_survey_responses
from beatbook.surveys.models import Response, Survey, Wave
from beatbook.surveys.selectors import age_band_shares, ethnic_group_index, sex_index

from .geography import FORCE_NAME, Geography
from .population import AGE_BANDS as CENSUS_AGE_BANDS
from .population import ETHNIC_GROUPS as CENSUS_ETHNIC_GROUPS
from .population import SEXES as CENSUS_SEXES
from .population import LsoaPeople

SURVEY_NAME = f"Your Views: {FORCE_NAME}"
SURVEY_SLUG = "demoshire-your-views"
WAVE_MONTHS = (5, 11)
WAVES = 6
MIN_RESPONSES = 30
FEWEST, MOST = 20, 120
BUSIEST_USUAL = 105
CONFIDENCE_KEYS = tuple(question.key for question in templates.CONFIDENCE_QUESTIONS)

# Relative chance of answering, by survey category (scoring order of `templates`).
AGE_PROPENSITY = (0.2, 0.6, 1.0, 1.4, 1.2)  # 16-24 … 75 or over
SEX_PROPENSITY = (1.15, 0.85)  # female, male
ETHNIC_PROPENSITY = (1.0, 0.6, 0.5, 0.45, 0.55)  # white, mixed, Asian, Black, other
# Shift of the latent confidence score (logit scale), by the same categories.
AGE_EFFECT = (-1.5, -0.7, 0.0, 0.5, 0.7)
SEX_EFFECT = (0.05, -0.05)
ETHNIC_EFFECT = (0.0, -0.8, -0.5, -1.1, -0.6)
# Per question: feeling safe is high, being kept informed low (as in real force surveys).
QUESTION_EFFECT = (0.0, 0.6, -0.7, 0.2, 0.3)
# Ordered-logit cut points between the five answers, on the latent scale.
CUT_POINTS = (-2.6, -1.4, -0.2, 1.9)
BASE_CONFIDENCE = 0.35
DONT_KNOW = 0.05
PREFER_NOT_TO_SAY = 0.05
DESCRIBES_OTHERWISE = 0.005
CONCERN_SHARE = 0.35
LANGUAGES = (("en", 0.93), ("ur", 0.02), ("pa", 0.015), ("pl", 0.02), ("gu", 0.015))
CHANNELS = (("online", 0.7), ("paper", 0.22), ("phone", 0.08))
COLUMNS = (
    "id",
    "wave",
    "submitted_at",
    "lsoa",
    "channel",
    "language",
    *CONFIDENCE_KEYS,
    templates.CONCERN_QUESTION.key,
    "age-band",
    "sex",
    "ethnic-group",
    "disability",
)

# What residents write when asked what the police should deal with.
CONCERNS = (
    "Speeding on the main road, cars do 50 past the school every morning",
    "Boy racers revving up and down late at night",
    "People dealing drugs openly by the park, you can smell cannabis all the time",
    "Drug dealing outside the shops in the evening",
    "Groups of youths hanging around the precinct and being intimidating",
    "Kids on e-scooters riding on the pavement",
    "Anti social behaviour by the bus station",
    "Burglaries, two houses on our road were broken into this year",
    "Sheds and garages being broken into",
    "Catalytic converters stolen from cars on the estate",
    "Parking on the pavement so you can't get a pushchair past",
    "Cars parked on double yellows outside the school at home time",
    "Fly-tipping in the back alleys",
    "Litter and needles in the play area",
    "Knife crime, I worry about my son walking home",
    "Fights outside the pubs on a Friday and Saturday night",
    "Noisy neighbours and parties until 3am",
    "Elderly people getting scam phone calls and doorstep sellers",
    "Never see a police officer round here any more",
    "More police on foot patrol, not just driving through",
    "Nobody answers when you ring 101",
    "Shoplifting in the town centre, the staff are scared",
    "Dog fouling and dogs off leads",
    "Bikes being stolen from outside the station",
    "Off-road motorbikes on the playing fields",
    "The house at 14 Mill Lane has people coming and going all night",
    "Call me on 07700 900123, I have seen who is dealing",
    "Nothing really, it is a quiet area",
)


@dataclass(frozen=True)
class DemoWave:
    code: str
    name: str
    opens_on: dt.date
    closes_on: dt.date


@dataclass
class DemoSurvey:
    today: dt.date
    waves: list[DemoWave]
    rows: list[dict[str, str]] = field(default_factory=list)
    # Neighbourhood code → responses in each wave (in wave order).
    sizes: dict[str, list[int]] = field(default_factory=dict)
    # The neighbourhood kept below the publication threshold in every wave.
    small: str = ""


def demo_waves(today: dt.date, count: int = WAVES) -> list[DemoWave]:
    """The last `count` May and November waves that have opened by `today`, oldest first."""
    waves: list[DemoWave] = []
    year = today.year
    while len(waves) < count:
        for month in reversed(WAVE_MONTHS):
            opens = dt.date(year, month, 1)
            if opens <= today and len(waves) < count:
                closes = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
                waves.append(DemoWave(f"{year}-{month:02d}", f"{opens:%B %Y}", opens, closes))
        year -= 1
    return waves[::-1]


def _neighbourhood_population(geography: Geography, people: list[LsoaPeople]) -> dict[str, np.ndarray]:
    """Residents per neighbourhood by age band x sex x ethnic group (survey categories), with
    ethnic group taken as independent of age and sex within the neighbourhood."""
    age_split = np.asarray([age_band_shares(label) for label in CENSUS_AGE_BANDS])
    sex_position = [sex_index(label) for label in CENSUS_SEXES]
    ethnic_position = [ethnic_group_index(f"{group}: {name}") for group, name in CENSUS_ETHNIC_GROUPS]
    cells: dict[str, np.ndarray] = {}
    for neighbourhood in geography.neighbourhoods:
        ages = np.zeros(len(templates.AGE_BANDS))
        sexes = np.zeros(len(templates.SEXES))
        ethnic = np.zeros(len(templates.ETHNIC_GROUPS))
        for index in neighbourhood.members:
            person = people[index]
            ages += np.asarray(person.age, dtype=float) @ age_split
            for position, count in zip(sex_position, person.sex, strict=True):
                if position is not None:
                    sexes[position] += count
            for position, count in zip(ethnic_position, person.ethnic, strict=True):
                ethnic[position] += count
        cells[neighbourhood.code] = (
            ages[:, None, None] * (sexes / sexes.sum())[None, :, None] * (ethnic / ethnic.sum())[None, None, :]
        )
    return cells


def _propensity() -> np.ndarray:
    return (
        np.asarray(AGE_PROPENSITY)[:, None, None]
        * np.asarray(SEX_PROPENSITY)[None, :, None]
        * np.asarray(ETHNIC_PROPENSITY)[None, None, :]
    )


def _latent() -> np.ndarray:
    return (
        BASE_CONFIDENCE
        + np.asarray(AGE_EFFECT)[:, None, None]
        + np.asarray(SEX_EFFECT)[None, :, None]
        + np.asarray(ETHNIC_EFFECT)[None, None, :]
    )


def _sizes(codes: list[str], waves: int, rng: np.random.Generator) -> tuple[dict[str, list[int]], str]:
    """Responses per neighbourhood and wave (`codes` most populous first): each has its usual
    level, varying a little from wave to wave; the last code is kept below the threshold."""
    sizes: dict[str, list[int]] = {}
    small = codes[-1]
    for code in codes:
        if code == small:
            sizes[code] = [int(n) for n in rng.integers(FEWEST, MIN_RESPONSES, size=waves)]
            continue
        # The most populous neighbourhood has an active residents' panel; elsewhere the
        # numbers are what a county force gets from a leaflet drop and social media.
        usual = BUSIEST_USUAL if code == codes[0] else rng.uniform(32, 68)
        drawn = np.rint(usual * rng.uniform(0.75, 1.25, size=waves))
        sizes[code] = [int(n) for n in np.clip(drawn, FEWEST, MOST)]
    return sizes, small


def _choose(rng: np.random.Generator, options: tuple[tuple[str, float], ...]) -> str:
    shares = np.asarray([share for _, share in options])
    return options[int(rng.choice(len(options), p=shares / shares.sum()))][0]


def _answer(rng: np.random.Generator, latent: float) -> str:
    if rng.random() < DONT_KNOW:
        return templates.DONT_KNOW
    draw = latent + rng.logistic()
    value = 1 + sum(draw > cut for cut in CUT_POINTS)
    return next(key for key, code in templates.AGREE5.items() if code == value)


def _equality(rng: np.random.Generator, keys: list[str], index: int) -> str:
    return templates.PREFER_NOT_TO_SAY if rng.random() < PREFER_NOT_TO_SAY else keys[index]


def generate_survey(geography: Geography, people: list[LsoaPeople], *, seed: int, today: dt.date) -> DemoSurvey:
    """Every response of the demo survey's waves up to `today`, as import rows."""
    rng = np.random.default_rng([seed, 5])
    waves = demo_waves(today)
    population = _neighbourhood_population(geography, people)
    propensity = _propensity()
    latent = _latent()
    codes = sorted(population)
    # The smallest neighbourhood is the one that hardly ever answers.
    codes.sort(key=lambda code: -population[code].sum())
    sizes, small = _sizes(codes, len(waves), rng)
    neighbourhood_shift = {code: rng.normal(0, 0.25) for code in codes}
    lsoas = {
        n.code: ([geography.lsoas[i].code for i in n.members], np.asarray([people[i].total for i in n.members]))
        for n in geography.neighbourhoods
    }
    age_keys = [key for key, *_ in templates.AGE_BANDS]
    sex_keys = [key for key, _ in templates.SEXES]
    ethnic_keys = [key for key, _ in templates.ETHNIC_GROUPS]
    shape = propensity.shape
    survey = DemoSurvey(today=today, waves=waves, sizes=sizes, small=small)
    for wave_index, wave in enumerate(waves):
        last_day = min(wave.closes_on, today - dt.timedelta(days=1))
        days = max((last_day - wave.opens_on).days + 1, 1)
        # Confidence edges down over the three years, then recovers a little.
        trend = (-0.06, -0.1, -0.16, -0.2, -0.14, -0.1)[wave_index % WAVES]
        for code in sorted(codes):
            chance = (population[code] * propensity).ravel()
            picks = rng.choice(chance.size, size=sizes[code][wave_index], p=chance / chance.sum())
            lsoa_codes, lsoa_people = lsoas[code]
            for number, pick in enumerate(picks, start=1):
                age, sex, ethnic = np.unravel_index(int(pick), shape)
                base = float(latent[age, sex, ethnic]) + neighbourhood_shift[code] + trend
                row = {
                    "id": f"demo-{wave.code}-{code}-{number:03d}",
                    "wave": wave.code,
                    "submitted_at": _moment(rng, wave.opens_on, days),
                    "lsoa": lsoa_codes[int(rng.choice(len(lsoa_codes), p=lsoa_people / lsoa_people.sum()))],
                    "channel": _choose(rng, CHANNELS),
                    "language": _choose(rng, LANGUAGES),
                }
                for key, shift in zip(CONFIDENCE_KEYS, QUESTION_EFFECT, strict=True):
                    row[key] = _answer(rng, base + shift)
                row[templates.CONCERN_QUESTION.key] = (
                    CONCERNS[int(rng.integers(len(CONCERNS)))] if rng.random() < CONCERN_SHARE else ""
                )
                row["age-band"] = _equality(rng, age_keys, int(age))
                row["sex"] = "other" if rng.random() < DESCRIBES_OTHERWISE else _equality(rng, sex_keys, int(sex))
                row["ethnic-group"] = _equality(rng, ethnic_keys, int(ethnic))
                row["disability"] = _equality(rng, ["yes", "no"], int(rng.random() < 0.8))
                survey.rows.append(row)
    return survey


def _moment(rng: np.random.Generator, opens_on: dt.date, days: int) -> str:
    day = opens_on + dt.timedelta(days=int(rng.integers(days)))
    minutes = int(rng.integers(7 * 60, 23 * 60))
    return f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}"


def write_survey_csv(survey: DemoSurvey, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(survey.rows)
    return path


# --- into the database -----------------------------------------------------------------------


def load_survey(demo: DemoSurvey, *, force: Area, folder: Path, actor: User | None = None) -> ImportReport:
    """Create the survey and its waves through the services, then import the responses as a
    force would, committed."""
    survey: Survey = services.survey_create_from_template(
        actor=actor,
        force=force,
        name=SURVEY_NAME,
        slug=SURVEY_SLUG,
        description="Twice-yearly survey of confidence in local policing (demo data).",
        min_responses=MIN_RESPONSES,
    )
    for wave in demo.waves:
        services.wave_create(
            actor=actor,
            survey=survey,
            code=wave.code,
            name=wave.name,
            opens_on=wave.opens_on,
            closes_on=wave.closes_on,
        )
    path = write_survey_csv(demo, folder / "survey-responses.csv")
    report = import_survey_responses(path, survey=survey, commit=True)
    load_synthetic_benchmark(demo.waves)
    submit_flagged_responses(survey)
    return report


# --- what the pages show beside the survey ---------------------------------------------------

BENCHMARK = SeriesData(
    source=BenchmarkSource.SYNTHETIC,
    measure="Synthetic regional survey (demo)",
    area_name="Demo region (synthetic)",
    area_kind=AreaKind.REGION,
    name="Synthetic regional survey (demo): made-up share agreeing the local police do a good job",
)
BENCHMARK_LEVEL = 0.58
BENCHMARK_DRIFT = -0.004  # a slow fall each quarter, so the direction of change can be read
BENCHMARK_SPREAD = 0.012
BENCHMARK_RESPONDENTS = 1800


def _quarter_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    ends: list[dt.date] = []
    year, month = first.year, ((first.month - 1) // 3 + 1) * 3
    while True:
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > last:
            return ends
        ends.append(end)
        year, month = following.year, following.month + 2


def synthetic_benchmark_points(waves: list[DemoWave], *, seed: int = 7) -> list[PointData]:
    """Quarterly points across the demo's waves: a level, a slow drift and a little noise,
    with a 95% interval from the number of respondents. Invented for the demo: no published
    figure is copied or imitated."""
    rng = np.random.default_rng(seed)
    points = []
    for position, end in enumerate(_quarter_ends(waves[0].opens_on, waves[-1].closes_on)):
        value = BENCHMARK_LEVEL + BENCHMARK_DRIFT * position + float(rng.normal(0, BENCHMARK_SPREAD))
        error = (value * (1 - value) / BENCHMARK_RESPONDENTS) ** 0.5
        points.append(
            PointData(
                period_end=end,
                value=round(value, 4),
                standard_error=round(error, 4),
                low=round(value - 1.96 * error, 4),
                high=round(value + 1.96 * error, 4),
                n=BENCHMARK_RESPONDENTS,
            )
        )
    return points


def load_synthetic_benchmark(waves: list[DemoWave]) -> int:
    """Save the synthetic series; the number of points stored."""
    points = synthetic_benchmark_points(waves)
    benchmark_series_save(series=BENCHMARK, points=points)
    return len(points)


# Documentation addresses (RFC 5737): no real sender is named.
BURST_ADDRESS = "198.51.100.23"
FORM_FILLER_ADDRESS = "203.0.113.99"
BURST_SIZE = 4


def submit_flagged_responses(survey: Survey) -> list[Response]:
    """A small burst of the same answers from one address, and one submission with the
    hidden field filled in, through the public form's service: the protection rules flag
    all but the first of the burst, and the form-filler, for review."""
    wave: Wave | None = survey.waves.filter(opens_on__lte=timezone.localdate()).order_by("-opens_on").first()
    lsoa = (
        Area.objects.filter(level=Level.LSOA, force=survey.force, parent__level=Level.NEIGHBOURHOOD)
        .order_by("code")
        .first()
    )
    if wave is None or lsoa is None:
        return []
    closes = timezone.make_aware(dt.datetime.combine(wave.closes_on, dt.time(12)))
    start = min(timezone.now(), closes) - dt.timedelta(hours=2)
    answers = dict.fromkeys(CONFIDENCE_KEYS, "agree")
    submitted = [
        services.response_submit(
            survey=survey,
            wave=wave,
            answers=answers,
            language="en",
            client_address=BURST_ADDRESS,
            lsoa=lsoa,
            now=start + dt.timedelta(minutes=position),
        )
        for position in range(BURST_SIZE)
    ]
    submitted.append(
        services.response_submit(
            survey=survey,
            wave=wave,
            answers={**answers, CONFIDENCE_KEYS[0]: "strongly-disagree"},
            language="en",
            client_address=FORM_FILLER_ADDRESS,
            lsoa=lsoa,
            honeypot="http://spam.invalid/",
            now=start + dt.timedelta(minutes=30),
        )
    )
    return submitted
