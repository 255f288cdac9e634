"""Reads for surveys: current question versions, and the scoring inputs built from the database.

`scoring_inputs` turns a survey's counted responses and its force's census counts into the
arrays `scoring.score_survey` takes. The census tables Beatbook imports give age and sex as
separate one-way tables (no age x sex cross-table), so the age x sex margin is the product of
each neighbourhood's age margin and its sex shares: it assumes the sex split is the same in
every age band, which is close for working ages and slightly under-counts women over 75.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from beatbook.areas.models import Area, CensusCount, CensusTopic, Level

from . import templates
from .models import Question, QuestionVersion, Response, ResponseStatus, Survey, Wave
from .scoring import AreaHierarchy, Census, Responses, ScoreRow, ScoringSettings, score_survey
from .weighting import IntArray

SCORING_FIELDS = ("neighbourhood_id", "wave_id", "q1", "q2", "q3", "q4", "q5", "age_band", "sex", "ethnic_group")


def current_version(question: Question) -> QuestionVersion:
    version = question.versions.order_by("-number").first()
    if version is None:
        raise QuestionVersion.DoesNotExist(f"{question} has no wording")
    return version


def current_questions(survey: Survey) -> dict[str, tuple[Question, QuestionVersion]]:
    """The survey's active questions in order, each with its latest version (two queries)."""
    questions = list(survey.questions.filter(active=True).order_by("position", "key"))
    latest: dict[int, QuestionVersion] = {}
    for version in QuestionVersion.objects.filter(question__in=questions).order_by("question_id", "number"):
        latest[version.question_id] = version
    return {q.key: (q, latest[q.pk]) for q in questions if q.pk in latest}


# --- census margins -------------------------------------------------------------------------

AGE_RANGE = re.compile(r"(\d+)\D+?(\d+)")
AGE_UNDER = re.compile(r"(\d+)\s*(?:years?\s*)?(?:and|or)\s*under", re.IGNORECASE)
AGE_OVER = re.compile(r"(\d+)\s*(?:years?\s*)?(?:and|or)\s*over", re.IGNORECASE)
OLDEST = 100


def census_age_range(category: str) -> tuple[int, int] | None:
    """ "Aged 15 to 19" → (15, 19); "Aged 4 years and under" → (0, 4); "Aged 90 and over" →
    (90, 100); None for a category that is not an age range."""
    if match := AGE_UNDER.search(category):
        return 0, int(match.group(1))
    if match := AGE_OVER.search(category):
        return int(match.group(1)), OLDEST
    if match := AGE_RANGE.search(category):
        return int(match.group(1)), int(match.group(2))
    return None


def age_band_shares(category: str) -> list[float]:
    """How a census age category splits over the survey's age bands, assuming people are
    spread evenly over the single years of the category (e.g. 15-19 gives 4/5 to 16-24)."""
    span = census_age_range(category)
    shares = [0.0] * len(templates.AGE_BANDS)
    if span is None:
        return shares
    low, high = span
    years = high - low + 1
    for index, (_key, _label, band_low, band_high) in enumerate(templates.AGE_BANDS):
        top = OLDEST if band_high is None else band_high
        overlap = min(high, top) - max(low, band_low) + 1
        if overlap > 0:
            shares[index] = overlap / years
    return shares


def ethnic_group_index(category: str) -> int:
    """The survey's broad ethnic group for a census category (2011 or 2021 wording).

    Census 2021 tables may give only the detailed name ("White and Asian", "Irish", "Roma"),
    not its high-level group, so mixed groups are recognised by "White and …" too, and the
    White detailed groups by their own names, before the broad words are tried.
    """
    lowered = category.lower().strip()
    keys = [key for key, _ in templates.ETHNIC_GROUPS]
    rules = (
        ("mixed", lambda text: "mixed" in text or "multiple" in text or text.startswith("white and ")),
        (
            "white",
            lambda text: (
                "white" in text
                or text.startswith(("english, welsh", "irish", "gypsy", "roma"))
                or text in ("british", "english", "welsh", "scottish", "northern irish")
            ),
        ),
        ("black", lambda text: any(word in text for word in ("black", "african", "caribbean"))),
        (
            "asian",
            lambda text: any(word in text for word in ("asian", "indian", "pakistani", "bangladeshi", "chinese")),
        ),
    )
    for key, matches in rules:
        if matches(lowered):
            return keys.index(key)
    return keys.index("other")


def sex_index(category: str) -> int | None:
    keys = [key for key, _ in templates.SEXES]
    lowered = category.strip().lower()
    return keys.index(lowered) if lowered in keys else None


