"""The "Stay informed" pages in real Chromium, by keyboard alone: sign up, follow the link from
the email a real SMTP server received, confirm, change preferences, unsubscribe; change the
email address (a bad one explained on its field, then the link sent to the new one); a bad
email explained on its field; the sign-up page in Urdu, right to left. Zero axe-core violations on
every page and state."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from beatbook.core.tests.browser import assert_accessible
from beatbook.messaging.models import Subscriber, SubscriberStatus

from .test_subscribers_support import _fresh_cache, body_of, link_in, postcodes_fixture, smtp_server_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80


def focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "(() => { const el = document.activeElement; return {id: el.id || '', href: el.getAttribute('href') || '',"
            " tag: el.tagName, text: (el.textContent || '').trim()}; })()"
        )
    )


def tab_to(page: Any, *, id: str = "", href_part: str = "") -> None:
    """Press Tab until the element with this id (or a link whose address holds `href_part`) has focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if (id and now["id"] == id) or (href_part and href_part in now["href"]):
            return
    raise AssertionError(f"Tab never reached {id or href_part}")


def open_page(context: Any, path: str) -> Any:
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    return page


def test_sign_up_confirm_change_and_unsubscribe_by_keyboard(
    browser_context: Any, live_server: Any, smtp_server: Any, postcodes: Any
) -> None:
    with override_settings(SITE_URL=live_server.url):
        context = browser_context()
        page = open_page(context, "/stay-informed/")
        assert_accessible(page)
        tab_to(page, id="email")
        page.keyboard.type("keyboard.user@example.org")
        tab_to(page, id="postcode")
        page.keyboard.type("AB1 1AA")
        tab_to(page, id="interests")
        page.keyboard.press("Space")
        tab_to(page, id="consent")
        page.keyboard.press("Space")
        tab_to(page, id="submit")
        page.keyboard.press("Enter")
        page.wait_for_url("**/check-your-messages/")
        assert_accessible(page)

        mail = smtp_server.wait_for(1)
        assert len(mail) == 1
        page.goto(link_in(body_of(mail[0]), "confirm"))
        assert_accessible(page)
        tab_to(page, id="submit")
        page.keyboard.press("Enter")
        page.wait_for_url("**/preferences/**")
        assert Subscriber.objects.get().status == SubscriberStatus.ACTIVE
        assert page.locator(".govuk-notification-banner--success").count() == 1
        assert_accessible(page)

        # Tab reaches a radio group at its chosen radio ("as they are sent"); arrows move the choice.
        tab_to(page, id="frequency")
        page.keyboard.press("ArrowDown")
        tab_to(page, id="submit")
        # The banner from the confirmation is still on the page, so wait for the new page itself:
        # checking a page half-loaded measures targets before the styles apply.
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector(".govuk-notification-banner--success")
        assert Subscriber.objects.get().frequency == "weekly"
        assert_accessible(page)

        tab_to(page, href_part="/stay-informed/unsubscribe/")
        page.keyboard.press("Enter")
        page.wait_for_url("**/unsubscribe/**")
        assert_accessible(page)
        tab_to(page, id="submit")
        page.keyboard.press("Enter")
        page.wait_for_selector(".govuk-panel--confirmation")
        assert Subscriber.objects.get().status == SubscriberStatus.UNSUBSCRIBED
        assert_accessible(page)
        assert context.csp_reports == []


def test_a_bad_email_is_explained_on_its_field(browser_context: Any, postcodes: Any) -> None:
    page = open_page(browser_context(), "/stay-informed/")
    tab_to(page, id="email")
    page.keyboard.type("not an address")
    tab_to(page, id="submit")
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    page.wait_for_selector(".govuk-error-summary:focus", timeout=10_000)
    assert "correct format" in page.inner_text("#email-error")
    assert page.input_value("#email") == "not an address"
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "email"


def test_the_sign_up_page_in_urdu_is_right_to_left(browser_context: Any, live_server: Any, postcodes: Any) -> None:
    context = browser_context()
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ur", "url": live_server.url}])
    page = open_page(context, "/stay-informed/")
    assert page.get_attribute("html", "lang") == "ur"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.eval_on_selector("main", "el => getComputedStyle(el).direction") == "rtl"
    assert page.inner_text("h1") == "اپنے محلے کے بارے میں پیغامات حاصل کریں"
    assert_accessible(page)


def test_changing_the_email_address_by_keyboard(
    browser_context: Any, live_server: Any, smtp_server: Any, area_tree: Any
) -> None:
    from beatbook.messaging import links

    from .test_public_pages import active_subscriber

    subscriber = active_subscriber(area_tree)
    with override_settings(SITE_URL=live_server.url):
        context = browser_context()
        page = open_page(context, links.manage_url(subscriber).removeprefix(live_server.url))
        assert page.get_attribute("#email", "autocomplete") == "email"
        assert page.get_attribute("#phone", "autocomplete") == "tel"
        assert_accessible(page)

        # A bad address: the error summary takes focus and its link leads back to the field.
        tab_to(page, id="email")
        page.keyboard.press("Control+A")
        page.keyboard.type("not an address")
        tab_to(page, id="address-submit")
        page.keyboard.press("Enter")
        page.wait_for_selector(".govuk-error-summary:focus", timeout=10_000)
        assert "correct format" in page.inner_text("#email-error")
        assert_accessible(page)
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert focused(page)["id"] == "email"

        page.keyboard.press("Control+A")
        page.keyboard.type("moved@example.org")
        tab_to(page, id="address-submit")
        page.keyboard.press("Enter")
        page.wait_for_url("**/check-your-messages/?about=change")
        assert "keep going to the address or number you have now" in page.inner_text("main")
        assert_accessible(page)
        subscriber.refresh_from_db()
        assert subscriber.email == "pat@example.org"

        (mail,) = smtp_server.wait_for(1)
        assert mail["X-Envelope-To"] == "moved@example.org"
        page.goto(link_in(body_of(mail), "confirm"))
        assert_accessible(page)
        tab_to(page, id="submit")
        page.keyboard.press("Enter")
        page.wait_for_url("**/preferences/**")
        assert page.locator(".govuk-notification-banner--success").count() == 1
        assert_accessible(page)
        subscriber.refresh_from_db()
        assert subscriber.email == "moved@example.org"
        assert [m["X-Envelope-To"] for m in smtp_server.wait_for(2)] == ["moved@example.org", "pat@example.org"]
        assert context.csp_reports == []
