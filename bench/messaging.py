"""Community messaging at scale: one million subscribers.

    .venv/bin/python bench/messaging.py                          # SQLite and PostgreSQL
    .venv/bin/python bench/messaging.py --databases sqlite --subscribers 200000 --emails 2000
    .venv/bin/python bench/messaging.py --databases sqlite --subscribers 20000 --profile /tmp/send.prof

What it does, for each database, in a child process with its own Django set-up (DATABASE_URL:
a SQLite file in a temporary folder, or a PostgreSQL database `bench_m5` created and dropped
here; nothing is written to the repository):

1. Builds "Benchshire Police": 6 policing areas (NPAs) of 10 neighbourhoods, and N subscribers
   (default 1,000,000), seeded: each linked to one neighbourhood (10 % to a second), 92 % with
   email, 20 % with a mobile number, 8 % in one of five other languages, 10 % on the weekly
   digest, 3 % unsubscribed, and 0-3 of the ten default interests. Rows are written directly
   (PostgreSQL `COPY`, SQLite `executemany`) with the `SubscriberArea` copies the services keep,
   then the tables are analysed.
2. Audience counts (`audience.audience_count`): one NPA with one interest (a targeted alert),
   three neighbourhoods in Welsh or Polish, and the whole force by email: first run, then the
   median of --repeat runs. Goal (issue 6): under 1 s for a targeted message.
3. Creating deliveries (`delivery.message_start`, one INSERT … SELECT per channel) for a message
   to six neighbourhoods by email, about 100,000 people. Goal: under 10 s.
4. Sending: --emails of those deliveries (default 5,000) go through the worker's path (claim a
   batch, check the subscriber, render, send over one SMTP connection, commit each outcome) to a
   local aiosmtpd server running in its own process; a bare `smtplib` loop sends the same emails
   (rendered beforehand, one connection) in the same run, before and after. Prints the ratio of
   rates (worker / bare loop). Goal: at least 0.8.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import random
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.children import run_database_child  # noqa: E402

PG_DATABASE = "bench_m5"
AUDIENCE_TARGET_SECONDS = 1.0
DELIVERIES_TARGET_SECONDS = 10.0
RATIO_TARGET = 0.8
OTHER_LANGUAGES = ["cy", "pl", "ur", "pa", "gu"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- child: everything inside one Django set-up ---------------------------------------------


def build_force() -> tuple[Any, list[Any], list[Any], Any]:
    from beatbook.accounts.models import Role, User
    from beatbook.areas.models import Area, Level

    force = Area.objects.create(level=Level.FORCE, code="BENCHSHIRE", name="Benchshire Police")
    npas, neighbourhoods = [], []
    for n in range(6):
        npa = Area.objects.create(level=Level.NPA, code=f"B-NPA-{n}", name=f"NPA {n}", parent=force, force=force)
        npas.append(npa)
        for m in range(10):
            neighbourhoods.append(
                Area.objects.create(
                    level=Level.NEIGHBOURHOOD, code=f"B-{n}-{m}", name=f"Patch {n}.{m}", parent=npa, force=force
                )
            )
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN, area=force, first_name="Bea", last_name="Ench")
    return force, npas, neighbourhoods, admin


def load_subscribers(count: int, force: Any, neighbourhoods: list[Any], seed: int) -> dict[str, int]:
    from django.db import connection
    from django.utils import timezone

    from beatbook.messaging.models import Interest, Subscriber, SubscriberArea, SubscriberInterest

    rng = random.Random(seed)
    interests = list(Interest.objects.filter(force=None).values_list("pk", flat=True))
    now = timezone.now()
    subscriber_rows: list[tuple[Any, ...]] = []
    area_rows: list[tuple[Any, ...]] = []
    interest_rows: list[tuple[Any, ...]] = []
    for n in range(1, count + 1):
        email = f"person{n}@example.org" if rng.random() < 0.92 else ""
        phone = f"+4477{n:08d}" if (rng.random() < 0.2 or not email) else ""
        language = rng.choice(OTHER_LANGUAGES) if rng.random() < 0.08 else "en"
        status = "unsubscribed" if rng.random() < 0.03 else "active"
        frequency = "weekly" if rng.random() < 0.10 else "immediate"
        subscriber_rows.append(
            (
                n,
                force.pk,
                email,
                phone,
                bool(email),
                bool(phone),
                "",
                language,
                "html",
                frequency,
                status,
                "web",
                uuid.uuid4().hex,
                now,
            )
        )
        home = rng.randrange(len(neighbourhoods))
        areas = {home}
        if rng.random() < 0.10:
            areas.add(rng.randrange(len(neighbourhoods)))
        for index in areas:
            area_rows.append((n, neighbourhoods[index].pk, status == "active", bool(email), bool(phone), language))
        for interest in rng.sample(interests, rng.randrange(4)):
            interest_rows.append((n, interest))
    tables: list[tuple[str, str, list[tuple[Any, ...]]]] = [
        (
            Subscriber._meta.db_table,
            "id, force_id, email, phone, wants_email, wants_sms, postcode, language, email_format, frequency, "
            "status, source, link_key, created_at",
            subscriber_rows,
        ),
        (
            SubscriberArea._meta.db_table,
            "subscriber_id, area_id, active, wants_email, wants_sms, language",
            area_rows,
        ),
        (SubscriberInterest._meta.db_table, "subscriber_id, interest_id", interest_rows),
    ]
    with connection.cursor() as cursor:
        for table, columns, rows in tables:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns.split(",")))
                for start in range(0, len(rows), 50_000):
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - our own names
                        rows[start : start + 50_000],
                    )
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Subscriber._meta.db_table}', 'id'), {count})")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    return {"subscribers": len(subscriber_rows), "area_links": len(area_rows), "interest_links": len(interest_rows)}


def timed(function: Any, repeat: int) -> dict[str, Any]:
    start = time.perf_counter()
    value = function()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return {"first_seconds": first, "median_seconds": statistics.median(times), "value": value}


def smtp_sink(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the aiosmtpd server did not start")


def bare_loop(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    """Seconds a plain smtplib loop takes to send these (already rendered) emails."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for sender, recipient, data in messages:
            connection.sendmail(sender, [recipient], data)
    return time.perf_counter() - start


