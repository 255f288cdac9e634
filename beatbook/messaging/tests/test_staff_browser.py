"""The staff messaging pages in real Chromium, by keyboard alone: an officer writes a message to
their neighbourhood, watches the audience change as the targets change (HTMX), is told on the
field what is missing, sends it for approval; their commander opens it from the list and
approves it. Zero axe-core violations on every page visited, the administrator's too."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from beatbook.core.tests.browser import assert_accessible
from beatbook.messaging.audience import Audience, audience_count
from beatbook.messaging.models import Interest, Message, MessageStatus, SubscriberStatus

from .test_staff_views import make_subscriber

# The live server runs in another thread, so tests commit their data.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MAX_TABS = 120


@pytest.fixture
def people(area_tree: Any, users: Any) -> dict[str, Any]:
    """Subscribers of neighbourhood A by channel and interest, one who left, two elsewhere."""
    burglary = Interest.objects.get(slug="burglary", force=None)
    rows = [
        # (email, sms, likes burglary)
        (True, False, True),
        (True, False, True),
        (True, False, False),
        (True, False, False),
        (True, True, True),
        (True, True, False),
        (False, True, False),
    ]
    for n, (email, sms, likes) in enumerate(rows, start=1):
        make_subscriber(area_tree.force, [area_tree.nbhd_a], n=n, email=email, sms=sms, interests=[burglary] * likes)
    make_subscriber(area_tree.force, [area_tree.nbhd_a], n=20, status=SubscriberStatus.UNSUBSCRIBED)
    make_subscriber(area_tree.force, [area_tree.nbhd_b], n=21)
    make_subscriber(area_tree.force, [area_tree.nbhd_b], n=22, sms=True)
    return {"burglary": burglary}


def expected(area_tree: Any, *, interests: list[int], channels: list[str]) -> Audience:
    return audience_count(
        force=area_tree.force, area_ids=[area_tree.nbhd_a.pk], interest_ids=interests, languages=[], channels=channels
    )


def focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "(() => { const el = document.activeElement; return {id: el.id || '', tag: el.tagName,"
            " href: el.getAttribute('href') || '', text: (el.textContent || '').trim()}; })()"
        )
    )


def tab_to(page: Any, *, id: str = "", href: str = "", text: str = "", back: bool = False) -> None:
    """Press Tab (Shift+Tab with `back`) until the element with this id, link address or text has focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = focused(page)
        if (id and now["id"] == id) or (href and now["href"] == href) or (text and now["text"] == text):
            return
    raise AssertionError(f"Tab never reached {id or href or text}; focus is on {focused(page)}")


def open_page(context: Any, path: str) -> Any:
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    return page


def shows_audience(page: Any, audience: Audience) -> None:
    """Wait until the panel, swapped in by HTMX, shows this audience."""
    page.wait_for_function(
        "([people, email, sms]) => {"
        " const text = (id) => (document.getElementById(id) || {}).textContent;"
        " return text('audience-people') === people && text('audience-email') === email"
        " && text('audience-sms') === sms; }",
        arg=[str(audience.people), str(audience.email), str(audience.sms)],
        timeout=10_000,
    )


def box_id(page: Any, name: str, label: str) -> str:
    """The id of the checkbox of this group whose label starts with `label` (to know where Tab is)."""
    return str(
        page.evaluate(
            "([name, label]) => [...document.querySelectorAll(`input[name=${name}]`)]"
            ".find((box) => document.querySelector(`label[for=${box.id}]`).textContent.trim().startsWith(label)).id",
            [name, label],
        )
    )


