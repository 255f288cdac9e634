"""Where messages leave Beatbook: one small interface, three providers.

- `SmtpEmail`: Django's email backend (`EMAIL_BACKEND`, SMTP in production; console or file in
  the demo). One connection is opened for a batch and reused for every message in it.
- `NotifyEmail`, `NotifySms`: GOV.UK Notify through `notifications-python-client`, with the
  force's template ids; the template shows `((subject))` and `((body))`.
- `LogSms`: writes the text to the log instead of sending it, for the demo and development.

Each send returns the provider's id for the message (kept as `Delivery.provider_reference`,
which Notify's delivery-status callbacks name) or raises `TemporaryFailure` (try again later:
a timeout, a full mailbox, Notify's 429 or 5xx) or `PermanentFailure` (do not try again: an
address refused outright, a 4xx from Notify).
"""

from __future__ import annotations

import binascii
import dataclasses
import logging
import secrets
import smtplib
import threading
import time
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formataddr, formatdate
from typing import Any, Protocol, Self

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

logger = logging.getLogger("beatbook.messaging")


class SendFailure(Exception):
    permanent = False


class TemporaryFailure(SendFailure):
    """Worth trying again later."""


class PermanentFailure(SendFailure):
    """Trying again would fail the same way."""

    permanent = True


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None
    # Stable per delivery, so a resend after a crash is recognisable (see delivery.py).
    message_id: str
    reference: str
    unsubscribe_url: str
    from_name: str = ""
    reply_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # The SMTP DATA, when built ahead (`SmtpEmail.prepare`), so the sending thread only sends.
    mime: bytes | None = None


class EmailProvider(Protocol):
    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def send_email(self, *, email: OutgoingEmail) -> str: ...


class SmsProvider(Protocol):
    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def send_sms(self, *, phone: str, body: str, reference: str) -> str: ...


class _NoConnection:
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


# --- SMTP ---------------------------------------------------------------------------------


def _smtp_failure(error: Exception) -> SendFailure:
    """An SMTP reply code of 5xx is permanent; 4xx, a dropped connection or a timeout are not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return (PermanentFailure if permanent else TemporaryFailure)(f"recipient refused: {codes}")
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        kind = PermanentFailure if 500 <= error.smtp_code < 600 else TemporaryFailure
        return kind(f"SMTP {error.smtp_code}: {text}"[:300])
    return TemporaryFailure(f"{type(error).__name__}: {error}"[:300])


class SmtpEmail:
    """Django's email backend, one connection per batch."""

    def __init__(self) -> None:
        self.connection: Any = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _open(self) -> Any:
        # Opened here, not left to `send()`: a backend that opens its own connection closes
        # it again after each message.
        if self.connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self.connection = connection
        return self.connection

    def _close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except (OSError, smtplib.SMTPException):
                logger.warning("closing the SMTP connection failed", exc_info=True)
            self.connection = None

    def prepare(self, email: OutgoingEmail) -> OutgoingEmail:
        """The email with its SMTP DATA built now (by the worker's rendering thread)."""
        return dataclasses.replace(email, mime=mime_bytes(email))

    def send_email(self, *, email: OutgoingEmail) -> str:
        try:
            connection = self._open()
            smtp = getattr(connection, "connection", None)
            raw = (email.mime or mime_bytes(email)) if isinstance(smtp, smtplib.SMTP) else None
            if smtp is not None and raw is not None:
                # Django's SMTP backend, open: hand the prepared bytes to its smtplib session.
                smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [email.to], raw)
            elif self._django_message(email, connection).send() != 1:
                raise TemporaryFailure("the email backend did not send the message")
        except (smtplib.SMTPException, OSError) as error:
            # The server may have dropped us; the next message opens a fresh connection.
            self._close()
            raise _smtp_failure(error) from error
        return email.message_id.strip("<>")[:100]

    def _django_message(self, email: OutgoingEmail, connection: Any) -> EmailMultiAlternatives:
        """The same email built by Django, for backends that are not SMTP (console, file,
        memory) and for addresses the fast path does not handle."""
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.text,
            from_email=_from_header(email),
            to=[email.to],
            reply_to=[email.reply_to] if email.reply_to else None,
            headers=_list_headers(email),
            connection=connection,
        )
        if email.html is not None:
            message.attach_alternative(email.html, "text/html")
        return message


def _from_header(email: OutgoingEmail) -> str:
    address = str(settings.DEFAULT_FROM_EMAIL)
    return formataddr((email.from_name, address)) if email.from_name else address


def _list_headers(email: OutgoingEmail) -> dict[str, str]:
    return {
        "Message-ID": email.message_id,
        "List-Unsubscribe": f"<{email.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        **email.headers,
    }


