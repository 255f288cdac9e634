"""The outbox: turning a due message into deliveries, and sending them exactly once.

**Starting a message** (`message_start`). When a message is SCHEDULED and due, one
`INSERT … SELECT` writes a delivery per subscriber and channel from the audience's
`SubscriberArea` rows, so 100,000 deliveries are one statement, not 100,000 objects. The
unique constraint on (message, subscriber, channel) and `ON CONFLICT DO NOTHING` make a second
start write nothing. Weekly-digest subscribers get HELD email rows, sent later in their digest.

**Sending** (`Sender`). A worker claims a batch of due PENDING/RETRY rows, plus SENDING rows
whose lease (`claimed_until`) has run out because the worker holding them stopped: on
PostgreSQL with `SELECT … FOR UPDATE SKIP LOCKED`, so several workers never claim the same row;
SQLite takes the write lock at the start of the transaction, so claims are one at a time. It
checks each subscriber is still subscribed (anyone unsubscribed or erased since is SKIPPED),
sends through one provider connection for the batch, and commits each outcome as soon as the
provider has answered. A second thread holds the connection, so the next message is rendered
while the provider answers the last; it is handed over only once that answer is committed.

**Exactly once, and what is left.** State lives only in the delivery table, so a worker can be
killed at any moment and another started. The one window left is between the provider
accepting a message and our commit of SENT: a worker killed there leaves the row SENDING, and
when its lease runs out the row is sent again. Committing after every message keeps that window
to at most one message per worker killed, and every email carries a Message-ID derived from
the delivery (`<delivery-{id}.{message}@host>`), the same on the resend, so a mail server or
client that de-duplicates on Message-ID shows it once (many do not, so the person may see it
twice). GOV.UK Notify has no idempotency key; the `reference` (the delivery id) lets staff
find such a pair in Notify's records. On PostgreSQL the worker's commits are asynchronous
(`synchronous_commit = off`): a killed worker loses nothing committed, but a crash of the
database server itself could lose the last fraction of a second of outcomes, which are then
sent again the same way.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from . import access
from .audience import reach_map
from .models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Digest,
    Frequency,
    Message,
    MessageStatus,
    Subscriber,
    SubscriberArea,
    SubscriberInterest,
    SubscriberStatus,
)
from .providers import EmailProvider, RateLimiter, SendFailure, SmsProvider, email_provider, sms_provider
from .rendering import Renderer, digest_email

logger = logging.getLogger("beatbook.messaging")

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=2)
# Long enough for a whole batch at the slowest provider rate we expect; a worker stops
# taking messages from its batch at 80% of the lease (see `Sender.send_batch`).
LEASE = timedelta(minutes=10)
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.RETRY, DeliveryStatus.SENDING)
# Weekly digests go out on Monday mornings (Europe/London).
DIGEST_WEEKDAY = 0
DIGEST_HOUR = 7


def backoff(attempts: int) -> timedelta:
    """Exponential (1, 2, 4, 8… minutes, at most 2 hours) with ±50% jitter, so a provider's
    outage does not end with every failed message retried in the same second."""
    base = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return base * random.uniform(0.5, 1.5)


# --- starting a message -------------------------------------------------------------------


def _insert_deliveries(message: Message, reach: dict[int, int], channel: str, now: datetime) -> None:
    """One INSERT … SELECT for one channel (see the module's docstring)."""
    delivery = Delivery._meta.db_table
    links = SubscriberArea._meta.db_table
    subscribers = Subscriber._meta.db_table
    interests = SubscriberInterest._meta.db_table
    area_ids = list(reach)
    area_marks = ", ".join(["%s"] * len(area_ids))
    # The targeted area each reached area counts for; when a person lives in two, the lower id wins.
    case = "CASE sa.area_id " + " ".join(["WHEN %s THEN %s"] * len(reach)) + " END"
    case_params: list[Any] = [value for pair in reach.items() for value in pair]
    wants = "sa.wants_email" if channel == DeliveryChannel.EMAIL else "sa.wants_sms"
    contact = "s.email" if channel == DeliveryChannel.EMAIL else "s.phone"
    conditions = [
        f"sa.area_id IN ({area_marks})",
        "sa.active = %s",
        f"{wants} = %s",
        "s.status = %s",
        f"{contact} <> ''",
    ]
    params: list[Any] = [*area_ids, True, True, SubscriberStatus.ACTIVE]
    if message.languages:
        conditions.append(f"sa.language IN ({', '.join(['%s'] * len(message.languages))})")
        params.extend(message.languages)
    interest_ids = list(message.interests.values_list("pk", flat=True))
    if interest_ids:
        conditions.append(
            f"EXISTS (SELECT 1 FROM {interests} si WHERE si.subscriber_id = sa.subscriber_id "  # noqa: S608 - names from _meta, values are parameters
            f"AND si.interest_id IN ({', '.join(['%s'] * len(interest_ids))}))"
        )
        params.extend(interest_ids)
    if channel == DeliveryChannel.EMAIL:
        status_sql = "CASE WHEN s.frequency = %s THEN %s ELSE %s END"
        status_params: list[Any] = [Frequency.WEEKLY, DeliveryStatus.HELD, DeliveryStatus.PENDING]
    else:
        # A digest is an email; texts are short and go as they are sent.
        status_sql = "%s"
        status_params = [DeliveryStatus.PENDING]
    sql = (
        f"INSERT INTO {delivery} (message_id, subscriber_id, channel, area_id, status, attempts, "  # noqa: S608 - names from _meta, values are parameters
        "next_attempt_at, provider_reference, error, created_at, clicks) "
        f"SELECT %s, sa.subscriber_id, %s, MIN({case}), {status_sql}, 0, %s, '', '', %s, 0 "
        f"FROM {links} sa JOIN {subscribers} s ON s.id = sa.subscriber_id "
        f"WHERE {' AND '.join(conditions)} "
        "GROUP BY sa.subscriber_id, s.frequency "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [message.pk, channel, *case_params, *status_params, now, now, *params])


def message_start(*, message_id: int, now: datetime | None = None) -> int:
    """Create a due message's deliveries and mark it SENDING. Returns the deliveries made.

    Does nothing (and returns 0) unless the message is SCHEDULED, so starting twice, or a
    start racing a cancel, writes nothing twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != MessageStatus.SCHEDULED:
            return 0
        reach = reach_map(force=message.force, area_ids=list(message.areas.values_list("pk", flat=True)))
        before = Delivery.objects.filter(message=message).count()
        if reach:
            for channel in message.channels:
                _insert_deliveries(message, reach, channel, now)
        deliveries = Delivery.objects.filter(message=message)
        made = deliveries.count() - before
        message.audience_count = deliveries.values("subscriber_id").distinct().count()
        message.status = MessageStatus.SENDING
        message.started_at = now
        if not deliveries.filter(status__in=UNFINISHED).exists():
            message.status = MessageStatus.SENT
            message.finished_at = now
        message.save(update_fields=["audience_count", "status", "started_at", "finished_at", "updated_at"])
    logger.info("message %s started: %s deliveries", message_id, made)
    return made


def due_messages(now: datetime) -> list[int]:
    return list(
        Message.objects.filter(status=MessageStatus.SCHEDULED)
        .filter(Q(send_at__isnull=True) | Q(send_at__lte=now))
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)
    )


def messages_dispatch_due(*, now: datetime | None = None) -> int:
    """Start every scheduled message whose time has come. Returns how many were started."""
    now = now or timezone.now()
    started = 0
    for message_id in due_messages(now):
        message_start(message_id=message_id, now=now)
        started += 1
    return started


def messages_finish(*, now: datetime | None = None) -> int:
    """Mark SENT the messages with nothing left to send (held digest rows do not count), and
    note when a cancelled message's last in-flight delivery ended."""
    now = now or timezone.now()
    unfinished = Delivery.objects.filter(message_id=OuterRef("pk"), status__in=UNFINISHED)
    sent = (
        Message.objects.filter(status=MessageStatus.SENDING)
        .exclude(Exists(unfinished))
        .update(status=MessageStatus.SENT, finished_at=now)
    )
    Message.objects.filter(status=MessageStatus.CANCELLED, finished_at__isnull=True, started_at__isnull=False).exclude(
        Exists(unfinished)
    ).update(finished_at=now)
    return sent


# --- claiming and sending -----------------------------------------------------------------


def deliveries_claim(*, limit: int, now: datetime | None = None, lease: timedelta = LEASE) -> list[int]:
    """Claim up to `limit` due deliveries for this worker: SENDING rows whose lease has run
    out first (a stopped worker's), then PENDING and RETRY rows whose time has come."""
    now = now or timezone.now()
    with transaction.atomic():
        # Two queries, each served by the (status, next_attempt_at) index without sorting
        # the whole outbox; SKIP LOCKED leaves rows another worker is claiming to it.
        expired = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_until__lt=now)
        ids = list(expired.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        if len(ids) < limit:
            due = Delivery.objects.filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY], next_attempt_at__lte=now
            )
            ids += list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[: limit - len(ids)])
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.SENDING, claimed_until=now + lease, attempts=F("attempts") + 1
            )
    return ids


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    retry: int = 0
    failed: int = 0
    released: int = 0
    messages: set[int] = field(default_factory=set)

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.retry + self.failed


