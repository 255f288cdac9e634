"""Who may see, record and edit engagement activity. Every view, API endpoint and import uses these.

- Officers record and edit activity for their own neighbourhood only.
- Commanders record for their policing area (NPA) and its neighbourhoods, and see all of it.
- Force administrators record anywhere in their force; analysts see the force but record nothing.
- Partners record nothing and see only activity shared with partners in their area.

An activity is visible when one of its areas is visible (`accounts.access.areas_for_user`), and
editable when every one of its areas is one the user may record in, so an officer cannot
rewrite a joint activity that reaches a neighbourhood they do not police.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from beatbook.accounts.access import areas_for_user
from beatbook.accounts.models import Role
from beatbook.areas.models import Area, Level

from .models import Activity, Partner, Place

# The levels an activity may be recorded against: a neighbourhood, a whole policing area (a
# commander's blog) or the whole force (a force-wide campaign).
ACTIVITY_LEVELS = (Level.NEIGHBOURHOOD, Level.NPA, Level.FORCE)
# The levels a team is: standards apply to each neighbourhood team or each NPA.
TEAM_LEVELS = (Level.NEIGHBOURHOOD, Level.NPA)
RECORDING_ROLES = frozenset({Role.OFFICER, Role.COMMANDER, Role.ADMIN})


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and user.area_id is not None


def can_record(user: Any) -> bool:
    return _is_staff(user) and user.role in RECORDING_ROLES


def recordable_areas(user: Any) -> QuerySet[Area]:
    """The areas this user may record activity against (nothing for analysts and partners)."""
    if not can_record(user):
        return Area.objects.none()
    scope: Area = user.area
    if user.role == Role.OFFICER:
        return Area.objects.filter(pk=scope.pk, level=Level.NEIGHBOURHOOD)
    return areas_for_user(user).filter(level__in=ACTIVITY_LEVELS)


def visible_activities(user: Any) -> QuerySet[Activity]:
    """Activities with at least one area this user may see; for partners, only shared ones."""
    if not _is_staff(user):
        return Activity.objects.none()
    visible = areas_for_user(user).filter(level__in=ACTIVITY_LEVELS)
    activities = Activity.objects.filter(pk__in=_linked_to(visible))
    if user.role == Role.PARTNER:
        activities = activities.filter(shared_with_partners=True)
    return activities


# What the team records for itself: partners see the engagement, not the force's own notes,
# who logged it or the officer hours it cost (performance management data).
INTERNAL_FIELDS = ("notes", "officer_hours", "recorded_by", "client_id")


def sees_internal_fields(user: Any) -> bool:
    """False for partners: `INTERNAL_FIELDS` are left out of what they see (page, API, export)."""
    return _is_staff(user) and user.role != Role.PARTNER


def _linked_to(areas: QuerySet[Area]) -> QuerySet[Any]:
    from .models import ActivityArea

    return ActivityArea.objects.filter(area__in=areas).values("activity_id")


def get_activity_for_user(user: Any, *, pk: int) -> Activity:
    """The activity if this user may see it; 404 otherwise, so records out of scope are not confirmed."""
    activity = visible_activities(user).select_related("type", "force", "ward", "place", "recorded_by").filter(pk=pk)
    found = activity.first()
    if found is None:
        raise Http404(_("No such activity, or not one you can see."))
    return found


def can_edit_activity(user: Any, activity: Activity) -> bool:
    if not can_record(user):
        return False
    area_ids = set(activity.area_links.values_list("area_id", flat=True))
    allowed = set(recordable_areas(user).filter(pk__in=area_ids).values_list("pk", flat=True))
    return bool(area_ids) and area_ids <= allowed


def get_activity_for_edit(user: Any, *, pk: int) -> Activity:
    """The activity for editing: 404 when out of sight, 403 when visible but not the user's to edit."""
    activity = get_activity_for_user(user, pk=pk)
    if not can_edit_activity(user, activity):
        raise PermissionDenied(_("You can only change activity in the areas you record for."))
    return activity


