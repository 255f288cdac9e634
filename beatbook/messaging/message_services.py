"""Writes to community messages: drafting, submitting, approval, return and cancelling.

Every function checks `access`, validates the whole message (one ValidationError naming every
field that is wrong, by the names of `MessageData`), runs in one transaction and records an
audit event in it. Sending itself is the worker's (`delivery.py`): a message that is
SCHEDULED with `send_at` passed (or empty) is picked up on its next pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from beatbook.accounts.models import User
from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area

from . import access
from .models import (
    DeliveryChannel,
    DeliveryStatus,
    Interest,
    Message,
    MessageKind,
    MessageStatus,
    MessageTemplate,
    SenderProfile,
)

# Three concatenated SMS segments of 153 GSM characters; longer texts cost more than they help.
SMS_LIMIT = 459
SUBJECT_LIMIT = 150
CHANNELS = (DeliveryChannel.EMAIL, DeliveryChannel.SMS)


@dataclass(frozen=True)
class MessageData:
    kind: str
    subject: str
    body: str
    sms_body: str
    area_ids: list[int]
    interest_ids: list[int]
    languages: list[str]
    channels: list[str]
    template_id: int | None = None
    survey_id: int | None = None


def language_codes() -> set[str]:
    """Languages a subscriber may have: the site's, plus plain "en" (the model's default)."""
    return {code for code, _name in settings.LANGUAGES} | {"en"}


def _force_of(actor: User) -> Area:
    force_id = access.user_force_id(actor)
    if force_id is None or not access.can_write_messages(actor):
        raise PermissionDenied(_("You cannot write community messages."))
    return Area.objects.get(pk=force_id)


def _validate(data: MessageData, *, actor: User, force: Area) -> None:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.kind not in MessageKind.values:
        add("kind", _("Choose the type of message."))
    if not data.subject.strip():
        add("subject", _("Enter a subject."))
    elif len(data.subject.strip()) > SUBJECT_LIMIT:
        add("subject", _("Use %(n)s characters or fewer.") % {"n": SUBJECT_LIMIT})
    if not data.body.strip():
        add("body", _("Enter the message."))
    channels = list(data.channels)
    if not channels:
        add("channels", _("Choose at least one way to send it: email or text message."))
    elif any(channel not in CHANNELS for channel in channels) or len(set(channels)) != len(channels):
        add("channels", _("Choose email, text message or both."))
    if DeliveryChannel.SMS in channels:
        if not data.sms_body.strip():
            add("sms_body", _("Enter the text message, or do not send by text."))
        elif len(data.sms_body.strip()) > SMS_LIMIT:
            add(
                "sms_body",
                _("The text message is %(length)s characters; use %(n)s or fewer (three texts).")
                % {"length": len(data.sms_body.strip()), "n": SMS_LIMIT},
            )
    elif len(data.sms_body.strip()) > SMS_LIMIT:
        add("sms_body", _("Use %(n)s characters or fewer.") % {"n": SMS_LIMIT})
    if not data.area_ids:
        add("area_ids", _("Choose at least one area to send to."))
    else:
        allowed = set(access.targetable_areas(actor).values_list("pk", flat=True))
        outside = [pk for pk in data.area_ids if pk not in allowed]
        if outside:
            names = Area.objects.filter(pk__in=outside).values_list("name", flat=True)
            add(
                "area_ids",
                _("You cannot send to %(areas)s: choose areas you work in.")
                % {"areas": ", ".join(sorted(names)) or _("an unknown area")},
            )
    if data.interest_ids:
        known = set(
            Interest.objects.filter(
                Q(force__isnull=True) | Q(force=force), active=True, pk__in=data.interest_ids
            ).values_list("pk", flat=True)
        )
        if set(data.interest_ids) - known:
            add("interest_ids", _("Choose interests from the list."))
    unknown_languages = set(data.languages) - language_codes()
    if unknown_languages:
        add("languages", _("Choose languages from the list."))
    if data.template_id is not None and not MessageTemplate.objects.filter(pk=data.template_id, force=force).exists():
        add("template_id", _("Choose a template of this force."))
    if data.kind == MessageKind.SURVEY:
        from beatbook.surveys.models import Survey

        if data.survey_id is None:
            add("survey_id", _("Choose the survey this message invites people to."))
        elif not Survey.objects.filter(pk=data.survey_id, force=force).exists():
            add("survey_id", _("Choose a survey of this force."))
    elif data.survey_id is not None:
        add("survey_id", _("Only survey invitations link to a survey."))
    if errors:
        raise ValidationError(errors)


def _signature(actor: User) -> tuple[str, str, str]:
    profile = SenderProfile.objects.filter(user=actor).first()
    if profile is not None:
        return profile.display_name, profile.role_title, profile.photo.name or ""
    name = actor.get_full_name().strip() or actor.get_username()
    return name, str(actor.get_role_display()), ""


def _apply(message: Message, data: MessageData) -> None:
    message.kind = data.kind
    message.subject = data.subject.strip()
    message.body = data.body.strip()
    message.sms_body = data.sms_body.strip()
    message.languages = sorted(set(data.languages))
    message.channels = [channel for channel in CHANNELS if channel in data.channels]
    message.template_id = data.template_id
    message.survey_id = data.survey_id


def _snapshot(message: Message) -> dict[str, Any]:
    return {
        "kind": message.kind,
        "subject": message.subject,
        "status": message.status,
        "channels": message.channels,
        "languages": message.languages,
        "areas": sorted(message.areas.values_list("code", flat=True)),
        "interests": sorted(message.interests.values_list("slug", flat=True)),
        "send_at": message.send_at.isoformat() if message.send_at else None,
    }


def message_data(message: Message) -> MessageData:
    """The message as the services see it (for re-validation, and for forms to start from)."""
    return MessageData(
        kind=message.kind,
        subject=message.subject,
        body=message.body,
        sms_body=message.sms_body,
        area_ids=sorted(message.areas.values_list("pk", flat=True)),
        interest_ids=sorted(message.interests.values_list("pk", flat=True)),
        languages=list(message.languages),
        channels=list(message.channels),
        template_id=message.template_id,
        survey_id=message.survey_id,
    )


def _locked(message: Message) -> Message:
    return Message.objects.select_for_update().get(pk=message.pk)


@transaction.atomic
def message_create(*, actor: User, data: MessageData) -> Message:
    """A draft, signed with the author's sender profile (or their name and role)."""
    force = _force_of(actor)
    _validate(data, actor=actor, force=force)
    name, role, photo = _signature(actor)
    message = Message(force=force, author=actor, signature_name=name, signature_role=role, signature_photo=photo)
    _apply(message, data)
    message.save()
    message.areas.set(data.area_ids)
    message.interests.set(data.interest_ids)
    audit_record(actor=actor, action="message.create", obj=message, force=force, after=_snapshot(message))
    return message


