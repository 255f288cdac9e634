"""Changing the email address or mobile number a subscriber is reached at, from the preference
centre: a new address, one never given before, or taking one away.

A new address is used only once it is proven. The request sends a link to the new address
(`links.address_change_url`), which carries the address itself, signed and expiring, so an
abandoned change leaves nothing behind; until the link is followed, messages keep going to the
current address. Following it swaps the address in, records the channel's consent as a
confirmation does, and tells the old address, because the preference link is the only
credential and someone else who got hold of it must not be able to move a person's messages
unnoticed. Taking an address away needs no proof (it only stops messages) but is refused when
no way of reaching the person would be left.

The page says the same whatever the new address is, so the form cannot be used to find out
who is subscribed: a clash with another subscriber is found, and told, only to whoever follows
the link, that is to the holder of that address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import links
from . import subscriber_selectors as selectors
from .models import (
    Consent,
    ConsentMethod,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
)
from .subscriber_services import (
    NOT_YET_SENT,
    _may_send,
    _proven,
    _refresh_area_copies,
    normalise_email,
    normalise_mobile,
)

# channel → the form field, the subscriber's address field and its "wants" flag.
FIELDS = {
    DeliveryChannel.EMAIL.value: ("email", "email", "wants_email"),
    DeliveryChannel.SMS.value: ("phone", "phone", "wants_sms"),
}
NORMALISE: dict[str, Callable[[str], str]] = {
    DeliveryChannel.EMAIL.value: normalise_email,
    DeliveryChannel.SMS.value: normalise_mobile,
}


@dataclass(frozen=True)
class AddressData:
    email: str
    phone: str


@dataclass(frozen=True)
class AddressRequest:
    # Channels whose new address was sent a link (or would have been, but for the per-address
    # limit, which the page does not reveal, as sign-up does not).
    awaiting: list[str]
    removed: list[str]


class AddressChangeOutcome(StrEnum):
    CHANGED = "changed"
    ALREADY_DONE = "already_done"
    # Another active subscriber of the force has the address: nothing changed.
    CLASH = "clash"
    # The address the link was made to replace is no longer the one held.
    STALE = "stale"
    NOT_SUBSCRIBED = "not_subscribed"


def _address(subscriber: Subscriber, channel: str) -> str:
    return str(getattr(subscriber, FIELDS[channel][1]))


def _still_reachable(subscriber: Subscriber, removed: list[str]) -> bool:
    """Whether a channel the person gets messages by now is left once `removed` go. A change
    waiting for its link does not count against this: the current address stays until then."""
    return any(
        getattr(subscriber, wants) and getattr(subscriber, field) and channel not in removed
        for channel, (_form, field, wants) in FIELDS.items()
    )


def _read(subscriber: Subscriber, data: AddressData) -> tuple[dict[str, str], list[str]]:
    """(channel → new address, channels emptied), or ValidationError naming the fields."""
    errors: dict[str, list[str]] = {}
    new: dict[str, str] = {}
    removed: list[str] = []
    for channel, typed in ((DeliveryChannel.EMAIL.value, data.email), (DeliveryChannel.SMS.value, data.phone)):
        form_field = FIELDS[channel][0]
        current = _address(subscriber, channel)
        if not typed.strip():
            if current:
                removed.append(channel)
            continue
        try:
            value = NORMALISE[channel](typed)
        except ValidationError as error:
            errors[form_field] = error.messages
            continue
        if value != current:
            new[channel] = value
    if errors:
        raise ValidationError(errors)
    if removed and not _still_reachable(subscriber, removed):
        field = FIELDS[removed[0]][0]
        errors[field] = [
            _(
                "Keep an email address or a mobile number that we send messages to, or unsubscribe instead. "
                "You can remove this one once another is confirmed and turned on."
            )
        ]
    elif not removed and not new:
        errors["email"] = [_("Enter a new email address or mobile number. These are the ones we already have.")]
    if errors:
        raise ValidationError(errors)
    return new, removed


def _remove(subscriber: Subscriber, channel: str, now: dt.datetime) -> None:
    _form, field, wants = FIELDS[channel]
    setattr(subscriber, field, "")
    setattr(subscriber, wants, False)
    subscriber.consents.filter(channel=channel, withdrawn_at__isnull=True).update(withdrawn_at=now)
    Delivery.objects.filter(subscriber=subscriber, channel=channel, status__in=NOT_YET_SENT).update(
        status=DeliveryStatus.SKIPPED
    )


def _tell_old_address(subscriber: Subscriber, channel: str, old: str, *, removed: bool) -> None:
    """After commit, tell the address that was replaced or removed, so a change is noticed."""
    from . import transactional

    transaction.on_commit(
        partial(
            transactional.send_address_changed,
            subscriber_id=subscriber.pk,
            channel=channel,
            old_address=old,
            removed=removed,
        )
    )


@transaction.atomic
def address_change_request(*, subscriber: Subscriber, data: AddressData) -> AddressRequest:
    """Send a link to each new address, and take away each address left empty (telling it so).
    Nothing about a new address changes until its link is followed."""
    from . import transactional

    subscriber = Subscriber.objects.select_for_update().select_related("force").get(pk=subscriber.pk)
    if subscriber.status != SubscriberStatus.ACTIVE:
        raise ValidationError({"__all__": [_("You are not subscribed, so there is nothing to change.")]})
    new, removed = _read(subscriber, data)
    # One preference link must not become a way of sending links to any number of addresses.
    if new and not _may_send(f"address-change:{subscriber.pk}"):
        raise ValidationError(
            {FIELDS[next(iter(new))][0]: [_("You have asked for too many changes in the last hour. Try again later.")]}
        )
    now = timezone.now()
    for channel in removed:
        old, proven = _address(subscriber, channel), _proven(subscriber, channel)
        _remove(subscriber, channel, now)
        if proven:  # an address never confirmed is never written to, not even to say goodbye
            _tell_old_address(subscriber, channel, old, removed=True)
    if removed:
        subscriber.save()
        _refresh_area_copies(subscriber)
    wording = selectors.current_wording(subscriber.force)
    for channel, address in new.items():
        if _may_send(address):
            transaction.on_commit(
                partial(
                    transactional.send_address_confirmation,
                    subscriber_id=subscriber.pk,
                    channel=channel,
                    address=address,
                    previous=_address(subscriber, channel),
                    wording_id=wording.pk if wording else None,
                )
            )
    return AddressRequest(awaiting=list(new), removed=removed)


def address_change_state(*, subscriber: Subscriber, change: links.AddressChange) -> AddressChangeOutcome | None:
    """What following the link would find, short of trying it: None when it can be tried."""
    if subscriber.status != SubscriberStatus.ACTIVE:
        return AddressChangeOutcome.NOT_SUBSCRIBED
    current = _address(subscriber, change.channel)
    if current == change.address:
        return AddressChangeOutcome.ALREADY_DONE
    if not links.fingerprint_matches(change.previous, current):
        return AddressChangeOutcome.STALE
    return None


def _give_up_address(holder: Subscriber, channel: str) -> None:
    """Someone who never confirmed, or who left, holds the address just proven by another:
    as at sign-up, the person who proves an address owns it."""
    _form, field, wants = FIELDS[channel]
    other = "phone" if field == "email" else "email"
    if holder.status == SubscriberStatus.PENDING and not getattr(holder, other):
        holder.delete()
        return
    setattr(holder, field, "")
    setattr(holder, wants, False)
    holder.save(update_fields=[field, wants])
    _refresh_area_copies(holder)


@transaction.atomic
def address_change_confirm(*, subscriber: Subscriber, change: links.AddressChange) -> AddressChangeOutcome:
    """Make the link's address the subscriber's for its channel and record consent for it, or
    change nothing and say why."""

    subscriber = Subscriber.objects.select_for_update().select_related("force").get(pk=subscriber.pk)
    state = address_change_state(subscriber=subscriber, change=change)
    if state is not None:
        return state
    channel = change.channel
    _form, field, wants = FIELDS[channel]
    old, old_proven = _address(subscriber, channel), _proven(subscriber, channel)
    holder = (
        Subscriber.objects.select_for_update()
        .filter(force=subscriber.force, **{field: change.address})
        .exclude(pk=subscriber.pk)
        .first()
    )
    if holder is not None and holder.status == SubscriberStatus.ACTIVE:
        return AddressChangeOutcome.CLASH
    wording = selectors.wording_for(subscriber.force, change.wording_id) or selectors.current_wording(subscriber.force)
    if wording is None:
        raise ValidationError(_("Sign-up is not open yet: there is no consent wording to agree to."))
    now = timezone.now()
    consents = subscriber.consents.filter(channel=channel)
    # As with any confirmation link, one never turns back on a channel switched off after it was sent.
    switched_off_since = consents.filter(withdrawn_at__gte=change.sent_at).exists()
    setattr(subscriber, field, change.address)
    setattr(subscriber, wants, not switched_off_since)
    try:
        # A sign-up for the address may have committed since the check above.
        with transaction.atomic():
            if holder is not None:
                _give_up_address(holder, channel)
            subscriber.save(update_fields=[field, wants])
    except IntegrityError:
        return AddressChangeOutcome.CLASH
    consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    if not switched_off_since:
        how = {"email": "by email", "sms": "by text message"}[channel]
        Consent.objects.create(
            subscriber=subscriber,
            wording=wording,
            channel=channel,
            method=ConsentMethod.WEB_FORM,
            given_at=now,
            # Never the address itself, which erasure must be able to remove from everywhere.
            evidence=(
                f"Changed the {'email address' if channel == 'email' else 'mobile number'} in the preference "
                f"centre (reached by the signed link sent to the subscriber); the new one was confirmed on "
                f"{now:%Y-%m-%d %H:%M} UTC by following the link sent to it {how} on "
                f"{change.sent_at:%Y-%m-%d %H:%M} UTC, under consent wording version {wording.version}."
            ),
        )
    _refresh_area_copies(subscriber)
    if old and old_proven:
        _tell_old_address(subscriber, channel, old, removed=False)
    return AddressChangeOutcome.CHANGED