def _still_wanted(delivery: Delivery, subscriber: Subscriber) -> bool:
    if subscriber.status != SubscriberStatus.ACTIVE:
        return False
    if delivery.channel == DeliveryChannel.EMAIL:
        return subscriber.wants_email and bool(subscriber.email)
    return subscriber.wants_sms and bool(subscriber.phone)


def _record(delivery: Delivery, **values: object) -> None:
    """Commit one outcome at once (autocommit): the resend window stays one message wide.
    Only a row still SENDING is written, so a cancel or a callback is never overwritten."""
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(claimed_until=None, **values)


def _record_sent(delivery: Delivery, *, at: datetime, reference: str) -> None:
    """`_record` for the common case, as one prepared statement: the ORM's query building
    costs as much as the database's work here, once per email."""
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, provider_reference = %s, error = '', "  # noqa: S608 - name from _meta
            "claimed_until = NULL WHERE id = %s AND status = %s",
            [
                DeliveryStatus.SENT,
                connection.ops.adapt_datetimefield_value(at),
                reference[:100],
                delivery.pk,
                DeliveryStatus.SENDING,
            ],
        )


class Sender:
    """What one worker keeps between batches: providers, rate limits and rendered messages."""

    def __init__(
        self,
        *,
        email: EmailProvider | None = None,
        sms: SmsProvider | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.email = email if email is not None else email_provider()
        self.sms = sms if sms is not None else sms_provider()
        self.email_rate = RateLimiter(settings.MESSAGING_EMAIL_RATE)
        self.sms_rate = RateLimiter(settings.MESSAGING_SMS_RATE)
        self.should_stop = should_stop
        self.renderers: dict[int, Renderer] = {}

    def _renderer(self, message: Message) -> Renderer:
        renderer = self.renderers.get(message.pk)
        if renderer is None:
            if len(self.renderers) > 100:
                self.renderers.clear()
            renderer = Renderer(message, access.messaging_settings(message.force_id))
            self.renderers[message.pk] = renderer
        return renderer

    def _prepare(self, delivery: Delivery) -> Callable[[], str]:
        """Render one delivery (here, with the database at hand) and return the send itself,
        which touches no database and may run on the sending thread."""
        subscriber = delivery.subscriber
        renderer = self._renderer(delivery.message)
        if delivery.channel == DeliveryChannel.EMAIL:
            outgoing = renderer.email(delivery, subscriber)

            def send_email() -> str:
                self.email_rate.wait()
                return self.email.send_email(email=outgoing)

            return send_email
        text = renderer.sms(delivery, subscriber)
        phone, reference = subscriber.phone, str(delivery.pk)

        def send_sms() -> str:
            self.sms_rate.wait()
            return self.sms.send_sms(phone=phone, body=text, reference=reference)

        return send_sms

    def _outcome(self, delivery: Delivery, sending: Future[str], result: BatchResult) -> None:
        now = timezone.now()
        try:
            reference = sending.result()
        except SendFailure as failure:
            if failure.permanent or delivery.attempts >= MAX_ATTEMPTS:
                _record(delivery, status=DeliveryStatus.FAILED, failed_at=now, error=str(failure)[:300])
                result.failed += 1
            else:
                _record(
                    delivery,
                    status=DeliveryStatus.RETRY,
                    next_attempt_at=now + backoff(delivery.attempts),
                    error=str(failure)[:300],
                )
                result.retry += 1
            return
        _record_sent(delivery, at=now, reference=reference)
        result.sent += 1

    def send_batch(self, ids: Sequence[int], *, lease: timedelta = LEASE) -> BatchResult:
        """Send a claimed batch. One thread talks to the provider while this one renders the
        next message; each outcome is committed before the next message is handed over, so
        at most one message is ever accepted by the provider and not yet recorded."""
        result = BatchResult()
        deadline = time.monotonic() + 0.8 * lease.total_seconds()
        rows = list(
            Delivery.objects.filter(pk__in=list(ids), status=DeliveryStatus.SENDING)
            .select_related("subscriber", "message", "message__survey")
            .order_by("channel", "pk")
        )
        _async_commits()
        in_flight: tuple[Delivery, Future[str]] | None = None
        with self.email, self.sms, ThreadPoolExecutor(max_workers=1, thread_name_prefix="messaging-send") as pool:
            for index, delivery in enumerate(rows):
                if self.should_stop() or time.monotonic() > deadline:
                    if in_flight is not None:
                        self._outcome(*in_flight, result)
                        in_flight = None
                    result.released += _release(rows[index:])
                    break
                result.messages.add(delivery.message_id)
                if not _still_wanted(delivery, delivery.subscriber):
                    _record(delivery, status=DeliveryStatus.SKIPPED, error="unsubscribed or erased before sending")
                    result.skipped += 1
                    continue
                send = self._prepare(delivery)
                if in_flight is not None:
                    self._outcome(*in_flight, result)
                in_flight = (delivery, pool.submit(send))
            if in_flight is not None:
                self._outcome(*in_flight, result)
        return result


def _release(rows: Sequence[Delivery]) -> int:
    """Give back claimed rows not yet sent (stopping, or the lease nearly over)."""
    ids = [row.pk for row in rows]
    return Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING,
        claimed_until=None,
        next_attempt_at=timezone.now(),
        attempts=F("attempts") - 1,
    )


