"""Writes to subscribers: sign-up with double opt-in, confirmation, preferences, unsubscribe,
erasure, the download of one's own data, and imports of lists that carry consent evidence.

Every write that changes a subscriber's status, channels or language also rewrites the copies
on their `SubscriberArea` rows (`_refresh_area_copies`), in the same transaction, because
audience counts read only those rows.

Emails and texts are sent after the transaction commits (`transaction.on_commit`), in the
process that made the change, by `transactional`: a confirmation is one message to one person
who is waiting for it, so it does not wait for the worker; a send that fails is logged and
signing up again sends another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from beatbook.accounts.models import User
from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area, Level
from beatbook.surveys.importers.postcodes import normalise_postcode
from beatbook.surveys.models import Postcode

from . import subscriber_selectors as selectors
from .models import (
    Consent,
    ConsentMethod,
    ConsentWording,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    EmailFormat,
    Frequency,
    Source,
    Subscriber,
    SubscriberArea,
    SubscriberInterest,
    SubscriberStatus,
)

# Confirmation and "already subscribed" messages one address may be sent in an hour: enough
# for a person who lost the first, too few to fill someone's inbox from the form.
SENDS_PER_ADDRESS_PER_HOUR = 3
NOT_YET_SENT = (DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.RETRY)
# UK mobile numbers: 07 then 9 digits, not the 070 personal or 076 pager ranges (but 07624,
# the Isle of Man's mobiles).
UK_MOBILE = re.compile(r"^447(?:[1-57-9]\d{8}|624\d{6})$")


def new_link_key() -> str:
    return secrets.token_hex(16)


# --- normalising what people type -------------------------------------------------------------


def normalise_email(text: str) -> str:
    """Trimmed and lower-cased, so one address is one subscriber; ValidationError if not an address."""
    value = (text or "").strip().lower()
    if len(value) > 254:
        raise ValidationError(_("Email address must be 254 characters or fewer."))
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(_("Enter an email address in the correct format, like name@example.com.")) from None
    return value


def normalise_mobile(text: str) -> str:
    """A UK mobile number in E.164 ("07700 900123" → "+447700900123"); ValidationError if not one."""
    compact = re.sub(r"[\s().-]", "", text or "")
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    elif compact.startswith("0"):
        digits = "44" + compact[1:]
    else:
        digits = compact
    if not digits.isdigit() or not UK_MOBILE.match(digits):
        raise ValidationError(_("Enter a UK mobile number, like 07700 900 982 or +44 7700 900 982."))
    return "+" + digits


def _language(code: str) -> str:
    short = (code or "en").split("-")[0].lower()
    return short if short in selectors.LANGUAGE_CODES else "en"


# --- keeping the audience copies right --------------------------------------------------------


def _refresh_area_copies(subscriber: Subscriber) -> None:
    SubscriberArea.objects.filter(subscriber=subscriber).update(
        active=subscriber.status == SubscriberStatus.ACTIVE,
        wants_email=subscriber.wants_email,
        wants_sms=subscriber.wants_sms,
        language=subscriber.language,
    )


def _set_areas(subscriber: Subscriber, area_ids: Sequence[int]) -> None:
    wanted = set(area_ids)
    SubscriberArea.objects.filter(subscriber=subscriber).exclude(area_id__in=wanted).delete()
    held = set(SubscriberArea.objects.filter(subscriber=subscriber).values_list("area_id", flat=True))
    SubscriberArea.objects.bulk_create(
        [SubscriberArea(subscriber=subscriber, area_id=pk) for pk in sorted(wanted - held)]
    )
    _refresh_area_copies(subscriber)


def _set_interests(subscriber: Subscriber, interest_ids: Sequence[int]) -> None:
    wanted = set(interest_ids)
    SubscriberInterest.objects.filter(subscriber=subscriber).exclude(interest_id__in=wanted).delete()
    held = set(SubscriberInterest.objects.filter(subscriber=subscriber).values_list("interest_id", flat=True))
    SubscriberInterest.objects.bulk_create(
        [SubscriberInterest(subscriber=subscriber, interest_id=pk) for pk in sorted(wanted - held)]
    )


def _skip_unsent(subscriber: Subscriber) -> int:
    return Delivery.objects.filter(subscriber=subscriber, status__in=NOT_YET_SENT).update(status=DeliveryStatus.SKIPPED)


def _channels(subscriber: Subscriber) -> list[str]:
    return [
        channel
        for channel, wanted in (
            (DeliveryChannel.EMAIL, subscriber.wants_email),
            (DeliveryChannel.SMS, subscriber.wants_sms),
        )
        if wanted
    ]


# --- signing up -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignupData:
    email: str = ""
    phone: str = ""
    postcode: str = ""
    neighbourhood_ids: list[int] = field(default_factory=list)
    interest_ids: list[int] = field(default_factory=list)
    language: str = "en"
    email_format: str = EmailFormat.HTML
    frequency: str = Frequency.IMMEDIATE
    wording_id: int | None = None
    consent: bool = False


class SignupOutcome(StrEnum):
    CONFIRMATION_SENT = "confirmation_sent"
    ALREADY_SUBSCRIBED = "already_subscribed"
    # Too many sends to this address this hour: nothing sent. The page says the same as
    # the others, so the form does not tell anyone whether an address is subscribed.
    LIMITED = "limited"


@dataclass(frozen=True)
class Location:
    postcode: str
    lsoa: Area | None
    neighbourhood: Area | None


def _locate(force: Area, postcode: str, errors: dict[str, list[str]]) -> Location:
    if not postcode.strip():
        return Location("", None, None)
    try:
        normalised = normalise_postcode(postcode)
    except ValueError:
        errors["postcode"] = [_("Enter a full UK postcode, like LE1 1AA.")]
        return Location("", None, None)
    entry = Postcode.objects.select_related("lsoa__parent").filter(postcode=normalised).first()
    if entry is None or entry.lsoa is None:
        errors["postcode"] = [_("We do not know this postcode. Check it, or choose neighbourhoods from the list.")]
        return Location("", None, None)
    if entry.lsoa.force_id != force.pk:
        errors["postcode"] = [_("This postcode is outside the area this police force covers.")]
        return Location("", None, None)
    parent = entry.lsoa.parent
    neighbourhood = parent if parent is not None and parent.level == Level.NEIGHBOURHOOD else None
    return Location(normalised, entry.lsoa, neighbourhood)


@dataclass(frozen=True)
class CleanSignup:
    email: str
    phone: str
    location: Location
    area_ids: list[int]
    interest_ids: list[int]
    language: str
    email_format: str
    frequency: str
    wording: ConsentWording


def _clean_choices(
    force: Area,
    *,
    neighbourhood_ids: Sequence[int],
    interest_ids: Sequence[int],
    email_format: str,
    frequency: str,
    language: str,
    errors: dict[str, list[str]],
) -> tuple[list[int], list[int]]:
    allowed_areas = set(selectors.neighbourhoods_of(force).values_list("pk", flat=True))
    if set(neighbourhood_ids) - allowed_areas:
        errors["neighbourhoods"] = [_("Choose neighbourhoods from the list.")]
    allowed_interests = set(selectors.interests_for(force).values_list("pk", flat=True))
    if not interest_ids:
        errors["interests"] = [_("Choose at least one subject you want to hear about.")]
    elif set(interest_ids) - allowed_interests:
        errors["interests"] = [_("Choose subjects from the list.")]
    if email_format not in EmailFormat.values:
        errors["email_format"] = [_("Choose how emails should look.")]
    if frequency not in Frequency.values:
        errors["frequency"] = [_("Choose how often you want to hear from us.")]
    if (language or "").split("-")[0].lower() not in selectors.LANGUAGE_CODES:
        errors["language"] = [_("Choose a language from the list.")]
    return sorted(set(neighbourhood_ids)), sorted(set(interest_ids))


def _clean_signup(force: Area, data: SignupData) -> CleanSignup:
    errors: dict[str, list[str]] = {}
    email = phone = ""
    if data.email.strip():
        try:
            email = normalise_email(data.email)
        except ValidationError as error:
            errors["email"] = error.messages
    if data.phone.strip():
        try:
            phone = normalise_mobile(data.phone)
        except ValidationError as error:
            errors["phone"] = error.messages
    if not data.email.strip() and not data.phone.strip():
        errors["email"] = [_("Enter an email address or a mobile number, or both.")]
    location = _locate(force, data.postcode, errors)
    area_ids, interest_ids = _clean_choices(
        force,
        neighbourhood_ids=data.neighbourhood_ids,
        interest_ids=data.interest_ids,
        email_format=data.email_format,
        frequency=data.frequency,
        language=data.language,
        errors=errors,
    )
    if not area_ids and location.neighbourhood is not None:
        area_ids = [location.neighbourhood.pk]
    if not area_ids and "postcode" not in errors and "neighbourhoods" not in errors:
        errors["neighbourhoods"] = [_("Enter your postcode or choose at least one neighbourhood.")]
    wording = selectors.wording_for(force, data.wording_id) or selectors.current_wording(force)
    if not data.consent:
        errors["consent"] = [_("Tick the box to agree, or we cannot send you messages.")]
    elif wording is None:
        errors["consent"] = [_("Sign-up is not open yet: there is no consent wording to agree to.")]
    if errors:
        raise ValidationError(errors)
    assert wording is not None
    return CleanSignup(
        email=email,
        phone=phone,
        location=location,
        area_ids=area_ids,
        interest_ids=interest_ids,
        language=_language(data.language),
        email_format=data.email_format,
        frequency=data.frequency,
        wording=wording,
    )


def _may_send(address: str) -> bool:
    """Count a send to this address; False once it has had its share this hour."""
    key = "messaging:sends:" + hashlib.sha256(address.encode()).hexdigest()
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= SENDS_PER_ADDRESS_PER_HOUR


def _allowed_channels(clean: CleanSignup) -> list[str]:
    addresses = [(DeliveryChannel.EMAIL, clean.email), (DeliveryChannel.SMS, clean.phone)]
    return [str(channel) for channel, address in addresses if address and _may_send(address)]


@transaction.atomic
def subscribe(*, force: Area, data: SignupData) -> SignupOutcome:
    """Sign someone up, pending until they follow the link sent to them.

    The same email or number in the force is never a second subscriber: a pending (or
    unsubscribed) one is updated with what was sent and sent a new link; an active one is
    sent a "you are already subscribed" message with its preferences link and nothing else
    changes. The caller shows the same page whatever happened.
    """
    from . import transactional

    clean = _clean_signup(force, data)
    found = selectors.matching_subscribers(force, email=clean.email, phone=clean.phone)
    active = next((s for s in found if s.status == SubscriberStatus.ACTIVE), None)
    if active is not None:
        channels = _allowed_channels(clean)
        if not channels:
            return SignupOutcome.LIMITED
        transaction.on_commit(
            partial(transactional.send_already_subscribed, subscriber_id=active.pk, channels=channels)
        )
        return SignupOutcome.ALREADY_SUBSCRIBED
    subscriber = found[0] if found else Subscriber(force=force, link_key=new_link_key(), source=Source.WEB)
    # Someone else's pending row holding the number (or address) gives it up: the person
    # who now proves it owns it.
    for other in found[1:]:
        if other.status == SubscriberStatus.PENDING:
            other.delete()
        else:
            Subscriber.objects.filter(pk=other.pk).update(
                phone="" if other.phone == clean.phone else other.phone,
                email="" if other.email == clean.email else other.email,
            )
    subscriber.email = clean.email
    subscriber.phone = clean.phone
    subscriber.wants_email = bool(clean.email)
    subscriber.wants_sms = bool(clean.phone)
    subscriber.postcode = clean.location.postcode
    subscriber.home_lsoa = clean.location.lsoa
    subscriber.language = clean.language
    subscriber.email_format = clean.email_format
    subscriber.frequency = clean.frequency
    subscriber.status = SubscriberStatus.PENDING
    subscriber.unsubscribed_at = None
    subscriber.save()
    _set_areas(subscriber, clean.area_ids)
    _set_interests(subscriber, clean.interest_ids)
    channels = _allowed_channels(clean)
    if not channels:
        return SignupOutcome.LIMITED
    transaction.on_commit(
        partial(
            transactional.send_confirmation,
            subscriber_id=subscriber.pk,
            wording_id=clean.wording.pk,
            channels=channels,
        )
    )
    return SignupOutcome.CONFIRMATION_SENT


def _proven(subscriber: Subscriber, channel: str) -> bool:
    """Whether the subscriber has shown they hold this channel's address since they last
    signed up: a consent for it given at or after `confirmed_at` (withdrawn or not)."""
    if subscriber.confirmed_at is None:
        return False
    return subscriber.consents.filter(channel=channel, given_at__gte=subscriber.confirmed_at).exists()


def channel_awaiting_confirmation(subscriber: Subscriber, channel: str, link_sent_at: dt.datetime | None) -> bool:
    """Whether a confirmation link for `channel`, sent at `link_sent_at`, would still turn the
    channel on for an active subscriber: the address is there, the channel has no live consent,
    and none of its consents was withdrawn after the link was sent (an old link never undoes
    someone turning texts off)."""
    address = {DeliveryChannel.EMAIL.value: subscriber.email, DeliveryChannel.SMS.value: subscriber.phone}.get(
        channel, ""
    )
    if subscriber.status != SubscriberStatus.ACTIVE or not address or link_sent_at is None:
        return False
    consents = subscriber.consents.filter(channel=channel)
    if consents.filter(withdrawn_at__isnull=True).exists():
        return False
    return not consents.filter(withdrawn_at__gte=link_sent_at).exists()


@transaction.atomic
def subscriber_confirm(
    *,
    subscriber: Subscriber,
    wording: ConsentWording | None = None,
    via: str = "",
    link_sent_at: dt.datetime | None = None,
) -> Subscriber:
    """Record consent for the channel the confirmation link was sent by (`via`), making a pending
    subscriber active.

    Each channel is confirmed by its own link: someone who gave an email address and a mobile
    number gets one link by each, and texts start only once the text's link is followed, so a
    number typed wrongly (or someone else's) is never sent anything. A link followed again
    changes nothing. Without `via` (an older link) every channel chosen is confirmed. `via`
    and `link_sent_at` go in the consent's evidence (never the address itself, which erasure
    must be able to remove from everywhere)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    pending = subscriber.status == SubscriberStatus.PENDING
    if not pending and not channel_awaiting_confirmation(subscriber, via, link_sent_at):
        return subscriber
    wording = wording or selectors.current_wording(subscriber.force)
    if wording is None:
        raise ValidationError(_("Sign-up is not open yet: there is no consent wording to agree to."))
    now = timezone.now()
    sent = f" sent on {link_sent_at:%Y-%m-%d %H:%M} UTC" if link_sent_at else ""
    how = {"email": "by email", "sms": "by text message"}.get(via, "")
    evidence = (
        f"Agreed to consent wording version {wording.version} on the sign-up form; "
        f"confirmed on {now:%Y-%m-%d %H:%M} UTC by following the confirmation link{sent} {how}".rstrip()
        + "."
    )
    chosen = _channels(subscriber) if pending else []
    if pending and via and via not in chosen:
        return subscriber  # a link from an earlier sign-up, for a channel no longer chosen
    confirmed = [via] if via in (DeliveryChannel.EMAIL, DeliveryChannel.SMS) else chosen
    Consent.objects.bulk_create(
        [
            Consent(
                subscriber=subscriber,
                wording=wording,
                channel=channel,
                method=ConsentMethod.WEB_FORM,
                given_at=now,
                evidence=evidence,
            )
            for channel in confirmed
        ]
    )
    # A channel chosen but not yet confirmed stays off until its own link is followed.
    subscriber.wants_email = DeliveryChannel.EMAIL in confirmed or (subscriber.wants_email and not pending)
    subscriber.wants_sms = DeliveryChannel.SMS in confirmed or (subscriber.wants_sms and not pending)
    if pending:
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.confirmed_at = now
    subscriber.save(update_fields=["status", "confirmed_at", "wants_email", "wants_sms"])
    _refresh_area_copies(subscriber)
    return subscriber