def child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings as django_settings
    from django.core.mail import EmailMultiAlternatives
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from beatbook.messaging import access, audience, delivery, message_services
    from beatbook.messaging.models import Delivery, DeliveryStatus, Interest, MessageStatus, Subscriber
    from beatbook.messaging.rendering import Renderer

    call_command("migrate", verbosity=0)
    result: dict[str, Any] = {"vendor": connection.vendor}
    force, npas, neighbourhoods, admin = build_force()
    start = time.perf_counter()
    result |= load_subscribers(args.subscribers, force, neighbourhoods, args.seed)
    result["load_seconds"] = time.perf_counter() - start

    burglary = Interest.objects.get(force=None, slug="burglary").pk
    cases = {
        "one NPA, one interest, email and text": {
            "area_ids": [npas[0].pk],
            "interest_ids": [burglary],
            "languages": [],
            "channels": ["email", "sms"],
        },
        "three neighbourhoods, Welsh or Polish": {
            "area_ids": [n.pk for n in neighbourhoods[10:13]],
            "interest_ids": [],
            "languages": ["cy", "pl"],
            "channels": ["email"],
        },
        "the whole force, email": {"area_ids": [force.pk], "interest_ids": [], "languages": [], "channels": ["email"]},
    }
    result["audience"] = {}
    for label, case in cases.items():
        run = timed(lambda case=case: audience.audience_count(force=force, **case), args.repeat)
        run["value"] = run["value"].__dict__
        result["audience"][label] = run

    # About 100,000 people: six of the sixty neighbourhoods, by email.
    data = message_services.MessageData(
        kind="alert",
        subject="Catalytic converter thefts",
        body="Converters were stolen from cars on three streets this week.\n\n"
        "Advice on marking yours: https://example.org/converters",
        sms_body="",
        area_ids=[n.pk for n in neighbourhoods[:6]],
        interest_ids=[],
        languages=[],
        channels=["email"],
    )
    message = message_services.message_create(actor=admin, data=data)
    message_services.message_submit(actor=admin, message=message, send_at=None)
    start = time.perf_counter()
    made = delivery.message_start(message_id=message.pk)
    result["deliveries"] = {"made": made, "seconds": time.perf_counter() - start}
    held = Delivery.objects.filter(message=message, status=DeliveryStatus.HELD).count()
    result["deliveries"]["held_for_digest"] = held

    # Sending: keep the first N pending rows, cancel the rest (bench only).
    pending = list(
        Delivery.objects.filter(message=message, status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    keep = pending[: args.emails]
    Delivery.objects.filter(message=message, status=DeliveryStatus.PENDING).exclude(pk__in=keep).update(
        status=DeliveryStatus.CANCELLED
    )
    port = free_port()
    server = smtp_sink(port)
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            MESSAGING_EMAIL_PROVIDER="smtp",
            MESSAGING_EMAIL_RATE=0,
        ):
            # The same emails, rendered beforehand for the bare loop (not timed).
            renderer = Renderer(message, access.messaging_settings(force.pk))
            rows = list(Delivery.objects.filter(pk__in=keep).select_related("subscriber").order_by("pk"))
            prepared = []
            for row in rows:
                outgoing = renderer.email(row, row.subscriber)
                email = EmailMultiAlternatives(
                    subject=outgoing.subject,
                    body=outgoing.text,
                    to=[outgoing.to],
                    headers={
                        "Message-ID": outgoing.message_id,
                        "List-Unsubscribe": f"<{outgoing.unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                )
                if outgoing.html is not None:
                    email.attach_alternative(outgoing.html, "text/html")
                prepared.append((email.from_email, outgoing.to, email.message().as_bytes(linesep="\r\n")))
            bare_before = bare_loop(port, prepared)
            sender = delivery.Sender()
            profiler = cProfile.Profile() if args.profile else None
            start = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            sent = 0
            while True:
                batch = delivery.send_due(sender=sender)
                if not batch.handled:
                    break
                sent += batch.sent
            worker_seconds = time.perf_counter() - start
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(f"{args.profile}.{connection.vendor}")
            bare_after = bare_loop(port, prepared)
    finally:
        server.terminate()
        server.wait(timeout=10)
    bare = (bare_before + bare_after) / 2
    message.refresh_from_db()
    result["sending"] = {
        "emails": len(prepared),
        "sent": sent,
        "worker_seconds": worker_seconds,
        "bare_seconds_before": bare_before,
        "bare_seconds_after": bare_after,
        "worker_per_second": sent / worker_seconds,
        "bare_per_second": len(prepared) / bare,
        "ratio": (sent / worker_seconds) / (len(prepared) / bare),
        "message_status": message.status,
        "batch_size": django_settings.MESSAGING_BATCH_SIZE,
    }
    assert message.status == MessageStatus.SENT, message.status
    assert Subscriber.objects.count() == args.subscribers
    return result


# --- parent ---------------------------------------------------------------------------------


def run_child(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    arguments = [
        f"--subscribers={args.subscribers}",
        f"--emails={args.emails}",
        f"--repeat={args.repeat}",
        f"--seed={args.seed}",
    ]
    if args.profile:
        arguments.append(f"--profile={args.profile}")
    return run_database_child(
        kind=kind,
        script=__file__,
        arguments=arguments,
        workdir=workdir,
        postgres_url=args.postgres_url,
        database=PG_DATABASE,
    )


def report(results: dict[str, dict[str, Any]]) -> None:
    print()
    print("| database | case | people (email, text) | first s | median s | goal |")
    print("|---|---|---|---|---|---|")
    for kind, result in results.items():
        for label, run in result["audience"].items():
            value = run["value"]
            goal = "met" if run["median_seconds"] < AUDIENCE_TARGET_SECONDS else "NOT met"
            print(
                f"| {kind} | audience: {label} | {value['people']:,} ({value['email']:,}, {value['sms']:,}) | "
                f"{run['first_seconds']:.3f} | **{run['median_seconds']:.3f}** | < 1 s {goal} |"
            )
    print()
    for kind, result in results.items():
        made = result["deliveries"]
        goal = "met" if made["seconds"] < DELIVERIES_TARGET_SECONDS else "NOT met"
        print(
            f"{kind}: {result['subscribers']:,} subscribers ({result['area_links']:,} area links, "
            f"{result['interest_links']:,} interest links) loaded in {result['load_seconds']:.0f} s"
        )
        print(
            f"{kind}: {made['made']:,} deliveries ({made['held_for_digest']:,} held for the digest) created in "
            f"{made['seconds']:.2f} s; goal < 10 s {goal}"
        )
        sending = result["sending"]
        verdict = "met" if sending["ratio"] >= RATIO_TARGET else "NOT met"
        print(
            f"{kind}: sending {sending['emails']:,} emails: worker path {sending['worker_per_second']:.0f}/s "
            f"({sending['worker_seconds']:.1f} s), bare smtplib loop {sending['bare_per_second']:.0f}/s "
            f"({sending['bare_seconds_before']:.1f} s before, {sending['bare_seconds_after']:.1f} s after); "
            f"ratio {sending['ratio']:.2f} (goal >= {RATIO_TARGET}: {verdict})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--emails", type=int, default=5_000, help="emails sent by each path in the sending test")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after the first (the median is reported)")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--profile", default="", help="cProfile the worker's sending to PROFILE.<vendor> (pstats; slows it down)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args)))
        return 0

    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="beatbook-bench-messaging-"))
    try:
        results = {}
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            print(f"running {kind}...", flush=True)
            results[kind] = run_child(kind, args, workdir)
            print(json.dumps(results[kind]), flush=True)
        report(results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
