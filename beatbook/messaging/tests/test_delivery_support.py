"""Shared by the delivery, provider and worker tests: a real SMTP server (aiosmtpd) and a local
HTTP server that checks requests as GOV.UK Notify's API does, both on loopback; subscribers
written in bulk with their `SubscriberArea` copies; a scheduled message.

(Named test_*.py so it sits with the files it serves; it holds no tests itself.)
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from aiosmtpd.controller import Controller
from django.test import override_settings

from beatbook.messaging import message_services
from beatbook.messaging.models import (
    Frequency,
    Message,
    Subscriber,
    SubscriberArea,
    SubscriberInterest,
    SubscriberStatus,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- SMTP ---------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the SMTP server received, and which recipients it refuses (code by address)."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, *, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    def message_ids_by_recipient(self) -> dict[str, Counter[str]]:
        found: dict[str, Counter[str]] = {}
        with self.lock:
            for message in self.messages:
                found.setdefault(message["X-Envelope-To"], Counter())[message["Message-ID"]] += 1
        return found


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def running_smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it (for a fixture)."""
    with (
        SmtpServer() as server,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=server.port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            MESSAGING_EMAIL_PROVIDER="smtp",
            MESSAGING_SMS_PROVIDER="log",
        ),
    ):
        yield server


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert part is not None
    text: str = part.get_content()
    return text


def html_of(message: EmailMessage) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            html: str = part.get_content()  # type: ignore[attr-defined]
            return html
    return None


# --- GOV.UK Notify ------------------------------------------------------------------------

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"beatbook_test-{SERVICE_ID}-{SECRET}"
EMAIL_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
SMS_TEMPLATE = "4fb4f8a3-7b6f-4b6a-9a48-1a8a7ec3f6d5"


@dataclass
class NotifyRequest:
    path: str
    body: dict[str, Any]
    status: int


