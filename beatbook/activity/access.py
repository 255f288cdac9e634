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
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from beatbook.accounts.access import areas_for_user
from beatbook.accounts.models import Role
from beatbook.areas.models import Area, Level

from .models import Activity

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
