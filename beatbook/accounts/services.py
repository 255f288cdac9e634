"""Writes to staff accounts and the audit trail. Every staff write records an AuditEvent."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from beatbook.areas.models import Area, Level

from .models import AuditEvent, Role, User


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "command line"
    return actor.get_username()


def _force_of(area: Area | None) -> Area | None:
    if area is None:
        return None
    return area if area.level == Level.FORCE else area.force


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    force: Area | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one audit record. Call it inside the service's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:300]
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=_actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        force=force,
        before=before,
        after=after,
        ip_address=ip_address,
    )


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "area": user.area.code if user.area_id and user.area else None,
        "organisation": user.organisation,
        "is_active": user.is_active,
    }


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    role: str,
    area: Area,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    organisation: str = "",
) -> User:
    """Create a staff or partner account scoped to `area`."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    user = User(
        username=username,
        role=role,
        area=area,
        first_name=first_name,
        last_name=last_name,
        email=email,
        organisation=organisation,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=actor, action="user.create", obj=user, force=_force_of(area), after=_user_snapshot(user))
    return user