def test_an_officer_writes_a_message_and_the_commander_approves_it(
    browser_context: Any, live_server: Any, area_tree: Any, users: Any, people: dict[str, Any]
) -> None:
    officer = browser_context(users.officer_a)
    page = open_page(officer, reverse("messaging:list"))
    assert_accessible(page)
    tab_to(page, href=reverse("messaging:compose"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(reverse("messaging:compose"))
    page.wait_for_selector("#audience-none")
    assert_accessible(page)

    # The type (Tab lands on the radio group, Space chooses), then the words, but no subject yet.
    tab_to(page, id="id_kind_0")
    page.keyboard.press("Space")
    tab_to(page, id="id_body")
    page.keyboard.type("Three sheds on Mill Lane were broken into overnight.")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Please lock yours.")
    tab_to(page, id="id_sms_body")
    page.keyboard.type("Sheds broken into on Mill Lane: lock yours.")

    # Each change of the targets redraws the audience.
    tab_to(page, id="id_areas_0")
    page.keyboard.press("Space")
    everyone = expected(area_tree, interests=[], channels=["email", "sms"])
    assert everyone.people == 7  # the one who left and the two in B are not counted
    shows_audience(page, everyone)
    tab_to(page, id=box_id(page, "interests", "Burglary"))
    page.keyboard.press("Space")
    burglary = [people["burglary"].pk]
    shows_audience(page, expected(area_tree, interests=burglary, channels=["email", "sms"]))
    tab_to(page, id="id_channels_0")  # email only
    page.keyboard.press("Space")
    by_email = expected(area_tree, interests=burglary, channels=["email"])
    assert by_email.sms == 0 and by_email.people == 3
    shows_audience(page, by_email)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # and by text
    both = expected(area_tree, interests=burglary, channels=["email", "sms"])
    assert both.sms == 1
    shows_audience(page, both)
    assert_accessible(page)

    # Saved without a subject: the summary takes focus and its link leads to the field.
    tab_to(page, text="Save and continue")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary:focus", timeout=10_000)
    assert "Enter a subject" in page.inner_text("#id_subject-error")
    shows_audience(page, both)  # what was chosen is kept
    assert page.input_value("#id_sms_body") == "Sheds broken into on Mill Lane: lock yours."
    assert_accessible(page)
    page.keyboard.press("Tab")
    assert focused(page)["href"] == "#id_subject"
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_subject:focus", timeout=10_000)  # not a string predicate: the CSP forbids eval
    page.keyboard.type("Garden sheds broken into")
    tab_to(page, text="Save and continue")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    message = Message.objects.get()
    assert page.url.endswith(reverse("messaging:send", args=[message.pk]))
    assert (message.status, message.subject, message.channels) == (
        MessageStatus.DRAFT,
        "Garden sheds broken into",
        ["email", "sms"],
    )
    assert list(message.interests.all()) == [people["burglary"]]
    assert page.inner_text("#audience-people") == str(both.people)
    assert page.locator(".bb-preview__email").is_visible() and page.locator(".bb-preview__sms").is_visible()
    assert_accessible(page)
    tab_to(page, text="Send for approval")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(reverse("messaging:detail", args=[message.pk]))
    assert page.get_by_text("Your message is waiting for approval.").is_visible()
    message.refresh_from_db()
    assert message.status == MessageStatus.AWAITING_APPROVAL
    assert page.get_by_role("button", name="Approve and send").count() == 0  # not their own
    assert_accessible(page)

    for name in ("messaging:subscribers", "messaging:profile"):
        assert_accessible(open_page(officer, reverse(name)))

    # The commander finds it first on the list, reads it and approves it at the foot of the page.
    commander = browser_context(users.commander)
    page = open_page(commander, reverse("messaging:list"))
    assert page.locator("#waiting").get_by_text("For you to approve").count() == 1
    assert_accessible(page)
    tab_to(page, href=reverse("messaging:detail", args=[message.pk]))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page)
    tab_to(page, text="Approve and send")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("You approved the message.").is_visible()
    message.refresh_from_db()
    assert message.status == MessageStatus.SCHEDULED and message.approved_by == users.commander
    assert page.get_by_role("button", name="Approve and send").count() == 0
    assert_accessible(page)
    assert officer.csp_reports == [] and commander.csp_reports == []


def test_the_administrators_pages_are_accessible(browser_context: Any, users: Any, people: dict[str, Any]) -> None:
    admin = browser_context(users.admin)
    for name in (
        "messaging:list",
        "messaging:subscribers",
        "messaging:templates",
        "messaging:template_create",
        "messaging:settings",
        "messaging:subscriber_people",
        "messaging:profile",
    ):
        assert_accessible(open_page(admin, reverse(name)))