class NotifyApi:
    """Answers as GOV.UK Notify's API does (v2 notifications): checks the JWT bearer token
    (HS256, signed with the key's secret, `iss` = the service id, `iat` within 30 seconds),
    the JSON body's shape and template id, and answers 201 with Notify's response, or Notify's
    error shape. Addresses and numbers choose failures: one containing "bounce" gets a 400,
    "busy" a 500, "limit" a 429."""

    def __init__(self) -> None:
        self.requests: list[NotifyRequest] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> NotifyApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[NotifyRequest]:
        return [r for r in self.requests if r.status == 201]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _answer(self, status: int, payload: dict[str, Any], body: dict[str, Any]) -> None:
                api.requests.append(NotifyRequest(path=self.path, body=body, status=status))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, error: str, message: str, body: dict[str, Any]) -> None:
                self._answer(status, {"status_code": status, "errors": [{"error": error, "message": message}]}, body)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._error(400, "BadRequestError", "Invalid JSON", {})
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer "):
                    return self._error(401, "AuthError", "Unauthorized: authentication token must be provided", body)
                try:
                    claims = jwt.decode(auth[7:], SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
                except jwt.PyJWTError as error:
                    return self._error(403, "AuthError", f"Invalid token: {error}", body)
                if claims["iss"] != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
                    return self._error(403, "AuthError", "Invalid token: service not found or token expired", body)
                if self.headers.get("Content-Type") != "application/json":
                    return self._error(400, "BadRequestError", "Content-Type must be application/json", body)
                if self.path == "/v2/notifications/email":
                    recipient, template, required = body.get("email_address"), EMAIL_TEMPLATE, "email_address"
                elif self.path == "/v2/notifications/sms":
                    recipient, template, required = body.get("phone_number"), SMS_TEMPLATE, "phone_number"
                else:
                    return self._error(404, "NotFound", "Not found", body)
                if not isinstance(recipient, str) or not recipient:
                    return self._error(400, "ValidationError", f"{required} is a required property", body)
                if body.get("template_id") != template:
                    return self._error(400, "BadRequestError", "Template not found", body)
                personalisation = body.get("personalisation")
                if not isinstance(personalisation, dict) or not all(
                    isinstance(v, str) for v in personalisation.values()
                ):
                    return self._error(400, "BadRequestError", "Missing personalisation", body)
                if "bounce" in recipient:
                    return self._error(400, "BadRequestError", "Not a valid email address or phone number", body)
                if "busy" in recipient:
                    return self._error(500, "Exception", "Internal server error", body)
                if "limit" in recipient:
                    return self._error(429, "RateLimitError", "Exceeded rate limit for key type LIVE", body)
                notification_id = str(uuid.uuid4())
                content: dict[str, Any] = {"body": personalisation.get("body", "")}
                if self.path.endswith("email"):
                    content |= {"subject": personalisation.get("subject", ""), "from_email": "beatbook@notify.test"}
                else:
                    content |= {"from_number": "Beatbook"}
                return self._answer(
                    201,
                    {
                        "id": notification_id,
                        "reference": body.get("reference"),
                        "content": content,
                        "uri": f"{api.base_url}/v2/notifications/{notification_id}",
                        "template": {"id": template, "version": 1, "uri": f"{api.base_url}/v2/template/{template}"},
                        "scheduled_for": None,
                    },
                    body,
                )

        return Handler


def running_notify_api() -> Iterator[NotifyApi]:
    """The Notify stand-in, with the settings pointing the client at it (for a fixture)."""
    with (
        NotifyApi() as api,
        override_settings(
            NOTIFY_API_KEY=API_KEY,
            NOTIFY_BASE_URL=api.base_url,
            NOTIFY_EMAIL_TEMPLATE_ID=EMAIL_TEMPLATE,
            NOTIFY_SMS_TEMPLATE_ID=SMS_TEMPLATE,
            MESSAGING_EMAIL_PROVIDER="notify",
            MESSAGING_SMS_PROVIDER="notify",
        ),
    ):
        yield api


# --- subscribers and messages -------------------------------------------------------------


def make_subscribers(
    force: Any,
    area: Any,
    count: int,
    *,
    prefix: str = "person",
    email: bool = True,
    sms: bool = False,
    language: str = "en",
    frequency: str = Frequency.IMMEDIATE,
    status: str = SubscriberStatus.ACTIVE,
    interest_ids: Sequence[int] = (),
    extra_areas: Sequence[Any] = (),
) -> list[Subscriber]:
    """Subscribers written in bulk, with the `SubscriberArea` copies the services keep."""
    start = Subscriber.objects.count()
    people = Subscriber.objects.bulk_create(
        Subscriber(
            force=force,
            email=f"{prefix}{start + n}@example.org" if email else "",
            phone=f"+4477009{start + n:05d}" if sms else "",
            wants_email=email,
            wants_sms=sms,
            language=language,
            frequency=frequency,
            status=status,
            link_key=uuid.uuid4().hex,
        )
        for n in range(count)
    )
    active = status == SubscriberStatus.ACTIVE
    SubscriberArea.objects.bulk_create(
        SubscriberArea(
            subscriber=person, area=linked, active=active, wants_email=email, wants_sms=sms, language=language
        )
        for person in people
        for linked in (area, *extra_areas)
    )
    SubscriberInterest.objects.bulk_create(
        SubscriberInterest(subscriber=person, interest_id=interest) for person in people for interest in interest_ids
    )
    return people


def scheduled_message(
    actor: Any,
    areas: Sequence[Any],
    *,
    channels: Sequence[str] = ("email",),
    subject: str = "Burglaries on Elm Road",
    body: str = "Three sheds were broken into this week.\n\nSee https://example.org/advice for advice.",
    sms_body: str = "Sheds broken into on Elm Road: lock yours.",
    interest_ids: Sequence[int] = (),
    languages: Sequence[str] = (),
    kind: str = "alert",
    survey_id: int | None = None,
) -> Message:
    data = message_services.MessageData(
        kind=kind,
        subject=subject,
        body=body,
        sms_body=sms_body if "sms" in channels else "",
        area_ids=[a.pk for a in areas],
        interest_ids=list(interest_ids),
        languages=list(languages),
        channels=list(channels),
        survey_id=survey_id,
    )
    message = message_services.message_create(actor=actor, data=data)
    return message_services.message_submit(actor=actor, message=message, send_at=None)
