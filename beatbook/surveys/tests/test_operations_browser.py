"""The staff survey pages in real Chromium, by keyboard alone, with axe-core on every state:
an officer enters a paper response (a postcode outside their area first, then theirs), and an
analyst reviews a flagged response (excluding it without a note first, then with one)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from beatbook.core.tests.browser import assert_accessible
from beatbook.surveys import services
from beatbook.surveys.models import Postcode, Response, ResponseStatus, Survey
from beatbook.surveys.tests.survey_fixtures import confidence

from .test_operations_views import POSTCODE_A, POSTCODE_B, url

# The live server runs in another thread, so tests commit their data.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

TAB_LIMIT = 80


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    survey = services.survey_create_from_template(
        actor=None, force=area_tree.force, name="Your Views", slug="your-views"
    )
    today = timezone.localdate()
    services.wave_create(
        actor=None,
        survey=survey,
        code="now",
        name="This wave",
        opens_on=today - dt.timedelta(days=5),
        closes_on=today + dt.timedelta(days=10),
    )
    for code, lsoa in ((POSTCODE_A, area_tree.lsoa_a), (POSTCODE_B, area_tree.lsoa_b)):
        Postcode.objects.create(postcode=code, lsoa_code=lsoa.code, lsoa=lsoa)
    return survey


def active(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "(() => { const el = document.activeElement; return {id: el.id || '', name: el.name || '',"
            " type: el.type || '', tag: el.tagName, href: el.getAttribute('href') || ''}; })()"
        )
    )


def tab(page: Any) -> dict[str, str]:
    page.keyboard.press("Tab")
    return active(page)


def tab_until(page: Any, **wanted: str) -> dict[str, str]:
    """Press Tab until the focused element has every attribute in `wanted` (failing if never)."""
    for _ in range(TAB_LIMIT):
        focused = tab(page)
        if all(focused.get(key) == value for key, value in wanted.items()):
            return focused
    raise AssertionError(f"never reached {wanted} by Tab")


def skip_to_main(page: Any) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('govuk-skip-link')")
    page.keyboard.press("Enter")


def wait_for_error_summary(page: Any) -> None:
    page.wait_for_selector(".govuk-error-summary")
    # GOV.UK Frontend's module script moves focus to the summary after load. A selector, not a
    # string predicate: Playwright evaluates those with eval, which the site's CSP refuses.
    page.wait_for_selector(".govuk-error-summary:focus", timeout=10_000)


def open_page(context: Any, path: str) -> Any:
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    return page


def test_an_officer_enters_a_paper_response_by_keyboard(
    browser_context: Any, survey: Survey, users: Any, area_tree: Any
) -> None:
    context = browser_context(users.officer_a)
    page = open_page(context, url("enter"))
    assert_accessible(page)
    skip_to_main(page)
    assert tab(page)["id"] == "wave"  # the open wave is chosen already
    focused = tab(page)
    assert focused["name"] == "channel" and focused["type"] == "radio"
    page.keyboard.press("Space")  # paper
    assert tab(page)["id"] == "language"
    assert tab(page)["id"] == "postcode"
    page.keyboard.type(POSTCODE_B)  # Brookside: not the officer's neighbourhood
    assert tab(page)["id"] == "neighbourhood"
    for key, presses in (("understand-issues", 3), ("feel-safe", 4), ("kept-informed", 1)):
        focused = tab(page)
        assert focused["name"] == key, focused
        for _ in range(presses):
            page.keyboard.press("ArrowDown")
    assert tab_until(page, id="q-main-concern")
    page.keyboard.type("Cars racing at night")
    assert tab_until(page, id="submit")
    page.keyboard.press("Enter")
    wait_for_error_summary(page)
    assert page.inner_text(".govuk-error-summary").count("outside the area you enter responses for") == 1
    assert page.is_checked("#q-feel-safe-5") and page.is_checked("#channel")
    assert page.input_value("#q-main-concern") == "Cars racing at night"
    assert_accessible(page)
    assert Response.objects.count() == 0
    # The summary's link leads to the field, where the postcode is corrected.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert active(page)["id"] == "postcode"
    page.keyboard.press("Control+A")
    page.keyboard.type(POSTCODE_A)
    page.keyboard.press("Enter")
    page.wait_for_url("**/enter/?wave=*")
    assert "Response saved — enter another" in page.inner_text("main")
    assert page.is_checked("#channel")
    assert_accessible(page)
    saved = Response.objects.get()
    assert (saved.q1, saved.q2, saved.q3, saved.channel) == (4, 5, 2, "paper")
    assert saved.neighbourhood == area_tree.nbhd_a and saved.answers["main-concern"] == "Cars racing at night"
    assert context.csp_reports == []


def test_an_analyst_reviews_a_flagged_response_by_keyboard(
    browser_context: Any, survey: Survey, users: Any, area_tree: Any
) -> None:
    held = services.response_submit(
        survey=survey,
        wave=survey.waves.get(),
        answers=confidence(1, 1, 1, 1, 1),
        language="en",
        client_address="192.0.2.7",
        lsoa=area_tree.lsoa_a,
        honeypot="filled",
    )
    context = browser_context(users.analyst)
    page = open_page(context, f"{url('responses')}?status=flagged")
    assert_accessible(page)
    skip_to_main(page)
    tab_until(page, href=url("response", pk=held.pk))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{url('response', pk=held.pk)}")
    assert_accessible(page)
    focused = tab_until(page, name="decision")
    assert focused["id"] == "decision"
    page.keyboard.press("ArrowDown")  # exclude
    assert tab(page)["id"] == "note"
    assert tab(page)["id"] == "submit"
    page.keyboard.press("Enter")
    wait_for_error_summary(page)
    assert "Say why the response is excluded." in page.inner_text(".govuk-error-summary")
    assert page.is_checked("#decision-2")
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert active(page)["id"] == "note"
    page.keyboard.type("Filled in by a robot: the hidden field was set.")
    assert tab(page)["id"] == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url("**/responses/?status=flagged")
    assert f"Response {held.pk} excluded." in page.inner_text("main")
    assert_accessible(page)
    held.refresh_from_db()
    assert held.status == ResponseStatus.EXCLUDED and held.reviewed_by == users.analyst
    assert context.csp_reports == []


def test_the_theme_pages_are_accessible(browser_context: Any, survey: Survey, users: Any) -> None:
    context = browser_context(users.admin)
    page = open_page(context, url("themes"))
    assert page.locator("#themes tbody tr").count() >= 5
    assert_accessible(page)
    page = open_page(context, url("theme_edit", theme="drugs"))
    page.fill("#id_name", "")
    page.click("#submit")
    wait_for_error_summary(page)
    assert_accessible(page)
    assert context.csp_reports == []
