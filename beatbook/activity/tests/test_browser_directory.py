"""The partner and place pages in real Chromium on a phone-sized screen: a commander adds a
partner by keyboard alone, a duplicate name is named in an error summary whose link reaches the
field, an officer adds a place, and no page has an axe-core violation."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from beatbook.activity.models import Partner, Place
from beatbook.core.tests.browser import assert_accessible

from .test_browser_activity import PHONE, fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def focused_text(page: Any) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.textContent.trim() : ''"))


def tab_until_text(page: Any, text: str, *, most: int = 40) -> None:
    for _ in range(most):
        page.keyboard.press("Tab")
        if focused_text(page) == text:
            return
    raise AssertionError(f"{text!r} not reached in {most} Tabs; focus is on {focused_text(page)!r}")


def test_a_commander_adds_a_partner_by_keyboard_and_a_duplicate_is_named(
    browser_context: Any, area_tree: Any, users: Any
) -> None:
    Partner.objects.create(force=area_tree.force, name="Abbeyfield Borough Council", kind="council")
    page = browser_context(users.commander, **PHONE).new_page()
    page.goto(reverse("activity:partners"))
    assert_accessible(page)
    assert fits_the_screen(page)

    tab_until_text(page, "Add a partner")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page)
    tab_until_text(page, "")  # the first field has no text of its own: check it is the name
    assert page.evaluate("document.activeElement.id") == "id_name"
    page.keyboard.type("abbeyfield BOROUGH council")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.wait_for_selector(".govuk-error-summary:focus", timeout=10_000)
    assert page.title().startswith("Error:")
    assert_accessible(page)
    page.keyboard.press("Tab")
    assert "already in the list" in focused_text(page)
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_name:focus", timeout=10_000)
    assert Partner.objects.count() == 1

    page.keyboard.press("Control+A")
    page.keyboard.type("Northtown Housing Association")
    page.keyboard.press("Tab")
    page.keyboard.type("Hous")  # a closed select picks the option by its first letters
    tab_until_text(page, "Add the partner", most=4)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(reverse("activity:partners"))
    made = Partner.objects.get(name="Northtown Housing Association")
    assert made.kind == "housing"
    assert page.get_by_role("row", name="Northtown Housing Association").count() == 1
    assert_accessible(page)


def test_an_officer_adds_a_place_with_its_point(browser_context: Any, area_tree: Any, users: Any) -> None:
    page = browser_context(users.officer_a, **PHONE).new_page()
    page.goto(reverse("activity:place_create"))
    assert_accessible(page)
    assert fits_the_screen(page)
    page.fill("#id_name", "Abbey Hall")
    page.fill("#id_latitude", "-1.19")  # the two numbers the wrong way round
    page.fill("#id_longitude", "52.71")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the place").press("Enter")
    assert "wrong way round" in page.locator("#id_latitude-error").inner_text()
    assert_accessible(page)
    assert not Place.objects.exists()

    page.fill("#id_latitude", "52.71")
    page.fill("#id_longitude", "-1.19")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the place").press("Enter")
    place = Place.objects.get()
    assert (place.name, place.neighbourhood, place.latitude) == ("Abbey Hall", area_tree.nbhd_a, 52.71)
    assert_accessible(page)


def test_use_my_location_fills_the_point_and_says_how_accurate(
    browser_context: Any, area_tree: Any, users: Any
) -> None:
    context = browser_context(
        users.officer_a,
        **PHONE,
        geolocation={"latitude": 52.712345678, "longitude": -1.187654321, "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(reverse("activity:place_create"))
    button = page.get_by_role("button", name="Use my current location")
    assert button.is_visible()
    assert_accessible(page)
    page.fill("#id_name", "Abbey Hall")
    button.focus()
    page.keyboard.press("Enter")
    page.get_by_role("status").get_by_text("accurate to about 12 metres").wait_for()
    assert (page.input_value("#id_latitude"), page.input_value("#id_longitude")) == ("52.71235", "-1.18765")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Add the place").press("Enter")
    assert (Place.objects.get().latitude, Place.objects.get().longitude) == (52.71235, -1.18765)


def test_a_refused_location_says_so_and_without_javascript_there_is_no_button(
    browser_context: Any, area_tree: Any, users: Any
) -> None:
    page = browser_context(users.officer_a, **PHONE).new_page()  # no permission granted
    page.goto(reverse("activity:place_create"))
    page.get_by_role("button", name="Use my current location").press("Enter")
    page.get_by_role("status").get_by_text("Your location was not shared").wait_for()
    assert page.input_value("#id_latitude") == ""

    plain = browser_context(users.officer_a, javascript=False, **PHONE).new_page()
    plain.goto(reverse("activity:place_create"))
    assert plain.get_by_role("button", name="Use my current location").count() == 0
    assert plain.locator("#id_latitude").is_visible()