@transaction.atomic
def message_update(*, actor: User, message: Message, data: MessageData) -> Message:
    message = _locked(message)
    if not access.can_edit_message(actor, message):
        raise PermissionDenied(_("This message can no longer be changed, or is not yours to change."))
    force = _force_of(actor)
    _validate(data, actor=actor, force=force)
    before = _snapshot(message)
    _apply(message, data)
    message.save()
    message.areas.set(data.area_ids)
    message.interests.set(data.interest_ids)
    audit_record(
        actor=actor, action="message.update", obj=message, force=force, before=before, after=_snapshot(message)
    )
    return message


@transaction.atomic
def message_submit(*, actor: User, message: Message, send_at: datetime | None) -> Message:
    """Ask for approval when the author's role needs it, otherwise schedule for `send_at`
    (or at once). The worker starts sending once the message is scheduled and due."""
    message = _locked(message)
    if message.status != MessageStatus.DRAFT or not access.can_edit_message(actor, message):
        raise PermissionDenied(_("Only a draft you may edit can be sent."))
    force = _force_of(actor)
    errors: dict[str, list[str]] = {}
    try:
        _validate(message_data(message), actor=actor, force=force)
    except ValidationError as error:
        errors.update(error.message_dict)
    now = timezone.now()
    if send_at is not None and timezone.is_naive(send_at):
        errors.setdefault("send_at", []).append(_("Give the time with its time zone."))
    elif send_at is not None and send_at < now - timedelta(minutes=5):
        errors.setdefault("send_at", []).append(_("The time to send is in the past: choose a later time or now."))
    if errors:
        raise ValidationError(errors)
    before = _snapshot(message)
    message.send_at = send_at
    message.submitted_at = now
    if access.approval_required(actor):
        message.status = MessageStatus.AWAITING_APPROVAL
    else:
        message.status = MessageStatus.SCHEDULED
        message.approved_at = now
    message.save()
    audit_record(
        actor=actor, action="message.submit", obj=message, force=force, before=before, after=_snapshot(message)
    )
    return message


@transaction.atomic
def message_approve(*, actor: User, message: Message) -> Message:
    message = _locked(message)
    if not access.can_approve(actor, message):
        raise PermissionDenied(_("You cannot approve this message."))
    before = _snapshot(message)
    message.status = MessageStatus.SCHEDULED
    message.approved_by = actor
    message.approved_at = timezone.now()
    message.save()
    audit_record(
        actor=actor,
        action="message.approve",
        obj=message,
        force=message.force,
        before=before,
        after=_snapshot(message),
    )
    return message


@transaction.atomic
def message_return(*, actor: User, message: Message, note: str) -> Message:
    """The approver sends the message back to its author as a draft, saying why."""
    message = _locked(message)
    if not access.can_approve(actor, message):
        raise PermissionDenied(_("You cannot return this message."))
    if not note.strip():
        raise ValidationError({"note": [_("Say what needs changing.")]})
    before = _snapshot(message)
    message.status = MessageStatus.DRAFT
    message.submitted_at = None
    message.save()
    after = _snapshot(message) | {"note": note.strip()}
    audit_record(actor=actor, action="message.return", obj=message, force=message.force, before=before, after=after)
    return message


@transaction.atomic
def message_cancel(*, actor: User, message: Message) -> Message:
    """Stop a message: deliveries not yet handed to a provider are cancelled; those being sent
    at this moment finish (a provider cannot be asked to un-send)."""
    message = _locked(message)
    if not access.can_cancel(actor, message):
        raise PermissionDenied(_("You cannot cancel this message."))
    before = _snapshot(message)
    now = timezone.now()
    cancelled = message.deliveries.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.RETRY]
    ).update(status=DeliveryStatus.CANCELLED, claimed_until=None)
    message.status = MessageStatus.CANCELLED
    message.cancelled_at = now
    message.cancelled_by = actor
    if not message.deliveries.filter(status=DeliveryStatus.SENDING).exists():
        message.finished_at = message.finished_at or (now if message.started_at else None)
    message.save()
    after = _snapshot(message) | {"deliveries_cancelled": cancelled}
    audit_record(actor=actor, action="message.cancel", obj=message, force=message.force, before=before, after=after)
    return message
