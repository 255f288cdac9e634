"""The outbox: deliveries made once, real email through a real SMTP server, retries, cancel,
unsubscribed and erased people, digests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import resolve
from django.utils import timezone

from beatbook.messaging import delivery, links, message_services, providers
from beatbook.messaging.delivery import Sender, deliveries_claim, digests_send, message_start, send_due
from beatbook.messaging.models import (
    Delivery,
    DeliveryStatus,
    Digest,
    EmailFormat,
    Frequency,
    MessageStatus,
    MessagingSettings,
    Subscriber,
    SubscriberStatus,
)

from .test_delivery_support import (
    SmtpServer,
    html_of,
    make_subscribers,
    running_smtp_server,
    scheduled_message,
    text_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from running_smtp_server()


def send_all(**kwargs: Any) -> delivery.BatchResult:
    delivery.messages_dispatch_due()
    total = delivery.BatchResult()
    sender = Sender()
    while True:
        result = send_due(sender=sender, **kwargs)
        if not result.handled:
            return total
        total.sent += result.sent
        total.skipped += result.skipped
        total.retry += result.retry
        total.failed += result.failed


def statuses(message: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in message.deliveries.values_list("status", flat=True):
        found[status] = found.get(status, 0) + 1
    return found


def test_email_through_smtp_carries_unsubscribe_headers_and_signed_links(
    area_tree: Any, users: Any, smtp_server: SmtpServer
) -> None:
    people = make_subscribers(area_tree.force, area_tree.nbhd_a, 3)
    Subscriber.objects.filter(pk=people[2].pk).update(email_format=EmailFormat.TEXT)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])

    result = send_all()

    assert result.sent == 3
    received = smtp_server.mailbox.wait_for(3)
    assert len(received) == 3
    for email in received:
        row = Delivery.objects.get(message=message, subscriber__email=email["X-Envelope-To"])
        assert email["Message-ID"] == f"<delivery-{row.pk}.{message.pk}@127.0.0.1>"
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        header = str(email["List-Unsubscribe"]).strip()
        assert header.startswith("<") and header.endswith(">")
        url = urlsplit(header[1:-1])
        match = resolve(url.path)
        assert match.view_name == "stay_informed:unsubscribe"
        assert links.subscriber_from_token(match.kwargs["token"], links.Purpose.UNSUBSCRIBE) == row.subscriber
        assert links.delivery_id_from_token(parse_qs(url.query)["d"][0]) == row.pk
        text = text_of(email)
        assert "Three sheds were broken into this week." in text
        # The body's link goes through a signed click link for this delivery.
        click = re.search(r"https?://\S+/stay-informed/l/\S+", text)
        assert click is not None and "https://example.org/advice" not in text
        token = resolve(urlsplit(click.group(0)).path).kwargs["token"]
        assert links.click_target_from_token(token) == links.ClickTarget(row.pk, "https://example.org/advice")
        assert header[1:-1] in text
        assert row.status == DeliveryStatus.SENT and row.provider_reference
    html_parts = [html_of(email) for email in received]
    assert sum(part is not None for part in html_parts) == 2  # one subscriber chose plain text
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.finished_at is not None
    assert message.audience_count == 3


def test_starting_twice_writes_nothing_twice_and_credits_the_targeted_area(area_tree: Any, users: Any) -> None:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 4, prefix="a")
    make_subscribers(area_tree.force, area_tree.nbhd_c, 2, prefix="c")
    make_subscribers(area_tree.force, area_tree.nbhd_b, 5, prefix="b")  # South: not targeted
    make_subscribers(area_tree.force, area_tree.nbhd_a, 3, prefix="weekly", frequency=Frequency.WEEKLY)
    # Linked to two reached areas: still one delivery.
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="twice", extra_areas=[area_tree.nbhd_c])
    message = scheduled_message(users.admin, [area_tree.npa_north, area_tree.nbhd_a])

    made = message_start(message_id=message.pk)
    again_status = Delivery.objects.filter(message=message).count()
    message.status = MessageStatus.SCHEDULED  # as if a second worker saw it scheduled
    message.save()
    made_again = message_start(message_id=message.pk)

    assert made == 10 and made_again == 0 and again_status == 10
    rows = Delivery.objects.filter(message=message)
    assert rows.filter(status=DeliveryStatus.HELD).count() == 3
    assert set(rows.filter(subscriber__email__startswith="c").values_list("area", flat=True)) == {
        area_tree.npa_north.pk
    }
    assert rows.filter(subscriber__email__startswith="a", area=area_tree.nbhd_a).count() == 4
    assert not rows.filter(subscriber__email__startswith="b").exists()
    message.refresh_from_db()
    assert message.audience_count == 10 and message.status == MessageStatus.SENDING


def test_unsubscribed_and_erased_people_get_nothing(area_tree: Any, users: Any, smtp_server: SmtpServer) -> None:
    from beatbook.messaging import subscriber_services

    people = make_subscribers(area_tree.force, area_tree.nbhd_a, 6)
    gone_before = people[0]
    subscriber_services.unsubscribe(subscriber=gone_before)
    erased_before = Subscriber.objects.get(pk=people[1].pk)
    erased_address = erased_before.email
    subscriber_services.subscriber_erase(subscriber=erased_before)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    message_start(message_id=message.pk)
    # Between the deliveries being made and sent: a race the worker must still catch.
    late = people[2]
    Subscriber.objects.filter(pk=late.pk).update(status=SubscriberStatus.UNSUBSCRIBED)

    send_all()

    received = {email["X-Envelope-To"] for email in smtp_server.mailbox.wait_for(3)}
    assert received == {p.email for p in people[3:]}
    assert not ({gone_before.email, erased_address, late.email} & received)
    assert Delivery.objects.get(message=message, subscriber=late).status == DeliveryStatus.SKIPPED
    counts = statuses(message)
    assert counts.get(DeliveryStatus.SENT, 0) + counts.get(DeliveryStatus.SKIPPED, 0) == sum(counts.values())


def test_temporary_failures_retry_with_growing_backoff_then_fail(
    area_tree: Any, users: Any, smtp_server: SmtpServer
) -> None:
    (person,) = make_subscribers(area_tree.force, area_tree.nbhd_a, 1)
    smtp_server.mailbox.refuse[person.email] = "451 4.3.0 Mailbox busy, try later"
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    message_start(message_id=message.pk)
    sender = Sender()

    waits = []
    now = timezone.now()
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        result = send_due(sender=sender, now=now)
        row = Delivery.objects.get(message=message)
        assert row.attempts == attempt
        if attempt < delivery.MAX_ATTEMPTS:
            assert result.retry == 1 and row.status == DeliveryStatus.RETRY
            assert "451" in row.error
            assert row.next_attempt_at is not None
            waits.append(row.next_attempt_at - timezone.now())
            # Not due again until its time has come.
            assert send_due(sender=sender, now=row.next_attempt_at - timedelta(seconds=1)).handled == 0
            now = row.next_attempt_at + timedelta(seconds=1)
        else:
            assert result.failed == 1 and row.status == DeliveryStatus.FAILED
    # Exponential with jitter of ±50%: each wait is more than the one before's lower bound.
    assert waits[-1] > waits[0] * 2
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert smtp_server.mailbox.messages == []


def test_a_permanent_refusal_fails_at_once(area_tree: Any, users: Any, smtp_server: SmtpServer) -> None:
    people = make_subscribers(area_tree.force, area_tree.nbhd_a, 2)
    smtp_server.mailbox.refuse[people[0].email] = "550 5.1.1 No such user"
    message = scheduled_message(users.admin, [area_tree.nbhd_a])

    send_all()

    assert Delivery.objects.get(subscriber=people[0]).status == DeliveryStatus.FAILED
    assert Delivery.objects.get(subscriber=people[1]).status == DeliveryStatus.SENT
    assert [e["X-Envelope-To"] for e in smtp_server.mailbox.wait_for(1)] == [people[1].email]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_cancel_stops_what_is_waiting_and_lets_in_flight_finish(
    area_tree: Any, users: Any, smtp_server: SmtpServer
) -> None:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 5)
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="weekly", frequency=Frequency.WEEKLY)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    message_start(message_id=message.pk)
    in_flight = deliveries_claim(limit=2)

    message_services.message_cancel(actor=users.admin, message=message)
    result = Sender().send_batch(in_flight)
    delivery.messages_finish()

    assert result.sent == 2
    assert statuses(message) == {DeliveryStatus.SENT: 2, DeliveryStatus.CANCELLED: 4}
    assert send_due(sender=Sender()).handled == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED and message.finished_at is not None
    assert len(smtp_server.mailbox.wait_for(2)) == 2


def test_rows_of_a_stopped_worker_are_claimed_again_after_the_lease(area_tree: Any, users: Any) -> None:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 3)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    message_start(message_id=message.pk)
    now = timezone.now()
    first = deliveries_claim(limit=10, now=now, lease=timedelta(minutes=5))

    assert deliveries_claim(limit=10, now=now + timedelta(minutes=4)) == []
    again = deliveries_claim(limit=10, now=now + timedelta(minutes=6))

    assert sorted(again) == sorted(first) and len(first) == 3
    assert set(Delivery.objects.filter(message=message).values_list("attempts", flat=True)) == {2}


def test_rate_limit_spaces_sends(area_tree: Any, users: Any, settings: Any, monkeypatch: Any) -> None:
    settings.MESSAGING_EMAIL_RATE = 4
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock = {"now": 1000.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(providers.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(providers.time, "sleep", sleep)
    make_subscribers(area_tree.force, area_tree.nbhd_a, 9)
    scheduled_message(users.admin, [area_tree.nbhd_a])

    result = send_all()

    assert result.sent == 9
    # Nine sends at four a second: eight gaps of a quarter second.
    assert sum(slept) == pytest.approx(8 * 0.25)


def test_weekly_subscribers_get_one_digest_of_their_held_messages(
    area_tree: Any, users: Any, smtp_server: SmtpServer
) -> None:
    (weekly,) = make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="weekly", frequency=Frequency.WEEKLY)
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="now")
    first = scheduled_message(users.admin, [area_tree.nbhd_a], subject="Shed burglaries")
    second = scheduled_message(users.admin, [area_tree.nbhd_a], subject="Speed checks on the A6")
    send_all()
    assert len(smtp_server.mailbox.wait_for(2)) == 2  # the immediate subscriber's two
    for message in (first, second):
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT

    sent = digests_send()
    again = digests_send()

    assert (sent, again) == (1, 0)
    digests = smtp_server.mailbox.wait_for(3)
    (digest_email,) = smtp_server.mailbox.to(weekly.email)
    text = text_of(digest_email)
    assert "Shed burglaries" in text and "Speed checks on the A6" in text
    digest = Digest.objects.get(subscriber=weekly)
    assert digest_email["Message-ID"] == f"<digest-{digest.pk}@127.0.0.1>"
    assert digest_email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(Delivery.objects.filter(subscriber=weekly).values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len(digests) == 3


def test_survey_invitations_carry_the_conversion_token_and_open_tracking_is_opt_in(
    area_tree: Any, users: Any, smtp_server: SmtpServer
) -> None:
    from beatbook.surveys.models import Survey

    survey = Survey.objects.create(force=area_tree.force, name="Your Views", slug="your-views-test")
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, language="cy")
    message = scheduled_message(users.admin, [area_tree.nbhd_a], kind="survey", survey_id=survey.pk)
    send_all()
    (email,) = smtp_server.mailbox.wait_for(1)
    row = Delivery.objects.get(message=message)
    found = re.search(r"(https?://\S+/your-views/your-views-test/)\?d=(\S+)", text_of(email))
    assert found is not None
    assert links.delivery_id_from_token(found.group(2)) == row.pk
    html = html_of(email)
    assert html is not None and '<html lang="cy"' in html
    assert "/stay-informed/o/" not in html

    MessagingSettings.objects.create(force=area_tree.force, open_tracking=True)
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="second")
    tracked = scheduled_message(users.admin, [area_tree.nbhd_a], subject="Tracked")
    send_all()
    email = smtp_server.mailbox.wait_for(3)[-1]
    assert email["Subject"] == "Tracked"
    html = html_of(email)
    assert html is not None
    opened = re.search(r'src="(https?://[^"]+/stay-informed/o/[^"]+)"', html)
    assert opened is not None and tracked.pk


def test_texts_go_through_the_sms_provider(area_tree: Any, users: Any, smtp_server: SmtpServer) -> None:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 2, email=False, sms=True)
    message = scheduled_message(users.admin, [area_tree.nbhd_a], channels=["sms"])

    result = send_all()

    assert result.sent == 2
    rows = Delivery.objects.filter(message=message)
    assert {row.provider_reference for row in rows} == {f"log-{row.pk}" for row in rows}
    assert smtp_server.mailbox.messages == []


def test_each_recipients_links_are_the_ones_links_makes(area_tree: Any, users: Any) -> None:
    from beatbook.messaging import access
    from beatbook.messaging.rendering import Renderer

    (person,) = make_subscribers(area_tree.force, area_tree.nbhd_a, 1)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    message_start(message_id=message.pk)
    row = Delivery.objects.get(message=message)
    settings = access.messaging_settings(area_tree.force.pk)
    settings.open_tracking = True

    values = Renderer(message, settings)._values(row, person)

    def token(url: str, view: str) -> str:
        match = resolve(urlsplit(url).path)
        assert match.view_name == f"stay_informed:{view}"
        assert url.startswith(links.absolute(""))
        return str(match.kwargs["token"])

    assert links.delivery_id_from_token(token(values["yes"], "rate")) == row.pk
    assert resolve(urlsplit(values["yes"]).path).kwargs["answer"] == "yes"
    assert resolve(urlsplit(values["no"]).path).kwargs["answer"] == "no"
    assert links.delivery_id_from_token(token(values["open"], "open")) == row.pk
    assert links.subscriber_from_token(token(values["manage"], "manage"), links.Purpose.MANAGE) == person
    unsubscribe = values["unsubscribe"]
    assert links.subscriber_from_token(token(unsubscribe, "unsubscribe"), links.Purpose.UNSUBSCRIBE) == person
    # Letter for letter what `links` makes, but for the signatures' timestamps.
    strip = re.compile(r"[A-Za-z0-9_\-]+:[A-Za-z0-9]+:[A-Za-z0-9_\-]+")
    assert strip.sub("T", unsubscribe) == strip.sub("T", links.unsubscribe_url(person, delivery_id=row.pk))
    assert strip.sub("T", values["yes"]) == strip.sub("T", links.rate_url(row.pk, useful=True))
    assert strip.sub("T", values["manage"]) == strip.sub("T", links.manage_url(person))
    assert strip.sub("T", values["open"]) == strip.sub("T", links.open_url(row.pk))
