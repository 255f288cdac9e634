"""Staff writes behind the messaging pages that are not messages or subscribers: message
templates, a person's signature (`SenderProfile`) and the force's messaging settings.

Each function checks who may make the change (the pages check too, but an API or a command
must not get round it), validates with field names, writes in one transaction and records an
audit event with the values before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from beatbook.accounts.models import Role, User
from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area

from . import access
from .models import MessageKind, MessageTemplate, MessagingSettings, SenderProfile

SMS_LIMIT = 459
ROLE_VALUES = frozenset(Role.values) - {Role.PARTNER}


@dataclass(frozen=True)
class TemplateData:
    name: str
    kind: str
    subject: str
    body: str
    sms_body: str = ""
    active: bool = True


def _template_snapshot(template: MessageTemplate) -> dict[str, Any]:
    return {
        "name": template.name,
        "kind": template.kind,
        "subject": template.subject,
        "body": template.body,
        "sms_body": template.sms_body,
        "active": template.active,
    }


def _check_template(data: TemplateData) -> None:
    errors: dict[str, list[str]] = {}
    for name, label in (("name", "a name"), ("subject", "a subject"), ("body", "the message")):
        if not getattr(data, name).strip():
            errors[name] = [f"Enter {label}"]
    if data.kind not in MessageKind.values:
        errors["kind"] = ["Choose the type of message"]
    if len(data.sms_body) > SMS_LIMIT:
        errors["sms_body"] = [f"The text message must be {SMS_LIMIT} characters or fewer (3 texts)"]
    if errors:
        raise ValidationError(errors)


def _force_of(actor: User) -> Area:
    force_id = access.user_force_id(actor)
    if force_id is None or not access.can_manage_messaging(actor):
        raise PermissionDenied("Only your force's administrators manage messaging.")
    return Area.objects.get(pk=force_id)


@transaction.atomic
def template_create(*, actor: User, data: TemplateData) -> MessageTemplate:
    force = _force_of(actor)
    _check_template(data)
    template = MessageTemplate.objects.create(
        force=force,
        name=data.name.strip(),
        kind=data.kind,
        subject=data.subject.strip(),
        body=data.body.strip(),
        sms_body=data.sms_body.strip(),
        active=data.active,
    )
    audit_record(
        actor=actor, action="messaging.template.create", obj=template, force=force, after=_template_snapshot(template)
    )
    return template


@transaction.atomic
def template_update(*, actor: User, template: MessageTemplate, data: TemplateData) -> MessageTemplate:
    force = _force_of(actor)
    if template.force_id != force.pk:
        raise PermissionDenied("That template belongs to another force.")
    _check_template(data)
    before = _template_snapshot(template)
    template.name = data.name.strip()
    template.kind = data.kind
    template.subject = data.subject.strip()
    template.body = data.body.strip()
    template.sms_body = data.sms_body.strip()
    template.active = data.active
    template.save()
    audit_record(
        actor=actor,
        action="messaging.template.update",
        obj=template,
        force=force,
        before=before,
        after=_template_snapshot(template),
    )
    return template


@transaction.atomic
def sender_profile_update(
    *,
    actor: User,
    display_name: str,
    role_title: str,
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> SenderProfile:
    """The actor's own signature. The photo is checked by the form (type, size, a real image)."""
    if not access.can_write_messages(actor):
        raise PermissionDenied("Your role does not write messages.")
    errors: dict[str, list[str]] = {}
    if not display_name.strip():
        errors["display_name"] = ["Enter the name subscribers will see"]
    if not role_title.strip():
        errors["role_title"] = ["Enter your role, for example PCSO, Abbeyfield"]
    if errors:
        raise ValidationError(errors)
    profile = SenderProfile.objects.filter(user=actor).first()
    before = None
    if profile is None:
        profile = SenderProfile(user=actor)
    else:
        before = {"display_name": profile.display_name, "role_title": profile.role_title, "photo": profile.photo.name}
    profile.display_name = display_name.strip()
    profile.role_title = role_title.strip()
    if photo is not None:
        profile.photo.save(photo.name or "photo", photo, save=False)
    elif remove_photo:
        profile.photo = ""
    profile.save()
    # A replaced photo's file is kept: messages already written name it in their signature.
    audit_record(
        actor=actor,
        action="messaging.sender_profile.update",
        obj=profile,
        force=_force_or_none(actor),
        before=before,
        after={"display_name": profile.display_name, "role_title": profile.role_title, "photo": profile.photo.name},
    )
    return profile


def _force_or_none(actor: User) -> Area | None:
    force_id = access.user_force_id(actor)
    return None if force_id is None else Area.objects.filter(pk=force_id).first()


@dataclass(frozen=True)
class SettingsData:
    approval_required_for: list[str]
    approver_roles: list[str]
    open_tracking: bool
    sender_name: str
    reply_to: str


@transaction.atomic
def messaging_settings_update(*, actor: User, data: SettingsData) -> MessagingSettings:
    force = _force_of(actor)
    errors: dict[str, list[str]] = {}
    for name in ("approval_required_for", "approver_roles"):
        unknown = sorted(set(getattr(data, name)) - ROLE_VALUES)
        if unknown:
            errors[name] = [f"Not staff roles: {', '.join(unknown)}"]
    if not data.approver_roles and data.approval_required_for:
        errors["approver_roles"] = ["Choose at least one role that approves, or require approval from no one"]
    if errors:
        raise ValidationError(errors)
    found = MessagingSettings.objects.select_for_update().filter(force=force).first()
    current = found or access.messaging_settings(force.pk)
    before = _settings_snapshot(current) if found else None
    current.approval_required_for = sorted(set(data.approval_required_for))
    current.approver_roles = sorted(set(data.approver_roles))
    current.open_tracking = data.open_tracking
    current.sender_name = data.sender_name.strip()
    current.reply_to = data.reply_to.strip()
    current.save()
    audit_record(
        actor=actor,
        action="messaging.settings.update",
        obj=current,
        force=force,
        before=before,
        after=_settings_snapshot(current),
    )
    return current


def _settings_snapshot(settings: MessagingSettings) -> dict[str, Any]:
    return {
        "approval_required_for": list(settings.approval_required_for),
        "approver_roles": list(settings.approver_roles),
        "open_tracking": settings.open_tracking,
        "sender_name": settings.sender_name,
        "reply_to": settings.reply_to,
    }
