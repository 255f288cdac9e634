"""`beatbook messaging-worker --once`: starts due messages, sends them, and exits when done."""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from beatbook.messaging import message_services
from beatbook.messaging.models import Delivery, DeliveryStatus, Frequency, MessageStatus

from .test_delivery_support import SmtpServer, make_subscribers, running_smtp_server, scheduled_message

# The command closes stale connections between passes, as a long-running process must;
# inside a test transaction that would close the test's own, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from running_smtp_server()


@pytest.fixture(autouse=True)
def _keep_signal_handlers() -> Iterator[None]:
    # The command installs SIGTERM/SIGINT handlers; put pytest's back afterwards.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_once_sends_what_is_due_and_leaves_what_is_not(area_tree: Any, users: Any, smtp_server: SmtpServer) -> None:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 4)
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1, prefix="weekly", frequency=Frequency.WEEKLY)
    now_message = scheduled_message(users.admin, [area_tree.nbhd_a], subject="Now")
    later = message_services.message_create(actor=users.admin, data=message_services.message_data(now_message))
    message_services.message_submit(actor=users.admin, message=later, send_at=timezone.now() + timedelta(hours=2))
    out = io.StringIO()

    call_command("messaging_worker", "--once", "--interval", "0.05", "--digest", stdout=out)

    assert "sent 4" in out.getvalue()
    now_message.refresh_from_db()
    later.refresh_from_db()
    assert now_message.status == MessageStatus.SENT and later.status == MessageStatus.SCHEDULED
    assert not Delivery.objects.filter(message=later).exists()
    # The digest ran before the message was started, so the weekly subscriber's row waits.
    assert Delivery.objects.filter(message=now_message, status=DeliveryStatus.HELD).count() == 1
    assert len(smtp_server.mailbox.wait_for(4)) == 4

    call_command("messaging_worker", "--once", "--interval", "0.05", "--digest", stdout=io.StringIO())
    assert len(smtp_server.mailbox.wait_for(5)) == 5
    assert not Delivery.objects.filter(message=now_message, status=DeliveryStatus.HELD).exists()
