"""The activity pages in real Chromium on a 360 by 740 pixel phone screen: the quick form filled in by
keyboard alone, errors that keep what was typed and whose summary links reach the field, the
offline draft (kept, restored, sent once), and no axe-core violation on any page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse

from beatbook.activity.models import Activity, Partner
from beatbook.core.tests.browser import assert_accessible

from .test_views import category, kind

# The live server runs in another thread, so tests commit their data.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
CREATE = reverse("activity:create")
SAVED = re.compile(r"/staff/activity/\d+/\?recorded=1$")


@pytest.fixture
def world(area_tree: Any, users: Any) -> Any:
    kind("patch-walk")
    kind("beat-surgery")
    category("speeding")
    category("parking")
    Partner.objects.create(force=area_tree.force, name="Abbeyfield Borough Council")
    return users


def draft_key(user: Any) -> str:
    return f"beatbook.activity-draft.{user.pk}"


def open_page(context: Any, path: str) -> Any:
    page = context.new_page()
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    return page


def active_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def tab_to(page: Any, element_id: str, *, most: int = 6) -> None:
    """Press Tab until `element_id` has focus (a date or time input takes a Tab per part)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if active_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} not reached in {most} Tabs; focus is on #{active_id(page)}")


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_quick_form_by_keyboard_alone_then_every_page_is_accessible(browser_context: Any, world: Any) -> None:
    context = browser_context(world.officer_a, **PHONE)
    page = open_page(context, CREATE)
    assert_accessible(page)
    assert fits_the_screen(page)

    # The skip link, then straight into the form: its first field is the type.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('govuk-skip-link')")
    page.keyboard.press("Enter")
    tab_to(page, "id_type", most=1)
    page.keyboard.type("Beat")  # a closed select picks the option by its first letters
    assert page.input_value("#id_type") == str(kind("beat-surgery").pk)
    tab_to(page, "id_time")  # the date keeps its default, today
    tab_to(page, "id_address")
    page.keyboard.type("Abbeyfield library")
    tab_to(page, "id_people_reached", most=1)
    page.keyboard.type("12")
    tab_to(page, "id_online_reach", most=1)
    tab_to(page, "id_partners_0", most=1)
    page.keyboard.press("Space")
    tab_to(page, "id_other_partners", most=1)
    page.keyboard.type("Scouts")
    tab_to(page, "id_issue_categories_0", most=1)
    page.keyboard.press("Space")
    tab_to(page, "id_issues_raised", most=20)
    page.keyboard.type("Cars parked on the pavement")
    tab_to(page, "id_officer_hours", most=1)
    page.keyboard.type("1.5")
    tab_to(page, "id_priorities_set", most=1)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Save activity"
    with page.expect_navigation(url=SAVED):
        page.keyboard.press("Enter")

    activity = Activity.objects.get()
    assert activity.type.slug == "beat-surgery"
    assert activity.address == "Abbeyfield library"
    assert activity.people_reached == 12 and str(activity.officer_hours) == "1.50"
    assert list(activity.partners.values_list("name", flat=True)) == ["Abbeyfield Borough Council"]
    assert activity.other_partners == "Scouts" and activity.priorities_set
    assert activity.issue_categories.count() == 1
    assert activity.issues_raised == "Cars parked on the pavement"
    assert page.get_by_text("Activity recorded").is_visible()
    assert page.evaluate(f"localStorage.getItem('{draft_key(world.officer_a)}')") is None
    assert_accessible(page)

    for path in (reverse("activity:edit", kwargs={"pk": activity.pk}), reverse("activity:list")):
        other = open_page(context, path)
        assert_accessible(other)
        assert fits_the_screen(other), path