def _header_text(value: str) -> str:
    """A header value: as it is when plain ASCII, else RFC 2047 encoded; never a line break."""
    value = " ".join(value.split())
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def _quoted_printable(text: str) -> bytes:
    lines = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return binascii.b2a_qp(lines, istext=True)


def mime_bytes(email: OutgoingEmail) -> bytes | None:
    """The whole email as SMTP DATA, built directly.

    Building it with Django's `EmailMessage` and Python's `email` generator costs several
    milliseconds a message, as much as the SMTP exchange itself; the structure here is fixed
    (plain text, or plain text and HTML as multipart/alternative, quoted-printable UTF-8), so
    it is written out. Returns None when an address is not plain ASCII (SMTPUTF8), which the
    Django path handles.
    """
    if not (email.to.isascii() and str(settings.DEFAULT_FROM_EMAIL).isascii() and email.reply_to.isascii()):
        return None
    headers = [
        f"From: {_from_header(email)}",
        f"To: {email.to}",
        f"Subject: {_header_text(email.subject)}",
        f"Date: {formatdate(localtime=False)}",
        "MIME-Version: 1.0",
    ]
    if email.reply_to:
        headers.append(f"Reply-To: {email.reply_to}")
    headers += [f"{name}: {_header_text(value)}" for name, value in _list_headers(email).items()]
    text_part = b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    text_part += _quoted_printable(email.text)
    if email.html is None:
        head = "\r\n".join(headers).encode("ascii")
        return head + b"\r\n" + text_part + b"\r\n"
    boundary = f"==beatbook-{email.reference}-{secrets.token_hex(8)}=="
    headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    html_part = b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    html_part += _quoted_printable(email.html)
    mark = f"--{boundary}".encode("ascii")
    return b"".join(
        [
            "\r\n".join(headers).encode("ascii"),
            b"\r\n\r\n",
            mark,
            b"\r\n",
            text_part,
            b"\r\n",
            mark,
            b"\r\n",
            html_part,
            b"\r\n",
            mark,
            b"--\r\n",
        ]
    )


# --- GOV.UK Notify ------------------------------------------------------------------------


def _notify_failure(error: APIError) -> SendFailure:
    """Notify answers 400/403 for a bad request or key (permanent), 429 for its rate limit and
    5xx when it is unwell (temporary). A request that never got an answer counts as 503."""
    status = error.status_code
    text = f"Notify {status}: {error.message}"[:300]
    if status == 429 or status >= 500:
        return TemporaryFailure(text)
    return PermanentFailure(text)


def notify_client() -> NotificationsAPIClient:
    return NotificationsAPIClient(settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=20)


class NotifyEmail(_NoConnection):
    def __init__(self) -> None:
        self.client = notify_client()

    def send_email(self, *, email: OutgoingEmail) -> str:
        try:
            response = self.client.send_email_notification(
                email_address=email.to,
                template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
                personalisation={"subject": email.subject, "body": email.text},
                reference=email.reference,
                one_click_unsubscribe_url=email.unsubscribe_url,
            )
        except APIError as error:
            raise _notify_failure(error) from error
        return str(response["id"])


class NotifySms(_NoConnection):
    def __init__(self) -> None:
        self.client = notify_client()

    def send_sms(self, *, phone: str, body: str, reference: str) -> str:
        try:
            response = self.client.send_sms_notification(
                phone_number=phone,
                template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
                personalisation={"body": body},
                reference=reference,
            )
        except APIError as error:
            raise _notify_failure(error) from error
        return str(response["id"])


class LogSms(_NoConnection):
    """Texts go to the log: for the demo and development, where no SMS service is set up."""

    def send_sms(self, *, phone: str, body: str, reference: str) -> str:
        logger.info("text message %s to %s: %s", reference, phone, body)
        return f"log-{reference}"


def email_provider() -> EmailProvider:
    if settings.MESSAGING_EMAIL_PROVIDER == "notify":
        return NotifyEmail()
    return SmtpEmail()


def sms_provider() -> SmsProvider:
    if settings.MESSAGING_SMS_PROVIDER == "notify":
        return NotifySms()
    return LogSms()


# --- rate limiting ------------------------------------------------------------------------


class RateLimiter:
    """At most `per_second` sends a second from this process (0 = no limit).

    A provider's limit is for the whole service: with N workers, give each 1/N of it.
    """

    def __init__(self, per_second: int) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            # A long idle spell does not bank a burst: at most one send is due at once.
            self.next_at = max(self.next_at, now)
            delay = self.next_at - now
            self.next_at += self.interval
        if delay > 0:
            time.sleep(delay)
