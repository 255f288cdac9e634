"""Reads for accounts: people in a force, the audit search, tokens and two-factor state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from beatbook.areas.models import Area, Level

from . import access
from .models import ApiToken, AuditEvent, Role, User
from .services import SCOPE_LEVELS


def two_factor_required(user: Any) -> bool:
    """Administrators must use a second factor; anyone else who enrolled must use it too.

    An optional device that could be skipped would protect nobody, so enrolling makes it
    required for that person.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def _scope_order() -> Case:
    return Case(
        When(level=Level.FORCE, then=Value(0)),
        When(level=Level.NPA, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def assignable_areas(admin: User) -> QuerySet[Area]:
    """The scopes an administrator may give people: their force, its NPAs and neighbourhoods."""
    force = access.user_force(admin)
    if force is None or not access.is_force_admin(admin):
        return Area.objects.none()
    return (
        Area.objects.filter(Q(pk=force.pk) | Q(force_id=force.pk), level__in=SCOPE_LEVELS)
        .annotate(scope_order=_scope_order())
        .order_by("scope_order", "name")
    )


def users_for_admin(
    admin: User, *, role: str | None = None, area: Area | None = None, q: str | None = None
) -> QuerySet[User]:
    """People whose scope is inside the administrator's force, optionally filtered.

    Filtering by an area finds people scoped to it or to anything inside it, so choosing a
    policing area lists its commander and its neighbourhood officers.
    """
    force = access.user_force(admin)
    if force is None or not access.is_force_admin(admin):
        return User.objects.none()
    users = User.objects.select_related("area").filter(Q(area_id=force.pk) | Q(area__force_id=force.pk))
    if role:
        users = users.filter(role=role)
    if area is not None:
        users = users.filter(Q(area_id=area.pk) | Q(area__parent_id=area.pk) | Q(area__parent__parent_id=area.pk))
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
            | Q(organisation__icontains=q)
        )
    return users.order_by("-is_active", "last_name", "first_name", "username")


def user_for_admin(admin: User, pk: int) -> User | None:
    return users_for_admin(admin).filter(pk=pk).first()


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events_for_admin(admin: User, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """Audit events in the administrator's force, newest first, narrowed by `filters`."""
    force = access.user_force(admin)
    if force is None or not access.can_see_audit(admin):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.select_related("actor").filter(force_id=force.pk)
    f = filters or AuditFilters()
    if f.actor:
        events = events.filter(Q(actor__username__iexact=f.actor) | Q(actor_label__icontains=f.actor))
    if f.action:
        events = events.filter(action=f.action)
    if f.object_type:
        events = events.filter(object_type=f.object_type)
    if f.date_from:
        events = events.filter(at__gte=_start_of(f.date_from))
    if f.date_to:
        # The "to" date is inclusive: everything before the start of the next day.
        events = events.filter(at__lt=_start_of(f.date_to + timedelta(days=1)))
    if f.q:
        events = events.filter(
            Q(object_label__icontains=f.q)
            | Q(object_id=f.q)
            | Q(actor_label__icontains=f.q)
            | Q(action__icontains=f.q)
            | Q(ip_address__startswith=f.q)
        )
    return events.order_by("-at", "-id")


def audit_choices(admin: User) -> tuple[list[str], list[str]]:
    """The actions and object types that occur in the administrator's force, for filter menus."""
    events = audit_events_for_admin(admin)
    actions = sorted(set(events.order_by().values_list("action", flat=True).distinct()))
    types = sorted(set(events.order_by().values_list("object_type", flat=True).distinct()) - {""})
    return actions, types


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def audit_event_changes(event: AuditEvent) -> list[Change]:
    """The fields an event changed (or set, or removed), in a stable order."""
    before = event.before or {}
    after = event.after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return [
        Change(field=key, before=before.get(key), after=after.get(key))
        for key in keys
        if before.get(key) != after.get(key) or key not in before or key not in after
    ]


def tokens_for_user(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
