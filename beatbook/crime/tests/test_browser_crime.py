"""The crime profile in real Chromium: no axe-core violations, the point map draws, and
the period chooser works by keyboard and without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from beatbook.areas.tests.synthetic import SmallForce, build_small_force
from beatbook.core.tests.browser import assert_accessible

from .profile_data import add_crime, write_points

# The live server runs in another thread, so tests commit their data.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small(settings: Any, tmp_path: Path) -> SmallForce:
    settings.CRIME_DATA_DIR = tmp_path / "crime"
    small = build_small_force()
    add_crime(small)
    write_points(small)
    return small


def open_page(context: Any, path: str) -> Any:
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    return page


def test_crime_profiles_are_accessible_and_the_map_draws(browser_context: Any, small: SmallForce) -> None:
    officer = browser_context(small.users["officer"])
    page = open_page(officer, "/staff/crime/neighbourhood/TST-N1/")
    page.wait_for_selector("#crime-map[data-bb-ready=done]")
    # Two places in December 2022: High Street (2 crimes) and the park (1).
    assert page.get_attribute("#crime-map", "data-bb-features") == "2"
    assert page.locator("#crime-map path.leaflet-interactive").count() == 2
    # The neighbourhood's three LSOAs are outlined under them (not interactive: the points are).
    assert page.locator("#crime-map .leaflet-overlay-pane path:not(.leaflet-interactive)").count() == 3
    assert page.get_attribute("#crime-map", "tabindex") == "0"
    # Both charts are images named by their titles; their tables follow them.
    assert page.locator("svg[role=img]").count() == 2
    assert page.get_by_role("img", name=re.compile("Crimes and anti-social behaviour each month")).count() == 1
    assert page.locator("#crime-monthly-table tbody tr").count() == 13
    assert_accessible(page)
    # The harm note opens and is checked too.
    page.click("#crime-harm-note summary")
    assert page.is_visible("#crime-weight-table")
    assert_accessible(page)
    # The whole force (an administrator, past two-factor), a ward seen in part, an empty area.
    admin = browser_context(small.users["admin"])
    force = open_page(admin, "/staff/crime/force/E23900001/")
    force.wait_for_selector("#crime-map[data-bb-ready=done]")
    assert force.get_attribute("#crime-map", "data-bb-features") == "4"
    assert_accessible(force)
    for path in ("/staff/crime/ward/E05900001/", "/staff/crime/neighbourhood/TST-N1/?from=2022-06&to=2022-03"):
        assert_accessible(open_page(officer, path))
    analyst = browser_context(small.users["analyst"])
    assert_accessible(open_page(analyst, "/staff/crime/neighbourhood/TST-N3/"))


def test_period_chooser_by_keyboard_without_javascript(browser_context: Any, small: SmallForce) -> None:
    page = open_page(browser_context(small.users["officer"], javascript=False), "/staff/crime/neighbourhood/TST-N1/")
    assert page.is_visible("text=The map needs JavaScript")
    page.focus("#id_from")
    page.select_option("#id_from", "2022-03")
    page.keyboard.press("Tab")
    page.select_option("#id_to", "2022-06")
    page.keyboard.press("Tab")
    page.select_option("#id_category", "violent-crime")
    page.focus("form.bb-crime-period button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"from=2022-03&to=2022-06&category=violent-crime&month=$"))
    months = page.locator("#crime-monthly-table tbody tr th").all_inner_texts()
    assert months == ["March 2022", "April 2022", "May 2022", "June 2022", "Total"]
    assert page.eval_on_selector("#id_from", "el => el.value") == "2022-03"
    # The map month defaults to the period's last month, when no violence was located.
    assert "Where crime was recorded: Violence and sexual offences, June 2022" in page.inner_text("#crime-map-title")
