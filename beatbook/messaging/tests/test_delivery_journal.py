"""Compact link tokens, and the journal that keeps a killed worker's sent emails from being sent
again (delivery.py's docstring)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.utils import timezone

from beatbook.messaging import delivery, links
from beatbook.messaging.delivery import Journal, Sender, deliveries_claim, journals_replay, message_start
from beatbook.messaging.models import Delivery, DeliveryStatus, Subscriber
from beatbook.messaging.providers import OutgoingEmail

from .test_delivery_support import SmtpServer, make_subscribers, running_smtp_server, scheduled_message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _journal_dir(tmp_path: Path, settings: Any) -> None:
    settings.MESSAGING_JOURNAL_DIR = tmp_path / "journal"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from running_smtp_server()


# --- tokens -------------------------------------------------------------------------------


def test_delivery_tokens_round_trip_and_refuse_tampering(settings: Any) -> None:
    token = links.delivery_token(41)
    assert ":" not in token and links.delivery_id_from_token(token) == 41
    payload, _dot, mac = token.rpartition(".")
    assert links.delivery_id_from_token(f"42.{mac}") is None
    assert links.delivery_id_from_token(f"{payload}.{mac[:-1]}A") is None
    assert links.delivery_id_from_token(f"{payload}.") is None
    # A token made for one purpose is not accepted for another.
    assert links.delivery_id_from_token(links.click_token(41, 0).replace("41.0.", "41.")) is None
    # Still valid after a key rotation that keeps the old key as a fallback; not after it is gone.
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 40, [old]
    assert links.delivery_id_from_token(token) == 41
    settings.SECRET_KEY_FALLBACKS = []
    assert links.delivery_id_from_token(token) is None


def test_links_in_emails_sent_with_the_old_signing_format_still_work() -> None:
    salt = "beatbook.messaging.delivery"
    assert links.delivery_id_from_token(signing.dumps(7, salt=salt)) == 7
    old_click = signing.dumps([7, "https://example.org/a"], salt="beatbook.messaging.click", compress=True)
    assert links.click_target_from_token(old_click) == links.ClickTarget(7, "https://example.org/a")


def test_click_tokens_name_a_link_of_the_message(area_tree: Any, users: Any) -> None:
    make_subscribers(area_tree.force, area_tree.nbhd_a, 1)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    message.body = "See https://example.org/one and https://example.org/two, or https://example.org/one."
    message.save(update_fields=["body"])
    message_start(message_id=message.pk)
    row = Delivery.objects.get(message=message)
    assert links.click_target_from_token(links.click_token(row.pk, 1)) == links.ClickTarget(
        row.pk, "https://example.org/two"
    )
    assert links.click_target_from_token(links.click_token(row.pk, 2)) is None  # only two distinct links
    assert links.click_target_from_token(links.click_token(row.pk + 1000, 0)) is None


def test_subscriber_tokens_die_with_erasure_and_keep_confirmation_expiry(area_tree: Any) -> None:
    (person,) = make_subscribers(area_tree.force, area_tree.nbhd_a, 1)
    manage = links.subscriber_token(person, links.Purpose.MANAGE)
    assert ":" not in manage and person.link_key not in manage
    assert links.subscriber_from_token(manage, links.Purpose.MANAGE) == person
    assert links.subscriber_from_token(manage, links.Purpose.UNSUBSCRIBE) is None
    assert links.subscriber_from_token(manage, links.Purpose.CONFIRM) is None
    # Confirmation links stay timestamped, so they can expire.
    assert ":" in links.subscriber_token(person, links.Purpose.CONFIRM)
    Subscriber.objects.filter(pk=person.pk).update(link_key="replaced-by-erasure")
    assert links.subscriber_from_token(manage, links.Purpose.MANAGE) is None


# --- the journal --------------------------------------------------------------------------


def _claimed(area_tree: Any, users: Any, count: int) -> list[int]:
    make_subscribers(area_tree.force, area_tree.nbhd_a, count)
    message = scheduled_message(users.admin, [area_tree.nbhd_a])
    message_start(message_id=message.pk)
    return deliveries_claim(limit=count)


def test_a_dead_workers_journal_is_replayed_before_its_rows_are_taken_over(area_tree: Any, users: Any) -> None:
    ids = _claimed(area_tree, users, 3)
    dead = Journal()
    dead.sent(ids[0], "delivery-ref-0")
    dead.sent(ids[1], "delivery-ref-1")
    os.close(dead.fd)  # the worker is killed: its lock goes, the file stays
    later = timezone.now() + timedelta(hours=1)

    retaken = deliveries_claim(limit=10, now=later)

    assert retaken == [ids[2]]  # the journaled two were recorded, not claimed again
    sent = Delivery.objects.filter(pk__in=ids[:2])
    assert {row.status for row in sent} == {DeliveryStatus.SENT}
    assert {row.provider_reference for row in sent} == {"delivery-ref-0", "delivery-ref-1"}
    assert not list(dead.folder.glob("*.journal"))


def test_a_live_workers_journal_is_left_alone(area_tree: Any, users: Any) -> None:
    ids = _claimed(area_tree, users, 1)
    with Journal() as alive:
        alive.sent(ids[0], "ref")
        assert journals_replay() == 0
        assert Delivery.objects.get(pk=ids[0]).status == DeliveryStatus.SENDING
        assert alive.path.exists()
    assert not alive.path.exists()  # a clean close deletes it


def test_a_replay_never_overwrites_an_outcome_already_recorded(area_tree: Any, users: Any) -> None:
    ids = _claimed(area_tree, users, 1)
    Delivery.objects.filter(pk=ids[0]).update(status=DeliveryStatus.CANCELLED)
    dead = Journal()
    dead.sent(ids[0], "ref")
    os.close(dead.fd)
    assert journals_replay() == 0
    assert Delivery.objects.get(pk=ids[0]).status == DeliveryStatus.CANCELLED


def test_sending_records_every_outcome_and_leaves_no_journal(
    area_tree: Any, users: Any, smtp_server: SmtpServer, monkeypatch: Any
) -> None:
    monkeypatch.setattr(delivery, "FLUSH_EVERY", 3)
    ids = _claimed(area_tree, users, 8)
    result = Sender().send_batch(ids)
    assert result.sent == 8
    assert Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENT).count() == 8
    assert len(smtp_server.mailbox.wait_for(8)) == 8
    assert not list(delivery.journal_dir().glob("*.journal"))


class _Accepting:
    """A provider that accepts everything and remembers it."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    def __enter__(self) -> _Accepting:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send_email(self, *, email: OutgoingEmail) -> str:
        self.accepted.append(email.to)
        return f"ref-{len(self.accepted)}"


def test_outcomes_journaled_but_not_committed_survive_an_error(area_tree: Any, users: Any, monkeypatch: Any) -> None:
    ids = _claimed(area_tree, users, 4)
    provider = _Accepting()

    def broken(entries: Any) -> int:
        raise RuntimeError("database gone")

    monkeypatch.setattr(delivery, "_mark_sent", broken)
    with pytest.raises(RuntimeError):
        Sender(email=provider).send_batch(ids)
    assert len(provider.accepted) == 4
    (kept,) = delivery.journal_dir().glob("*.journal")
    with open(kept) as file:  # unlocked: the worker let go of it
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    monkeypatch.undo()
    assert journals_replay() == 4
    assert Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENT).count() == 4