def test_errors_keep_what_was_typed_and_link_to_the_field(browser_context: Any, world: Any) -> None:
    context = browser_context(world.officer_a, **PHONE)
    page = open_page(context, CREATE)
    # A draft left from before is offered back, and can be thrown away.
    key = draft_key(world.officer_a)
    page.evaluate(
        f"localStorage.setItem('{key}', JSON.stringify({{savedAt: Date.now(), fields: {{people_reached: ['99']}}}}))"
    )
    page.reload()
    assert page.get_by_text("We restored the activity you had not sent").is_visible()
    assert page.input_value("#id_people_reached") == "99"
    assert_accessible(page)
    page.focus("#activity-draft-discard")
    page.keyboard.press("Enter")
    assert not page.locator("#activity-draft-restored").is_visible()
    assert page.input_value("#id_people_reached") == ""
    assert page.evaluate(f"localStorage.getItem('{key}')") is None

    page.select_option("#id_type", str(kind("patch-walk").pk))
    page.fill("#id_address", "Corner of Mill Lane")
    page.fill("#id_people_reached", "-4")
    page.fill("#id_issues_raised", "Speeding past the school")
    page.evaluate("window.bbStillHere = true")
    page.focus("button.bb-quick-form__save")
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    # Sent with fetch() and shown in place: the page itself was not reloaded.
    assert page.evaluate("window.bbStillHere") is True
    assert page.title().startswith("Error: Record activity")
    # The summary has focus, so it is read out first; its link takes focus to the field. The
    # focus is moved by script once the new content is in, so wait for it (failing if it never comes).
    page.wait_for_selector(".govuk-error-summary:focus", timeout=10_000)
    assert page.input_value("#id_address") == "Corner of Mill Lane"
    assert page.input_value("#id_people_reached") == "-4"
    assert page.input_value("#id_issues_raised") == "Speeding past the school"
    assert page.locator("#id_people_reached-error").inner_text().endswith("Enter a whole number, 0 or more")
    assert_accessible(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Enter a whole number, 0 or more"
    page.keyboard.press("Enter")
    assert active_id(page) == "id_people_reached"
    assert not Activity.objects.exists()

    # Corrected, the same (replaced) form sends as before.
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    with page.expect_navigation(url=SAVED):
        page.keyboard.press("Enter")
    activity = Activity.objects.get()
    assert activity.people_reached == 4 and activity.address == "Corner of Mill Lane"


def test_offline_draft_is_kept_restored_and_sent_once(browser_context: Any, world: Any) -> None:
    context = browser_context(world.officer_a, **PHONE)
    page = open_page(context, CREATE)
    page.select_option("#id_type", str(kind("patch-walk").pk))
    page.fill("#id_people_reached", "7")
    page.check("#id_issue_categories_1")
    page.fill("#id_issues_raised", "Drug dealing behind the shops")
    client_id = page.input_value("input[name=client_id]")

    context.set_offline(True)
    page.focus("button.bb-quick-form__save")
    page.keyboard.press("Enter")
    status = page.locator("#activity-send-status")
    status.get_by_text("You're offline").wait_for()
    assert status.inner_text().strip() == (
        "You're offline. Your activity is saved on this phone; send it when you have a signal."
    )
    assert page.get_attribute("#activity-send-status", "role") == "status"
    draft = json.loads(page.evaluate(f"localStorage.getItem('{draft_key(world.officer_a)}')"))
    assert draft["fields"]["people_reached"] == ["7"]
    assert draft["fields"]["issues_raised"] == ["Drug dealing behind the shops"]
    assert draft["fields"]["client_id"] == [client_id]
    assert not Activity.objects.exists()

    # A reload is impossible offline; back online, the form opened again brings the draft back.
    context.set_offline(False)
    again = open_page(context, CREATE)
    assert again.get_by_text("We restored the activity you had not sent").is_visible()
    assert again.input_value("#id_people_reached") == "7"
    assert again.is_checked("#id_issue_categories_1")
    assert again.input_value("input[name=client_id]") == client_id
    assert_accessible(again)
    again.focus("button.bb-quick-form__save")
    with again.expect_navigation(url=SAVED):
        again.keyboard.press("Enter")
    activity = Activity.objects.get()
    assert str(activity.client_id) == client_id
    assert activity.people_reached == 7 and activity.issues_raised == "Drug dealing behind the shops"
    assert again.evaluate(f"localStorage.getItem('{draft_key(world.officer_a)}')") is None

    # The first page, still open, retrying: the same client_id, so no second record.
    with page.expect_navigation(url=SAVED):
        page.keyboard.press("Enter")
    assert Activity.objects.count() == 1
    assert page.url == again.url


HOUR_MS = 60 * 60 * 1000


def store_draft(page: Any, key: str, *, hours_ago: float, people: str) -> None:
    draft = f"{{savedAt: Date.now() - {hours_ago} * {HOUR_MS}, fields: {{people_reached: ['{people}']}}}}"
    page.evaluate(f"localStorage.setItem('{key}', JSON.stringify({draft}))")


def test_a_draft_older_than_three_days_is_deleted_not_restored(browser_context: Any, world: Any) -> None:
    context = browser_context(world.officer_a, **PHONE)
    page = open_page(context, CREATE)
    key = draft_key(world.officer_a)
    someone_elses = draft_key(world.officer_b)
    store_draft(page, key, hours_ago=73, people="99")
    store_draft(page, someone_elses, hours_ago=73, people="5")
    page.reload()
    assert not page.locator("#activity-draft-restored").is_visible()
    assert page.input_value("#id_people_reached") == ""
    assert page.evaluate(f"localStorage.getItem('{key}')") is None
    assert page.evaluate(f"localStorage.getItem('{someone_elses}')") is None

    # Under three days old, it is still offered back.
    store_draft(page, key, hours_ago=71, people="42")
    page.reload()
    assert page.get_by_text("We restored the activity you had not sent").is_visible()
    assert page.input_value("#id_people_reached") == "42"


def test_signing_out_clears_the_draft_from_the_phone(browser_context: Any, world: Any) -> None:
    context = browser_context(world.officer_a, **PHONE)
    page = open_page(context, CREATE)
    key = draft_key(world.officer_a)
    page.fill("#id_issues_raised", "Names and addresses a resident gave")
    assert page.evaluate(f"localStorage.getItem('{key}')") is not None
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.evaluate(f"localStorage.getItem('{key}')") is None