def _async_commits() -> None:
    """See the module's docstring: a killed worker loses nothing, a crashed server might lose
    the last moment's outcomes, which are then resent like any unrecorded send."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


def send_due(
    *, sender: Sender, limit: int | None = None, now: datetime | None = None, lease: timedelta = LEASE
) -> BatchResult:
    """Claim one batch and send it. An empty result means nothing was due."""
    ids = deliveries_claim(limit=limit or settings.MESSAGING_BATCH_SIZE, now=now, lease=lease)
    if not ids:
        return BatchResult()
    result = sender.send_batch(ids, lease=lease)
    messages_finish()
    return result


def outbox_busy(*, now: datetime | None = None) -> bool:
    """Whether anything is due now or being sent (by this or another worker)."""
    now = now or timezone.now()
    due = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY], next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING
    )
    return Delivery.objects.filter(due).exists() or bool(due_messages(now))


# --- the weekly digest --------------------------------------------------------------------


def week_start(moment: datetime) -> date:
    local = timezone.localtime(moment).date()
    return local - timedelta(days=local.weekday())


def digest_due(moment: datetime) -> bool:
    local = timezone.localtime(moment)
    return local.weekday() == DIGEST_WEEKDAY and local.hour >= DIGEST_HOUR


def digests_send(*, now: datetime | None = None, provider: EmailProvider | None = None) -> int:
    """Send each weekly-digest subscriber one email bundling their held deliveries.

    Each subscriber gets at most one digest a week (`Digest` is unique per week). The digest
    row and its deliveries are linked and committed before sending, and marked sent after, so
    a digest interrupted by a crash is found again, with the same Message-ID, on the next run.
    Returns the digests sent.
    """
    now = now or timezone.now()
    week = week_start(now)
    provider = provider if provider is not None else email_provider()
    subscriber_ids = list(
        Delivery.objects.filter(status=DeliveryStatus.HELD, channel=DeliveryChannel.EMAIL, created_at__lte=now)
        .values_list("subscriber_id", flat=True)
        .distinct()
    )
    sent = 0
    with provider:
        for subscriber_id in subscriber_ids:
            sent += _digest_one(subscriber_id, week=week, now=now, provider=provider)
    return sent


def _digest_one(subscriber_id: int, *, week: date, now: datetime, provider: EmailProvider) -> int:
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
        held = Delivery.objects.filter(
            subscriber=subscriber, status=DeliveryStatus.HELD, channel=DeliveryChannel.EMAIL, created_at__lte=now
        )
        if subscriber.status != SubscriberStatus.ACTIVE or not subscriber.wants_email or not subscriber.email:
            held.update(status=DeliveryStatus.SKIPPED, error="unsubscribed or erased before the digest")
            return 0
        digest, _created = Digest.objects.get_or_create(subscriber=subscriber, week_start=week)
        if digest.status == DeliveryStatus.SENT:
            return 0  # this week's is gone; what arrived since waits for next week's
        held.filter(Q(digest__isnull=True) | Q(digest=digest)).update(digest=digest)
    deliveries = list(
        Delivery.objects.filter(digest=digest, status=DeliveryStatus.HELD)
        .select_related("message", "message__survey")
        .order_by("message__started_at", "pk")
    )
    if not deliveries:
        return 0
    force_settings = access.messaging_settings(subscriber.force_id)
    outgoing = digest_email(
        digest_pk=digest.pk, subscriber=subscriber, deliveries=deliveries, force_settings=force_settings
    )
    try:
        reference = provider.send_email(email=outgoing)
    except SendFailure as failure:
        if failure.permanent:
            with transaction.atomic():
                Delivery.objects.filter(digest=digest, status=DeliveryStatus.HELD).update(
                    status=DeliveryStatus.FAILED, failed_at=now, error=str(failure)[:300]
                )
                Digest.objects.filter(pk=digest.pk).update(status=DeliveryStatus.FAILED)
        else:
            logger.warning("digest %s not sent, will retry: %s", digest.pk, failure)
        return 0
    with transaction.atomic():
        Delivery.objects.filter(digest=digest, status=DeliveryStatus.HELD).update(
            status=DeliveryStatus.SENT, sent_at=now, provider_reference=reference[:100], attempts=F("attempts") + 1
        )
        Digest.objects.filter(pk=digest.pk).update(status=DeliveryStatus.SENT, sent_at=now)
        Subscriber.objects.filter(pk=subscriber.pk).update(last_digest_at=now)
    return 1
