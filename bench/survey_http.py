"""Public "Your Views" submissions through the real HTTP stack: the production server, Django,
PostgreSQL.

    .venv/bin/python bench/survey_http.py                          # 20,000 submissions, Granian
    .venv/bin/python bench/survey_http.py --server granian,gunicorn --submissions 6000
    .venv/bin/python bench/survey_http.py --submissions 5000 --follow
    .venv/bin/python bench/survey_http.py --in-process 2000       # CPU a submission, no server
    .venv/bin/python bench/survey_http.py --in-process 2000 --profile 30

Creates a fresh PostgreSQL database (`--database`, dropped first), migrates it, builds a
synthetic force (6 NPAs, 60 neighbourhoods, 600 LSOAs, a postcode each), a survey from the
standard template with a wave open today, and invitations for half the submissions. Starts the
server as `deploy/` runs it (`--server`: Granian through `deploy/granian_server.py`, or gunicorn
with `deploy/gunicorn.conf.py`; several, comma-separated, run one after the other, each on a
fresh database) with production settings (DEBUG=false, a random SECRET_KEY, ALLOWED_HOSTS,
collected static files, persistent database connections, one trusted proxy hop; no HTTPS
redirect, since this is loopback) and sends the submissions from `--clients` separate
processes, each holding `--connections` keep-alive connections. Each connection fetches the
form once for its CSRF cookie and token, then posts. Database settings such as
DB_SERVER_SIDE_BINDING and DB_PREPARE_THRESHOLD are passed on from the environment.

Every submission is unique: its free-text concern carries its number. Half come with their
own invitation token; the other half are anonymous; every three submissions share an
X-Forwarded-For address (under the rate limit), as behind a load balancer. One in a hundred
fills the honeypot, so exactly that many must come back flagged (kept, not lost). Afterwards
the database must hold exactly N responses, each number once, every number the client saw
succeed and nothing the client saw fail; each sent invitation used once, by its submission.

Prints submissions a second (from the moment every connection is ready to the last answer),
latency percentiles, and the CPU a submission of the server's processes, of the PostgreSQL
backends serving the bench's database and of the load client (all on this machine's cores),
and the verification.

`--in-process N` skips the server: it sends the first N submissions through Django's test
client (whole middleware stack, CSRF enforced, the same settings) in this one process and
prints the CPU a submission and the queries each made, which a loaded machine disturbs far
less than throughput; `--profile K` adds a cProfile (CPU clock) of them, top K functions.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import platform
import re
import secrets
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

SLUG = "benchshire-your-views"
CONFIDENCE_KEYS = ("understand-issues", "feel-safe", "kept-informed", "good-job", "trust-police")
SCALE = ("strongly-agree", "agree", "neither", "disagree", "strongly-disagree", "dont-know")
AGE_BANDS = ("16-24", "25-44", "45-59", "60-74", "75-plus", "prefer-not-to-say")
LANGUAGES = ("en-gb", "en-gb", "en-gb", "en-gb", "cy", "ur", "pl", "pa", "gu")
CONCERN_PREFIX = "bench submission "
HONEYPOT_EVERY = 100
PER_ADDRESS = 3
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Submission:
    number: int
    body: str
    address: str
    language: str
    honeypot: bool
    token: str


def server_env(
    *, database_url: str, port: int, workers: int | None, threads: int, secret: str, static_root: str
) -> dict[str, str]:
    """Production settings for gunicorn and Beatbook, on loopback."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="beatbook.settings",
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secret,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DB_CONN_MAX_AGE="600",
        TRUSTED_PROXY_COUNT="1",
        STATIC_ROOT=static_root,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_BIND=f"127.0.0.1:{port}",
        GUNICORN_THREADS=str(threads),
        WEB_THREADS=str(threads),
        GUNICORN_KEEPALIVE="30",
        LOG_LEVEL="WARNING",
    )
    # Without a number, each server's own default (deploy/): Granian one worker a core,
    # gunicorn two.
    env.pop("WEB_CONCURRENCY", None)
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def build_survey(submissions: int, seed: int) -> tuple[list[Submission], int]:
    """The force, survey, open wave and invitations; the submissions to send. Returns them
    and the survey's id."""
    import random

    from django.utils import timezone

    from beatbook.areas.models import Area, Level
    from beatbook.surveys import services
    from beatbook.surveys.models import Postcode

    rng = random.Random(seed)
    force = Area.objects.create(level=Level.FORCE, code="BENCHSHIRE", name="Benchshire Police")
    npas = Area.objects.bulk_create(
        Area(level=Level.NPA, code=f"BNPA-{k}", name=f"Benchshire {k}", parent=force, force=force) for k in range(6)
    )
    neighbourhoods = Area.objects.bulk_create(
        Area(level=Level.NEIGHBOURHOOD, code=f"BNB-{i:02d}", name=f"Neighbourhood {i:02d}", parent=npa, force=force)
        for k, npa in enumerate(npas)
        for i in range(k * 10, k * 10 + 10)
    )
    lsoas = Area.objects.bulk_create(
        Area(level=Level.LSOA, code=f"E0199{j:04d}", name=f"{nb.name} {j % 10:03d}A", parent=nb, force=force)
        for i, nb in enumerate(neighbourhoods)
        for j in range(i * 10, i * 10 + 10)
    )
    postcodes = [f"BN{1 + j // 100} {j % 10}{chr(65 + j // 10 % 10)}{chr(65 + j % 26)}" for j in range(len(lsoas))]
    Postcode.objects.bulk_create(
        Postcode(postcode=code, lsoa_code=lsoa.code, lsoa=lsoa) for code, lsoa in zip(postcodes, lsoas, strict=True)
    )
    survey = services.survey_create_from_template(actor=None, force=force, name="Your Views", slug=SLUG)
    today = timezone.localdate()
    wave = services.wave_create(
        actor=None,
        survey=survey,
        code="bench",
        name="Bench",
        opens_on=today,
        closes_on=today.replace(year=today.year + 1),
    )
    invited = submissions // 2
    tokens: list[str] = []
    while len(tokens) < invited:
        count = min(services.INVITATION_LIMIT, invited - len(tokens))
        tokens += services.invitations_create(actor=None, survey=survey, wave=wave, count=count)

    items: list[Submission] = []
    for number in range(submissions):
        fields: list[tuple[str, str]] = [(key, rng.choice(SCALE)) for key in CONFIDENCE_KEYS]
        fields.append(("main-concern", f"{CONCERN_PREFIX}{number}"))
        fields.append(("age-band", rng.choice(AGE_BANDS)))
        if rng.random() < 0.5:
            fields.append(("postcode", postcodes[rng.randrange(len(postcodes))]))
        else:
            fields.append(("lsoa", str(lsoas[rng.randrange(len(lsoas))].pk)))
        honeypot = number % HONEYPOT_EVERY == HONEYPOT_EVERY - 1
        fields.append(("website", "http://spam.example/" if honeypot else ""))
        token = tokens[number // 2] if number % 2 == 0 and number // 2 < len(tokens) else ""
        if token:
            fields.append(("t", token))
        sender = number // PER_ADDRESS
        address = f"10.{sender // 65536 % 256}.{sender // 256 % 256}.{sender % 256}"
        items.append(
            Submission(
                number=number,
                body=urllib.parse.urlencode(fields),
                address=address,
                language=LANGUAGES[number % len(LANGUAGES)],
                honeypot=honeypot,
                token=token,
            )
        )
    return items, survey.pk


# --- the load client (separate processes) ---------------------------------------------------
#
# The client shares the two cores with the server and PostgreSQL, so it is kept lean: each
# process runs one thread that drives its connections from an epoll loop over raw keep-alive
# sockets, every request is encoded before the clock starts, and of each answer only the status
# line, Content-Length (or the chunked end) and Location are read. Every answer's status and
# Location are still checked.


def fetch_form(port: int) -> tuple[str, str]:
    """The CSRF cookie and the form's token, as a browser gets them on its first visit."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", f"/your-views/{SLUG}/", headers={"X-Forwarded-For": "192.0.2.1"})
    page = connection.getresponse()
    html = page.read().decode()
    connection.close()
    cookie = next(
        (
            value.split(";")[0]
            for name, value in page.getheaders()
            if name.lower() == "set-cookie" and "csrftoken" in value
        ),
        "",
    )
    match = CSRF_INPUT.search(html)
    if page.status != 200 or not cookie or match is None:
        raise RuntimeError(f"the form did not load: HTTP {page.status}, {html[:200]!r}")
    return cookie, match.group(1)


def encode_post(port: int, item: Submission, cookie: str, csrf: str) -> bytes:
    body = f"csrfmiddlewaretoken={csrf}&{item.body}".encode()
    head = (
        f"POST /your-views/{SLUG}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"Cookie: {cookie}\r\nX-Forwarded-For: {item.address}\r\nAccept-Language: {item.language}\r\n\r\n"
    )
    return head.encode() + body


def encode_get(port: int, path: str, cookie: str, language: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nAccept-Language: {language}\r\n\r\n"
    ).encode()


def parse_answer(buffer: bytearray) -> tuple[int, str, int] | None:
    """(status, Location, bytes used) of the first complete answer in `buffer`, None while it
    is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).decode("latin-1")
    lowered = head.lower()
    status = int(head[9:12])
    location = ""
    at = lowered.find("\r\nlocation:")
    if at >= 0:
        stop = head.find("\r\n", at + 2)
        location = head[at + 11 : stop if stop >= 0 else len(head)].strip()
    at = lowered.find("\r\ncontent-length:")
    if at >= 0:
        stop = head.find("\r\n", at + 2)
        used = end + 4 + int(head[at + 17 : stop if stop >= 0 else len(head)])
        return (status, location, used) if len(buffer) >= used else None
    if "\r\ntransfer-encoding: chunked" in lowered:
        last = buffer.find(b"\r\n0\r\n\r\n", end)
        return (status, location, last + 7) if last >= 0 else None
    return status, location, end + 4


