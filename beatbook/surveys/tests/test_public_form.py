"""The public "Your Views" form: answering, errors, invitations, the honeypot, closed waves."""

from __future__ import annotations

import datetime as dt
import gettext
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from beatbook.public.tests.test_translations import LANGUAGES, LOCALE_DIR, client_in, marked_strings
from beatbook.surveys import protection, selectors, services
from beatbook.surveys.models import Invitation, Response, ResponseStatus, Survey, Wave
from beatbook.surveys.tests.survey_fixtures import make_survey
from beatbook.surveys.translations import TRANSLATIONS, wording

FORM_URL = "/your-views/your-views/"
TEMPLATES_DIR = Path(settings.BASE_DIR) / "surveys" / "templates" / "surveys"
PUBLIC_TEMPLATES = sorted(TEMPLATES_DIR.glob("public_*.html")) + sorted(TEMPLATES_DIR.glob("_public_*.html"))


@pytest.fixture(autouse=True)
def restore_active_language() -> Any:
    before = translation.get_language()
    yield
    translation.activate(before)


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    return make_survey(area_tree)


def open_wave(survey: Survey, *, days_left: int = 10) -> Wave:
    today = timezone.localdate()
    return services.wave_create(
        actor=None,
        survey=survey,
        code="now",
        name="Now",
        opens_on=today - dt.timedelta(days=5),
        closes_on=today + dt.timedelta(days=days_left),
    )


def full_answers(area_tree: Any) -> dict[str, Any]:
    return {
        "lsoa": str(area_tree.lsoas["E01900003"].pk),
        "understand-issues": "agree",
        "feel-safe": "strongly-agree",
        "kept-informed": "disagree",
        "good-job": "agree",
        "trust-police": "dont-know",
        "main-concern": "Speeding on the high street",
        "age-band": "25-44",
        "sex": "prefer-not-to-say",
        "ethnic-group": "asian",
        "disability": "no",
        "website": "",
    }


def post(client: Client, data: dict[str, Any], url: str = FORM_URL) -> Any:
    return client.post(url, data)


# --- showing the form ---------------------------------------------------------------------