def census_margins(neighbourhood_ids: list[int]) -> tuple[Census, list[str]]:
    """Age x sex and ethnic group counts per neighbourhood (in the order given), from the
    latest census year held for each topic, with notes on what was assumed."""
    position = {pk: index for index, pk in enumerate(neighbourhood_ids)}
    count = len(neighbourhood_ids)
    ages = np.zeros((count, len(templates.AGE_BANDS)))
    sexes = np.zeros((count, len(templates.SEXES)))
    ethnic = np.zeros((count, len(templates.ETHNIC_GROUPS)))
    notes: list[str] = []
    cells = CensusCount.objects.filter(lsoa__parent_id__in=neighbourhood_ids, lsoa__level=Level.LSOA)
    for topic in (CensusTopic.AGE, CensusTopic.SEX, CensusTopic.ETHNIC_GROUP):
        year = cells.filter(topic=topic).order_by("-census_year").values_list("census_year", flat=True).first()
        if year is None:
            notes.append(f"no census {topic} counts for these neighbourhoods")
            continue
        notes.append(f"census {topic}: {year}")
        rows = cells.filter(topic=topic, census_year=year).values_list("lsoa__parent_id", "category", "count")
        for parent_id, category, number in rows:
            if parent_id is None:
                continue
            row = position[parent_id]
            if topic == CensusTopic.AGE:
                ages[row] += number * np.asarray(age_band_shares(category))
            elif topic == CensusTopic.SEX:
                index = sex_index(category)
                if index is not None:
                    sexes[row, index] += number
            else:
                ethnic[row, ethnic_group_index(category)] += number
    sex_totals = sexes.sum(axis=1, keepdims=True)
    sex_shares = np.divide(sexes, sex_totals, out=np.zeros_like(sexes), where=sex_totals > 0)
    notes.append("age x sex estimated from the age and sex tables (no cross-table in the census data held)")
    census = Census(
        age_bands=tuple(label for _key, label, *_ in templates.AGE_BANDS),
        sexes=tuple(label for _key, label in templates.SEXES),
        ethnic_groups=tuple(label for _key, label in templates.ETHNIC_GROUPS),
        age_sex=ages[:, :, None] * sex_shares[:, None, :],
        ethnic_group=ethnic,
    )
    return census, notes


# --- scoring inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringInputs:
    responses: Responses
    areas: AreaHierarchy
    census: Census
    waves: list[Wave]
    # Area codes by the names scoring uses (the codes themselves) → display names.
    area_names: dict[str, str]
    notes: list[str] = field(default_factory=list)
    left_out: int = 0


def _lookup(keys: IntArray, index: dict[int, int]) -> IntArray:
    """index[key] for each key, -1 where the key is not in the index."""
    if not index:
        return np.full(keys.shape, -1, dtype=np.int64)
    known = np.asarray(sorted(index), dtype=np.int64)
    values = np.asarray([index[key] for key in known.tolist()], dtype=np.int64)
    at = np.clip(np.searchsorted(known, keys), 0, known.size - 1)
    return np.where(known[at] == keys, values[at], -1)


def survey_waves(survey: Survey) -> list[Wave]:
    return list(survey.waves.order_by("opens_on", "code"))


