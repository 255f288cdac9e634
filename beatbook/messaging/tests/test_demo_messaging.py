"""The demo's messaging data on the test force: deterministic, consistent with the services'
rules (SubscriberArea copies, nobody messaged after leaving, one delivery per person and
channel), and with metrics that look like a real service's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Count

from beatbook.core.demo.messaging import SUBSCRIBERS, load_messaging
from beatbook.messaging import metrics
from beatbook.messaging.models import (
    Delivery,
    Message,
    MessageStatus,
    MessageTemplate,
    Subscriber,
    SubscriberArea,
    SubscriberStatus,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def _fingerprint() -> list[Any]:
    return list(
        Subscriber.objects.order_by("email", "phone", "link_key").values_list(
            "email", "phone", "status", "language", "created_at"
        )
    )[:200]


def test_the_demo_is_deterministic_and_consistent(area_tree: Any, users: Any) -> None:
    result = load_messaging(force=area_tree.force, seed=7, now=NOW)
    assert result.subscribers == SUBSCRIBERS == Subscriber.objects.count()
    first = _fingerprint()
    statuses = dict(Subscriber.objects.values_list("status").annotate(n=Count("id")))
    assert statuses[SubscriberStatus.ACTIVE] > 0.7 * SUBSCRIBERS
    assert statuses[SubscriberStatus.UNSUBSCRIBED] and statuses[SubscriberStatus.ERASED] and statuses["pending"]
    # Erased people keep their row and areas, nothing identifying.
    assert not Subscriber.objects.filter(status=SubscriberStatus.ERASED).exclude(email="", phone="").exists()
    # The audience copies match their subscribers.
    mismatched = sum(
        1
        for link in SubscriberArea.objects.select_related("subscriber")
        if link.active != (link.subscriber.status == SubscriberStatus.ACTIVE)
        or link.language != link.subscriber.language
        or link.wants_email != link.subscriber.wants_email
        or link.wants_sms != link.subscriber.wants_sms
    )
    assert mismatched == 0
    # Nobody gets a message before confirming or after leaving.
    for delivery in Delivery.objects.select_related("subscriber", "message")[:5000]:
        person, started = delivery.subscriber, delivery.message.started_at
        assert started is not None
        assert person.confirmed_at is not None and person.confirmed_at <= started
        left = person.unsubscribed_at or person.erased_at
        assert left is None or left > started
    # History, one waiting for approval, one scheduled.
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 13
    assert Message.objects.filter(status=MessageStatus.AWAITING_APPROVAL).count() == 1
    scheduled = Message.objects.get(status=MessageStatus.SCHEDULED)
    assert scheduled.send_at is not None and scheduled.send_at > NOW
    assert MessageTemplate.objects.filter(force=area_tree.force).count() == 6
    # Metrics look like a service's: mostly delivered, some failures, clicks and ratings.
    sent = list(Message.objects.filter(status=MessageStatus.SENT).values_list("pk", flat=True))
    totals = metrics.Counts()
    for found in metrics.message_metrics(sent).values():
        totals.add(found.total)
    assert totals.targeted == result.deliveries
    assert 0.95 < totals.delivered / totals.targeted < 0.995
    assert totals.failed and totals.clicked and totals.useful and totals.not_useful and totals.unsubscribed
    # Growth runs over many months.
    growth = metrics.subscriber_growth(area_tree.force.pk, None)
    assert sum(1 for month in growth if month.joined) >= 10

    # The same seed gives the same rows.
    Delivery.objects.all().delete()
    Message.objects.all().delete()
    Subscriber.objects.all().delete()
    MessageTemplate.objects.all().delete()
    load_messaging(force=area_tree.force, seed=7, now=NOW)
    assert _fingerprint() == first