# --- the preference centre ----------------------------------------------------------------------


@dataclass(frozen=True)
class PreferencesData:
    neighbourhood_ids: list[int]
    interest_ids: list[int]
    wants_email: bool
    wants_sms: bool
    language: str
    email_format: str
    frequency: str


@transaction.atomic
def preferences_update(*, subscriber: Subscriber, data: PreferencesData) -> Subscriber:
    """Change what an active subscriber receives. A channel turned on is a new consent (to the
    current wording), or, if its address was never confirmed, a confirmation link sent to it;
    a channel turned off withdraws its consent."""
    from . import transactional

    subscriber = Subscriber.objects.select_for_update().select_related("force").get(pk=subscriber.pk)
    if subscriber.status != SubscriberStatus.ACTIVE:
        raise ValidationError({"__all__": [_("You are not subscribed, so there is nothing to change.")]})
    errors: dict[str, list[str]] = {}
    area_ids, interest_ids = _clean_choices(
        subscriber.force,
        neighbourhood_ids=data.neighbourhood_ids,
        interest_ids=data.interest_ids,
        email_format=data.email_format,
        frequency=data.frequency,
        language=data.language,
        errors=errors,
    )
    if not area_ids and "neighbourhoods" not in errors:
        errors["neighbourhoods"] = [_("Choose at least one neighbourhood.")]
    if data.wants_email and not subscriber.email:
        errors["channels"] = [_("You gave no email address, so we cannot send you emails.")]
    elif data.wants_sms and not subscriber.phone:
        errors["channels"] = [_("You gave no mobile number, so we cannot send you text messages.")]
    elif not data.wants_email and not data.wants_sms:
        errors["channels"] = [_("Choose at least one way to hear from us, or unsubscribe instead.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    wording = selectors.current_wording(subscriber.force)
    wanted = {DeliveryChannel.EMAIL: data.wants_email, DeliveryChannel.SMS: data.wants_sms}
    for channel, before, after in (
        (DeliveryChannel.EMAIL, subscriber.wants_email, data.wants_email),
        (DeliveryChannel.SMS, subscriber.wants_sms, data.wants_sms),
    ):
        if before and not after:
            subscriber.consents.filter(channel=channel, withdrawn_at__isnull=True).update(withdrawn_at=now)
        elif after and not before and not _proven(subscriber, channel):
            # Never confirmed: the address gets a link, and the channel starts when it is followed.
            wanted[channel] = False
            if wording is not None:
                transaction.on_commit(
                    partial(
                        transactional.send_confirmation,
                        subscriber_id=subscriber.pk,
                        wording_id=wording.pk,
                        channels=[str(channel)],
                    )
                )
        elif after and not before and wording is not None:
            Consent.objects.create(
                subscriber=subscriber,
                wording=wording,
                channel=channel,
                method=ConsentMethod.WEB_FORM,
                given_at=now,
                evidence=f"Turned on in the preference centre on {now:%Y-%m-%d %H:%M} UTC, "
                f"reached by the signed link sent to the subscriber.",
            )
    subscriber.wants_email = wanted[DeliveryChannel.EMAIL]
    subscriber.wants_sms = wanted[DeliveryChannel.SMS]
    subscriber.language = _language(data.language)
    subscriber.email_format = data.email_format
    subscriber.frequency = data.frequency
    subscriber.save()
    _set_areas(subscriber, area_ids)
    _set_interests(subscriber, interest_ids)
    return subscriber


@transaction.atomic
def unsubscribe(*, subscriber: Subscriber, delivery_id: int | None = None) -> Subscriber:
    """Stop every message to this person: consents withdrawn, nothing pending sent. With the
    delivery whose link or header was used, the unsubscribe counts against its message."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    now = timezone.now()
    if delivery_id is not None:
        Delivery.objects.filter(pk=delivery_id, subscriber=subscriber, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        )
    if subscriber.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.ERASED):
        return subscriber
    subscriber.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    subscriber.status = SubscriberStatus.UNSUBSCRIBED
    subscriber.unsubscribed_at = now
    subscriber.save(update_fields=["status", "unsubscribed_at"])
    _refresh_area_copies(subscriber)
    _skip_unsent(subscriber)
    return subscriber


@transaction.atomic
def subscriber_erase(*, subscriber: Subscriber, actor: User | None = None) -> Subscriber:
    """Remove everything that identifies a person and keep the row, its areas and interests,
    so counts of reach stay true. Every link already sent stops working (new link key);
    consent records stay as withdrawn, without their evidence text (an imported list's
    evidence may name the person); delivery errors are blanked (a provider's error can quote
    the address)."""
    subscriber = Subscriber.objects.select_for_update().select_related("force").get(pk=subscriber.pk)
    now = timezone.now()
    before_status = subscriber.status
    subscriber.email = ""
    subscriber.phone = ""
    subscriber.postcode = ""
    subscriber.home_lsoa = None
    subscriber.link_key = new_link_key()
    subscriber.status = SubscriberStatus.ERASED
    subscriber.erased_at = now
    subscriber.unsubscribed_at = subscriber.unsubscribed_at or now
    subscriber.save()
    subscriber.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    subscriber.consents.update(evidence="")
    _refresh_area_copies(subscriber)
    _skip_unsent(subscriber)
    Delivery.objects.filter(subscriber=subscriber).exclude(error="").update(error="")
    if actor is not None:
        audit_record(
            actor=actor,
            action="messaging.subscriber_erase",
            obj=subscriber,
            force=subscriber.force,
            before={"status": before_status},
            after={"status": SubscriberStatus.ERASED},
        )
    return subscriber


def subscriber_data_export(*, subscriber: Subscriber) -> dict[str, Any]:
    """Everything held about a subscriber, for their own download (a subject access copy)."""

    def when(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    deliveries = Delivery.objects.filter(subscriber=subscriber)
    by_status = deliveries.values("channel", "status").annotate(n=Count("pk")).order_by("channel", "status")
    recent = deliveries.select_related("message").order_by("-created_at")[:100]
    return {
        "details": {
            "email": subscriber.email,
            "mobile": subscriber.phone,
            "postcode": subscriber.postcode,
            "home_area": subscriber.home_lsoa.code if subscriber.home_lsoa else None,
            "wants_email": subscriber.wants_email,
            "wants_text_messages": subscriber.wants_sms,
            "language": subscriber.language,
            "email_format": subscriber.email_format,
            "frequency": subscriber.frequency,
            "status": subscriber.status,
            "source": subscriber.source,
            "signed_up_at": when(subscriber.created_at),
            "confirmed_at": when(subscriber.confirmed_at),
            "unsubscribed_at": when(subscriber.unsubscribed_at),
            "force": subscriber.force.name,
        },
        "areas": [
            {"code": link.area.code, "name": link.area.name, "level": link.area.level}
            for link in subscriber.area_links.select_related("area").order_by("area__name")
        ],
        "interests": [
            {"slug": link.interest.slug, "name": link.interest.name}
            for link in subscriber.interest_links.select_related("interest").order_by("interest__name")
        ],
        "consents": [
            {
                "channel": consent.channel,
                "wording_version": consent.wording.version,
                "wording": consent.wording.text,
                "method": consent.method,
                "given_at": when(consent.given_at),
                "evidence": consent.evidence,
                "withdrawn_at": when(consent.withdrawn_at),
            }
            for consent in subscriber.consents.select_related("wording")
        ],
        "deliveries_summary": [
            {"channel": row["channel"], "status": row["status"], "count": row["n"]} for row in by_status
        ],
        "recent_messages": [
            {
                "subject": delivery.message.subject,
                "channel": delivery.channel,
                "status": delivery.status,
                "sent_at": when(delivery.sent_at),
                "opened_at": when(delivery.opened_at),
                "clicks": delivery.clicks,
                "useful": delivery.useful,
            }
            for delivery in recent
        ],
    }


# --- imports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedSubscriber:
    """One checked row of an imported list (see importers/subscribers.py)."""

    email: str
    phone: str
    postcode: str
    home_lsoa_id: int | None
    area_ids: list[int]
    interest_ids: list[int]
    language: str
    email_format: str
    frequency: str
    consent_given_at: dt.datetime
    evidence: str


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


def _import_one(force: Area, wording: ConsentWording, row: ImportedSubscriber, counts: ImportCounts) -> None:
    found = selectors.matching_subscribers(force, email=row.email, phone=row.phone)
    if len(found) > 1:
        counts.skipped["email and mobile belong to two different subscribers"] = (
            counts.skipped.get("email and mobile belong to two different subscribers", 0) + 1
        )
        return
    subscriber = found[0] if found else None
    if subscriber is not None and subscriber.status != SubscriberStatus.ACTIVE:
        # Someone who left (or has not confirmed) is not signed up by a list.
        reason = f"already here as {subscriber.status}; not changed by an import"
        counts.skipped[reason] = counts.skipped.get(reason, 0) + 1
        return
    values = {
        "email": row.email or (subscriber.email if subscriber else ""),
        "phone": row.phone or (subscriber.phone if subscriber else ""),
        "postcode": row.postcode,
        "home_lsoa_id": row.home_lsoa_id,
        "language": row.language,
        "email_format": row.email_format,
        "frequency": row.frequency,
    }
    values["wants_email"] = bool(values["email"])
    values["wants_sms"] = bool(values["phone"])
    if subscriber is None:
        subscriber = Subscriber(
            force=force,
            link_key=new_link_key(),
            source=Source.IMPORT,
            status=SubscriberStatus.ACTIVE,
            confirmed_at=row.consent_given_at,
            **values,
        )
        subscriber.save()
        counts.created += 1
        changed = True
    else:
        changed = any(getattr(subscriber, name) != value for name, value in values.items())
        changed |= set(subscriber.area_links.values_list("area_id", flat=True)) != set(row.area_ids)
        changed |= set(subscriber.interest_links.values_list("interest_id", flat=True)) != set(row.interest_ids)
        for name, value in values.items():
            setattr(subscriber, name, value)
        if changed:
            subscriber.save()
    new_consents = [
        Consent(
            subscriber=subscriber,
            wording=wording,
            channel=channel,
            method=ConsentMethod.IMPORT,
            given_at=row.consent_given_at,
            evidence=row.evidence,
        )
        for channel in _channels(subscriber)
        if not subscriber.consents.filter(channel=channel, withdrawn_at__isnull=True).exists()
    ]
    Consent.objects.bulk_create(new_consents)
    _set_areas(subscriber, row.area_ids)
    _set_interests(subscriber, row.interest_ids)
    if found:
        if changed or new_consents:
            counts.updated += 1
        else:
            counts.unchanged += 1


@transaction.atomic
def subscribers_import(
    *, force: Area, rows: Sequence[ImportedSubscriber], wording: ConsentWording | None = None
) -> ImportCounts:
    """Add (or bring up to date) subscribers from a list whose every row carries its consent
    evidence; they are active at once, each channel with a consent of method `import`.
    Matching is by email or number, so importing the same list again changes nothing."""
    wording = wording or selectors.current_wording(force)
    if wording is None:
        raise ValidationError(_("There is no consent wording to record the consents against."))
    counts = ImportCounts()
    for row in rows:
        _import_one(force, wording, row, counts)
    return counts


def interest_ids_by_slug(force: Area) -> dict[str, int]:
    """slug → id of the interests the force's subscribers may choose (the force's own first)."""
    found: dict[str, int] = {}
    for interest in sorted(selectors.interests_for(force), key=lambda i: i.force_id is None):
        found.setdefault(interest.slug, interest.pk)
    return found
