"""Accounts pages in real Chromium: no axe-core WCAG 2.2 A/AA violations (including with
errors shown), nothing blocked by the CSP, and sign-in by keyboard and without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from beatbook.accounts import services
from beatbook.core.tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def open_page(context: Any, path: str, *, status: int = 200) -> Any:
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.status == status, f"{path}: {response and response.status}"
    return page


def submit(page: Any, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_sign_in_pages(browser_context: Any, users: Any) -> None:
    page = open_page(browser_context(), "/staff/login/")
    assert_accessible(page)

    # Keyboard only: the username field is first after the skip link and header links.
    page.locator("#id_username").focus()
    page.keyboard.type("officer_a")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.locator("#id_username").input_value() == "officer_a"
    assert_accessible(page)

    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        page.locator("#id_password").fill(f"wrong {attempt}")
        submit(page, "Sign in")
    assert page.get_by_role("heading", name="Signing in is paused").is_visible()
    assert_accessible(page)


def test_sign_in_without_javascript(browser_context: Any, users: Any) -> None:
    page = open_page(browser_context(javascript=False), "/staff/login/")
    page.locator("#id_username").fill("officer_a")
    page.locator("#id_password").fill(users.password)
    submit(page, "Sign in")
    assert "/staff/areas/" in page.url, page.url


def test_two_factor_pages(browser_context: Any, users: Any) -> None:
    setup = open_page(browser_context(users.officer_a), "/staff/two-factor/setup/")
    assert setup.locator("svg.bb-qr").is_visible()
    assert_accessible(setup)
    setup.locator("#id_token").fill("000000")
    submit(setup, "Confirm and continue")
    assert setup.locator(".govuk-error-summary").is_visible()
    assert_accessible(setup)

    TOTPDevice.objects.create(user=users.officer_b, name="phone", confirmed=True)
    enter = open_page(browser_context(users.officer_b), "/staff/two-factor/")
    assert_accessible(enter)
    enter.locator("#id_token").fill("12")
    submit(enter, "Continue")
    assert enter.locator("#id_token-error").is_visible()
    assert_accessible(enter)


def test_password_and_token_pages(browser_context: Any, users: Any) -> None:
    context = browser_context(users.analyst)
    page = open_page(context, "/staff/password/")
    assert_accessible(page)
    submit(page, "Change password")
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)

    services.api_token_create(actor=users.analyst, name="Old dashboard")
    tokens = open_page(context, "/staff/tokens/")
    assert_accessible(tokens)
    tokens.locator("#id_name").fill("Power BI")
    submit(tokens, "Create token")
    assert tokens.locator("code.bb-token").is_visible()
    assert_accessible(tokens)


def test_administration_pages(browser_context: Any, users: Any) -> None:
    services.user_update(
        actor=users.admin,
        user=users.officer_a,
        role="officer",
        area=users.officer_a.area,
        first_name="Olu",
        last_name="Adeyemi",
        email="olu@example.org",
    )
    context = browser_context(users.admin)
    for path in ("/staff/users/", "/staff/users/?role=officer", f"/staff/users/{users.officer_a.pk}/"):
        assert_accessible(open_page(context, path))

    create = open_page(context, "/staff/users/new/")
    assert_accessible(create)
    create.locator("#id_first_name").fill("Priya")
    submit(create, "Create account")
    assert create.locator(".govuk-error-summary").is_visible()
    assert create.locator("#id_first_name").input_value() == "Priya"
    assert_accessible(create)

    audit = open_page(context, "/staff/audit/")
    audit.locator("details summary").first.click()
    assert_accessible(audit)
    bad = open_page(context, "/staff/audit/?date_from=2026-05-01&date_to=2026-04-01")
    assert bad.locator(".govuk-error-summary").is_visible()
    assert_accessible(bad)
