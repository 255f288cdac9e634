"""`beatbook messaging-worker [--once] [--interval S] [--batch-size N] [--digest]`.

Sends community messages: starts scheduled messages when they fall due (creating their
deliveries), claims batches of due deliveries and sends them, and on Monday mornings sends the
weekly digests. Run one or more, kept alive by the service manager; all state is in the
database, so a worker can be stopped (or killed) at any moment and started again. SIGTERM or
Ctrl+C lets it finish the message in hand, give back the rest of its batch and exit.
`--once` works until nothing is due or being sent, and exits (tests, benchmarks, cron).
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from beatbook.messaging import delivery

# How often, at most, the digest check runs while it is digest time.
DIGEST_CHECK_SECONDS = 600


class Command(BaseCommand):
    help = "Sends community messages: due messages, batches of deliveries, the weekly digest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Exit when nothing is left to do now.")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds to wait when idle before looking again (default 2)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help=f"Deliveries claimed at a time (default MESSAGING_BATCH_SIZE, {settings.MESSAGING_BATCH_SIZE}).",
        )
        parser.add_argument("--digest", action="store_true", help="Send the weekly digests now, whatever the day.")
        parser.add_argument(
            "--lease",
            type=float,
            default=delivery.LEASE.total_seconds(),
            help="Seconds a claimed batch stays this worker's before another may take it over (default 600).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        batch_size = options["batch_size"] or settings.MESSAGING_BATCH_SIZE
        lease = timedelta(seconds=options["lease"])
        sender = delivery.Sender(should_stop=lambda: self.stopping)
        totals = delivery.BatchResult()
        digests = 0
        last_digest_check = float("-inf")
        if options["digest"]:
            digests += delivery.digests_send()
        while not self.stopping:
            close_old_connections()
            started = delivery.messages_dispatch_due()
            result = delivery.send_due(sender=sender, limit=batch_size, lease=lease)
            for name in ("sent", "skipped", "retry", "failed", "released"):
                setattr(totals, name, getattr(totals, name) + getattr(result, name))
            if result.handled and options["verbosity"] >= 2:
                self.stdout.write(
                    f"sent {result.sent}, skipped {result.skipped}, retry {result.retry}, failed {result.failed}"
                )
            now = timezone.now()
            if delivery.digest_due(now) and time.monotonic() - last_digest_check > DIGEST_CHECK_SECONDS:
                last_digest_check = time.monotonic()
                digests += delivery.digests_send(now=now)
            if not result.handled and not result.released:
                delivery.messages_finish()
                # Rows another worker holds (or held, until its lease runs out) still count.
                if options["once"] and not started and not delivery.outbox_busy():
                    break
                self._sleep(options["interval"])
        self.stdout.write(
            f"Messaging worker stopped: sent {totals.sent}, skipped {totals.skipped}, "
            f"to retry {totals.retry}, failed {totals.failed}, digests {digests}."
        )

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.2, end - time.monotonic()))