@dataclass
class _Connection:
    requests: list[tuple[int, bytes, str]]  # (number, request, language)
    socket: socket.socket
    buffer: bytearray
    cookie: str
    began: float = 0.0
    following: bool = False
    next: int = 0


def client_process(
    port: int, items: list[Submission], connections: int, follow: bool, ready: Any, start: Any
) -> tuple[list[tuple[int, int, float]], float]:
    """Send `items` over `connections` keep-alive connections (one thread, an epoll loop).
    `ready` is waited on once this process holds every connection's token, then `start`."""
    thanks = f"/your-views/{SLUG}/thanks/"
    states: list[_Connection] = []
    try:
        for k in range(connections):
            cookie, csrf = fetch_form(port)
            requests = [
                (item.number, encode_post(port, item, cookie, csrf), item.language) for item in items[k::connections]
            ]
            if requests:
                states.append(_Connection(requests=requests, socket=_connect(port), buffer=bytearray(), cookie=cookie))
    except BaseException:
        ready.abort()  # the bench stops with this error rather than waiting for this client
        raise
    ready.wait(timeout=300)
    start.wait(300)
    cpu = time.process_time()  # the sending only: fetching the forms and encoding came before
    out: list[tuple[int, int, float]] = []
    selector = selectors.DefaultSelector()
    for state in states:
        state.began = time.perf_counter()
        state.socket.sendall(state.requests[0][1])
        selector.register(state.socket, selectors.EVENT_READ, state)
    pending = len(states)
    while pending:
        for key, _events in selector.select():
            state = key.data
            number, _request, language = state.requests[state.next]
            try:
                chunk = state.socket.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:  # the server closed the connection: this submission failed
                selector.unregister(state.socket)
                state.socket.close()
                out.append((number, -1, time.perf_counter() - state.began))
                state.following, state.buffer = False, bytearray()
                state.next += 1
                if state.next == len(state.requests):
                    pending -= 1
                    continue
                state.socket = _connect(port)
                selector.register(state.socket, selectors.EVENT_READ, state)
                state.began = time.perf_counter()
                state.socket.sendall(state.requests[state.next][1])
                continue
            state.buffer += chunk
            answer = parse_answer(state.buffer)
            if answer is None:
                continue
            status, location, used = answer
            del state.buffer[:used]
            if state.following:
                status = 302 if status == 200 else status
            elif status == 302 and location != thanks and not location.endswith(thanks):
                status = -302
            elif status == 302 and follow:
                state.following = True
                state.socket.sendall(encode_get(port, thanks, state.cookie, language))
                continue
            out.append((number, status, time.perf_counter() - state.began))
            state.following = False
            state.next += 1
            if state.next == len(state.requests):
                selector.unregister(state.socket)
                state.socket.close()
                pending -= 1
                continue
            state.began = time.perf_counter()
            state.socket.sendall(state.requests[state.next][1])
    selector.close()
    return out, time.process_time() - cpu


