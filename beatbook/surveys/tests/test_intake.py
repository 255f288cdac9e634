"""The public form's fast path: the per-process form cache and the submission's statements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from beatbook.surveys import intake, protection, services
from beatbook.surveys.models import Invitation, Postcode, QuestionVersion, Response, Survey, Wave

from .survey_fixtures import make_survey

pytestmark = pytest.mark.django_db

FORM_URL = "/your-views/your-views/"


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    return make_survey(area_tree)


@pytest.fixture
def wave(survey: Survey) -> Wave:
    today = timezone.localdate()
    return services.wave_create(
        actor=None,
        survey=survey,
        code="now",
        name="Now",
        opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=3),
    )


def _statements(captured: CaptureQueriesContext) -> list[str]:
    """What a submission sent, without the savepoints the test's own transaction adds."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))
    ]


def test_the_form_is_read_once_then_kept_until_the_ttl(
    survey: Survey, wave: Wave, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = intake.survey_form(survey.slug)
    assert first is not None and first.wave == wave and "feel-safe" in first.questions
    with CaptureQueriesContext(connection) as captured:
        assert intake.survey_form(survey.slug) is first
    assert len(captured) == 0
    # Another process rewords a question (no signal reaches this one): seen after the TTL.
    version = first.questions["feel-safe"][1]
    texts = {**version.texts, "en": {**version.texts["en"], "text": "Do you feel safe?"}}
    QuestionVersion.objects.filter(pk=version.pk).update(texts=texts)
    assert intake.survey_form(survey.slug) is first
    clock = intake.time.monotonic()
    monkeypatch.setattr(intake.time, "monotonic", lambda: clock + intake.TTL_SECONDS + 1)
    fresh = intake.survey_form(survey.slug)
    assert fresh is not first and fresh is not None
    assert fresh.questions["feel-safe"][1].texts["en"]["text"] == "Do you feel safe?"


def test_a_change_saved_in_this_process_is_seen_at_once(survey: Survey, wave: Wave) -> None:
    assert intake.survey_form(survey.slug) is not None
    wave.closes_on = timezone.localdate() - dt.timedelta(days=1)
    wave.save()
    closed = intake.survey_form(survey.slug)
    assert closed is not None and closed.wave is None
    html = Client().get(FORM_URL).content.decode()
    assert "This survey is closed" in html


def test_a_wave_closes_at_midnight_whatever_the_ttl(
    survey: Survey, wave: Wave, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert intake.survey_form(survey.slug) is not None
    after_closing = wave.closes_on + dt.timedelta(days=1)
    monkeypatch.setattr(intake.timezone, "localdate", lambda *args, **kwargs: after_closing)
    cached = intake.survey_form(survey.slug)
    assert cached is not None and cached.wave is None and cached.today == after_closing


def test_an_unknown_survey_is_not_kept(survey: Survey) -> None:
    assert intake.survey_form("no-such-survey") is None
    Survey.objects.filter(pk=survey.pk).update(slug="no-such-survey")
    assert intake.survey_form("no-such-survey") is not None


def test_the_place_list_and_the_lookup_agree(survey: Survey, wave: Wave, area_tree: Any) -> None:
    current = intake.survey_form(survey.slug)
    assert current is not None
    listed = {pk for _group, items in current.choices for pk, _name in items}
    assert listed == set(current.places) == {lsoa.pk for lsoa in area_tree.lsoas.values()}
    place = current.places[area_tree.lsoa_a.pk]
    assert place.neighbourhood_id == area_tree.nbhd_a.pk and place.force_id == area_tree.force.pk
    assert intake.place_of_area(area_tree.lsoa_a) == place


def test_an_anonymous_submission_is_a_count_and_an_insert(survey: Survey, wave: Wave, area_tree: Any) -> None:
    current = intake.survey_form(survey.slug)
    assert current is not None
    with CaptureQueriesContext(connection) as captured:
        services.response_submit(
            survey=survey,
            wave=wave,
            answers={"feel-safe": "agree"},
            language="en",
            client_address="192.0.2.5",
            lsoa=current.places[area_tree.lsoa_a.pk],
            questions=current.questions,
            places=current.places,
        )
    statements = _statements(captured)
    # The sender's lock is PostgreSQL's (SQLite takes its write lock at the transaction's start).
    assert len(statements) == (3 if connection.vendor == "postgresql" else 2)
    assert statements[-1].upper().startswith("INSERT")


def test_an_invited_submission_with_a_postcode(survey: Survey, wave: Wave, area_tree: Any) -> None:
    current = intake.survey_form(survey.slug)
    assert current is not None
    Postcode.objects.create(postcode="TS1 1AA", lsoa_code="E01900004", lsoa=area_tree.lsoas["E01900004"])
    [token] = services.invitations_create(actor=None, survey=survey, wave=wave, count=1)
    with CaptureQueriesContext(connection) as captured:
        saved = services.response_submit(
            survey=survey,
            wave=wave,
            answers={"feel-safe": "agree"},
            language="cy",
            client_address="192.0.2.5",
            postcode="ts11aa",
            token=token,
            questions=current.questions,
            places=current.places,
        )
    # Claim, postcode, insert, link: an invited submission is not counted against others, so
    # it takes no sender's lock either.
    statements = _statements(captured)
    assert len(statements) == 4
    assert not any("advisory" in sql for sql in statements)
    invitation = Invitation.objects.get()
    assert invitation.response_id == saved.pk and invitation.used_at is not None
    assert (saved.lsoa_id, saved.neighbourhood_id) == (area_tree.lsoas["E01900004"].pk, area_tree.nbhd_b.pk)


def test_the_insert_stores_what_the_orm_would(survey: Survey, wave: Wave, area_tree: Any) -> None:
    """Every column of a submitted response, read back through the ORM, against the values
    the form sent: JSON, dates, scoring columns and defaults."""
    noon = dt.datetime(2026, 5, 10, 12, 0, 30, 123456, tzinfo=dt.UTC)
    answers = {"feel-safe": "agree", "main-concern": "Vans parked on the pavement \u2013 \u00e9\u00e8", "sex": "female"}
    returned = services.response_submit(
        survey=survey,
        wave=wave,
        answers=answers,
        language="pl",
        client_address="198.51.100.3",
        lsoa=area_tree.lsoas["E01900003"],
        honeypot="x",
        now=noon,
    )
    stored = Response.objects.get()
    assert stored.pk == returned.pk
    assert stored.answers == answers and stored.versions == dict.fromkeys(answers, 1)
    assert stored.submitted_at == noon and stored.created_at is not None
    assert (stored.q2, stored.q1, stored.sex) == (4, None, 0)
    assert (stored.lsoa, stored.neighbourhood) == (area_tree.lsoas["E01900003"], area_tree.nbhd_c)
    assert (stored.status, stored.flag_reason, stored.channel, stored.language) == (
        "flagged",
        "honeypot",
        "online",
        "pl",
    )
    assert stored.address_hash == protection.address_hash("198.51.100.3")
    assert (stored.import_key, stored.review_note, stored.reviewed_by, stored.reviewed_at) == ("", "", None, None)
    # The rate and duplicate checks read the stored dates back correctly on either database.
    again = services.response_submit(
        survey=survey,
        wave=wave,
        answers=answers,
        language="pl",
        client_address="198.51.100.3",
        lsoa=area_tree.lsoas["E01900003"],
        now=noon + dt.timedelta(seconds=1),
    )
    assert again.flag_reason == "duplicate"
    later = services.response_submit(
        survey=survey,
        wave=wave,
        answers=answers,
        language="pl",
        client_address="198.51.100.3",
        lsoa=area_tree.lsoas["E01900003"],
        now=noon + dt.timedelta(days=1, seconds=1),
    )
    assert later.flag_reason == ""


def test_a_place_id_that_is_not_a_number_is_named(survey: Survey, wave: Wave) -> None:
    html = Client().post(FORM_URL, {"lsoa": "twelve", "feel-safe": "agree"}).content.decode()
    assert '<a href="#lsoa">Choose where you live from the list.</a>' in html
    assert 'name="feel-safe" type="radio" value="agree" checked' in html
    assert not Response.objects.exists()
