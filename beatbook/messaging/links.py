"""Signed links in messages: confirm, manage preferences, unsubscribe, and the per-delivery
click, open and "was this useful?" links.

A subscriber link carries the subscriber's id and their `link_key`; erasure replaces the key,
so every link already sent stops working. None needs a password: holding the link is the proof,
as with a bank's "unsubscribe" link. Confirmation links expire; unsubscribe and preference
links do not, because a message read months later must still let its reader leave (RFC 8058).
Delivery links sign the delivery id (and, for a click, which of the message's links it is, so
the redirect cannot be pointed elsewhere).

**Two token formats.** Every email carries six or more of these links, and
`django.core.signing` (JSON, zlib, a key derived per call) cost more per email than the rest
of our work together. So the links in messages are *compact tokens*: a short payload and a
truncated HMAC-SHA256, `<payload>.<mac>`, with one key per purpose derived once from
SECRET_KEY (and each of SECRET_KEY_FALLBACKS, for verifying). The payload is the delivery id
(rate, open, conversion), the delivery id and the link's index in the message body (click:
the view looks the address up in the message, which cannot change once sent), or the
subscriber id (manage, unsubscribe: the subscriber's `link_key` goes into the MAC, not the
token, so erasure still voids every link sent). Sixteen bytes of MAC (128 bits) is far beyond
guessing over HTTP. Confirmation links keep `signing`, for its timestamp (they expire), and
every parser still reads the `signing` form, so links in emails sent before this change, and
`click_url` for an arbitrary address, keep working. `signing` tokens always contain ":",
compact ones never do.

**Address changes.** A change of email address or mobile number made in the preference centre
is confirmed by a link sent to the new address: the subscriber's confirm link plus `?c=`, a
`signing` token (it expires) that carries the new address itself, so nothing waits in the
database for a link that may never be followed. It also carries a keyed fingerprint of the
address being replaced, not the address, so a link made for details since changed is refused
without the old address being written into a URL.

The views behind these names live in `public_urls` (namespace `stay_informed`).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Delivery, DeliveryChannel, Subscriber, SubscriberStatus

CONFIRM_MAX_AGE = 7 * 24 * 3600
MAC_BYTES = 16
# Web addresses in a message body; each becomes a click link (rendering.py), numbered in order
# of first appearance, which is what a compact click token names.
URL_PATTERN = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")


def body_links(body: str) -> list[str]:
    """A message body's distinct web addresses, in order of first appearance."""
    return list(dict.fromkeys(URL_PATTERN.findall(body)))


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


def _salt(purpose: str) -> str:
    return f"beatbook.messaging.{purpose}"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# --- compact tokens -----------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _key(secret: str, purpose: str) -> bytes:
    # Keyed by the secret too, so a changed SECRET_KEY (a rotation, a test's override) is used.
    return hmac.new(secret.encode(), f"beatbook.messaging.links.{purpose}".encode(), hashlib.sha256).digest()


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def compact_token(payload: str, purpose: str, *, secret: str = "") -> str:
    """`<payload>.<mac>`: `payload` is shown, not hidden; it must be URL-safe and hold no ":"."""
    return f"{payload}.{_mac(_key(settings.SECRET_KEY, purpose), payload + secret)}"


def compact_payload(token: str, purpose: str, *, secret: str = "") -> str | None:
    """The payload of a genuine compact token (constant-time check, fallback keys too), else None."""
    payload, dot, mac = token.rpartition(".")
    if not dot or not payload:
        return None
    for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        if hmac.compare_digest(_mac(_key(key, purpose), payload + secret), mac):
            return payload
    return None


def _is_compact(token: str) -> bool:
    return ":" not in token


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 19 else None


def delivery_token(delivery_id: int) -> str:
    """The token of the rate, open and conversion links (one per delivery)."""
    return compact_token(str(delivery_id), "delivery")


def click_token(delivery_id: int, link_index: int) -> str:
    """The token of a click on the message body's `link_index`-th address (`body_links`)."""
    return compact_token(f"{delivery_id}.{link_index}", "click")


# --- subscriber links ---------------------------------------------------------------------


def subscriber_token(subscriber: Subscriber, purpose: Purpose) -> str:
    if purpose == Purpose.CONFIRM:
        return signing.dumps([subscriber.pk, subscriber.link_key], salt=_salt(purpose), compress=True)
    return compact_token(str(subscriber.pk), purpose, secret=f".{subscriber.link_key}")


