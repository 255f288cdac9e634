"""Reads for the activity pages and exports: searching what a user may see, totals, and the
choices the forms offer.

Everything starts from `access.visible_activities(user)`, so a filter can only narrow what a
user may already see. Filters that reach through a many-to-many relation use `Exists`, never a
join, so an activity is never counted twice and the totals stay one aggregate query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from beatbook.accounts.access import areas_for_user
from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area, Level

from . import access
from .models import Activity, ActivityArea, ActivityType, IssueCategory, Partner, Place

# How far back "the types you use most" looks when ordering the quick form's types.
TYPE_USAGE_DAYS = 365


@dataclass(frozen=True)
class ActivityFilters:
    """What the list, and the exports made from it, are narrowed to. Empty means everything."""

    area: Area | None = None
    type: ActivityType | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: IssueCategory | None = None
    q: str = ""
    with_partners: bool = False


@dataclass(frozen=True)
class ActivityTotals:
    activities: int
    people_reached: int
    online_reach: int
    officer_hours: Decimal


def _in_area_or_below(area: Area) -> Q:
    """ActivityArea rows in `area` or in an area inside it (an NPA holds its neighbourhoods)."""
    return Q(area=area) | Q(area__parent=area) | Q(area__parent__parent=area)


def activity_search(user: Any, *, filters: ActivityFilters) -> QuerySet[Activity]:
    """The activities this user may see that match `filters`, newest first."""
    activities = access.visible_activities(user)
    f = filters
    if f.area is not None:
        links = ActivityArea.objects.filter(_in_area_or_below(f.area), activity=OuterRef("pk"))
        activities = activities.filter(Exists(links))
    if f.type is not None:
        activities = activities.filter(type=f.type)
    if f.date_from is not None:
        activities = activities.filter(date__gte=f.date_from)
    if f.date_to is not None:
        activities = activities.filter(date__lte=f.date_to)
    if f.category is not None:
        tagged = Activity.issue_categories.through.objects.filter(activity=OuterRef("pk"), issuecategory=f.category)
        activities = activities.filter(Exists(tagged))
    if f.q:
        text = Q(title__icontains=f.q) | Q(issues_raised__icontains=f.q)
        if access.sees_internal_fields(user):
            # Not for partners: a match would tell them what the team's own notes say.
            text |= Q(notes__icontains=f.q)
        activities = activities.filter(text)
    if f.with_partners:
        # The same rule as ActivityArea.with_partner: a listed partner or a named other one.
        listed = Activity.partners.through.objects.filter(activity=OuterRef("pk"))
        activities = activities.filter(Exists(listed) | ~Q(other_partners=""))
    return activities.order_by("-starts_at", "-id")


def activity_totals(activities: QuerySet[Activity]) -> ActivityTotals:
    """Counts and sums over `activities`, in one query."""
    zero = Decimal(0)
    totals = activities.order_by().aggregate(
        activities=Count("pk"),
        people_reached=Coalesce(Sum("people_reached"), 0),
        online_reach=Coalesce(Sum("online_reach"), 0),
        officer_hours=Sum("officer_hours"),
    )
    return ActivityTotals(
        activities=totals["activities"],
        people_reached=totals["people_reached"],
        online_reach=totals["online_reach"],
        officer_hours=totals["officer_hours"] or zero,
    )


def with_list_details(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """What a row of the list shows: the type, the areas and the partners, without a query per row."""
    return activities.select_related("type").prefetch_related(
        Prefetch("area_links", queryset=ActivityArea.objects.select_related("area").order_by("area__name")),
        Prefetch("partners", queryset=Partner.objects.order_by("name")),
    )


def with_all_details(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """Everything the detail page (and the API) shows, in a fixed number of queries."""
    return (
        with_list_details(activities)
        .select_related("ward", "place", "recorded_by")
        .prefetch_related(
            Prefetch("officers", queryset=User.objects.order_by("username")),
            Prefetch("issue_categories", queryset=IssueCategory.objects.order_by("position", "name")),
        )
    )


# What an export row needs of the activity itself; the many-to-many parts are fetched per chunk.
EXPORT_FIELDS = (
    "pk",
    "date",
    "starts_at",
    "type__slug",
    "title",
    "address",
    "ward__code",
    "place__name",
    "latitude",
    "longitude",
    "other_partners",
    "people_reached",
    "online_reach",
    "demographics",
    "issues_raised",
    "follow_up",
    "priorities_set",
    "officer_hours",
    "links",
    "notes",
    "shared_with_partners",
)


def _grouped(pairs: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for activity_id, value in pairs:
        groups.setdefault(activity_id, []).append(value)
    return groups


def activity_export_rows(activities: QuerySet[Activity], *, chunk_size: int = 2000) -> Iterator[dict[str, Any]]:
    """Each activity as a dict of EXPORT_FIELDS plus sorted lists `areas` (codes), `officers`
    (usernames), `partners` (names) and `issue_categories` (slugs), in the queryset's order.

    Plain values rather than model instances: building and linking hundreds of thousands of
    related objects (prefetch_related) costs far more than the rows are worth here. Rows are
    read in chunks, with four queries per chunk for the relations.
    """
    rows = activities.values(*EXPORT_FIELDS).iterator(chunk_size=chunk_size)
    while batch := list(islice(rows, chunk_size)):
        ids = [row["pk"] for row in batch]
        related = {
            "areas": ActivityArea.objects.filter(activity_id__in=ids).values_list("activity_id", "area__code"),
            "officers": Activity.officers.through.objects.filter(activity_id__in=ids).values_list(
                "activity_id", "user__username"
            ),
            "partners": Activity.partners.through.objects.filter(activity_id__in=ids).values_list(
                "activity_id", "partner__name"
            ),
            "issue_categories": Activity.issue_categories.through.objects.filter(activity_id__in=ids).values_list(
                "activity_id", "issuecategory__slug"
            ),
        }
        groups = {name: _grouped(pairs) for name, pairs in related.items()}
        for row in batch:
            for name, by_activity in groups.items():
                row[name] = sorted(by_activity.get(row["pk"], []))
            yield row


def activity_detail(activity: Activity) -> Activity:
    """The activity again with everything its page shows loaded."""
    return with_all_details(Activity.objects.filter(pk=activity.pk)).get()


# --- Choices for the forms and the filters ------------------------------------------------


def filter_areas(user: Any) -> QuerySet[Area]:
    """The areas the list can be narrowed to: those the user sees that activity is recorded against."""
    return areas_for_user(user).filter(level__in=access.ACTIVITY_LEVELS).order_by("level", "name")


def types_for_quick_form(user: Any) -> list[ActivityType]:
    """Active types, the ones most recorded in this user's areas over the last year first.

    Counted on ActivityArea, whose (area, date) index answers it without touching Activity.
    """
    since = timezone.localdate() - dt.timedelta(days=TYPE_USAGE_DAYS)
    recent = ActivityArea.objects.filter(area__in=access.recordable_areas(user), date__gte=since)
    uses = dict(recent.order_by().values_list("type").annotate(n=Count("activity", distinct=True)))
    types = list(ActivityType.objects.filter(active=True).order_by("position", "name"))
    # sorted() is stable, so types used equally often keep the configured order.
    return sorted(types, key=lambda t: -uses.get(t.pk, 0))


def types_for_edit(current: ActivityType | None) -> QuerySet[ActivityType]:
    """Active types, and the activity's own type even if it has been retired (so it can be seen)."""
    keep = Q(pk=current.pk) if current is not None else Q(pk__in=[])
    return ActivityType.objects.filter(Q(active=True) | keep)