def teams_for_user(user: Any) -> QuerySet[Area]:
    """The teams (neighbourhoods and NPAs) whose compliance this user may see.

    Compliance is the force's own performance management, so partners do not see it.
    """
    if not _is_staff(user) or user.role == Role.PARTNER:
        return Area.objects.none()
    return areas_for_user(user).filter(level__in=TEAM_LEVELS)


def get_team_for_user(user: Any, *, code: str, level: str) -> Area:
    if level not in TEAM_LEVELS:
        raise Http404(_("Compliance is shown for neighbourhood teams and policing areas."))
    team = teams_for_user(user).select_related("parent", "force").filter(code=code, level=level).first()
    if team is None:
        raise Http404(_("No such team, or not one you can see."))
    return team


def can_edit_standards(user: Any) -> bool:
    """Force administrators set their force's engagement standards."""
    return _is_staff(user) and user.role == Role.ADMIN


# --- The force's directory: partner organisations and places teams go back to -------------
# Partners are force-wide (one council works with many teams), so the people who run
# partnerships, commanders and administrators, keep the list. A place belongs to a
# neighbourhood, so whoever may record activity there may add or correct it; a place with no
# neighbourhood is force-wide and only administrators change it.
DIRECTORY_READERS = frozenset({Role.OFFICER, Role.COMMANDER, Role.ANALYST, Role.ADMIN})
PARTNER_MANAGERS = frozenset({Role.COMMANDER, Role.ADMIN})


def can_read_directory(user: Any) -> bool:
    return _is_staff(user) and user.role in DIRECTORY_READERS


def user_force_for_directory(user: Any) -> Area | None:
    """The force whose directory this user may read; None for partners and unscoped accounts."""
    from beatbook.accounts.access import user_force

    return user_force(user) if can_read_directory(user) else None


def can_manage_partners(user: Any) -> bool:
    return _is_staff(user) and user.role in PARTNER_MANAGERS


def place_neighbourhoods(user: Any) -> QuerySet[Area]:
    """The neighbourhoods this user may add or correct places in."""
    return recordable_areas(user).filter(level=Level.NEIGHBOURHOOD)


def can_add_places(user: Any) -> bool:
    return place_neighbourhoods(user).exists()


def can_edit_place(user: Any, place: Place) -> bool:
    if place.neighbourhood_id is None:
        return can_record(user) and user.role == Role.ADMIN and place.force_id == _force_id(user)
    return place_neighbourhoods(user).filter(pk=place.neighbourhood_id).exists()


def _force_id(user: Any) -> int | None:
    from beatbook.accounts.access import user_force

    force = user_force(user) if _is_staff(user) else None
    return force.pk if force is not None else None


def get_partner_for_manage(user: Any, *, pk: int) -> Partner:
    """A partner of the user's own force for a manager; 404 for another force's, 403 for non-managers."""
    if not can_read_directory(user):
        raise PermissionDenied(_("The partner list is kept by the force's own staff."))
    partner = Partner.objects.filter(pk=pk, force_id=_force_id(user)).first()
    if partner is None:
        raise Http404(_("No such partner in your force."))
    if not can_manage_partners(user):
        raise PermissionDenied(_("Commanders and administrators keep the partner list."))
    return partner


def visible_places(user: Any) -> QuerySet[Place]:
    """Places in the neighbourhoods this user can see, and the force's force-wide places."""
    if not can_read_directory(user):
        return Place.objects.none()
    seen = areas_for_user(user).filter(level=Level.NEIGHBOURHOOD)
    return Place.objects.filter(force_id=_force_id(user)).filter(
        Q(neighbourhood__in=seen) | Q(neighbourhood__isnull=True)
    )


def get_place_for_edit(user: Any, *, pk: int) -> Place:
    """The place for correcting: 404 when out of sight, 403 when seen but not the user's to change."""
    place = visible_places(user).select_related("neighbourhood").filter(pk=pk).first()
    if place is None:
        raise Http404(_("No such place, or not one you can see."))
    if not can_edit_place(user, place):
        raise PermissionDenied(_("You can only change places in the neighbourhoods you record for."))
    return place