@pytest.mark.django_db
def test_form_shows_every_question_as_the_right_control(survey: Survey, area_tree: Any) -> None:
    open_wave(survey)
    response = Client().get(FORM_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html
    # Agreement scales and single choices are radios in a fieldset with the question as legend.
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">I feel safe where I live.</legend>' in html
    assert html.count('type="radio"') == 5 * 6 + 6 + 4 + 6 + 3
    assert 'id="q-feel-safe" name="feel-safe" type="radio" value="strongly-disagree"' in html
    assert '<textarea class="govuk-textarea" id="q-main-concern" name="main-concern"' in html
    # Equality questions can always be declined.
    assert html.count('value="prefer-not-to-say"') == 4
    # Where you live: a postcode or the force's places grouped by neighbourhood.
    assert 'id="postcode" name="postcode"' in html
    assert '<optgroup label="Castlegate">' in html
    assert f'<option value="{area_tree.lsoas["E01900003"].pk}">Castlegate 002A</option>' in html


@pytest.mark.django_db
def test_honeypot_is_hidden_from_people_and_assistive_technology(survey: Survey) -> None:
    open_wave(survey)
    html = Client().get(FORM_URL).content.decode()
    assert (
        '<div class="govuk-visually-hidden" aria-hidden="true">\n'
        '    <label for="website">Leave this blank</label>\n'
        '    <input type="text" id="website" name="website" value="" tabindex="-1" autocomplete="off">'
    ) in html


@pytest.mark.django_db
def test_anyone_may_open_the_form_signed_in_or_not(survey: Survey, users: Any, login_as: Any) -> None:
    open_wave(survey)
    for user in (None, users.officer_a, users.officer_b, users.partner):
        client = Client()
        if user is not None:
            login_as(client, user)
        assert client.get(FORM_URL).status_code == 200
        assert client.get("/your-views/about/").status_code == 200
        assert client.get("/your-views/your-views/thanks/").status_code == 200


@pytest.mark.django_db
def test_unknown_survey_is_not_found(survey: Survey) -> None:
    assert Client().get("/your-views/no-such-survey/").status_code == 404


# --- answering ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_answers_are_recorded_and_the_visitor_thanked(survey: Survey, area_tree: Any) -> None:
    wave = open_wave(survey)
    response = post(Client(), full_answers(area_tree))
    assert response.status_code == 302 and response["Location"] == "/your-views/your-views/thanks/"
    saved = Response.objects.get()
    assert saved.wave == wave and saved.channel == "online" and saved.language == "en"
    assert saved.status == ResponseStatus.COUNTED
    assert (saved.q1, saved.q2, saved.q3, saved.q4, saved.q5) == (4, 5, 2, 4, 0)
    # 25-44 is the second age band, Asian the third ethnic group; "prefer not to say" is no answer.
    assert (saved.age_band, saved.sex, saved.ethnic_group) == (1, None, 2)
    assert saved.lsoa == area_tree.lsoas["E01900003"] and saved.neighbourhood == area_tree.nbhd_c
    assert saved.answers["main-concern"] == "Speeding on the high street"
    assert saved.answers["sex"] == "prefer-not-to-say"
    assert "website" not in saved.answers and "lsoa" not in saved.answers
    thanks = Client().get(response["Location"]).content.decode()
    assert "Thank you for your answers" in thanks


@pytest.mark.django_db
def test_a_blank_form_is_a_response_with_no_answers(survey: Survey) -> None:
    """Every question is optional: nothing chosen is still somebody's (empty) response."""
    open_wave(survey)
    assert post(Client(), {}).status_code == 302
    saved = Response.objects.get()
    assert saved.answers == {} and saved.lsoa is None and saved.q1 is None


@pytest.mark.django_db
def test_wrong_answers_say_what_to_fix_and_keep_every_other_answer(survey: Survey, area_tree: Any) -> None:
    open_wave(survey)
    data = {**full_answers(area_tree), "feel-safe": "very-safe", "lsoa": "", "postcode": "not a postcode"}
    response = post(Client(), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert Response.objects.count() == 0
    assert "<title>Error: Your views on policing where you live" in html
    assert '<a href="#q-feel-safe">Choose one of the answers given.</a>' in html
    assert '<a href="#postcode">Enter a full UK postcode, such as LE1 1AA.</a>' in html
    assert 'id="q-feel-safe-error" class="govuk-error-message"' in html
    assert 'value="not a postcode"' in html
    # The other answers are still chosen.
    assert 'name="understand-issues" type="radio" value="agree" checked' in html
    assert 'name="kept-informed" type="radio" value="disagree" checked' in html
    assert 'name="ethnic-group" type="radio" value="asian" checked' in html
    assert 'name="sex" type="radio" value="prefer-not-to-say" checked' in html
    assert ">Speeding on the high street</textarea>" in html
    assert html.count(" checked>") == 8
    # Fixing the one answer sends everything.
    data.update({"feel-safe": "agree", "postcode": ""})
    assert post(Client(), data).status_code == 302
    assert Response.objects.get().q2 == 4


@pytest.mark.django_db
def test_a_place_not_on_the_list_is_refused(survey: Survey, area_tree: Any) -> None:
    open_wave(survey)
    data = {**full_answers(area_tree), "lsoa": str(area_tree.nbhd_a.pk)}
    html = post(Client(), data).content.decode()
    assert '<a href="#lsoa">Choose where you live from the list.</a>' in html
    assert Response.objects.count() == 0


# --- abuse protection ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invitation_token_is_carried_through_and_used_once(survey: Survey, area_tree: Any) -> None:
    wave = open_wave(survey)
    invitation = Invitation.objects.create(survey=survey, wave=wave, token_hash=protection.token_hash("tok-123456"))
    html = Client().get(FORM_URL + "?t=tok-123456").content.decode()
    assert '<input type="hidden" name="t" value="tok-123456">' in html
    first = post(Client(), {**full_answers(area_tree), "t": "tok-123456"})
    assert first.status_code == 302
    invitation.refresh_from_db()
    assert invitation.used_at is not None and invitation.response == Response.objects.get()

    again = post(Client(), {**full_answers(area_tree), "feel-safe": "disagree", "t": "tok-123456"})
    html = again.content.decode()
    assert again.status_code == 200
    assert "This invitation code has already been used." in html
    assert Response.objects.count() == 1
    # The refused code is dropped, so the answers (kept on the page) can still be sent.
    assert 'name="t"' not in html
    assert 'name="feel-safe" type="radio" value="disagree" checked' in html
    assert "You can still send your answers without the invitation code." in html


@pytest.mark.django_db
def test_a_filled_honeypot_is_stored_but_not_counted(survey: Survey, area_tree: Any) -> None:
    open_wave(survey)
    response = post(Client(), {**full_answers(area_tree), "website": "http://cheap-pills.example"})
    # The robot is told nothing: it sees the same thanks as a person.
    assert response.status_code == 302 and response["Location"].endswith("/thanks/")
    saved = Response.objects.get()
    assert saved.status == ResponseStatus.FLAGGED and saved.flag_reason == protection.FLAG_HONEYPOT
    assert saved.q1 == 4  # kept for review, answers intact
    inputs = selectors.scoring_inputs(survey)
    assert len(inputs.responses.neighbourhood) == 0


@pytest.mark.django_db
def test_the_client_address_is_hashed_from_the_request(survey: Survey, area_tree: Any) -> None:
    open_wave(survey)
    Client(REMOTE_ADDR="203.0.113.7").post(FORM_URL, full_answers(area_tree))
    assert Response.objects.get().address_hash == protection.address_hash("203.0.113.7")


# --- closed waves -------------------------------------------------------------------------


@pytest.mark.django_db
def test_outside_a_wave_the_survey_says_it_is_closed(survey: Survey, area_tree: Any) -> None:
    today = timezone.localdate()
    services.wave_create(
        actor=None,
        survey=survey,
        code="past",
        name="Past",
        opens_on=today - dt.timedelta(days=60),
        closes_on=today - dt.timedelta(days=1),
    )
    services.wave_create(
        actor=None,
        survey=survey,
        code="next",
        name="Next",
        opens_on=dt.date(today.year + 1, 5, 1),
        closes_on=dt.date(today.year + 1, 5, 31),
    )
    html = Client().get(FORM_URL).content.decode()
    assert "This survey is closed" in html and '<form method="post" action="/your-views/' not in html
    assert f"The next survey opens on 1 May {today.year + 1}." in html
    assert post(Client(), full_answers(area_tree)).status_code == 200
    assert Response.objects.count() == 0


@pytest.mark.django_db
def test_the_wave_is_open_on_its_first_and_last_day(survey: Survey) -> None:
    today = timezone.localdate()
    services.wave_create(actor=None, survey=survey, code="a", name="A", opens_on=today, closes_on=today)
    assert selectors.open_wave(survey, today) is not None
    assert selectors.open_wave(survey, today + dt.timedelta(days=1)) is None
    assert selectors.open_wave(survey, today - dt.timedelta(days=1)) is None


# --- languages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_questions_are_asked_in_the_chosen_language(survey: Survey, area_tree: Any) -> None:
    open_wave(survey)
    html = client_in("cy").get(FORM_URL).content.decode()
    assert "Rwy\u2019n teimlo\u2019n ddiogel lle rwy\u2019n byw." in html
    assert "I feel safe where I live." not in html
    assert ">Cytuno\u2019n gryf</label>" in html
    assert post(client_in("cy"), full_answers(area_tree)).status_code == 302
    assert Response.objects.get().language == "cy"


@pytest.mark.django_db
def test_urdu_is_right_to_left(survey: Survey) -> None:
    open_wave(survey)
    html = client_in("ur").get(FORM_URL).content.decode()
    assert '<html lang="ur" dir="rtl"' in html
    assert "مجھے اپنے علاقے کی پولیس پر بھروسہ ہے۔" in html  # noqa: RUF001
    # The postcode is written left to right whatever the page's direction.
    assert 'id="postcode" name="postcode" type="text" autocomplete="postal-code" spellcheck="false" dir="ltr"' in html


@pytest.mark.django_db
def test_a_question_not_yet_translated_is_shown_in_english_marked_as_english(survey: Survey) -> None:
    open_wave(survey)
    question = survey.questions.get(key="feel-safe")
    version = selectors.current_version(question)
    version.texts = {"en": version.texts["en"]}
    version.save()
    html = client_in("pl").get(FORM_URL).content.decode()
    assert (
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s" lang="en">I feel safe where I live.</legend>'
        in html
    )
    assert "Ufam policji w mojej okolicy." in html


def test_wording_falls_back_to_english_option_by_option() -> None:
    texts = {
        "en": {"text": "Q?", "hint": "H", "options": {"a": "A", "b": "B"}},
        "cy": {"text": "C?", "hint": "", "options": {"a": "Aa"}},
    }
    assert wording(texts, "cy") == {"text": "C?", "hint": "", "options": {"a": "Aa", "b": "B"}, "language": "cy"}
    assert wording(texts, "en-gb") == {"text": "Q?", "hint": "H", "options": {"a": "A", "b": "B"}, "language": "en"}
    assert wording(texts, "ur")["language"] == "en"


def test_every_standard_question_is_translated_with_every_option() -> None:
    from beatbook.surveys.templates import standard_questions

    for language in LANGUAGES:
        for question in standard_questions():
            translated = TRANSLATIONS[language][question.key]
            assert translated["text"].strip() and translated["text"] != question.text, (language, question.key)
            assert set(translated["options"]) == set(question.options), (language, question.key)
            assert bool(translated["hint"]) == bool(question.hint), (language, question.key)


@pytest.mark.django_db
def test_translations_can_be_added_to_a_survey_made_in_english_only(survey: Survey) -> None:
    for question in survey.questions.all():
        version = selectors.current_version(question)
        version.texts = {"en": version.texts["en"]}
        version.save()
    reworded = survey.questions.get(key="trust-police")
    services.question_reword(
        actor=None,
        question=reworded,
        texts={"en": {**selectors.current_version(reworded).texts["en"], "text": "I trust my local police."}},
    )
    assert services.survey_translations_add(actor=None, survey=survey) == 9
    assert selectors.current_version(survey.questions.get(key="feel-safe")).texts["pl"]["text"] == (
        "Czuję się bezpiecznie tam, gdzie mieszkam."
    )
    # The force's own wording has no matching translation, so it is left in English.
    assert list(selectors.current_version(reworded).texts) == ["en"]
    assert services.survey_translations_add(actor=None, survey=survey) == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_on_the_survey_pages_is_translated(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert len(PUBLIC_TEMPLATES) == 6
    untranslated = sorted(
        f"{template.name}: {msgid}"
        for template in PUBLIC_TEMPLATES
        for msgid in marked_strings(template)
        if catalogue.gettext(msgid) == msgid
    )
    assert not untranslated, f"{language} lacks:\n" + "\n".join(untranslated)


SERVICE_MESSAGES = [
    "Answer this question.",
    "Choose one of the answers given.",
    "Choose only from the answers given.",
    "Enter a whole number.",
    "Enter a smaller number.",
    "Enter a full UK postcode, such as LE1 1AA.",
    "Answers must be %(limit)s characters or fewer.",
    "We do not know this postcode. Check it, or choose your area from the list.",
    "The postcode is not in the area chosen.",
    "This place is outside the area the survey covers.",
    "This invitation code is not one we sent for this survey.",
    "This invitation code has already been used.",
    "Choose where you live from the list.",
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_messages_the_public_form_can_show_are_translated(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert [message for message in SERVICE_MESSAGES if catalogue.gettext(message) == message] == []


@pytest.mark.django_db
def test_an_error_is_shown_in_the_visitors_language(survey: Survey, area_tree: Any) -> None:
    open_wave(survey)
    html = post(client_in("cy"), {**full_answers(area_tree), "feel-safe": "very-safe"}).content.decode()
    with (LOCALE_DIR / "cy" / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        welsh = gettext.GNUTranslations(handle).gettext("Choose one of the answers given.")
    assert welsh != "Choose one of the answers given." and f'<a href="#q-feel-safe">{welsh}</a>' in html
