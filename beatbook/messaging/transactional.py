"""The messages a sign-up sends: the confirmation link (double opt-in) and "you are already
subscribed"; and those of a change of address: the link to the new address and the notice
to the old one. By email (Django's email backend: SMTP in production) and by text (the SMS
provider of `providers`), in the subscriber's language.

They are called by `subscriber_services` through `transaction.on_commit`, so nothing is sent
for a sign-up that was rolled back. A failure is logged, not raised: the page has already
told the person to look for the message, and signing up again sends another.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import links
from .models import DeliveryChannel, Subscriber

logger = logging.getLogger("beatbook.messaging")
EVIDENCE_SALT = "beatbook.messaging.confirm-evidence"


def confirmation_link(subscriber: Subscriber, *, wording_id: int, via: str, sent_at: dt.datetime) -> str:
    """The confirm link, carrying (signed) which wording was agreed to and how and when the link
    was sent, so the consent recorded on confirmation says so."""
    evidence = signing.dumps({"w": wording_id, "via": via, "at": sent_at.isoformat()}, salt=EVIDENCE_SALT)
    return f"{links.confirm_url(subscriber)}?{urlencode({'e': evidence})}"


def read_confirmation_evidence(text: str) -> dict[str, Any]:
    """What `confirmation_link` signed, or {} for a missing or altered value."""
    try:
        value = signing.loads(text, salt=EVIDENCE_SALT, max_age=links.CONFIRM_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return {}
    if not isinstance(value, dict):
        return {}
    try:
        value["at"] = dt.datetime.fromisoformat(str(value.get("at")))
    except ValueError:
        value["at"] = None
    return value


def _send_email(subscriber: Subscriber, template: str, context: dict[str, Any], *, to: str = "") -> None:
    subject = " ".join(render_to_string(f"messaging/email/{template}_subject.txt", context).split())
    body = render_to_string(f"messaging/email/{template}_body.txt", context)
    recipient = to or subscriber.email
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[recipient]).send()


def _send_text(subscriber: Subscriber, template: str, context: dict[str, Any], reference: str, *, to: str = "") -> None:
    from .providers import sms_provider

    body = " ".join(render_to_string(f"messaging/email/{template}_sms.txt", context).split())
    with sms_provider() as provider:
        provider.send_sms(phone=to or subscriber.phone, body=body, reference=reference)


def _each_channel(subscriber: Subscriber, channels: Sequence[str], send: Any) -> None:
    for channel in channels:
        if channel == DeliveryChannel.EMAIL and not subscriber.email:
            continue
        if channel == DeliveryChannel.SMS and not subscriber.phone:
            continue
        try:
            send(channel)
        except Exception:
            logger.exception("could not send a sign-up message to subscriber %s by %s", subscriber.pk, channel)


def _context(subscriber: Subscriber) -> dict[str, Any]:
    return {"force_name": subscriber.force.name, "site_name": settings.SITE_NAME}


def send_confirmation(*, subscriber_id: int, wording_id: int, channels: Sequence[str]) -> None:
    subscriber = Subscriber.objects.select_related("force").filter(pk=subscriber_id).first()
    if subscriber is None:
        return
    now = timezone.now()

    def send(channel: str) -> None:
        context = {
            **_context(subscriber),
            "confirm_url": confirmation_link(subscriber, wording_id=wording_id, via=channel, sent_at=now),
            "days": links.CONFIRM_MAX_AGE // 86400,
        }
        with translation.override(subscriber.language):
            if channel == DeliveryChannel.EMAIL:
                _send_email(subscriber, "confirm", context)
            else:
                _send_text(subscriber, "confirm", context, reference=f"confirm-{subscriber.pk}")

    _each_channel(subscriber, channels, send)


def send_already_subscribed(*, subscriber_id: int, channels: Sequence[str]) -> None:
    subscriber = Subscriber.objects.select_related("force").filter(pk=subscriber_id).first()
    if subscriber is None:
        return

    def send(channel: str) -> None:
        context = {**_context(subscriber), "manage_url": links.manage_url(subscriber)}
        with translation.override(subscriber.language):
            if channel == DeliveryChannel.EMAIL:
                _send_email(subscriber, "confirm_already", context)
            else:
                _send_text(subscriber, "confirm_already", context, reference=f"already-{subscriber.pk}")

    _each_channel(subscriber, channels, send)


def _send_to(subscriber: Subscriber, channel: str, address: str, template: str, context: dict[str, Any]) -> None:
    """One message to an address that is not (or no longer) the subscriber's own."""
    try:
        with translation.override(subscriber.language):
            if channel == DeliveryChannel.EMAIL:
                _send_email(subscriber, template, context, to=address)
            else:
                _send_text(subscriber, template, context, reference=f"{template}-{subscriber.pk}", to=address)
    except Exception:
        logger.exception("could not send %s to subscriber %s by %s", template, subscriber.pk, channel)


def send_address_confirmation(
    *, subscriber_id: int, channel: str, address: str, previous: str, wording_id: int | None
) -> None:
    """The link that makes `address` the subscriber's address for `channel`, sent to it."""
    subscriber = Subscriber.objects.select_related("force").filter(pk=subscriber_id).first()
    if subscriber is None:
        return
    url = links.address_change_url(
        subscriber, channel=channel, address=address, previous=previous, wording_id=wording_id, sent_at=timezone.now()
    )
    context = {**_context(subscriber), "confirm_url": url, "days": links.CONFIRM_MAX_AGE // 86400}
    _send_to(subscriber, channel, address, "address_confirm", context)


def send_address_changed(*, subscriber_id: int, channel: str, old_address: str, removed: bool) -> None:
    """Tells an address it no longer gets the subscriber's messages, so that a change made by
    someone else holding the preference link does not go unnoticed."""
    subscriber = Subscriber.objects.select_related("force").filter(pk=subscriber_id).first()
    if subscriber is None or not old_address:
        return
    context = {**_context(subscriber), "manage_url": links.manage_url(subscriber), "removed": removed}
    _send_to(subscriber, channel, old_address, "address_changed", context)
