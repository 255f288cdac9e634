"""The sign-up form's trap for robots: a field people never see or reach by keyboard, hidden
from screen readers too. A sign-up with it filled in gets the same "check your messages" page
as anyone, and nothing is made or sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from beatbook.accounts.models import AuditEvent
from beatbook.core.tests.browser import assert_accessible
from beatbook.messaging.models import Consent, Subscriber, SubscriberArea

from .test_subscribers_support import _fresh_cache, postcodes_fixture, signup_post  # noqa: F401 - fixtures

SIGNUP = "/stay-informed/"
SENT = "/stay-informed/check-your-messages/"


def _post(capture: Any, **overrides: Any) -> Any:
    with capture(execute=True) as queued:
        response = Client().post(SIGNUP, signup_post(**overrides))
    return response, queued


@pytest.mark.django_db
def test_a_filled_trap_gets_the_same_page_and_makes_and_sends_nothing(
    postcodes: Any, django_capture_on_commit_callbacks: Any
) -> None:
    audited = AuditEvent.objects.count()
    robot, queued = _post(
        django_capture_on_commit_callbacks,
        website="https://spam.example",
        phone="07700 900123",
        email="bot@example.org",
    )
    # The page a person giving both would get (two links, one each), so nothing shows the trap worked.
    assert robot.status_code == 302 and robot["Location"] == SENT + "?about=both"
    assert queued == []  # no confirmation email or text queued
    assert mail.outbox == []
    assert not Subscriber.objects.exists() and not SubscriberArea.objects.exists() and not Consent.objects.exists()
    assert AuditEvent.objects.count() == audited
    page = Client().get(robot["Location"])
    assert page.status_code == 200

    # The same form from a person, trap left empty, subscribes and sends a confirmation.
    person, queued = _post(
        django_capture_on_commit_callbacks, website="", phone="07700 900123", email="bot@example.org"
    )
    assert person.status_code == 302 and person["Location"] == robot["Location"]
    assert Subscriber.objects.count() == 1 and queued
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_robot_is_not_told_about_its_mistakes(postcodes: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Errors would tell a robot which fields to fix; it gets the usual page instead."""
    response, _queued = _post(django_capture_on_commit_callbacks, website="x", email="not an address", consent=None)
    assert response.status_code == 302 and response["Location"] == SENT
    assert not Subscriber.objects.exists()
    # A person making the same mistakes is told, on the fields.
    response, _queued = _post(django_capture_on_commit_callbacks, email="not an address", consent=None)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="email-error"' in page and 'id="consent-error"' in page


@pytest.mark.django_db
def test_the_trap_is_out_of_sight_of_people_and_assistive_technology(postcodes: Any) -> None:
    page = Client().get(SIGNUP).content.decode()
    hidden = page.index('<div class="govuk-visually-hidden" aria-hidden="true">')
    field = page.index('<input type="text" id="website" name="website" value="" tabindex="-1" autocomplete="off">')
    assert hidden < field < page.index("</div>", hidden)
    # Its label is translated like the rest of the page.
    welsh = Client()
    welsh.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    assert "Gadewch hwn yn wag" in welsh.get(SIGNUP).content.decode()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_keyboard_never_reaches_the_trap(browser_context: Any, postcodes: Any) -> None:
    page = browser_context().new_page()
    page.goto(SIGNUP)
    # Its box is clipped to one pixel, so nothing of it shows.
    box = page.locator("#website").locator("..").bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1
    page.focus("#consent")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit"
    assert_accessible(page)
