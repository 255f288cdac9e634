"""Who may see which area. Every view and API endpoint goes through these functions.

A staff member's `area` is their scope: they see that area and everything inside it.
Force administrators and analysts are normally scoped to the whole force.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from beatbook.areas.models import Area, Level

from .models import Role, User


def _is_staff_user(user: Any) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False)) and getattr(user, "area_id", None) is not None and user.is_active
    )


def visible_areas_q(user: Any) -> Q:
    """A filter on Area matching the areas this user may see (nothing for anonymous users)."""
    if not _is_staff_user(user):
        return Q(pk__in=[])
    scope: Area = user.area
    if scope.level == Level.FORCE:
        return Q(pk=scope.pk) | Q(force_id=scope.pk)
    if scope.level == Level.NPA:
        inside = Q(pk=scope.pk) | Q(parent_id=scope.pk) | Q(level=Level.LSOA, parent__parent_id=scope.pk)
        lsoas = Area.objects.filter(level=Level.LSOA, parent__parent_id=scope.pk)
    elif scope.level == Level.NEIGHBOURHOOD:
        inside = Q(pk=scope.pk) | Q(level=Level.LSOA, parent_id=scope.pk)
        lsoas = Area.objects.filter(level=Level.LSOA, parent_id=scope.pk)
    else:
        inside = Q(pk=scope.pk)
        lsoas = Area.objects.filter(pk=scope.pk, level=Level.LSOA)
    # Wards, districts and MSOAs do not nest in the policing hierarchy: show those that
    # hold at least one LSOA inside the scope.
    overlapping = (
        Q(level=Level.WARD, pk__in=lsoas.values("ward_id"))
        | Q(level=Level.LAD, pk__in=lsoas.values("lad_id"))
        | Q(level=Level.MSOA, pk__in=lsoas.values("msoa_id"))
    )
    return inside | overlapping


def areas_for_user(user: Any) -> QuerySet[Area]:
    return Area.objects.filter(visible_areas_q(user))


def can_view_area(user: Any, area: Area) -> bool:
    return areas_for_user(user).filter(pk=area.pk).exists()


def get_area_for_user(user: Any, *, code: str, level: str | None = None) -> Area:
    """The area with this code if the user may see it; 404 otherwise, so scope is not leaked."""
    queryset = areas_for_user(user).select_related("parent", "parent__parent", "force", "lad")
    if level is not None:
        queryset = queryset.filter(level=level)
    area = queryset.filter(code=code).first()
    if area is None:
        raise Http404("No such area, or not one you can see.")
    return area


def is_force_admin(user: Any) -> bool:
    return _is_staff_user(user) and user.role == Role.ADMIN


def can_see_audit(user: Any) -> bool:
    return is_force_admin(user)


def can_manage_users(user: Any) -> bool:
    """Force administrators manage the accounts in their force; nobody else does."""
    return is_force_admin(user)


# Integrations pull data in bulk; analysts and administrators are the people who build
# them. Officers, commanders and partners use the pages, so a long-lived credential in
# their hands would add risk without a use.
API_TOKEN_ROLES = frozenset({Role.ANALYST, Role.ADMIN})


def can_use_api_tokens(user: Any) -> bool:
    return _is_staff_user(user) and user.role in API_TOKEN_ROLES


def user_force(user: User) -> Area | None:
    scope = user.area
    if scope is None:
        return None
    return scope if scope.level == Level.FORCE else scope.force
