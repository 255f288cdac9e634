"""GOV.UK Notify through the real notifications-python-client against a local server that checks
requests as Notify's API does, and Notify's delivery-status callbacks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import resolve, reverse

from beatbook.messaging import delivery, links
from beatbook.messaging.delivery import Sender, send_due
from beatbook.messaging.models import Delivery, DeliveryStatus, MessageStatus
from beatbook.messaging.providers import PermanentFailure, TemporaryFailure, sms_provider

from .test_delivery_support import (
    EMAIL_TEMPLATE,
    SERVICE_ID,
    SMS_TEMPLATE,
    NotifyApi,
    make_subscribers,
    running_notify_api,
    scheduled_message,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def notify_api() -> Iterator[NotifyApi]:
    yield from running_notify_api()


CALLBACK_TOKEN = "callback-token-for-tests-0123456789"


def send_everything() -> None:
    delivery.messages_dispatch_due()
    sender = Sender()
    while send_due(sender=sender).handled:
        pass


def test_email_and_text_through_notify(area_tree: Any, users: Any, notify_api: NotifyApi) -> None:
    people = make_subscribers(area_tree.force, area_tree.nbhd_a, 2, email=True, sms=True)
    message = scheduled_message(users.admin, [area_tree.nbhd_a], channels=["email", "sms"])

    send_everything()

    rows = {(row.subscriber_id, row.channel): row for row in Delivery.objects.filter(message=message)}
    assert {row.status for row in rows.values()} == {DeliveryStatus.SENT}
    accepted = notify_api.accepted()
    assert len(accepted) == 4
    emails = [r for r in accepted if r.path == "/v2/notifications/email"]
    texts = [r for r in accepted if r.path == "/v2/notifications/sms"]
    for person in people:
        (sent,) = [r for r in emails if r.body["email_address"] == person.email]
        row = rows[(person.pk, "email")]
        assert sent.body["template_id"] == EMAIL_TEMPLATE
        assert sent.body["reference"] == str(row.pk)
        assert sent.body["personalisation"]["subject"] == message.subject
        assert "Three sheds were broken into this week." in sent.body["personalisation"]["body"]
        unsubscribe = urlsplit(sent.body["one_click_unsubscribe_url"])
        match = resolve(unsubscribe.path)
        assert match.view_name == "stay_informed:unsubscribe"
        assert links.subscriber_from_token(match.kwargs["token"], links.Purpose.UNSUBSCRIBE) == person
        assert links.delivery_id_from_token(parse_qs(unsubscribe.query)["d"][0]) == row.pk
        (text,) = [r for r in texts if r.body["phone_number"] == person.phone]
        assert text.body["template_id"] == SMS_TEMPLATE
        assert text.body["personalisation"]["body"].startswith(message.sms_body)
        manage = re.search(r"https?://\S+/stay-informed/preferences/([^/\s]+)/", text.body["personalisation"]["body"])
        assert manage is not None
        assert links.subscriber_from_token(manage.group(1), links.Purpose.MANAGE) == person
    # The id Notify answered with is kept, for its callbacks.
    answered = {r.body["reference"] for r in accepted}
    assert answered == {str(row.pk) for row in rows.values()}
    assert all(len(row.provider_reference) == 36 for row in rows.values())


def test_notify_refusals_are_permanent_and_outages_temporary(area_tree: Any, users: Any, notify_api: NotifyApi) -> None:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="bounce")
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="busy")
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="limit")
    message = scheduled_message(users.admin, [area_tree.nbhd_a])

    send_everything()

    by_prefix = {row.subscriber.email.split("@")[0].rstrip("0123456789"): row for row in message.deliveries.all()}
    assert by_prefix["bounce"].status == DeliveryStatus.FAILED and "400" in by_prefix["bounce"].error
    assert by_prefix["busy"].status == DeliveryStatus.RETRY and "500" in by_prefix["busy"].error
    assert by_prefix["limit"].status == DeliveryStatus.RETRY and "429" in by_prefix["limit"].error
    assert {r.status for r in notify_api.requests} == {400, 500, 429}


def test_a_key_notify_does_not_accept_fails_for_good(area_tree: Any, users: Any, notify_api: NotifyApi) -> None:
    wrong = f"beatbook_test-{SERVICE_ID}-00000000-0000-0000-0000-000000000000"
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    with override_settings(NOTIFY_API_KEY=wrong):
        send_everything()
    (row,) = message.deliveries.all()
    assert row.status == DeliveryStatus.FAILED and "403" in row.error
    assert [r.status for r in notify_api.requests] == [403]


def test_sms_provider_interface_returns_notify_id(notify_api: NotifyApi) -> None:
    reference = sms_provider().send_sms(phone="+447700900123", body="Your code is 123456", reference="confirm-1")
    (request,) = notify_api.accepted()
    assert request.body["phone_number"] == "+447700900123"
    assert request.body["reference"] == "confirm-1"
    assert len(reference) == 36
    with pytest.raises(PermanentFailure):
        sms_provider().send_sms(phone="+44bounce", body="x", reference="r")
    with pytest.raises(TemporaryFailure):
        sms_provider().send_sms(phone="+44busy", body="x", reference="r")


# --- callbacks ----------------------------------------------------------------------------


def _callback(client: Client, payload: Any, *, token: str = CALLBACK_TOKEN) -> Any:
    return client.post(
        reverse("messaging_callbacks:notify"),
        data=json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )


@pytest.fixture
def sent_rows(area_tree: Any, users: Any, notify_api: NotifyApi) -> list[Delivery]:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 4)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    send_everything()
    rows = list(Delivery.objects.filter(message=message).order_by("pk"))
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    return rows


@override_settings(NOTIFY_CALLBACK_TOKEN=CALLBACK_TOKEN)
def test_callbacks_record_what_became_of_each_message(client: Client, sent_rows: list[Delivery]) -> None:
    delivered, bounced, full, unknown_to_us = sent_rows
    for row, status in ((delivered, "delivered"), (bounced, "permanent-failure"), (full, "temporary-failure")):
        response = _callback(
            client,
            {
                "id": row.provider_reference,
                "reference": str(row.pk),
                "to": row.subscriber.email,
                "status": status,
                "created_at": "2026-11-21T10:00:00.000000Z",
                "completed_at": "2026-11-21T10:00:05.000000Z",
                "sent_at": "2026-11-21T10:00:01.000000Z",
                "notification_type": "email",
            },
        )
        assert response.status_code == 200, response.content
    for row in sent_rows:
        row.refresh_from_db()
    assert delivered.status == DeliveryStatus.DELIVERED and delivered.delivered_at is not None
    assert delivered.delivered_at.isoformat().startswith("2026-11-21T10:00:05")
    assert bounced.status == DeliveryStatus.FAILED and bounced.error == "Notify: permanent-failure"
    assert full.status == DeliveryStatus.RETRY and full.next_attempt_at is not None
    assert unknown_to_us.status == DeliveryStatus.SENT
    # A callback naming nothing we sent changes nothing and is not retried by Notify.
    response = _callback(client, {"id": "0d7e0b49-6c07-4e8c-9f43-0a0e0b3c4f00", "status": "delivered"})
    assert response.status_code == 200 and response.json()["result"] == "ignored"


@override_settings(NOTIFY_CALLBACK_TOKEN=CALLBACK_TOKEN)
def test_a_callback_before_the_send_is_committed_is_found_by_our_reference(
    client: Client, area_tree: Any, users: Any
) -> None:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    delivery.message_start(message_id=message.pk)
    (claimed,) = delivery.deliveries_claim(limit=5)

    response = _callback(
        client, {"id": "5b9a2c1e-8d6f-4c3a-b1e2-7f0a9d8c6b5a", "reference": str(claimed), "status": "delivered"}
    )

    assert response.status_code == 200
    row = Delivery.objects.get(pk=claimed)
    assert row.status == DeliveryStatus.DELIVERED
    assert row.provider_reference == "5b9a2c1e-8d6f-4c3a-b1e2-7f0a9d8c6b5a"
    delivery.messages_finish()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


@override_settings(NOTIFY_CALLBACK_TOKEN=CALLBACK_TOKEN)
def test_callbacks_need_the_token_and_good_json(client: Client, sent_rows: list[Delivery]) -> None:
    row = sent_rows[0]
    payload = {"id": row.provider_reference, "reference": str(row.pk), "status": "delivered"}
    assert _callback(client, payload, token="wrong").status_code == 401
    assert _callback(client, payload, token="").status_code == 401
    url = reverse("messaging_callbacks:notify")
    headers = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
    assert client.post(url, data="not json", content_type="application/json", headers=headers).status_code == 400
    bad_status = client.post(
        url, data=json.dumps(payload | {"status": "lost"}), content_type="application/json", headers=headers
    )
    assert bad_status.status_code == 400 and "status" in bad_status.json()["error"]
    assert client.get(url, headers=headers).status_code == 405
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT


def test_no_callbacks_are_accepted_without_a_configured_token(client: Client, sent_rows: list[Delivery]) -> None:
    row = sent_rows[0]
    with override_settings(NOTIFY_CALLBACK_TOKEN=""):
        response = _callback(client, {"id": row.provider_reference, "status": "delivered"}, token="")
    assert response.status_code == 401
