"""Kill the worker part-way through 10,000 emails and start it again: everyone targeted gets
exactly one message, nobody unsubscribed or erased gets any, and the counts add up.

The worker runs as a real subprocess (`beatbook messaging-worker`) against a database it shares
with this test: a SQLite file made for the test, or on PostgreSQL the test database itself.
The database work happens in `beatbook shell` subprocesses too (`populate`, `summary` below),
so both databases take the same path. Mail goes to a real SMTP server (aiosmtpd) in this
process, which counts Message-IDs per recipient.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from .test_delivery_support import SmtpServer, make_subscribers, scheduled_message

BEATBOOK = str(Path(sys.executable).parent / "beatbook")
TARGETED = 10_000
KILL_AFTER = 3_000


def populate(count: int) -> dict[str, Any]:
    """Run inside `beatbook shell`: a force, `count` subscribers in one NPA, some who leave
    before the message is started and some who leave after (a race the worker must catch)."""
    from beatbook.accounts.models import Role, User
    from beatbook.areas.models import Area, Level
    from beatbook.messaging import subscriber_services
    from beatbook.messaging.delivery import message_start
    from beatbook.messaging.models import Subscriber, SubscriberArea, SubscriberStatus

    force = Area.objects.create(level=Level.FORCE, code="KILLSHIRE", name="Killshire Police")
    npa = Area.objects.create(level=Level.NPA, code="K-N", name="North", parent=force, force=force)
    nbhds = [
        Area.objects.create(level=Level.NEIGHBOURHOOD, code=f"K-{n}", name=f"Patch {n}", parent=npa, force=force)
        for n in range(2)
    ]
    admin = User.objects.create(username="kill-admin", role=Role.ADMIN, area=force, first_name="Kim")
    people = make_subscribers(force, nbhds[0], count // 2, prefix="k") + make_subscribers(
        force, nbhds[1], count - count // 2, prefix="k"
    )
    excluded = []
    for person in people[:40]:
        excluded.append(person.email)
        subscriber_services.unsubscribe(subscriber=person)
    for person in people[40:80]:
        excluded.append(person.email)
        subscriber_services.subscriber_erase(subscriber=Subscriber.objects.get(pk=person.pk))
    message = scheduled_message(admin, [npa])
    message_start(message_id=message.pk)
    # After the deliveries exist: spread through the list, so some fall after the kill.
    late = people[100::250]
    excluded += [person.email for person in late]
    Subscriber.objects.filter(pk__in=[p.pk for p in late]).update(status=SubscriberStatus.UNSUBSCRIBED)
    SubscriberArea.objects.filter(subscriber__in=[p.pk for p in late]).update(active=False)
    return {
        "message": message.pk,
        "excluded": excluded,
        "targeted": [p.email for p in people if p.email not in excluded],
    }


def summary(message_id: int) -> dict[str, Any]:
    from django.db.models import Count

    from beatbook.messaging.models import Delivery, Message

    message = Message.objects.get(pk=message_id)
    counts = dict(Delivery.objects.filter(message=message).values_list("status").annotate(n=Count("pk")).order_by())
    return {"status": message.status, "finished": message.finished_at is not None, "counts": counts}


def _shell(env: dict[str, str], code: str) -> Any:
    program = f"import json; from beatbook.messaging.tests.test_worker_kill import *; print(json.dumps({code}))"
    done = subprocess.run(
        [BEATBOOK, "shell", "-c", program], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _database_url(tmp_path: Path, env: dict[str, str]) -> str:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        return f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    url = f"sqlite:///{tmp_path / 'kill.sqlite3'}"
    migrated = subprocess.run(
        [BEATBOOK, "migrate", "-v0"],
        env=env | {"DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    return url


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.django_db(transaction=True)
def test_killed_worker_restarted_sends_everyone_exactly_one_message(tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        env = dict(os.environ) | {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "MESSAGING_EMAIL_PROVIDER": "smtp",
            "MESSAGING_EMAIL_RATE": "0",
            "PYTHONUNBUFFERED": "1",
        }
        env["DATABASE_URL"] = _database_url(tmp_path, env)
        made = _shell(env, f"populate({TARGETED})")
        targeted, excluded = set(made["targeted"]), set(made["excluded"])
        assert len(targeted) + len(excluded) == TARGETED

        worker = [BEATBOOK, "messaging-worker", "--lease", "4", "--interval", "0.2"]
        first = subprocess.Popen(worker, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        while len(smtp.mailbox.messages) < KILL_AFTER and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        at_kill = len(smtp.mailbox.messages)
        assert KILL_AFTER <= at_kill < len(targeted), "the worker was not killed part-way"

        second = subprocess.run([*worker, "--once"], env=env, capture_output=True, text=True, timeout=600, check=False)
        assert second.returncode == 0, second.stderr
        smtp.mailbox.wait_for(len(targeted), timeout=30)
        time.sleep(0.5)  # anything still in flight at the server

        by_recipient = smtp.mailbox.message_ids_by_recipient()
        assert set(by_recipient) == targeted
        assert not (set(by_recipient) & excluded)
        assert all(len(ids) == 1 for ids in by_recipient.values()), "someone got two different messages"
        raw_duplicates = sum(sum(ids.values()) - 1 for ids in by_recipient.values())
        # What the killed worker sent and had not committed is in its journal, which the
        # second worker replays before taking over the rows (see delivery.py). Only a kill in
        # the instant between the server storing an email and its reply reaching the worker
        # (before the journal line is written) leaves one to be resent, with the same
        # Message-ID; no client can close that window, SMTP has no idempotency key.
        assert raw_duplicates <= 1

        result = _shell(env, f"summary({made['message']})")
        counts = result["counts"]
        assert result["status"] == "sent" and result["finished"]
        assert counts.get("sent", 0) == len(targeted)
        assert counts.get("sent", 0) + counts.get("skipped", 0) + counts.get("failed", 0) == sum(counts.values())
        assert sum(counts.values()) == TARGETED - 80  # those who left before the start got no row


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.django_db(transaction=True)
def test_sigterm_finishes_the_message_in_hand_and_gives_back_the_rest(tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        env = dict(os.environ) | {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "MESSAGING_EMAIL_PROVIDER": "smtp",
            "PYTHONUNBUFFERED": "1",
        }
        env["DATABASE_URL"] = _database_url(tmp_path, env)
        made = _shell(env, "populate(1000)")
        targeted = set(made["targeted"])

        # A long lease: rows given back on SIGTERM must be sendable at once, not after it.
        worker = [BEATBOOK, "messaging-worker", "--lease", "600", "--interval", "0.2"]
        first = subprocess.Popen(worker, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        while len(smtp.mailbox.messages) < 200 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.01)
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert "Messaging worker stopped" in out
        stopped = _shell(env, f"summary({made['message']})")
        assert "sending" not in stopped["counts"]
        assert 200 <= len(smtp.mailbox.messages) < len(targeted)

        second = subprocess.run([*worker, "--once"], env=env, capture_output=True, text=True, timeout=600, check=False)
        assert second.returncode == 0, second.stderr
        smtp.mailbox.wait_for(len(targeted), timeout=30)
        time.sleep(0.5)
        by_recipient = smtp.mailbox.message_ids_by_recipient()
        assert set(by_recipient) == targeted
        # A graceful stop leaves no window at all: not one duplicate.
        assert all(sum(ids.values()) == 1 for ids in by_recipient.values())