def partners_for(force: Area | None, *, keep: list[int] | None = None) -> QuerySet[Partner]:
    if force is None:
        return Partner.objects.none()
    return Partner.objects.filter(Q(active=True) | Q(pk__in=keep or []), force=force).order_by("name")


def places_for(
    force: Area | None, *, areas: QuerySet[Area] | None = None, keep: list[int] | None = None
) -> QuerySet[Place]:
    """The force's active places, and those in `keep`. With `areas`, only the places in one of
    them or in no neighbourhood: an officer is not offered every other team's community centres."""
    if force is None:
        return Place.objects.none()
    offered = Q(active=True)
    if areas is not None:
        offered &= Q(neighbourhood__isnull=True) | Q(neighbourhood__in=areas)
    return Place.objects.filter(offered | Q(pk__in=keep or []), force=force).order_by("name")


def categories_for_form(*, keep: list[int] | None = None) -> QuerySet[IssueCategory]:
    return IssueCategory.objects.filter(Q(active=True) | Q(pk__in=keep or []))


def wards_for(force: Area | None) -> QuerySet[Area]:
    if force is None:
        return Area.objects.none()
    return Area.objects.filter(level=Level.WARD, force=force).order_by("name")


def officers_for(
    force: Area | None, *, areas: QuerySet[Area] | None = None, keep: list[int] | None = None
) -> QuerySet[User]:
    """Active staff (not partners) working anywhere in the force: who can be named as attending.

    With `areas`, only the staff whose own area is one of them (a form offers the people of
    the user's team as a list of checkboxes, not the whole force); those in `keep` stay.
    """
    if force is None:
        return User.objects.none()
    in_force = Q(area=force) | Q(area__force=force)
    staff = Q(is_active=True) & ~Q(role=Role.PARTNER) & in_force
    if areas is not None:
        staff &= Q(area__in=areas)
    return User.objects.filter(staff | Q(pk__in=keep or [])).order_by("last_name", "first_name", "username")


# --- the force's directory ---------------------------------------------------------------


def partners_for_force(force: Area) -> QuerySet[Partner]:
    """The force's partner organisations, in use first, each with how many activities name it."""
    return Partner.objects.filter(force=force).annotate(activity_count=Count("activities")).order_by("-active", "name")


def places_for_user(user: User) -> QuerySet[Place]:
    """The places this user can see, in use first, each with how many activities were held there."""
    return (
        access.visible_places(user)
        .select_related("neighbourhood")
        .annotate(activity_count=Count("activities"))
        .order_by("-active", "name")
    )
