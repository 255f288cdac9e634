"""The staff results pages in real Chromium: dashboard → map → who answered → what people said,
moving between them by keyboard alone, with no axe-core violation on any of them and the
map drawn from its GeoJSON."""

from __future__ import annotations

from typing import Any

import pytest

from beatbook.core.tests.browser import assert_accessible
from beatbook.surveys.models import Survey

from .test_staff_results import SLUG
from .test_staff_results import survey as survey  # the same data, as a fixture here

# The live server runs in another thread, so tests commit their data.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "(() => { const el = document.activeElement;"
            " return {tag: el.tagName, text: (el.textContent || '').trim(), id: el.id || ''}; })()"
        )
    )


def _tab_to_link(page: Any, text: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused["tag"] == "A" and focused["text"] == text:
            return
    raise AssertionError(f"no link {text!r} reached by Tab")


def _follow(page: Any, text: str, path_part: str) -> None:
    """From the top of the page: skip link, then Tab to the link and press Enter."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('govuk-skip-link')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#main-content:focus")
    _tab_to_link(page, text)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_part in page.url, page.url


def test_walk_the_results_pages_by_keyboard(browser_context: Any, users: Any, survey: Survey) -> None:
    context = browser_context(users.commander)
    page = context.new_page()
    response = page.goto(f"/staff/surveys/{SLUG}/?area=NB-A&wave=2026-05")
    assert response is not None and response.status == 200
    assert page.locator("svg[role=img] desc").count() == 1
    assert_accessible(page)

    _follow(page, "Map of neighbourhood scores", "/map/")
    page.wait_for_selector("[data-bb-survey-map][data-bb-ready=done]")
    assert page.get_attribute("[data-bb-survey-map]", "data-bb-features") == "2"  # Abbeyfield, Castlegate
    assert_accessible(page)

    _follow(page, "Who answered", "/representation/")
    assert page.locator("#under-represented").count() == 1
    assert_accessible(page)

    _follow(page, "What people said", "/concerns/")
    assert page.locator("#themes-table").count() == 1
    assert_accessible(page)
