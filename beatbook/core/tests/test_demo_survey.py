"""The demo's "Your Views" survey: six waves imported through the real importer, with
non-response designed so that weighting visibly matters.

The force is built once for the module. The scores and the representation are read back with
`beatbook survey-scores`, as an analyst would.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from beatbook.accounts.models import AuditEvent
from beatbook.core.demo import DemoResult, build_demo, reset_demo
from beatbook.core.demo.geography import build_geography
from beatbook.core.demo.population import synthesise
from beatbook.core.demo.survey import CONFIDENCE_KEYS, SURVEY_SLUG, demo_waves, generate_survey
from beatbook.surveys.models import Response, ResponseStatus, Survey

SEED = 2026
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
POSITIVE = {"agree", "strongly-agree"}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[DemoResult]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):  # type: ignore[attr-defined]
        first_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        result = build_demo(seed=SEED)
    yield result
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        reset_demo()
        AuditEvent.objects.filter(id__gt=first_event).delete()


def _scores(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("survey_scores", "--survey", SURVEY_SLUG, "--json", *args, stdout=out)
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


# --- The generator alone ------------------------------------------------------------------------


def test_waves_are_may_and_november_up_to_the_day() -> None:
    waves = demo_waves(dt.date(2026, 11, 21))
    assert [w.code for w in waves] == ["2024-05", "2024-11", "2025-05", "2025-11", "2026-05", "2026-11"]
    assert waves[0].opens_on == dt.date(2024, 5, 1) and waves[0].closes_on == dt.date(2024, 5, 31)
    assert waves[-1].closes_on == dt.date(2026, 11, 30)
    # The day before November's wave opens, the latest is May's.
    before_november = [w.code for w in demo_waves(dt.date(2026, 10, 31))]
    assert (before_november[0], before_november[-1]) == ("2023-11", "2026-05")


def test_same_seed_and_day_same_rows_and_sizes_as_designed() -> None:
    geography = build_geography(SEED)
    people = synthesise(geography)
    today = dt.date(2026, 11, 21)
    first = generate_survey(geography, people, seed=SEED, today=today)
    second = generate_survey(geography, people, seed=SEED, today=today)
    assert first.rows == second.rows
    assert first.rows != generate_survey(geography, people, seed=SEED + 1, today=today).rows
    per_area_wave = Counter((row["wave"], row["id"].split("-")[4]) for row in first.rows)
    assert len(per_area_wave) == len(geography.neighbourhoods) * 6
    assert all(20 <= n <= 120 for n in per_area_wave.values())
    small = first.small.split("-")[1]
    assert all(n < 30 for (_, code), n in per_area_wave.items() if code == small)
    # Nothing is dated after the day before the build (November's wave is still open).
    assert max(row["submitted_at"][:10] for row in first.rows) <= "2026-11-20"
    # Young people answer far less than their share of residents (about 14% of adults here).
    young = sum(row["age-band"] == "16-24" for row in first.rows) / len(first.rows)
    assert young < 0.08
    assert any(row["main-concern"] for row in first.rows)


# --- Through the importer -----------------------------------------------------------------------


@pytest.mark.django_db
def test_responses_are_imported_into_six_waves(demo: DemoResult) -> None:
    survey = Survey.objects.get(slug=SURVEY_SLUG)
    assert survey.force == demo.force
    waves = list(survey.waves.order_by("opens_on").values_list("code", flat=True))
    assert waves == [w.code for w in demo_waves(timezone.localdate())]
    responses = Response.objects.filter(survey=survey)
    imported = responses.filter(import_key__startswith="id:demo-")
    assert imported.filter(status=ResponseStatus.COUNTED).count() == imported.count() > 12 * 6 * 20
    assert not responses.filter(neighbourhood__isnull=True).exists()
    # Besides the import, a burst and a form-filler go through the public form's checks: all
    # but the first of the burst wait in the review queue.
    through_the_form = responses.exclude(pk__in=imported.values("pk"))
    flagged = through_the_form.filter(status=ResponseStatus.FLAGGED)
    assert flagged.exists() and flagged.count() == through_the_form.count() - 1


@pytest.mark.django_db
def test_raw_scores_overstate_confidence_and_weighting_corrects_them(demo: DemoResult) -> None:
    document = _scores("--level", "force")
    rows = document["scores"]
    assert len(rows) == 6
    for row in rows:
        # Young and minority-ethnic residents are less confident and answer less, so weighting
        # them up lowers the score: by more than a percentage point in every wave.
        assert row["weighted"]["value"] < row["unweighted"]["value"] - 0.01, row["wave"]
        assert row["weighted"]["design_effect"] > 1


@pytest.mark.django_db
def test_unweighted_force_score_matches_a_count_of_the_answers(demo: DemoResult) -> None:
    survey = Survey.objects.get(slug=SURVEY_SLUG)
    last = survey.waves.order_by("-opens_on").first()
    assert last is not None
    counted = Response.objects.filter(survey=survey, wave=last, status=ResponseStatus.COUNTED)
    answers = list(counted.values_list("answers", flat=True))
    # The Leicestershire method: the mean over the five questions of the share agreeing among
    # those who gave an answer other than "don't know".
    shares = []
    for key in CONFIDENCE_KEYS:
        given = [a[key] for a in answers if a.get(key) not in (None, "dont-know")]
        shares.append(sum(value in POSITIVE for value in given) / len(given))
    row = next(r for r in _scores("--level", "force")["scores"] if r["wave"] == last.code)
    assert row["unweighted"]["value"] == pytest.approx(sum(shares) / 5, abs=1e-9)


@pytest.mark.django_db
def test_a_small_neighbourhood_is_suppressed_and_modelled(demo: DemoResult) -> None:
    rows = _scores("--level", "neighbourhood")["scores"]
    suppressed = [r for r in rows if r["status"] == "suppressed"]
    assert suppressed
    assert all(r["weighted"] is None and r["unweighted"] is None for r in suppressed)
    assert all(r["modelled"] is not None and r["modelled"]["modelled"] for r in suppressed)
    assert any(r["status"] == "ok" for r in rows)


@pytest.mark.django_db
def test_representation_names_young_people_as_under_represented(demo: DemoResult) -> None:
    document = _scores("--representation")
    force_named = [u for u in document["under_represented"] if u["level"] == "force"]
    assert len(force_named) == 6
    assert all("16 to 24" in u["groups"] for u in force_named)
    assert any("Black, Black British, Caribbean or African" in u["groups"] for u in force_named)
    young = [
        r
        for r in document["representation"]
        if r["level"] == "force" and r["group"] == "16 to 24" and r["characteristic"] == "age band"
    ]
    assert len(young) == 6
    assert all(r["respondent_share"] < 0.8 * r["population_share"] for r in young)


@pytest.mark.django_db
def test_building_again_changes_nothing(demo: DemoResult) -> None:
    before = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    again = build_demo(seed=SEED)
    assert again.created is False
    assert {model._meta.label: model._default_manager.count() for model in apps.get_models()} == before
