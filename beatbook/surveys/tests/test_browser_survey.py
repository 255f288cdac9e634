"""The public "Your Views" form in real Chromium: the whole survey answered by keyboard alone in
English and in Urdu (right to left), a wrong answer that keeps the others, and no axe-core
violation on the form, its error state, the thanks page or the "how we use your answers" page."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from beatbook.core.tests.browser import assert_accessible
from beatbook.surveys.models import Response
from beatbook.surveys.tests.survey_fixtures import make_survey

from .test_public_form import FORM_URL, open_wave

# The live server runs in another thread, so tests commit their data.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# (question key, option position) in page order; position 0 is the first option.
CHOICES = [
    ("understand-issues", 3),  # agree
    ("feel-safe", 4),  # strongly agree
    ("kept-informed", 1),  # disagree
    ("good-job", 3),  # agree
    ("trust-police", 0),  # strongly disagree
]
EQUALITY = [("age-band", 1), ("sex", 3), ("ethnic-group", 2), ("disability", 1)]


@pytest.fixture
def survey(area_tree: Any) -> Any:
    survey = make_survey(area_tree)
    open_wave(survey)
    return survey


def in_language(context: Any, live_server: Any, language: str) -> Any:
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    return context


def open_page(context: Any, path: str) -> Any:
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    return page


def active(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "(() => { const el = document.activeElement;"
            " return {id: el.id || '', name: el.name || '', type: el.type || '', tag: el.tagName}; })()"
        )
    )


def tab(page: Any) -> dict[str, str]:
    page.keyboard.press("Tab")
    return active(page)


def choose_radio(page: Any, key: str, position: int) -> None:
    """Tab into a radio group (focus lands on its first radio) and pick by arrow keys."""
    focused = tab(page)
    assert focused["name"] == key and focused["type"] == "radio", focused
    if position == 0:
        page.keyboard.press("Space")
    for _ in range(position):
        page.keyboard.press("ArrowDown")


def answer_everything_by_keyboard(page: Any, *, concern: str) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('govuk-skip-link')")
    page.keyboard.press("Enter")
    assert tab(page)["tag"] == "A"  # "How we use your answers"
    assert tab(page)["id"] == "postcode"
    assert tab(page)["id"] == "lsoa"
    page.keyboard.type("Castlegate")  # a closed select picks the option by its first letters
    for key, position in CHOICES:
        choose_radio(page, key, position)
    assert tab(page)["id"] == "q-main-concern"
    page.keyboard.type(concern)
    for key, position in EQUALITY:
        choose_radio(page, key, position)
    # The honeypot is skipped: the next stop is the button.
    assert tab(page)["id"] == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url("**/thanks/")


def assert_recorded(area_tree: Any, *, language: str, concern: str) -> None:
    saved = Response.objects.get()
    assert (saved.q1, saved.q2, saved.q3, saved.q4, saved.q5) == (4, 5, 2, 4, 1)
    assert saved.answers["age-band"] == "25-44" and saved.answers["sex"] == "prefer-not-to-say"
    assert saved.answers["ethnic-group"] == "asian" and saved.answers["disability"] == "no"
    assert saved.answers["main-concern"] == concern
    assert saved.lsoa == area_tree.lsoas["E01900003"] and saved.language == language
    assert saved.status == "counted"


def test_the_whole_survey_by_keyboard_in_english(browser_context: Any, survey: Any, area_tree: Any) -> None:
    context = browser_context()
    page = open_page(context, FORM_URL)
    assert page.get_attribute("html", "dir") == "ltr"
    assert_accessible(page)
    answer_everything_by_keyboard(page, concern="Speeding cars")
    assert page.inner_text("h1") == "Thank you for your answers"
    assert_accessible(page)
    assert_recorded(area_tree, language="en", concern="Speeding cars")
    assert context.csp_reports == []


def test_the_whole_survey_by_keyboard_in_urdu(
    browser_context: Any, live_server: Any, survey: Any, area_tree: Any
) -> None:
    context = in_language(browser_context(), live_server, "ur")
    page = open_page(context, FORM_URL)
    assert page.get_attribute("html", "lang") == "ur"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.eval_on_selector("legend >> nth=1", "el => getComputedStyle(el).direction") == "rtl"
    assert "مجھے اپنے علاقے کی پولیس پر بھروسہ ہے۔" in page.inner_text("main")  # noqa: RUF001
    assert_accessible(page)
    answer_everything_by_keyboard(page, concern="تیز رفتار گاڑیاں")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.inner_text("h1") == "آپ کے جوابات کا شکریہ"
    assert_accessible(page)
    assert_recorded(area_tree, language="ur", concern="تیز رفتار گاڑیاں")


@pytest.mark.parametrize("language", ["en-gb", "ur"])
def test_a_wrong_answer_keeps_the_others_and_the_summary_leads_to_it(
    browser_context: Any, live_server: Any, survey: Any, language: str
) -> None:
    context = in_language(browser_context(), live_server, language)
    page = open_page(context, FORM_URL)
    page.check("#q-feel-safe-5")  # strongly agree
    page.fill("#q-main-concern", "Parking on pavements")
    page.fill("#postcode", "NOT A CODE")
    page.click("#submit")
    page.wait_for_selector(".govuk-error-summary")
    # GOV.UK Frontend moves focus to the summary, so a screen reader announces it. Its module
    # script runs after the page has loaded, so wait for the focus (failing if it never comes).
    page.wait_for_selector(".govuk-error-summary:focus", timeout=10_000)
    assert page.is_checked("#q-feel-safe-5")
    assert page.input_value("#q-main-concern") == "Parking on pavements"
    assert page.input_value("#postcode") == "NOT A CODE"
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert active(page)["id"] == "postcode"
    assert Response.objects.count() == 0


@pytest.mark.parametrize("language", ["en-gb", "ur"])
def test_how_we_use_your_answers_is_accessible(browser_context: Any, live_server: Any, language: str) -> None:
    page = open_page(in_language(browser_context(), live_server, language), "/your-views/about/")
    assert page.locator("h2").count() >= 5
    assert_accessible(page)


def test_in_urdu_each_radio_circle_sits_beside_its_label_on_the_right(
    browser_context: Any, live_server: Any, survey: Any
) -> None:
    page = open_page(in_language(browser_context(), live_server, "ur"), FORM_URL)
    label = page.locator("label[for=q-feel-safe]").bounding_box()
    touch_target = page.locator("#q-feel-safe").bounding_box()
    # The circle is the label's ::before, placed against the item (which is position: relative).
    circle_left = page.evaluate(
        "(() => { const label = document.querySelector('label[for=q-feel-safe]');"
        " const item = label.parentElement.getBoundingClientRect();"
        " return item.left + parseFloat(getComputedStyle(label, '::before').left); })()"
    )
    assert label is not None and touch_target is not None
    # The circle lies inside the (invisible) input that takes the click, right of the words.
    assert touch_target["x"] - 1 <= circle_left <= touch_target["x"] + touch_target["width"]
    assert circle_left >= label["x"] + label["width"] - 24