def _connect(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


# --- the server -----------------------------------------------------------------------------


def process_tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its children (from /proc)."""
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except OSError:
            continue
    return total


SERVERS = ("granian", "gunicorn")


def start_server(env: dict[str, str], server: str = "granian") -> subprocess.Popen[bytes]:
    """The production server as `deploy/` runs it: Granian (`deploy/granian_server.py`) or
    gunicorn (`deploy/gunicorn.conf.py`)."""
    if server == "gunicorn":
        command = [str(Path(sys.executable).with_name("gunicorn")), "-c", str(PROJECT / "deploy" / "gunicorn.conf.py")]
        command.append("beatbook.wsgi")
    elif server == "granian":
        command = [sys.executable, str(PROJECT / "deploy" / "granian_server.py")]
    else:
        raise ValueError(f"unknown server {server!r}: expected one of {', '.join(SERVERS)}")
    return subprocess.Popen(command, cwd=PROJECT, env=env)


def database_backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving `database` (from /proc: the
    bench runs on the database's machine)."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        pids = [row[0] for row in connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])]
    return {pid: process_tree_cpu(pid) for pid in pids}


def wait_until_serving(port: int, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped with code {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/your-views/about/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer within a minute")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def verify(items: list[Submission], results: list[tuple[int, int, float]], survey_id: int) -> list[str]:
    """What the database holds against what was sent; returns the failures (none: passed)."""
    from django.db.models.fields.json import KT

    from beatbook.surveys.models import Invitation, Response, ResponseStatus

    failures: list[str] = []
    succeeded = {number for number, status, _ in results if status == 302}
    failed = {number: status for number, status, _ in results if status != 302}
    responses = Response.objects.filter(survey_id=survey_id)
    rows = list(
        responses.annotate(concern=KT("answers__main-concern")).values_list("pk", "concern", "status", "flag_reason")
    )
    numbers = [int(concern.removeprefix(CONCERN_PREFIX)) for _pk, concern, _s, _r in rows]
    stored = set(numbers)
    duplicated = len(numbers) - len(stored)
    expected_flagged = {item.number for item in items if item.honeypot}
    flagged = {int(c.removeprefix(CONCERN_PREFIX)) for _pk, c, s, _r in rows if s == ResponseStatus.FLAGGED}
    reasons = {reason for _pk, _c, status, reason in rows if status == ResponseStatus.FLAGGED}
    print(
        f"verification: sent {len(items):,}, client saw {len(succeeded):,} succeed and {len(failed):,} fail "
        f"{sorted(set(failed.values()))[:5] if failed else ''}; database holds {len(rows):,} responses, "
        f"{len(stored):,} distinct submissions, {duplicated} duplicated"
    )
    lost = succeeded - stored
    unexpected = stored - succeeded
    print(
        f"  lost (client saw success, not stored): {len(lost)}; stored though the client saw a failure: "
        f"{len(unexpected)}; flagged {len(flagged):,} (expected {len(expected_flagged):,} honeypots, "
        f"reasons {sorted(reasons) or '-'}), counted {len(rows) - len(flagged):,}"
    )
    if len(rows) != len(items):
        failures.append(f"{len(rows)} responses stored, {len(items)} sent")
    if duplicated:
        failures.append(f"{duplicated} duplicated")
    if lost or unexpected or failed:
        failures.append(f"{len(lost)} lost, {len(unexpected)} unexpected, {len(failed)} failed")
    if flagged != expected_flagged or reasons - {"honeypot"}:
        failures.append("flagged responses are not exactly the honeypot submissions")
    by_token = {item.token: item.number for item in items if item.token}
    from beatbook.surveys.protection import token_hash

    expected_links = {token_hash(token): number for token, number in by_token.items()}
    concern_of = {pk: concern for pk, concern, _s, _r in rows}
    links = {
        hashed: concern_of.get(response_id)
        for hashed, response_id in Invitation.objects.filter(survey_id=survey_id, used_at__isnull=False).values_list(
            "token_hash", "response_id"
        )
    }
    wrong = sum(1 for hashed, number in expected_links.items() if links.get(hashed) != f"{CONCERN_PREFIX}{number}")
    unhashed = responses.filter(address_hash="").count()
    print(
        f"  invitations: {len(by_token):,} sent, {len(links):,} used, {wrong} not linked to their own submission; "
        f"responses without the sender's address hash: {unhashed}"
    )
    if unhashed:
        failures.append(f"{unhashed} responses lost their sender's address")
    if wrong or len(links) != len(by_token):
        failures.append(f"{wrong} invitations not used by their own submission")
    return failures


def in_process(items: list[Submission], survey_id: int, profile: int) -> list[str]:
    """Send `items` through Django's test client in this process; print the CPU a submission
    and the queries per submission; return the verification's failures."""
    import cProfile
    import pstats
    from collections import Counter

    from django.db import connection
    from django.test import Client

    path = f"/your-views/{SLUG}/"
    client = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")
    page = client.get(path, headers={"X-Forwarded-For": "192.0.2.1"})
    match = CSRF_INPUT.search(page.content.decode())
    if page.status_code != 200 or match is None:
        raise SystemExit(f"the form did not load: HTTP {page.status_code}")
    csrf = match.group(1)
    queries: Counter[int] = Counter()
    current: list[int] = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        current[0] += 1
        return execute(sql, params, many, context)

    def send(item: Submission) -> int:
        response = client.post(
            path,
            data=f"csrfmiddlewaretoken={csrf}&{item.body}",
            content_type="application/x-www-form-urlencoded",
            headers={"X-Forwarded-For": item.address, "Accept-Language": item.language},
        )
        ok = response.status_code == 302 and response["Location"].endswith("/thanks/")
        return 302 if ok else response.status_code

    # A first submission warms the per-process caches, as a worker's first request would.
    results: list[tuple[int, int, float]] = []
    began = time.perf_counter()
    results.append((items[0].number, send(items[0]), time.perf_counter() - began))
    profiler = cProfile.Profile(time.process_time) if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(count):
        if profiler is not None:
            profiler.enable()
        for item in items[1:]:
            current[0] = 0
            began = time.perf_counter()
            results.append((item.number, send(item), time.perf_counter() - began))
            queries[current[0]] += 1
        if profiler is not None:
            profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    sent = len(items) - 1
    print(
        f"in process: {sent:,} submissions, CPU {cpu * 1000 / sent:.2f} ms a submission "
        f"(wall {wall * 1000 / sent:.2f} ms), queries a submission {dict(sorted(queries.items()))}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if profiler is not None:
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(profile)
        stats.sort_stats("tottime").print_stats(profile)
    return verify(items, results, survey_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=20_000)
    parser.add_argument("--database", default="bench_s3", help="PostgreSQL database to (re)create")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--server",
        default=SERVERS[0],
        help=f"comma-separated, each run in turn on a fresh database: {', '.join(SERVERS)} (default %(default)s)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="server worker processes (default: the server's own, see deploy/)"
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="threads per worker (deploy/granian_server.py defaults to 2)"
    )
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=12, help="keep-alive connections per client process")
    parser.add_argument("--follow", action="store_true", help="also fetch the thanks page, as a browser would")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--in-process", type=int, default=0, metavar="N", help="N submissions in process, no server")
    parser.add_argument("--profile", type=int, default=0, metavar="K", help="with --in-process: top K of a profile")
    args = parser.parse_args(argv)
    servers = [name.strip() for name in args.server.split(",") if name.strip()]
    unknown = sorted(set(servers) - set(SERVERS))
    if unknown or not servers:
        parser.error(f"--server: unknown {', '.join(unknown) or 'nothing'}; expected {', '.join(SERVERS)}")

    secret = secrets.token_urlsafe(50)
    static_root = str(Path(tempfile.gettempdir()) / "beatbook-bench-static")
    env = server_env(
        database_url=f"postgres://postgres@127.0.0.1:5432/{args.database}",
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        secret=secret,
        static_root=static_root,
    )
    os.environ.update({key: env[key] for key in env if key not in ("GUNICORN_BIND", "WEB_BIND")})
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    import django

    django.setup()
    if args.in_process:
        items, survey_id = prepare(args.database, args.in_process, args.seed, static_root)
        failures = in_process(items, survey_id, args.profile)
        print("verification passed" if not failures else f"verification FAILED: {'; '.join(failures)}")
        return 1 if failures else 0
    failed = 0
    for server in servers:
        failed += run_over_http(server, args, env, static_root)
    return 1 if failed else 0


def prepare(database: str, submissions: int, seed: int, static_root: str) -> tuple[list[Submission], int]:
    """A fresh database, migrated, with the force, survey and invitations."""
    from django.core.management import call_command
    from django.db import connections

    began = time.perf_counter()
    connections.close_all()
    create_database(database)
    call_command("migrate", verbosity=0)
    if not (Path(static_root) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    items, survey_id = build_survey(submissions, seed)
    print(
        f"setup: fresh database {database}, migrated, survey and {submissions // 2:,} invitations "
        f"in {time.perf_counter() - began:.1f} s"
    )
    return items, survey_id


def run_over_http(server_name: str, args: argparse.Namespace, env: dict[str, str], static_root: str) -> int:
    """One run through `server_name`; returns 1 when the verification fails."""
    from django.db import connections

    items, survey_id = prepare(args.database, args.submissions, args.seed, static_root)
    connections.close_all()
    server = start_server(env, server_name)
    try:
        wait_until_serving(args.port, server)
        context = multiprocessing.get_context("fork")
        manager = context.Manager()
        ready = manager.Barrier(args.clients + 1)
        start = manager.Event()
        with context.Pool(args.clients) as pool:
            parts = [
                pool.apply_async(
                    client_process, (args.port, items[k :: args.clients], args.connections, args.follow, ready, start)
                )
                for k in range(args.clients)
            ]
            try:
                ready.wait(timeout=300)
            except threading.BrokenBarrierError:
                for part in parts:
                    part.get(timeout=60)  # raises the client's own error
                raise
            load_before = os.getloadavg()[0]
            database_cpu = database_backends_cpu(args.database)
            server_cpu = process_tree_cpu(server.pid)
            load_began = time.perf_counter()
            start.set()
            outputs = [part.get() for part in parts]
            elapsed = time.perf_counter() - load_began
            server_cpu = process_tree_cpu(server.pid) - server_cpu
            database_after = database_backends_cpu(args.database)
            database_used = sum(cpu - database_cpu.get(pid, 0.0) for pid, cpu in database_after.items())
        manager.shutdown()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    results = [row for rows, _cpu in outputs for row in rows]
    client_cpu = sum(cpu for _rows, cpu in outputs)
    latencies = [seconds * 1000 for _n, status, seconds in results if status == 302] or [0.0]
    done = len(results)
    print(
        f"server: {server_name}, {env.get('WEB_CONCURRENCY', 'default')} workers x {args.threads} threads, "
        f"PostgreSQL{' (server-side binding, prepared statements)' if os.environ.get('DB_PREPARE_THRESHOLD', '0') != '0' else ''}; "
        f"client: {args.clients} processes x {args.connections} keep-alive connections"
        + (", each submission followed by the thanks page" if args.follow else "")
    )
    print(
        f"throughput: {done / elapsed:,.0f} submissions/s ({done:,} in {elapsed:.1f} s); "
        f"latency ms p50 {statistics.median(latencies):.1f}, p95 {percentile(latencies, 0.95):.1f}, "
        f"p99 {percentile(latencies, 0.99):.1f}, max {max(latencies):.1f}"
    )
    print(
        f"CPU a submission: server ({server_name} processes) {server_cpu / done * 1000:.2f} ms, "
        f"PostgreSQL backends {database_used / done * 1000:.2f} ms, load client {client_cpu / done * 1000:.2f} ms "
        f"(total {(server_cpu + database_used + client_cpu) / elapsed:.2f} cores); "
        f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    failures = verify(items, results, survey_id)
    print("verification passed" if not failures else f"verification FAILED: {'; '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
