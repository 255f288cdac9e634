"""Every page staff can open, in real Chromium: axe-core finds no WCAG 2.2 A/AA violation,
the skip link works by keyboard, the map chooser works with and without JavaScript, and
Urdu pages are laid out right to left."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area, Level
from beatbook.areas.tests.synthetic import SmallForce, build_small_force, set_password_for

from .browser import _unavailable, assert_accessible

# pytest-django's live server runs in another thread, so tests commit their data.
in_browser = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def browser_test(func: Any) -> Any:
    for mark in in_browser:
        func = mark(func)
    return func


@pytest.fixture
def small() -> SmallForce:
    return build_small_force()


def open_page(context: Any, path: str, *, status: int = 200) -> Any:
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.status == status, f"{path}: {response and response.status}"
    return page


@browser_test
def test_every_staff_page_of_the_demo_force_is_accessible(browser_context: Any) -> None:
    """Walks the demo force (the README's `beatbook demo`) as officer, commander and admin."""
    from beatbook.core.demo import build_demo

    result = build_demo(seed=1)
    force = result.force
    users = {u.role: u for u in User.objects.filter(username__in=[x.username for x in result.logins])}
    officer, commander, admin = users[Role.OFFICER], users[Role.COMMANDER], users[Role.ADMIN]
    assert officer.area is not None and commander.area is not None
    lsoa = Area.objects.filter(level=Level.LSOA, parent=officer.area).order_by("code").first()
    assert lsoa is not None

    anonymous = browser_context()
    for path in ("/", "/staff/login/"):
        assert_accessible(open_page(anonymous, path))

    walks = {
        officer: [
            "/staff/areas/",
            f"/staff/areas/neighbourhood/{officer.area.code}/",
            f"/staff/areas/lsoa/{lsoa.code}/",
            f"/staff/areas/neighbourhood/{officer.area.code}/map/?measure=population",
        ],
        commander: [
            "/staff/areas/",
            f"/staff/areas/npa/{commander.area.code}/",
            f"/staff/areas/npa/{commander.area.code}/map/?measure=english_not_proficient",
        ],
        admin: [
            "/staff/areas/",
            f"/staff/areas/force/{force.code}/",
            f"/staff/areas/force/{force.code}/map/?measure=income",
        ],
    }
    for user, paths in walks.items():
        context = browser_context(user)
        for path in paths:
            page = open_page(context, path)
            if "/map/" in path or path.count("/") > 4:
                # The map draws once its GeoJSON has arrived; check the page as people see it.
                page.wait_for_selector("[data-bb-ready=done]")
            assert_accessible(page)
            page.close()
    # The officer's view of an area outside their scope is the 404 page.
    other = Area.objects.filter(level=Level.NPA, force=force).exclude(children=officer.area).first()
    assert other is not None
    assert_accessible(open_page(browser_context(officer), f"/staff/areas/npa/{other.code}/", status=404))


@browser_test
def test_error_pages_are_accessible(browser_context: Any, live_server: Any, small: SmallForce) -> None:
    officer = small.users["officer"]
    assert_accessible(open_page(browser_context(officer), "/staff/areas/force/E23900001/", status=404))
    nobody = User.objects.create_user(username="no-area", password=None, role=Role.OFFICER, area=None)
    forbidden = open_page(browser_context(nobody), "/staff/areas/", status=403)
    assert "You cannot open this page" in forbidden.inner_text("h1")
    assert_accessible(forbidden)
    # No URL fails on purpose, so the 500 page Django would send is served at a made-up address.
    html = server_error(RequestFactory().get("/")).content
    context = browser_context()
    context.route(
        f"{live_server.url}/broken/",
        lambda route: route.fulfill(status=500, content_type="text/html; charset=utf-8", body=html),
    )
    broken = open_page(context, "/broken/", status=500)
    assert "problem with the service" in broken.inner_text("h1")
    assert_accessible(broken)


@browser_test
def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(browser_context: Any, small: SmallForce) -> None:
    for user in (None, small.users["commander"]):
        page = open_page(browser_context(user), "/staff/areas/" if user else "/")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.className + '|' + document.activeElement.textContent")
        assert "govuk-skip-link" in focused and "Skip to main content" in focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main-content"


@browser_test
def test_sign_in_by_keyboard(browser_context: Any, small: SmallForce) -> None:
    password = set_password_for(small.users["officer"])
    page = open_page(browser_context(), "/staff/login/")
    page.focus("#id_username")
    page.keyboard.type("officer")
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/areas/$"))
    assert page.inner_text("h1") == "Neighbourhood 1"
    # Signing out is a button in the header: a POST form, reachable by keyboard.
    page.focus("form.bb-signout button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))
    assert page.locator("form.bb-signout").count() == 0
    assert page.goto("/staff/areas/") is not None
    assert "/staff/login/" in page.url


@browser_test
def test_measure_chooser_with_javascript_swaps_only_the_map_panel(browser_context: Any, small: SmallForce) -> None:
    page = open_page(browser_context(small.users["commander"]), "/staff/areas/npa/TST-A/")
    page.wait_for_selector("#area-map[data-bb-ready=done]")
    assert page.get_attribute("#area-map", "data-bb-features") == "6"
    assert page.locator("#area-map path.leaflet-interactive").count() == 6
    # The map can be reached by keyboard and is named for assistive technology.
    assert page.get_attribute("#area-map", "tabindex") == "0"
    assert "Map of Index of Multiple Deprivation decile" in (page.get_attribute("#area-map", "aria-label") or "")
    page.evaluate("window.beatbookMarker = 42")
    page.select_option("#measure", "income")
    page.click("form.bb-measure-form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/areas/npa/TST-A/map/\?measure=income$"))
    page.wait_for_selector("#map-panel-title:has-text('Income decile')")
    # Same document (no reload): the marker survived, the profile's heading is still there.
    assert page.evaluate("window.beatbookMarker") == 42
    assert page.inner_text("h1") == "Testshire North"
    assert "now show: Income decile" in page.inner_text("#map-status")
    page.wait_for_selector("#area-map[data-bb-ready=done]")
    assert page.locator("#area-map path.leaflet-interactive").count() == 6
    assert page.locator("#map-table tbody tr").count() == 6
    assert_accessible(page)
    # Back returns to the profile as it was (fetched afresh: staff pages are not cached by htmx).
    page.go_back()
    page.wait_for_url(re.compile(r"/staff/areas/npa/TST-A/$"))
    page.wait_for_selector("#map-panel-title:has-text('Index of Multiple Deprivation decile')")
    page.wait_for_selector("[data-bb-map][data-bb-ready=done]")


@browser_test
def test_measure_chooser_without_javascript_loads_the_map_page(browser_context: Any, small: SmallForce) -> None:
    page = open_page(browser_context(small.users["commander"], javascript=False), "/staff/areas/npa/TST-A/")
    assert page.is_visible("text=The map needs JavaScript")
    page.select_option("#measure", "religion:Christian")
    page.click("form.bb-measure-form button[type=submit]")
    page.wait_for_url(re.compile(r"/map/\?measure=religion%3AChristian$"))
    assert page.inner_text("h1") == "Map of Testshire North"
    assert "Share: Christian for each LSOA in Testshire North" in page.inner_text("#map-table caption")
    assert page.locator("#map-table tbody tr").count() == 6
    assert page.eval_on_selector("#measure", "el => el.value") == "religion:Christian"
    # axe needs JavaScript, so this page is checked in the walk above with it on; its HTML
    # is the same either way.


@browser_test
def test_urdu_home_page_is_right_to_left(browser_context: Any, small: SmallForce) -> None:
    page = open_page(browser_context(), "/")
    assert page.get_attribute("html", "dir") == "ltr"
    page.select_option("#language-select", "ur")
    page.click("form.bb-language button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "ur"
    assert page.get_attribute("html", "dir") == "rtl"
    # The layout really is mirrored: headings and body text start at the right edge.
    assert page.eval_on_selector("h1", "el => getComputedStyle(el).textAlign") == "right"
    assert page.eval_on_selector("main", "el => getComputedStyle(el).direction") == "rtl"
    assert_accessible(page)
    page.select_option("#language-select", "en-gb")
    page.click("form.bb-language button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "dir") == "ltr"


@browser_test
def test_axe_check_finds_a_known_violation(browser_context: Any, live_server: Any) -> None:
    """The harness itself: a page with no language and an image without alt text must fail."""
    from .browser import axe_violations, format_violations

    context = browser_context()
    context.route(
        f"{live_server.url}/bad/",
        lambda route: route.fulfill(
            content_type="text/html", body="<!DOCTYPE html><html><title>x</title><img src='/x.png'></html>"
        ),
    )
    page = open_page(context, "/bad/")
    violations = axe_violations(page)
    assert {"html-has-lang", "image-alt"} <= {v["id"] for v in violations}
    report = format_violations(violations, where="/bad/")
    assert "image-alt [critical]" in report and "at img" in report


def test_missing_chromium_skips_unless_browser_tests_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROWSER_TESTS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        _unavailable("chromium is not installed")
    monkeypatch.setenv("BROWSER_TESTS", "required")
    with pytest.raises(pytest.fail.Exception, match="BROWSER_TESTS=required but chromium is not installed"):
        _unavailable("chromium is not installed")
