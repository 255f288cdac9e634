"""The staff messaging pages: who may open each, scope as 404, the form refusing areas out of
scope on the field, the approval flow through the pages, and the audience panel."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beatbook.accounts.models import AuditEvent
from beatbook.messaging import message_services
from beatbook.messaging.audience import audience_count
from beatbook.messaging.models import (
    Delivery,
    DeliveryStatus,
    Interest,
    Message,
    MessageStatus,
    MessageTemplate,
    MessagingSettings,
    SenderProfile,
    Subscriber,
    SubscriberArea,
    SubscriberInterest,
    SubscriberStatus,
)

pytestmark = pytest.mark.django_db


# --- Fixtures shared by the messaging staff, metrics and API tests ------------------------


def make_subscriber(
    force: Any,
    areas: Sequence[Any],
    *,
    n: int,
    email: bool = True,
    sms: bool = False,
    status: str = SubscriberStatus.ACTIVE,
    language: str = "en",
    interests: Sequence[Any] = (),
    created_at: dt.datetime | None = None,
) -> Subscriber:
    """One subscriber, written the way the services keep it (SubscriberArea copies included)."""
    subscriber = Subscriber.objects.create(
        force=force,
        email=f"person{n}@example.org" if email else "",
        phone=f"+4477009{n:05d}" if sms else "",
        wants_email=email,
        wants_sms=sms,
        language=language,
        status=status,
        link_key=f"key{n}",
        confirmed_at=timezone.now() if status == SubscriberStatus.ACTIVE else None,
    )
    if created_at is not None:
        Subscriber.objects.filter(pk=subscriber.pk).update(created_at=created_at)
    active = status == SubscriberStatus.ACTIVE
    SubscriberArea.objects.bulk_create(
        SubscriberArea(
            subscriber=subscriber, area=area, active=active, wants_email=email, wants_sms=sms, language=language
        )
        for area in areas
    )
    SubscriberInterest.objects.bulk_create(SubscriberInterest(subscriber=subscriber, interest=i) for i in interests)
    return subscriber


def data(area_ids: list[int], **changes: Any) -> message_services.MessageData:
    values: dict[str, Any] = {
        "kind": "alert",
        "subject": "Garden sheds broken into",
        "body": "Three sheds on Mill Lane were broken into overnight.\n\nLock yours, please.",
        "sms_body": "Sheds broken into on Mill Lane: lock yours.",
        "area_ids": area_ids,
        "interest_ids": [],
        "languages": [],
        "channels": ["email"],
    }
    values.update(changes)
    return message_services.MessageData(**values)


@pytest.fixture(name="world")
def world_fixture(area_tree: Any, users: Any) -> dict[str, Any]:
    """Subscribers in A, B and C; a draft by officer_a to A; one by officer_b to B; a sent
    message to the force with deliveries of every kind."""
    burglary = Interest.objects.get(slug="burglary", force=None)
    n = 0
    people: list[Subscriber] = []
    for area, count in ((area_tree.nbhd_a, 6), (area_tree.nbhd_b, 4), (area_tree.nbhd_c, 3)):
        for i in range(count):
            n += 1
            people.append(
                make_subscriber(
                    area_tree.force,
                    [area],
                    n=n,
                    sms=i % 2 == 0,
                    language="pl" if i == 1 else "en",
                    interests=[burglary] if i < 2 else [],
                )
            )
    n += 1
    make_subscriber(area_tree.force, [area_tree.nbhd_a], n=n, status=SubscriberStatus.UNSUBSCRIBED)
    draft_a = message_services.message_create(actor=users.officer_a, data=data([area_tree.nbhd_a.pk]))
    draft_b = message_services.message_create(
        actor=users.officer_b, data=data([area_tree.nbhd_b.pk], subject="Brookside speed checks")
    )
    sent = message_services.message_create(
        actor=users.admin, data=data([area_tree.force.pk], subject="Force newsletter", channels=["email", "sms"])
    )
    now = timezone.now()
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT, started_at=now, finished_at=now)
    sent.refresh_from_db()
    rows = []
    statuses = [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.SENT,
        DeliveryStatus.SKIPPED,
    ]
    for i, person in enumerate(people):
        link = person.area_links.first()
        assert link is not None
        status = statuses[i % len(statuses)]
        handed = status in (DeliveryStatus.DELIVERED, DeliveryStatus.SENT, DeliveryStatus.FAILED)
        rows.append(
            Delivery(
                message=sent,
                subscriber=person,
                channel="email",
                area_id=link.area_id,
                status=status,
                sent_at=now if handed else None,
                delivered_at=now if status == DeliveryStatus.DELIVERED else None,
                failed_at=now if status == DeliveryStatus.FAILED else None,
                clicked_at=now if i % 3 == 0 and status == DeliveryStatus.DELIVERED else None,
                clicks=2 if i % 3 == 0 and status == DeliveryStatus.DELIVERED else 0,
                useful=True if i % 4 == 0 else (False if i % 4 == 1 else None),
                unsubscribed_at=now if i == 7 else None,
                opened_at=now if i % 2 == 0 and status == DeliveryStatus.DELIVERED else None,
            )
        )
        if person.wants_sms:
            rows.append(
                Delivery(
                    message=sent,
                    subscriber=person,
                    channel="sms",
                    area_id=link.area_id,
                    status=DeliveryStatus.PENDING if i == 0 else DeliveryStatus.DELIVERED,
                    sent_at=None if i == 0 else now,
                    delivered_at=None if i == 0 else now,
                )
            )
    Delivery.objects.bulk_create(rows)
    return {"draft_a": draft_a, "draft_b": draft_b, "sent": sent, "burglary": burglary, "people": people}


def client_for(login_as: Any, user: Any) -> Client:
    return login_as(Client(), user)


# --- Who may open what ------------------------------------------------------------------------

PAGES = ["messaging:list", "messaging:subscribers", "messaging:export", "messaging:reach_geojson"]
WRITER_PAGES = ["messaging:compose", "messaging:profile", "messaging:audience"]
ADMIN_PAGES = [
    "messaging:templates",
    "messaging:template_create",
    "messaging:settings",
    "messaging:subscriber_people",
]


@pytest.mark.parametrize("name", PAGES + WRITER_PAGES + ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(world: Any, name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", PAGES + WRITER_PAGES + ADMIN_PAGES)
def test_partners_see_no_messaging(world: Any, users: Any, login_as: Any, name: str) -> None:
    assert client_for(login_as, users.partner).get(reverse(name)).status_code == 403


@pytest.mark.parametrize(
    ("persona", "reads", "writes", "manages"),
    [
        ("officer_a", True, True, False),
        ("officer_b", True, True, False),
        ("commander", True, True, False),
        ("analyst", True, False, False),
        ("admin", True, True, True),
    ],
)
def test_each_role_opens_its_pages(
    world: Any, users: Any, login_as: Any, persona: str, reads: bool, writes: bool, manages: bool
) -> None:
    client = client_for(login_as, getattr(users, persona))
    for names, allowed in ((PAGES, reads), (WRITER_PAGES, writes), (ADMIN_PAGES, manages)):
        for name in names:
            status = client.get(reverse(name)).status_code
            assert status == (200 if allowed else 403), (persona, name, status)


def test_a_message_out_of_scope_is_a_404(world: Any, users: Any, login_as: Any) -> None:
    other = client_for(login_as, users.officer_b)
    for name in ("detail", "edit", "send", "cancel", "return"):
        assert other.get(reverse(f"messaging:{name}", args=[world["draft_a"].pk])).status_code == 404, name
    assert other.post(reverse("messaging:approve", args=[world["draft_a"].pk])).status_code == 404
    # The force-wide message is out of sight for an officer of one neighbourhood too.
    assert other.get(reverse("messaging:detail", args=[world["sent"].pk])).status_code == 404
    mine = client_for(login_as, users.officer_a)
    assert mine.get(reverse("messaging:detail", args=[world["draft_a"].pk])).status_code == 200
    assert mine.get(reverse("messaging:edit", args=[world["draft_a"].pk])).status_code == 200


def test_the_list_shows_only_messages_in_scope(world: Any, users: Any, login_as: Any) -> None:
    page = client_for(login_as, users.officer_a).get(reverse("messaging:list")).content.decode()
    assert "Garden sheds broken into" in page and "Brookside speed checks" not in page
    page = client_for(login_as, users.analyst).get(reverse("messaging:list")).content.decode()
    assert "Brookside speed checks" in page and "Force newsletter" in page
    assert "Write a message" not in page  # analysts read only


def test_analysts_read_but_change_nothing(world: Any, users: Any, login_as: Any) -> None:
    client = client_for(login_as, users.analyst)
    message = world["draft_a"]
    assert client.get(reverse("messaging:detail", args=[message.pk])).status_code == 200
    assert client.get(reverse("messaging:edit", args=[message.pk])).status_code == 403
    assert client.get(reverse("messaging:send", args=[message.pk])).status_code == 403
    assert client.post(reverse("messaging:compose"), _form_post([message.areas.first().pk])).status_code == 403
    assert Message.objects.count() == 3


def _form_post(area_ids: list[int], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "appeal",
        "subject": "Have you seen this bike?",
        "body": "A red bike was taken from the station.\n\nCall 101.",
        "sms_body": "",
        "areas": [str(pk) for pk in area_ids],
        "channels": ["email"],
    }
    body.update(changes)
    return body


# --- Writing, targeting and the audience ----------------------------------------------------


def test_an_officer_cannot_target_another_area_even_by_hand(
    world: Any, area_tree: Any, users: Any, login_as: Any
) -> None:
    client = client_for(login_as, users.officer_a)
    page = client.get(reverse("messaging:compose")).content.decode()
    box = 'name="areas" type="checkbox" value="{}"'
    assert box.format(area_tree.nbhd_a.pk) in page and box.format(area_tree.nbhd_b.pk) not in page
    response = client.post(reverse("messaging:compose"), _form_post([area_tree.nbhd_b.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert "Choose from the list" in form.errors["areas"][0]
    assert ("id_areas_0", form.errors["areas"][0]) in form.error_links()
    assert not Message.objects.filter(subject="Have you seen this bike?").exists()


def test_errors_are_named_on_their_fields(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    client = client_for(login_as, users.officer_a)
    response = client.post(
        reverse("messaging:compose"), _form_post([area_tree.nbhd_a.pk], subject="", channels=["sms"], sms_body="")
    )
    errors = response.context["form"].errors
    assert set(errors) >= {"subject", "sms_body"}
    assert "Enter the text message" in errors["sms_body"][0]
    page = response.content.decode()
    assert 'href="#id_sms_body"' in page and "govuk-error-summary" in page


def test_compose_from_a_template_then_confirm_shows_the_audience(
    world: Any, area_tree: Any, users: Any, login_as: Any
) -> None:
    template = MessageTemplate.objects.create(
        force=area_tree.force,
        name="Shed alert",
        kind="alert",
        subject="Shed thefts",
        body="Lock sheds.",
        sms_body="Lock sheds",
    )
    client = client_for(login_as, users.officer_a)
    page = client.get(reverse("messaging:compose"), {"template": template.pk})
    assert page.context["form"].initial["subject"] == "Shed thefts"
    response = client.post(
        reverse("messaging:compose"),
        _form_post([area_tree.nbhd_a.pk], template=str(template.pk), channels=["email", "sms"], sms_body="Lock sheds"),
    )
    message = Message.objects.get(subject="Have you seen this bike?")
    assert response.status_code == 302 and response["Location"] == reverse("messaging:send", args=[message.pk])
    assert message.template_id == template.pk and message.status == MessageStatus.DRAFT
    confirm = client.get(response["Location"])
    expected = audience_count(
        force=area_tree.force, area_ids=[area_tree.nbhd_a.pk], interest_ids=[], languages=[], channels=["email", "sms"]
    )
    assert confirm.context["audience"] == expected
    assert expected.people == 6  # the unsubscribed one does not count
    assert (
        f'<span class="govuk-!-font-size-36 govuk-!-font-weight-bold" id="audience-people">{expected.people}</span>'
        in confirm.content.decode()
    )


@pytest.mark.parametrize(
    ("targets", "interest", "languages", "channels"),
    [
        (["nbhd_a"], False, [], ["email"]),
        (["npa_north"], False, [], ["email", "sms"]),
        (["force"], True, [], ["sms"]),
        (["force"], False, ["pl"], ["email", "sms"]),
    ],
)
def test_the_audience_panel_equals_audience_count(
    world: Any,
    area_tree: Any,
    users: Any,
    login_as: Any,
    targets: list[str],
    interest: bool,
    languages: list[str],
    channels: list[str],
) -> None:
    area_ids = [getattr(area_tree, name).pk for name in targets]
    interest_ids = [world["burglary"].pk] if interest else []
    query = {"areas": area_ids, "interests": interest_ids, "languages": languages, "channels": channels}
    response = client_for(login_as, users.admin).get(reverse("messaging:audience"), query, HTTP_HX_REQUEST="true")
    expected = audience_count(
        force=area_tree.force, area_ids=area_ids, interest_ids=interest_ids, languages=languages, channels=channels
    )
    assert response.context["audience"] == expected
    assert f'id="audience-people">{expected.people}<' in response.content.decode()
    assert expected.people > 0


def test_the_audience_panel_ignores_areas_out_of_scope(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    client = client_for(login_as, users.officer_a)
    response = client.get(reverse("messaging:audience"), {"areas": [area_tree.nbhd_b.pk], "channels": ["email"]})
    assert response.context["audience"] is None
    response = client.get(reverse("messaging:audience"), {"areas": [area_tree.nbhd_a.pk, area_tree.nbhd_b.pk]})
    assert response.context["audience"].people == 6


def test_the_form_wires_the_audience_panel_with_htmx(world: Any, users: Any, login_as: Any) -> None:
    page = client_for(login_as, users.officer_a).get(reverse("messaging:compose")).content.decode()
    assert f'hx-get="{reverse("messaging:audience")}"' in page and 'hx-target="#audience-panel"' in page
    assert "vendor/htmx/htmx.min.js" in page and "<script>" not in page


# --- Approval through the pages ---------------------------------------------------------------


def test_approval_flow_through_the_pages(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    officer = client_for(login_as, users.officer_a)
    message = world["draft_a"]
    response = officer.post(reverse("messaging:send", args=[message.pk]), {"when": "now"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.AWAITING_APPROVAL
    # The author cannot approve their own; an officer of elsewhere does not even see it.
    assert officer.post(reverse("messaging:approve", args=[message.pk])).status_code == 403
    commander = client_for(login_as, users.commander)
    listing = commander.get(reverse("messaging:list"))
    assert message.pk in listing.context["approvable"]
    assert listing.context["waiting"][0] == message
    detail = commander.get(reverse("messaging:detail", args=[message.pk])).content.decode()
    assert "Approve and send" in detail
    # Returned with a note: a draft again, and the author sees the note.
    assert commander.post(reverse("messaging:return", args=[message.pk]), {"note": ""}).status_code == 200
    commander.post(reverse("messaging:return", args=[message.pk]), {"note": "Name the street, please."})
    message.refresh_from_db()
    assert message.status == MessageStatus.DRAFT
    assert "Name the street, please." in officer.get(reverse("messaging:detail", args=[message.pk])).content.decode()
    # Sent again, scheduled for a London time, and approved.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    officer.post(
        reverse("messaging:send", args=[message.pk]),
        {"when": "later", "send_date": tomorrow.isoformat(), "send_time": "09:30"},
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.AWAITING_APPROVAL
    assert timezone.localtime(message.send_at).time() == dt.time(9, 30)
    response = commander.post(reverse("messaging:approve", args=[message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.SCHEDULED and message.approved_by == users.commander
    assert AuditEvent.objects.filter(action="message.approve", object_id=str(message.pk)).exists()


def test_a_schedule_needs_a_date_and_time(world: Any, users: Any, login_as: Any) -> None:
    response = client_for(login_as, users.officer_a).post(
        reverse("messaging:send", args=[world["draft_a"].pk]), {"when": "later", "send_date": "", "send_time": "25:00"}
    )
    errors = response.context["form"].errors
    assert "Enter the date to send it" in errors["send_date"] and "Enter the time like 14:30" in errors["send_time"]


def test_cancel_has_a_confirm_step(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    MessagingSettings.objects.create(force=area_tree.force, approval_required_for=[], approver_roles=["admin"])
    officer = client_for(login_as, users.officer_a)
    message = world["draft_a"]
    officer.post(reverse("messaging:send", args=[message.pk]), {"when": "now"})
    message.refresh_from_db()
    assert message.status == MessageStatus.SCHEDULED
    page = officer.get(reverse("messaging:cancel", args=[message.pk]))
    assert page.status_code == 200 and "Cancel this message?" in page.content.decode()
    message.refresh_from_db()
    assert message.status == MessageStatus.SCHEDULED
    assert client_for(login_as, users.officer_b).post(reverse("messaging:cancel", args=[message.pk])).status_code == 404
    officer.post(reverse("messaging:cancel", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED


# --- The message page -------------------------------------------------------------------------


def test_the_detail_page_previews_and_counts(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    response = client_for(login_as, users.admin).get(reverse("messaging:detail", args=[world["sent"].pk]))
    page = response.content.decode()
    assert "Three sheds on Mill Lane were broken into overnight." in page
    assert "Sheds broken into on Mill Lane: lock yours." in page
    assert 'id="metrics-by-channel"' in page and 'id="metrics-by-area"' in page
    assert ">Opened<" not in page  # open tracking is off by default
    MessagingSettings.objects.create(force=area_tree.force, open_tracking=True)
    page = client_for(login_as, users.admin).get(reverse("messaging:detail", args=[world["sent"].pk])).content.decode()
    assert ">Opened<" in page


# --- Templates, signature and settings --------------------------------------------------------


def test_admins_manage_templates(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    client = client_for(login_as, users.admin)
    response = client.post(
        reverse("messaging:template_create"), {"name": "", "kind": "alert", "subject": "S", "body": "B"}
    )
    assert "name" in response.context["form"].errors
    client.post(
        reverse("messaging:template_create"),
        {"name": "Newsletter", "kind": "newsletter", "subject": "News", "body": "Hello", "active": "on"},
    )
    template = MessageTemplate.objects.get(name="Newsletter")
    client.post(
        reverse("messaging:template_edit", args=[template.pk]),
        {"name": "Monthly newsletter", "kind": "newsletter", "subject": "News", "body": "Hello"},
    )
    template.refresh_from_db()
    assert template.name == "Monthly newsletter" and not template.active
    assert AuditEvent.objects.filter(action="messaging.template.update").exists()
    assert (
        client_for(login_as, users.commander).get(reverse("messaging:template_edit", args=[template.pk])).status_code
        == 403
    )


def _png(size: tuple[int, int] = (8, 8)) -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def test_the_signature_takes_a_checked_photo(
    world: Any, users: Any, login_as: Any, tmp_path: Any, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = client_for(login_as, users.officer_a)
    fake = io.BytesIO(b"<script>not an image</script>")
    fake.name = "me.png"
    response = client.post(reverse("messaging:profile"), {"display_name": "Sam", "role_title": "PCSO", "photo": fake})
    assert response.context["form"].errors["photo"] == ["The photo must be a JPEG, PNG or WebP image"]
    photo = _png()
    photo.name = "me.png"
    response = client.post(
        reverse("messaging:profile"),
        {"display_name": "PCSO Sam Okafor", "role_title": "PCSO, Abbeyfield", "photo": photo},
    )
    assert response.status_code == 302
    profile = SenderProfile.objects.get(user=users.officer_a)
    assert profile.role_title == "PCSO, Abbeyfield" and profile.photo.name.endswith(".png")
    # New messages are signed with it.
    message = message_services.message_create(actor=users.officer_a, data=data([users.officer_a.area_id]))
    assert message.signature_name == "PCSO Sam Okafor" and message.signature_photo == profile.photo.name


def test_a_photo_too_large_is_refused(world: Any, users: Any, login_as: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    big = io.BytesIO(b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 1))
    big.name = "big.png"
    response = client_for(login_as, users.officer_a).post(
        reverse("messaging:profile"), {"display_name": "Sam", "role_title": "PCSO", "photo": big}
    )
    assert response.context["form"].errors["photo"] == ["The photo must be 2 MB or smaller"]


def test_admins_change_the_settings(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    client = client_for(login_as, users.admin)
    response = client.post(
        reverse("messaging:settings"),
        {
            "approval_required_for": ["officer", "commander"],
            "approver_roles": ["admin"],
            "open_tracking": "on",
            "reply_to": "x",
        },
    )
    assert "reply_to" in response.context["form"].errors
    client.post(
        reverse("messaging:settings"),
        {"approval_required_for": ["officer", "commander"], "approver_roles": ["admin"], "open_tracking": "on"},
    )
    found = MessagingSettings.objects.get(force=area_tree.force)
    assert found.approval_required_for == ["commander", "officer"] and found.open_tracking
    response = client.post(reverse("messaging:settings"), {"approver_roles": ["partner"]})
    assert "Choose from the list" in response.context["form"].errors["approver_roles"][0]


# --- Subscribers --------------------------------------------------------------------------------


def test_subscriber_details_only_for_admins(world: Any, users: Any, login_as: Any) -> None:
    person = world["people"][0]
    for persona in ("officer_a", "commander", "analyst"):
        client = client_for(login_as, getattr(users, persona))
        page = client.get(reverse("messaging:subscribers")).content.decode()
        assert person.email not in page and "Find a subscriber" not in page
        for name in ("subscriber_detail", "subscriber_erase"):
            assert client.get(reverse(f"messaging:{name}", args=[person.pk])).status_code == 403
    admin = client_for(login_as, users.admin)
    found = admin.get(reverse("messaging:subscriber_people"), {"q": person.email.upper()})
    assert list(found.context["page"].object_list) == [person]
    assert person.email in admin.get(reverse("messaging:subscriber_detail", args=[person.pk])).content.decode()


def test_an_admin_erases_on_request(world: Any, users: Any, login_as: Any) -> None:
    person = world["people"][0]
    admin = client_for(login_as, users.admin)
    assert (
        "Erase this subscriber" in admin.get(reverse("messaging:subscriber_erase", args=[person.pk])).content.decode()
    )
    person.refresh_from_db()
    assert person.email
    admin.post(reverse("messaging:subscriber_erase", args=[person.pk]))
    person.refresh_from_db()
    assert person.status == SubscriberStatus.ERASED and person.email == "" and person.phone == ""


def test_counts_follow_scope(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    officer = client_for(login_as, users.officer_a).get(reverse("messaging:subscribers"))
    assert officer.context["summary"].active == 6
    assert [row.code for row in officer.context["reach"].rows] == ["NB-A"]
    admin = client_for(login_as, users.admin).get(reverse("messaging:subscribers"))
    assert admin.context["summary"].active == 13
    assert {row.code for row in admin.context["reach"].rows} == {"NB-A", "NB-B", "NB-C"}
