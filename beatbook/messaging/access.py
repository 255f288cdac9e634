"""Who may write, approve, send and read community messages, and who may see subscribers.

- Officers write to their own neighbourhood; commanders to their NPA and its neighbourhoods;
  administrators anywhere in their force (`targetable_areas`). A message may target only areas
  its author could target, and may be edited or cancelled only by someone who could.
- A force can require approval by role (`MessagingSettings.approval_required_for`; officers by
  default). Approvers (commanders and administrators by default) approve messages whose every
  target area is in their scope, never their own.
- Staff other than partners read the messages and metrics of the areas they see; analysts read
  only. Partners see no messaging: it carries the force's voice, and subscriber counts by area.
- Subscriber personal data (addresses, numbers, consent records) is for force administrators
  only; everyone else sees counts.

A message out of scope is a 404, like an area out of scope.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from beatbook.accounts.access import areas_for_user
from beatbook.accounts.models import Role
from beatbook.areas.models import Area, Level

from .models import Message, MessageStatus, MessagingSettings

WRITER_ROLES = frozenset({Role.OFFICER, Role.COMMANDER, Role.ADMIN})
READER_ROLES = frozenset({Role.OFFICER, Role.COMMANDER, Role.ANALYST, Role.ADMIN})
TARGET_LEVELS = (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD)
DEFAULT_APPROVAL_REQUIRED_FOR = (Role.OFFICER,)
DEFAULT_APPROVER_ROLES = (Role.COMMANDER, Role.ADMIN)


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and user.area_id is not None


def user_force_id(user: Any) -> int | None:
    if not _is_staff(user):
        return None
    area: Area = user.area
    return area.pk if area.level == Level.FORCE else area.force_id


def can_read_messages(user: Any) -> bool:
    return _is_staff(user) and user.role in READER_ROLES


def can_write_messages(user: Any) -> bool:
    return _is_staff(user) and user.role in WRITER_ROLES


def targetable_areas(user: Any) -> QuerySet[Area]:
    """The areas this user may send messages to."""
    if not can_write_messages(user):
        return Area.objects.none()
    scope: Area = user.area
    if user.role == Role.OFFICER:
        return Area.objects.filter(pk=scope.pk, level=Level.NEIGHBOURHOOD)
    return areas_for_user(user).filter(level__in=TARGET_LEVELS)


def readable_areas(user: Any) -> QuerySet[Area]:
    """The force, NPAs and neighbourhoods whose messages and metrics this user reads."""
    if not can_read_messages(user):
        return Area.objects.none()
    return areas_for_user(user).filter(level__in=TARGET_LEVELS)


def visible_messages(user: Any) -> QuerySet[Message]:
    """Messages of the user's force aimed at an area they see, or written by them."""
    if not can_read_messages(user):
        return Message.objects.none()
    force_id = user_force_id(user)
    # (order_by(): SQLite refuses an ORDER BY inside either half of a UNION.)
    in_scope = Message.objects.filter(force_id=force_id, areas__in=readable_areas(user)).order_by().values("pk")
    own = Message.objects.filter(force_id=force_id, author=user).order_by().values("pk")
    return Message.objects.filter(force_id=force_id, pk__in=in_scope.union(own))


def get_message_for_user(user: Any, *, pk: int) -> Message:
    message = visible_messages(user).filter(pk=pk).first()
    if message is None:
        raise Http404("No such message")
    return message


def _covers(user: Any, message: Message) -> bool:
    allowed = set(targetable_areas(user).values_list("pk", flat=True))
    targets = set(message.areas.values_list("pk", flat=True))
    return bool(targets) and targets <= allowed


def can_edit_message(user: Any, message: Message) -> bool:
    editable = message.status in {MessageStatus.DRAFT, MessageStatus.AWAITING_APPROVAL}
    return (
        editable
        and can_write_messages(user)
        and user_force_id(user) == message.force_id
        and (message.author_id == user.pk or _covers(user, message))
    )


def messaging_settings(force_id: int) -> MessagingSettings:
    """The force's settings, or the defaults (unsaved) when it has none yet."""
    found = MessagingSettings.objects.filter(force_id=force_id).first()
    if found is not None:
        return found
    return MessagingSettings(
        force_id=force_id,
        approval_required_for=list(DEFAULT_APPROVAL_REQUIRED_FOR),
        approver_roles=list(DEFAULT_APPROVER_ROLES),
    )


def approval_required(user: Any) -> bool:
    force_id = user_force_id(user)
    if force_id is None:
        return True
    return user.role in messaging_settings(force_id).approval_required_for


def can_approve(user: Any, message: Message) -> bool:
    if not _is_staff(user) or user_force_id(user) != message.force_id or message.author_id == user.pk:
        return False
    if user.role not in messaging_settings(message.force_id).approver_roles:
        return False
    return message.status == MessageStatus.AWAITING_APPROVAL and _covers(user, message)


def can_cancel(user: Any, message: Message) -> bool:
    cancellable = message.status in {MessageStatus.AWAITING_APPROVAL, MessageStatus.SCHEDULED, MessageStatus.SENDING}
    if not cancellable or user_force_id(user) != message.force_id:
        return False
    return message.author_id == user.pk or (can_write_messages(user) and _covers(user, message))


def can_see_subscriber_details(user: Any) -> bool:
    return _is_staff(user) and user.role == Role.ADMIN


def can_manage_messaging(user: Any) -> bool:
    """Templates, interests, consent wording, the force's settings, subscriber imports."""
    return _is_staff(user) and user.role == Role.ADMIN
