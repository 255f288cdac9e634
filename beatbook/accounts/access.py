"""Who may see which area. Every view and API endpoint goes through these functions.

A staff member's `area` is their scope: they see that area and everything inside it.
Force administrators and analysts are normally scoped to the whole force.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from beatbook.areas.models import POLICING_LEVELS, Area, Level

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


class AmbiguousAreaCode(Exception):
    """A code with no level names more than one area: the caller must say which level."""

    def __init__(self, code: str, levels: list[str]) -> None:
        self.code = code
        self.levels = sorted(levels)
        super().__init__(f"The code {code!r} names more than one area ({', '.join(self.levels)}); give its level.")


def find_area(areas: QuerySet[Area], *, code: str, level: str | None = None) -> Area | None:
    """The area among `areas` with this code (and level); None when there is none.

    Codes are unique only within a level (a force's own codes may repeat an ONS code), so
    without a level a code that matches several areas raises AmbiguousAreaCode rather than
    guessing. Pages, the API and the `areas` command all use this one rule.
    """
    queryset = areas.filter(code=code)
    if level is not None:
        queryset = queryset.filter(level=level)
    # At most one row per level (unique level and code), so this list is short.
    found = list(queryset[: len(Level.values) + 1])
    if len(found) > 1:
        raise AmbiguousAreaCode(code, [a.level for a in found])
    return found[0] if found else None


def get_area_for_user(user: Any, *, code: str, level: str | None = None) -> Area:
    """The area with this code if the user may see it; 404 otherwise, so scope is not leaked.

    Raises AmbiguousAreaCode when no level is given and the code names more than one area
    the user may see (only visible areas count, so the answer says nothing about others).
    """
    queryset = areas_for_user(user).select_related("parent", "parent__parent", "force", "lad")
    area = find_area(queryset, code=code, level=level)
    if area is None:
        raise Http404("No such area, or not one you can see.")
    return area


def visible_lsoas(user: Any) -> QuerySet[Area] | None:
    """The LSOAs this user may see, to limit figures to; None when they see their whole force.

    Wards, districts and MSOAs are visible when they share one LSOA with the user's scope,
    so their figures must be summed over the visible LSOAs only, or they would show other
    neighbourhoods' data. A force-wide scope holds every LSOA of the force: no limit needed.
    """
    if not _is_staff_user(user):
        return Area.objects.none()
    if user.area.level == Level.FORCE:
        return None
    return areas_for_user(user).filter(level=Level.LSOA)


def lsoa_limit(user: Any, area: Area) -> QuerySet[Area] | None:
    """The LSOAs the figures of `area` must be limited to for this user; None for all of them.

    A visible policing area (force, NPA, neighbourhood, LSOA) lies wholly inside the user's
    scope; a ward, district or MSOA may reach outside it.
    """
    if area.level in POLICING_LEVELS:
        return None
    return visible_lsoas(user)


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
    return user.area.owning_force if user.area is not None else None