def scoring_inputs(survey: Survey, *, up_to_wave: Wave | None = None) -> ScoringInputs:
    """The counted responses of `survey` (waves in time order, up to `up_to_wave`) as scoring
    arrays over its force's neighbourhoods. Responses with no neighbourhood, or in a
    neighbourhood with no census population to weight to, are left out (and counted)."""
    waves = survey_waves(survey)
    if up_to_wave is not None:
        waves = waves[: [w.pk for w in waves].index(up_to_wave.pk) + 1]
    neighbourhood_rows = list(
        Area.objects.filter(level=Level.NEIGHBOURHOOD, force_id=survey.force_id, parent__level=Level.NPA)
        .order_by("parent__code", "code")
        .values_list("pk", "code", "name", "parent_id", "parent__code", "parent__name")
    )
    census, notes = census_margins([row[0] for row in neighbourhood_rows])
    # (reshape(0, -1) cannot infer a width, so a force without neighbourhoods has no populated rows.)
    populated = (
        census.age_sex.reshape(len(neighbourhood_rows), -1).sum(axis=1) > 0
        if neighbourhood_rows
        else np.zeros(0, dtype=bool)
    )
    kept = [row for row, has_people in zip(neighbourhood_rows, populated, strict=True) if has_people]
    if len(kept) < len(neighbourhood_rows):
        notes.append(f"{len(neighbourhood_rows) - len(kept)} neighbourhood(s) without census population not scored")
    keep = np.flatnonzero(populated)
    census = Census(
        age_bands=census.age_bands,
        sexes=census.sexes,
        ethnic_groups=census.ethnic_groups,
        age_sex=census.age_sex[keep],
        ethnic_group=census.ethnic_group[keep],
    )
    npa_codes: list[str] = []
    area_names: dict[str, str] = {}
    npa_of: list[int] = []
    for _pk, code, name, _parent_id, parent_code, parent_name in kept:
        if parent_code not in npa_codes:
            npa_codes.append(parent_code)
        npa_of.append(npa_codes.index(parent_code))
        area_names[code] = name
        area_names[parent_code] = parent_name
    force = survey.force
    area_names[force.code] = force.name
    areas = AreaHierarchy(
        neighbourhoods=tuple(row[1] for row in kept),
        npa_of_neighbourhood=np.asarray(npa_of, dtype=np.int64),
        npas=tuple(npa_codes),
        force=force.code,
    )
    neighbourhood_index = {row[0]: index for index, row in enumerate(kept)}
    wave_index = {wave.pk: index for index, wave in enumerate(waves)}
    # Nulls come back as -1 (not given), so the rows load straight into one integer array;
    # the query runs on a plain cursor because Django's per-row converters would take longer
    # than everything else in scoring put together (200,000 responses: 0.6 s of 0.75 s).
    columns = {f"_{name}": Coalesce(F(name), Value(-1)) for name in SCORING_FIELDS}
    query = (
        Response.objects.filter(survey=survey, status=ResponseStatus.COUNTED, wave_id__in=list(wave_index))
        .annotate(**columns)
        .order_by()
        .values_list(*columns)
    )
    fetched: list[tuple[int, ...]] = []
    if wave_index:  # an empty IN () is no query at all to Django
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
    table = np.asarray(fetched, dtype=np.int64).reshape(-1, len(SCORING_FIELDS))
    neighbourhood = _lookup(table[:, 0], neighbourhood_index)
    usable = neighbourhood >= 0
    table = table[usable]
    wave = _lookup(table[:, 1], wave_index)
    answers = table[:, 2:7]
    return ScoringInputs(
        responses=Responses(
            neighbourhood=neighbourhood[usable],
            wave=wave,
            # A question not answered (null, stored as -1 above) scores like "don't know".
            answers=np.where(answers < 0, 0, answers),
            age_band=table[:, 7],
            sex=table[:, 8],
            ethnic_group=table[:, 9],
        ),
        areas=areas,
        census=census,
        waves=waves,
        area_names=area_names,
        notes=notes,
        left_out=int((~usable).sum()),
    )


def survey_scores(survey: Survey, *, up_to_wave: Wave | None = None) -> tuple[list[ScoreRow], ScoringInputs]:
    """Every area's scores in every wave up to `up_to_wave` (so the last has its change since
    the wave before), with the survey's suppression threshold."""
    inputs = scoring_inputs(survey, up_to_wave=up_to_wave)
    if not inputs.waves or not inputs.areas.neighbourhoods:
        return [], inputs
    rows = score_survey(
        inputs.responses,
        areas=inputs.areas,
        census=inputs.census,
        waves=len(inputs.waves),
        settings=ScoringSettings(min_responses=survey.min_responses),
    )
    return rows, inputs


# --- the public form ------------------------------------------------------------------------


def open_wave(survey: Survey, today: dt.date) -> Wave | None:
    """The wave taking answers on `today` (opens_on ≤ today ≤ closes_on); of overlapping
    waves, the one that opened last."""
    return survey.waves.filter(opens_on__lte=today, closes_on__gte=today).order_by("-opens_on", "-code").first()


def place_choices(survey: Survey) -> list[tuple[str, list[tuple[int, str]]]]:
    """The survey force's LSOAs grouped under their neighbourhoods, both by name, for the
    "choose where you live" list: [(neighbourhood name, [(LSOA id, LSOA name)])]."""
    rows = (
        Area.objects.filter(level=Level.LSOA, force_id=survey.force_id, parent__level=Level.NEIGHBOURHOOD)
        .order_by("parent__name", "name")
        .values_list("pk", "name", "parent__name")
    )
    groups: dict[str, list[tuple[int, str]]] = {}
    for pk, name, neighbourhood in rows:
        groups.setdefault(neighbourhood, []).append((pk, name))
    return list(groups.items())
