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

**Exactly once: the journal.** State lives in the delivery table, so a worker can be killed
at any moment and another started. The window to close is between the provider accepting a
message and our commit of SENT: a worker killed there leaves the row SENDING, and when its lease
runs out the row would be sent again. Committing after every message kept that window to one
message, at the price of a commit per email. Instead, each batch has an append-only *journal*
file (`Journal`, in MESSAGING_JOURNAL_DIR): the moment the provider accepts an email, the
sending thread appends the delivery id with one `write()` (no fsync: a killed process's
writes are already in the kernel's page cache; only a crash of the machine loses them, the
same risk as the asynchronous commits below). Outcomes are then committed together every
`FLUSH_EVERY` emails or `FLUSH_SECONDS`, and the journal emptied. A worker holds an exclusive
`flock` on its journal for as long as it lives; before claiming anything, and so before it
could take over rows whose lease ran out, every worker replays the journals whose lock it can
take, whose owners died (`journals_replay`): their deliveries are marked SENT and the journal
deleted. The one window left is the microseconds between the server's reply and that
`write()`. Every email also carries a Message-ID derived from the delivery
(`<delivery-{id}.{message}@host>`), the same on any resend, so a mail server or client that
de-duplicates on Message-ID would show it once. GOV.UK Notify has no idempotency key; the
`reference` (the delivery id) lets staff find such a pair in Notify's records.

Journals are per machine: workers on several machines need MESSAGING_JOURNAL_DIR on a local
disk of each, and a worker that dies on one machine is replayed by the next worker started on
that machine (until then, its journaled rows stay SENDING — not resent, just unrecorded — and
any worker elsewhere that takes them over after the lease would resend those). Journals sit
in a folder named after the database, so workers for different databases never mix them.

On PostgreSQL the worker's commits are asynchronous (`synchronous_commit = off`): a killed
worker loses nothing committed, but a crash of the database server itself could lose the last
fraction of a second of outcomes, which are then sent again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import random
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Self

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
from .providers import (
    EmailProvider,
    RateLimiter,
    SendFailure,
    SmsProvider,
    SmtpEmail,
    email_provider,
    sms_provider,
)
from .rendering import Renderer, digest_email

logger = logging.getLogger("beatbook.messaging")

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=2)
# Long enough for a whole batch at the slowest provider rate we expect; a worker stops
# taking messages from its batch at 80% of the lease (see `Sender.send_batch`).
LEASE = timedelta(minutes=10)
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.RETRY, DeliveryStatus.SENDING)
# Outcomes of sent messages are committed together this often (see the module's docstring).
FLUSH_EVERY = 100
FLUSH_SECONDS = 0.5
# What sending reads of a delivery and its subscriber (`_load`).
SENDING_FIELDS = (
    "message_id",
    "subscriber",
    "channel",
    "attempts",
    "status",
    "subscriber__status",
    "subscriber__email",
    "subscriber__phone",
    "subscriber__wants_email",
    "subscriber__wants_sms",
    "subscriber__language",
    "subscriber__email_format",
    "subscriber__link_key",
    "subscriber__force_id",
)
# Messages rendered and queued for the sending thread ahead of the one on the wire.
AHEAD = 4
SWITCH_INTERVAL = 0.00005
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


# --- the journal --------------------------------------------------------------------------


