"""Surveys: the standard template, waves, question versions and recording a response."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from beatbook.accounts.models import AuditEvent
from beatbook.surveys import selectors, services, templates
from beatbook.surveys.models import Channel, Postcode, Question, QuestionVersion, Response, Survey, Wave

from .survey_fixtures import confidence, make_survey, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    return make_survey(area_tree)


@pytest.fixture
def wave(survey: Survey) -> Wave:
    return make_wave(survey)


def test_template_has_five_confidence_questions_concern_and_equality(survey: Survey) -> None:
    questions = list(survey.questions.order_by("position"))
    roles = [q.role for q in questions]
    assert roles == [
        "confidence_1",
        "confidence_2",
        "confidence_3",
        "confidence_4",
        "confidence_5",
        "concern",
        "age_band",
        "sex",
        "ethnic_group",
        "disability",
    ]
    assert [q.kind for q in questions[:5]] == ["agree5"] * 5
    assert questions[5].kind == "text"
    for question in questions[6:]:
        version = selectors.current_version(question)
        assert version.number == 1
        assert version.options[-1] == "prefer-not-to-say"
        assert version.texts["en"]["options"]["prefer-not-to-say"] == "Prefer not to say"
    assert survey.min_responses == 30
    assert AuditEvent.objects.filter(action="survey.create", object_id=str(survey.pk)).count() == 1


def test_template_without_optional_questions(area_tree: Any) -> None:
    survey = services.survey_create_from_template(
        actor=None, force=area_tree.force, name="Short", concern=False, equality=False
    )
    assert survey.slug == "short"
    assert survey.questions.count() == 5


def test_template_refuses_a_non_force_and_a_taken_slug(area_tree: Any, survey: Survey) -> None:
    with pytest.raises(ValidationError) as error:
        services.survey_create_from_template(actor=None, force=area_tree.nbhd_a, name="", slug="your-views")
    assert set(error.value.message_dict) == {"force", "name", "slug"}


def test_slug_made_unique_from_the_name(area_tree: Any, survey: Survey) -> None:
    other = services.survey_create_from_template(actor=None, force=area_tree.force, name="Your Views")
    assert other.slug == "your-views-2"


def test_wave_code_unique_per_survey_and_dates_in_order(survey: Survey, wave: Wave) -> None:
    with pytest.raises(ValidationError) as error:
        services.wave_create(
            actor=None,
            survey=survey,
            code="2026-05",
            name="again",
            opens_on=dt.date(2026, 6, 1),
            closes_on=dt.date(2026, 5, 1),
        )
    assert set(error.value.message_dict) == {"code", "closes_on"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Wave.objects.create(
            survey=survey, code="2026-05", name="x", opens_on=dt.date(2026, 1, 1), closes_on=dt.date(2026, 1, 2)
        )


def _reworded(question: Question, text: str) -> dict[str, Any]:
    texts = dict(selectors.current_version(question).texts)
    texts["en"] = {**texts["en"], "text": text}
    return texts


def test_reword_before_answers_edits_in_place(survey: Survey) -> None:
    question = survey.questions.get(key="feel-safe")
    version = services.question_reword(
        actor=None, question=question, texts=_reworded(question, "I feel safe in my street.")
    )
    assert version.number == 1
    assert question.versions.count() == 1
    assert selectors.current_version(question).texts["en"]["text"] == "I feel safe in my street."


def test_reword_after_answers_makes_a_new_version_and_answers_keep_theirs(survey: Survey, wave: Wave) -> None:
    question = survey.questions.get(key="feel-safe")
    first = services.response_record(
        survey=survey, wave=wave, answers={"feel-safe": "agree"}, channel=Channel.PAPER, language="en"
    )
    version = services.question_reword(
        actor=None, question=question, texts=_reworded(question, "I feel safe in my street after dark.")
    )
    assert version.number == 2
    assert QuestionVersion.objects.get(question=question, number=1).texts["en"]["text"] == "I feel safe where I live."
    second = services.response_record(
        survey=survey, wave=wave, answers={"feel-safe": "agree"}, channel=Channel.PAPER, language="en"
    )
    first.refresh_from_db()
    assert first.versions == {"feel-safe": 1}
    assert second.versions == {"feel-safe": 2}
    assert AuditEvent.objects.filter(action="survey.question_reword").count() == 1


def test_reword_refuses_missing_english_and_unlabelled_options(survey: Survey) -> None:
    question = survey.questions.get(key="ethnic-group")
    with pytest.raises(ValidationError):
        services.question_reword(actor=None, question=question, texts={"cy": {"text": "Grŵp ethnig?"}})
    with pytest.raises(ValidationError) as error:
        services.question_reword(
            actor=None,
            question=question,
            texts={"en": {"text": "Ethnic group?", "options": {"white": "White"}}},
        )
    assert "texts" in error.value.message_dict


def test_response_copies_scoring_columns_and_neighbourhood(area_tree: Any, survey: Survey, wave: Wave) -> None:
    Postcode.objects.create(postcode="TS1 1AA", lsoa_code="E01900002", lsoa=area_tree.lsoas["E01900002"])
    response = services.response_record(
        survey=survey,
        wave=wave,
        answers={
            **confidence(4, 0, None, 1, 5),
            "main-concern": "  Speeding on the high street ",
            "age-band": "25-44",
            "sex": "prefer-not-to-say",
            "ethnic-group": "asian",
            "disability": "no",
        },
        channel=Channel.ONLINE,
        language="ur",
        postcode="ts11aa",
    )
    response.refresh_from_db()
    assert (response.q1, response.q2, response.q3, response.q4, response.q5) == (4, 0, None, 1, 5)
    # indexes into templates.AGE_BANDS / ETHNIC_GROUPS: 25-44 is the second band, asian the third group
    assert (response.age_band, response.sex, response.ethnic_group) == (1, None, 2)
    assert response.lsoa == area_tree.lsoas["E01900002"]
    assert response.neighbourhood == area_tree.nbhd_a
    assert response.answers["main-concern"] == "Speeding on the high street"
    assert "kept-informed" not in response.answers
    assert response.versions["feel-safe"] == 1
    assert response.status == "counted"


def test_response_errors_are_named_by_field(area_tree: Any, survey: Survey, wave: Wave) -> None:
    with pytest.raises(ValidationError) as error:
        services.response_record(
            survey=survey,
            wave=wave,
            answers={"feel-safe": "agre", "age-band": "12-15", "shoe-size": "9", "main-concern": "x" * 2001},
            channel="carrier-pigeon",
            language="",
            postcode="NOT A POSTCODE",
        )
    assert set(error.value.message_dict) == {
        "feel-safe",
        "age-band",
        "shoe-size",
        "main-concern",
        "channel",
        "language",
        "postcode",
    }
    assert Response.objects.count() == 0


def test_response_location_must_be_known_and_in_the_force(area_tree: Any, survey: Survey, wave: Wave) -> None:
    from beatbook.areas.models import Area, Level

    elsewhere = Area.objects.create(level=Level.FORCE, code="OTHER", name="Other Police")
    outside = Area.objects.create(level=Level.LSOA, code="E01999999", name="Far away", force=elsewhere)
    Postcode.objects.create(postcode="ZZ1 1ZZ", lsoa_code="E01999999", lsoa=outside)
    for location in ({"postcode": "TS9 9ZZ"}, {"postcode": "ZZ1 1ZZ"}, {"lsoa": outside}):
        with pytest.raises(ValidationError) as error:
            services.response_record(
                survey=survey, wave=wave, answers=confidence(4, 4, 4, 4, 4), channel="paper", language="en", **location
            )
        assert list(error.value.message_dict) == list(location)


def test_response_in_a_wave_of_another_survey_is_refused(area_tree: Any, survey: Survey, wave: Wave) -> None:
    other = services.survey_create_from_template(actor=None, force=area_tree.force, name="Other")
    with pytest.raises(ValidationError) as error:
        services.response_record(survey=other, wave=wave, answers={}, channel="paper", language="en")
    assert "wave" in error.value.message_dict


def test_staff_entry_is_audited_and_import_key_unique(users: Any, survey: Survey, wave: Wave) -> None:
    services.response_record(
        survey=survey, wave=wave, answers={}, channel="phone", language="en", actor=users.officer_a, import_key="k1"
    )
    assert AuditEvent.objects.filter(action="survey.response_record").count() == 1
    with pytest.raises(ValidationError) as error:
        services.response_record(survey=survey, wave=wave, answers={}, channel="phone", language="en", import_key="k1")
    assert "import_key" in error.value.message_dict


def test_scoring_code_for_other_sex_is_not_given() -> None:
    assert templates.scoring_code("sex", "other") is None
    assert templates.scoring_code("sex", "male") == 1
    assert templates.scoring_code("confidence_3", "dont-know") == 0
    assert templates.scoring_code("confidence_3", None) is None


def _add_question(survey: Survey, key: str, kind: str, options: list[str], *, required: bool = False) -> Question:
    question = Question.objects.create(survey=survey, key=key, kind=kind, required=required, position=50)
    labels = {option: option.title() for option in options}
    QuestionVersion.objects.create(
        question=question, number=1, texts={"en": {"text": key, "options": labels}}, options=options
    )
    return question


def test_other_question_kinds_are_validated_and_stored(survey: Survey, wave: Wave) -> None:
    _add_question(survey, "seen-officer", "yes_no", [])
    _add_question(survey, "contact-by", "multiple", ["email", "post", "phone"])
    _add_question(survey, "years-here", "number", [], required=True)
    _add_question(survey, "home", "where", [])
    with pytest.raises(ValidationError) as error:
        services.response_record(
            survey=survey,
            wave=wave,
            answers={"seen-officer": "maybe", "contact-by": "email;fax", "home": "nowhere"},
            channel="paper",
            language="en",
        )
    assert set(error.value.message_dict) == {"seen-officer", "contact-by", "years-here", "home"}
    response = services.response_record(
        survey=survey,
        wave=wave,
        answers={"seen-officer": "yes", "contact-by": "phone;email", "years-here": " 12 ", "home": "ts11aa"},
        channel="paper",
        language="en",
    )
    # multiple choices are kept in the question's option order
    assert response.answers == {
        "seen-officer": "yes",
        "contact-by": ["email", "phone"],
        "years-here": 12,
        "home": "TS1 1AA",
    }


def test_inactive_questions_are_not_accepted(survey: Survey, wave: Wave) -> None:
    survey.questions.filter(key="disability").update(active=False)
    with pytest.raises(ValidationError) as error:
        services.response_record(survey=survey, wave=wave, answers={"disability": "no"}, channel="paper", language="en")
    assert "disability" in error.value.message_dict


def test_a_role_is_held_by_one_question_per_survey(survey: Survey) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(survey=survey, key="feel-safe-2", kind="agree5", role="confidence_2")
