"""Signed links in messages: confirm, manage preferences, unsubscribe, and the per-delivery
click, open and "was this useful?" links.

A subscriber link carries the subscriber's id and their `link_key`; erasure replaces the key,
so every link already sent stops working. None needs a password: holding the link is the proof,
as with a bank's "unsubscribe" link. Confirmation links expire; unsubscribe and preference
links do not, because a message read months later must still let its reader leave (RFC 8058).
Delivery links sign the delivery id (and, for a click, the destination, so the redirect cannot
be pointed elsewhere).

The views behind these names live in `public_urls` (namespace `stay_informed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Subscriber, SubscriberStatus

CONFIRM_MAX_AGE = 7 * 24 * 3600


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


def _salt(purpose: str) -> str:
    return f"beatbook.messaging.{purpose}"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# --- subscriber links ---------------------------------------------------------------------


def subscriber_token(subscriber: Subscriber, purpose: Purpose) -> str:
    return signing.dumps([subscriber.pk, subscriber.link_key], salt=_salt(purpose), compress=True)


def subscriber_from_token(token: str, purpose: Purpose) -> Subscriber | None:
    """The subscriber a link names, or None when the link is forged, expired (confirmation
    only), or belongs to someone since erased."""
    max_age = CONFIRM_MAX_AGE if purpose == Purpose.CONFIRM else None
    try:
        pk, link_key = signing.loads(token, salt=_salt(purpose), max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    subscriber = Subscriber.objects.filter(pk=pk, link_key=link_key).first()
    if subscriber is None or subscriber.status == SubscriberStatus.ERASED:
        return None
    return subscriber


def confirm_url(subscriber: Subscriber) -> str:
    token = subscriber_token(subscriber, Purpose.CONFIRM)
    return absolute(reverse("stay_informed:confirm", kwargs={"token": token}))


def manage_url(subscriber: Subscriber) -> str:
    token = subscriber_token(subscriber, Purpose.MANAGE)
    return absolute(reverse("stay_informed:manage", kwargs={"token": token}))


def unsubscribe_url(subscriber: Subscriber, *, delivery_id: int | None = None) -> str:
    """The one-click unsubscribe link (also the `List-Unsubscribe` header's URL). With a
    delivery id, the unsubscribe is counted against the message that prompted it."""
    token = subscriber_token(subscriber, Purpose.UNSUBSCRIBE)
    url = absolute(reverse("stay_informed:unsubscribe", kwargs={"token": token}))
    if delivery_id is not None:
        url += f"?d={signing.dumps(delivery_id, salt=_salt('delivery'))}"
    return url


# --- delivery links -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClickTarget:
    delivery_id: int
    url: str


def delivery_id_from_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_salt("delivery"))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, int) else None


def click_url(delivery_id: int, target: str) -> str:
    """A link through Beatbook that counts the click and then goes to `target`."""
    token = signing.dumps([delivery_id, target], salt=_salt("click"), compress=True)
    return absolute(reverse("stay_informed:click", kwargs={"token": token}))


def click_target_from_token(token: str) -> ClickTarget | None:
    try:
        delivery_id, url = signing.loads(token, salt=_salt("click"))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(delivery_id, int) or not isinstance(url, str):
        return None
    return ClickTarget(delivery_id=delivery_id, url=url)


def open_url(delivery_id: int) -> str:
    """The tracking image's address; put in emails only when the force turned open tracking on."""
    token = signing.dumps(delivery_id, salt=_salt("delivery"))
    return absolute(reverse("stay_informed:open", kwargs={"token": token}))


def rate_url(delivery_id: int, *, useful: bool) -> str:
    token = signing.dumps(delivery_id, salt=_salt("delivery"))
    return absolute(reverse("stay_informed:rate", kwargs={"token": token, "answer": "yes" if useful else "no"}))


def conversion_token(delivery_id: int) -> str:
    """Added to survey links in survey invitations (`?d=`), so a response can be counted as a
    conversion of the message that asked for it."""
    return signing.dumps(delivery_id, salt=_salt("delivery"))
