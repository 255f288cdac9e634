"""Shared by the subscriber tests: a real SMTP server on loopback, postcodes for the test
force, and helpers to sign someone up and read the link out of what they were sent.

(Named test_*.py so it sits with the files it serves; it holds no tests itself.)
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from beatbook.messaging.models import Interest
from beatbook.surveys.models import Postcode


@dataclass
class Mailbox:
    """What the SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",)) if hasattr(message, "get_body") else None
    payload = (part or message).get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def link_in(text: str, name: str) -> str:
    """The path (and query) of the first link in `text` whose path contains /stay-informed/<name>/."""
    found = re.search(r"https?://\S+/stay-informed/" + re.escape(name) + r"/\S+", text)
    assert found, f"no {name} link in:\n{text}"
    parts = urlsplit(found.group(0))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 (random port); Django's SMTP backend points at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            SITE_URL="http://testserver",
        ):
            yield mailbox
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The sign-up rate limit counts in the cache; each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(name="postcodes")
def postcodes_fixture(area_tree: Any) -> dict[str, Any]:
    """Two postcodes in neighbourhood A and B of the test force, and one elsewhere."""
    rows = {
        "AB1 1AA": area_tree.lsoas["E01900001"],
        "AB2 2BB": area_tree.lsoas["E01900004"],
    }
    for code, lsoa in rows.items():
        Postcode.objects.create(postcode=code, lsoa_code=lsoa.code, lsoa=lsoa)
    Postcode.objects.create(postcode="ZZ9 9ZZ", lsoa_code="E01999999", lsoa=None)
    return rows


def interest_ids(*slugs: str) -> list[int]:
    return [Interest.objects.get(force__isnull=True, slug=slug).pk for slug in slugs]


def signup_post(**overrides: Any) -> dict[str, Any]:
    """The fields of a good sign-up form (neighbourhood from the postcode)."""
    data: dict[str, Any] = {
        "email": "Resident@Example.org",
        "phone": "",
        "postcode": "ab1 1aa",
        "interests": [str(pk) for pk in interest_ids("burglary", "events")],
        "language": "en",
        "email_format": "html",
        "frequency": "immediate",
        "consent": "yes",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