def subscriber_from_token(token: str, purpose: Purpose) -> Subscriber | None:
    """The subscriber a link names, or None when the link is forged, expired (confirmation
    only), or belongs to someone since erased."""
    if _is_compact(token):
        return _compact_subscriber(token, purpose)
    max_age = CONFIRM_MAX_AGE if purpose == Purpose.CONFIRM else None
    try:
        pk, link_key = signing.loads(token, salt=_salt(purpose), max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    subscriber = Subscriber.objects.filter(pk=pk, link_key=link_key).first()
    if subscriber is None or subscriber.status == SubscriberStatus.ERASED:
        return None
    return subscriber


def _compact_subscriber(token: str, purpose: Purpose) -> Subscriber | None:
    if purpose == Purpose.CONFIRM:
        return None  # confirmation links must carry their time
    pk = _number(token.partition(".")[0])
    subscriber = Subscriber.objects.filter(pk=pk).first() if pk is not None else None
    if subscriber is None or subscriber.status == SubscriberStatus.ERASED:
        return None
    if compact_payload(token, purpose, secret=f".{subscriber.link_key}") != str(pk):
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
        url += f"?d={delivery_token(delivery_id)}"
    return url


# --- address changes ----------------------------------------------------------------------


@dataclass(frozen=True)
class AddressChange:
    """What an address-change link asks for: `address` (normalised) to become the subscriber's
    address for `channel`, replacing the one `previous` fingerprints ("" when there was none)."""

    subscriber_id: int
    channel: str
    address: str
    previous: str
    wording_id: int | None
    sent_at: dt.datetime


def address_fingerprint(address: str) -> str:
    """A keyed fingerprint of an address: the same address gives the same value, but the
    address cannot be guessed back from it by trying likely ones, as a plain hash could be."""
    return _mac(_key(settings.SECRET_KEY, "address-fingerprint"), address) if address else ""


def fingerprint_matches(fingerprint: str, address: str) -> bool:
    if not fingerprint or not address:
        return fingerprint == address == ""
    return any(
        hmac.compare_digest(_mac(_key(key, "address-fingerprint"), address), fingerprint)
        for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    )


def address_change_url(
    subscriber: Subscriber, *, channel: str, address: str, previous: str, wording_id: int | None, sent_at: dt.datetime
) -> str:
    token = signing.dumps(
        {
            "s": subscriber.pk,
            "c": channel,
            "to": address,
            "from": address_fingerprint(previous),
            "w": wording_id,
            "at": sent_at.isoformat(),
        },
        salt=_salt("address-change"),
        compress=True,
    )
    return f"{confirm_url(subscriber)}?{urlencode({'c': token})}"


def address_change_from_token(token: str, subscriber: Subscriber) -> AddressChange | None:
    """The change a genuine, unexpired link asks for, or None. The token must have been made
    for this subscriber: it rides on their confirm link, which alone proves the link_key."""
    try:
        value = signing.loads(token, salt=_salt("address-change"), max_age=CONFIRM_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict) or value.get("s") != subscriber.pk:
        return None
    channel, address, previous = value.get("c"), value.get("to"), value.get("from")
    wording_id = value.get("w")
    if channel not in DeliveryChannel.values or not isinstance(address, str) or not address:
        return None
    if not isinstance(previous, str) or not (wording_id is None or isinstance(wording_id, int)):
        return None
    try:
        sent_at = dt.datetime.fromisoformat(str(value.get("at")))
    except ValueError:
        return None
    return AddressChange(subscriber.pk, str(channel), address, previous, wording_id, sent_at)


# --- delivery links -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClickTarget:
    delivery_id: int
    url: str


def delivery_id_from_token(token: str) -> int | None:
    if _is_compact(token):
        payload = compact_payload(token, "delivery")
        return _number(payload) if payload is not None else None
    try:
        value = signing.loads(token, salt=_salt("delivery"))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, int) else None


def click_url(delivery_id: int, target: str) -> str:
    """A link through Beatbook that counts the click and then goes to `target` (any address;
    the links in messages use `click_token`, which names one of the message's own)."""
    token = signing.dumps([delivery_id, target], salt=_salt("click"), compress=True)
    return absolute(reverse("stay_informed:click", kwargs={"token": token}))


def click_target_from_token(token: str) -> ClickTarget | None:
    if _is_compact(token):
        return _compact_click(token)
    try:
        delivery_id, url = signing.loads(token, salt=_salt("click"))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(delivery_id, int) or not isinstance(url, str):
        return None
    return ClickTarget(delivery_id=delivery_id, url=url)


def _compact_click(token: str) -> ClickTarget | None:
    payload = compact_payload(token, "click")
    if payload is None:
        return None
    delivery_text, _dot, index_text = payload.partition(".")
    delivery_id, index = _number(delivery_text), _number(index_text)
    if delivery_id is None or index is None:
        return None
    body = Delivery.objects.filter(pk=delivery_id).values_list("message__body", flat=True).first()
    addresses = body_links(body) if body is not None else []
    return ClickTarget(delivery_id=delivery_id, url=addresses[index]) if index < len(addresses) else None


def open_url(delivery_id: int) -> str:
    """The tracking image's address; put in emails only when the force turned open tracking on."""
    return absolute(reverse("stay_informed:open", kwargs={"token": delivery_token(delivery_id)}))


def rate_url(delivery_id: int, *, useful: bool) -> str:
    token = delivery_token(delivery_id)
    return absolute(reverse("stay_informed:rate", kwargs={"token": token, "answer": "yes" if useful else "no"}))


def conversion_token(delivery_id: int) -> str:
    """Added to survey links in survey invitations (`?d=`), so a response can be counted as a
    conversion of the message that asked for it."""
    return delivery_token(delivery_id)