def journal_dir() -> Path:
    """This database's journal folder (see the module's docstring)."""
    base = Path(settings.MESSAGING_JOURNAL_DIR)
    db = connection.settings_dict
    identity = f"{connection.vendor}|{db.get('HOST') or ''}|{db.get('PORT') or ''}|{db['NAME']}"
    if connection.vendor == "sqlite" and str(db["NAME"]).startswith(("file:memorydb", ":memory:")):
        identity += f"|{os.getpid()}"  # an in-memory database is this process's alone
    folder = Path(base) / hashlib.sha256(identity.encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Journal:
    """This worker's record of messages the provider accepted and the database does not yet
    know were sent. Locked for as long as it is open; deleted on a clean close."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or journal_dir()
        self.path, self.fd = self._create()

    def _create(self) -> tuple[Path, int]:
        while True:
            path = self.folder / f"{os.getpid()}-{uuid.uuid4().hex}.journal"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            # A replayer may have locked and deleted the empty file before we locked it.
            try:
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    return path, fd
            except FileNotFoundError:
                pass
            os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # After an error, outcomes may be journaled and not committed: leave the file to be
        # replayed (by this worker's next claim, or any other's).
        self.close(keep=exc_type is not None)

    def sent(self, delivery_id: int, reference: str) -> None:
        """One `write()`: complete in the page cache however the process ends next."""
        line = f"{delivery_id} {time.time():.6f} {'_'.join(reference.split()) or '-'}\n"
        os.write(self.fd, line.encode())

    def clear(self) -> None:
        """After the outcomes are committed, nothing in the journal is needed."""
        os.ftruncate(self.fd, 0)

    def close(self, *, keep: bool = False) -> None:
        if self.fd < 0:
            return
        if not keep:
            self.path.unlink(missing_ok=True)
        os.close(self.fd)  # after the unlink: unlocking is the last step
        self.fd = -1


def _journal_entries(text: str) -> list[tuple[int, datetime, str]]:
    entries = []
    for line in text.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0].isdigit():
            try:
                at = datetime.fromtimestamp(float(parts[1]), tz=UTC)
            except ValueError:
                continue
            entries.append((int(parts[0]), at, parts[2]))
    return entries


def journals_replay(folder: Path | None = None) -> int:
    """Record as SENT what dead workers' journals list; delete those journals. Returns the
    deliveries marked. Runs before every claim, so no row is taken over before its journal
    has been read (see the module's docstring)."""
    folder = folder or journal_dir()
    marked = 0
    for path in folder.glob("*.journal"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its worker is alive
            with os.fdopen(os.dup(fd), encoding="utf-8", errors="replace") as file:
                entries = _journal_entries(file.read())
            if entries:
                marked += _mark_sent(entries)
                logger.warning("replayed %s: %s deliveries recorded as sent", path.name, len(entries))
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return marked


def _mark_sent(entries: Sequence[tuple[int, datetime, str]]) -> int:
    """Commit SENT for rows still SENDING, in one transaction: a cancel or a provider's
    callback that got there first is never overwritten."""
    table = Delivery._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        [DeliveryStatus.SENT, adapt(at), reference[:100], pk, DeliveryStatus.SENDING] for pk, at, reference in entries
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, sent_at = %s, provider_reference = %s, error = '', "  # noqa: S608 - name from _meta
            "claimed_until = NULL WHERE id = %s AND status = %s",
            rows,
        )
        changed: int = cursor.rowcount
    return max(changed, 0)


# --- claiming and sending -----------------------------------------------------------------


def deliveries_claim(*, limit: int, now: datetime | None = None, lease: timedelta = LEASE) -> list[int]:
    """Claim up to `limit` due deliveries for this worker: SENDING rows whose lease has run
    out first (a stopped worker's), then PENDING and RETRY rows whose time has come. Dead
    workers' journals are replayed first, so what they sent is not taken over."""
    now = now or timezone.now()
    journals_replay()
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

    def _prepare(self, delivery: Delivery, journal: Journal) -> Callable[[], str]:
        """Render one delivery (here, with the database at hand) and return the send itself,
        which touches no database, runs on the sending thread and journals what was accepted."""
        subscriber = delivery.subscriber
        renderer = self._renderer(delivery.message)
        pk = delivery.pk
        if delivery.channel == DeliveryChannel.EMAIL:
            outgoing = renderer.email(delivery, subscriber)
            if isinstance(self.email, SmtpEmail):
                outgoing = self.email.prepare(outgoing)

            def send_email() -> str:
                self.email_rate.wait()
                reference = self.email.send_email(email=outgoing)
                journal.sent(pk, reference)
                return reference

            return send_email
        text = renderer.sms(delivery, subscriber)
        phone, reference = subscriber.phone, str(pk)

        def send_sms() -> str:
            self.sms_rate.wait()
            provider_reference = self.sms.send_sms(phone=phone, body=text, reference=reference)
            journal.sent(pk, provider_reference)
            return provider_reference

        return send_sms

    def _outcome(
        self, delivery: Delivery, sending: Future[str], result: BatchResult, sent: list[tuple[int, datetime, str]]
    ) -> None:
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
        sent.append((delivery.pk, now, reference))
        result.sent += 1

    def send_batch(self, ids: Sequence[int], *, lease: timedelta = LEASE) -> BatchResult:
        """Send a claimed batch. One thread talks to the provider while this one renders the
        messages after it (up to `AHEAD`) and commits outcomes in groups; the journal covers
        what was accepted and not yet committed (see the module's docstring)."""
        result = BatchResult()
        deadline = time.monotonic() + 0.8 * lease.total_seconds()
        rows = _load(ids)
        _async_commits()
        # The sending thread waits on the SMTP server several times per email; with Python's
        # default 5 ms switch interval each wake-up could wait that long for this thread to
        # yield the interpreter while it renders. Handing over sooner keeps the wire busy.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        in_flight: deque[tuple[Delivery, Future[str]]] = deque()
        sent: list[tuple[int, datetime, str]] = []
        flushed_at = time.monotonic()
        # Exits run in reverse: the sending thread finishes before the journal closes.
        with (
            Journal() as journal,
            self.email,
            self.sms,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="messaging-send") as pool,
        ):

            def flush() -> None:
                nonlocal flushed_at
                if sent:
                    _mark_sent(sent)
                    journal.clear()
                    sent.clear()
                flushed_at = time.monotonic()

            for index, delivery in enumerate(rows):
                if self.should_stop() or time.monotonic() > deadline:
                    unsent = list(rows[index:])
                    for queued, sending in in_flight:
                        if sending.cancel():
                            unsent.append(queued)
                        else:
                            self._outcome(queued, sending, result, sent)
                    in_flight.clear()
                    flush()
                    result.released += _release(unsent)
                    break
                result.messages.add(delivery.message_id)
                if not _still_wanted(delivery, delivery.subscriber):
                    _record(delivery, status=DeliveryStatus.SKIPPED, error="unsubscribed or erased before sending")
                    result.skipped += 1
                    continue
                in_flight.append((delivery, pool.submit(self._prepare(delivery, journal))))
                while in_flight and (len(in_flight) > AHEAD or in_flight[0][1].done()):
                    self._outcome(*in_flight.popleft(), result, sent)
                if len(sent) >= FLUSH_EVERY or (sent and time.monotonic() - flushed_at > FLUSH_SECONDS):
                    flush()
            while in_flight:
                self._outcome(*in_flight.popleft(), result, sent)
            flush()
        sys.setswitchinterval(switch_interval)
        return result


def _load(ids: Sequence[int]) -> list[Delivery]:
    """A batch's rows with only the subscriber fields sending reads (one query), and each
    message once (a second): building model instances is most of the cost of loading."""
    rows = list(
        Delivery.objects.filter(pk__in=list(ids), status=DeliveryStatus.SENDING)
        .select_related("subscriber")
        .only(*SENDING_FIELDS)
        .order_by("channel", "pk")
    )
    messages = Message.objects.select_related("survey").in_bulk({row.message_id for row in rows})
    for row in rows:
        row.message = messages[row.message_id]
    return rows


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
