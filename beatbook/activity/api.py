"""The activity API: engagement activity, its types, and compliance with the engagement standards.

Mounted at /api/v1/ (paths /activities, /activity-types, /partners, /places and
/compliance/{code}). What a
caller sees comes from `access.visible_activities` and what they may write from the services,
so the API keeps the rules of the pages: an officer records for their own neighbourhood,
a commander for their NPA, partners read only activity shared with them and analysts read
everything in their force but record nothing.

Status codes: 404 for an activity or area that does not exist or is out of the caller's
scope (the two are not told apart); 403 for one the caller sees but may not change, or a
role that does not record; 422 with `{"detail", "errors": {field: [messages]}}` when the
record breaks a rule or a value is of the wrong type or beyond a limit the schema states (a count
above 100,000,000, officer time of 10,000 hours or more; `core.api` gives schema errors the same
shape); 400 for a malformed filter.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from beatbook.accounts.access import AmbiguousAreaCode, areas_for_user, find_area, get_area_for_user
from beatbook.areas.models import Area, Level

from . import access, compliance_selectors, selectors, services
from .management.commands.compliance import as_dict as compliance_as_dict
from .models import Activity, ActivityType, IssueCategory, Partner, Place
from .periods import Period, parse_period

router = Router(tags=["activity"])

PAGE_SIZE = 50
COMPLIANCE_LEVELS = (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD)


# --- schemas -----------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    type: str = Field(description="The activity type's slug (see /activity-types).")
    type_name: str
    title: str
    starts_at: dt.datetime
    date: dt.date = Field(description="The Europe/London date of starts_at: the day standards count it on.")
    areas: list[str] = Field(description="Codes of the neighbourhoods, NPAs or force it was for.")
    address: str
    ward: str | None = Field(description="Ward code.")
    place: str | None = Field(description="Name of one of the force's places.")
    latitude: float | None
    longitude: float | None
    officers: list[str] = Field(description="Usernames of the officers who took part.")
    partners: list[str] = Field(description="Names of the force's partner organisations that took part.")
    other_partners: str
    people_reached: int
    online_reach: int
    demographics: dict[str, dict[str, int]] = Field(description="Aggregate counts of those reached, by group.")
    issues_raised: str
    issue_categories: list[str] = Field(description="Issue category slugs.")
    follow_up: str
    priorities_set: bool
    officer_hours: float | None = Field(description="All officers together, in hours; null for partners.")
    links: list[str]
    notes: str | None = Field(description="The team's own notes; null for partners.")
    shared_with_partners: bool
    client_id: uuid.UUID | None = Field(description="The recording device's id for the record; null for partners.")
    recorded_by: str | None = Field(description="Username of who recorded it; null for import and for partners.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityPageOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[ActivityOut]


# Limits the services also apply, stated in the schema so that the OpenAPI description shows them.
Count = Annotated[int, Field(le=services.MAX_COUNT)]
HOURS_LIMIT = int(services.HOURS_LIMIT)


class ActivityIn(Schema):
    type: str = Field(description="An active activity type's slug.")
    starts_at: dt.datetime = Field(description="When it started, with a time zone (2025-06-02T18:30:00+01:00).")
    areas: list[str] = Field(description="Codes of neighbourhoods (or NPAs, or the force) you record for.")
    title: str = ""
    address: str = ""
    ward: str | None = Field(None, description="Ward code.")
    place: str | None = Field(None, description="Name of one of the force's places.")
    latitude: float | None = None
    longitude: float | None = None
    officers: list[str] = Field(default_factory=list, description="Usernames.")
    partners: list[str] = Field(default_factory=list, description="Names of the force's partners.")
    other_partners: str = ""
    people_reached: Count = 0
    online_reach: Count = 0
    demographics: dict[str, dict[str, Count]] = Field(
        default_factory=dict, description='Counts by group and category, e.g. {"age": {"under_18": 4}}.'
    )
    issues_raised: str = ""
    issue_categories: list[str] = Field(default_factory=list, description="Slugs or names.")
    follow_up: str = ""
    priorities_set: bool = False
    officer_hours: Decimal = Field(Decimal(0), lt=HOURS_LIMIT, description="All officers together, in hours.")
    links: list[str] = Field(default_factory=list)
    notes: str = ""
    shared_with_partners: bool = False


class ActivityCreateIn(ActivityIn):
    client_id: uuid.UUID | None = Field(
        None, description="Made by the client for each record: sending it again returns the first record."
    )


class FieldErrorsOut(Schema):
    detail: str
    errors: dict[str, list[str]]


class DetailOut(Schema):
    detail: str


class ActivityTypeOut(Schema):
    slug: str
    name: str
    is_online: bool
    description: str


class PeriodOut(Schema):
    code: str
    start: dt.date
    end: dt.date
    label: str


class WindowOut(Schema):
    period: str
    count: int
    status: str


class StandardComplianceOut(Schema):
    key: str
    name: str
    status: str = Field(description="met, on_track, at_risk, missed or not_started.")
    counted: int
    minimum: int
    needed_now: int
    explanation: str
    windows: list[WindowOut]


class TeamComplianceOut(Schema):
    code: str
    name: str
    level: str
    score: float
    met: int
    on_track: int
    at_risk: int
    missed: int
    not_started: int
    standards: list[StandardComplianceOut]


class ComplianceOut(Schema):
    area: str
    area_name: str
    area_level: str
    period: PeriodOut
    as_of: dt.date
    teams: list[TeamComplianceOut]


class PartnerOut(Schema):
    id: int
    name: str = Field(description="What an activity's `partners` list gives (matched whatever its case).")
    kind: str = Field(description="council, housing, fire, health, education, voluntary, business, faith or other.")
    active: bool = Field(description="False once retired: kept for past activities, no longer offered.")


class PlaceOut(Schema):
    id: int
    name: str = Field(description="What an activity's `place` gives (matched whatever its case).")
    neighbourhood: str | None = Field(description="The neighbourhood's code; null for a force-wide place.")
    address: str
    latitude: float | None
    longitude: float | None
    active: bool


# --- helpers -----------------------------------------------------------------------------


def _user(request: HttpRequest) -> Any:
    # Both authenticators return the person; a token request has no session user.
    return getattr(request, "auth", None) or request.user


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise HttpError(400, f"{name}: {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _visible_area(user: Any, code: str, *, levels: tuple[str, ...]) -> Area:
    """The area with this code among those the caller sees (404 otherwise), at one of `levels`."""
    try:
        area = get_area_for_user(user, code=code.strip())
    except AmbiguousAreaCode:
        # A ward or LSOA may share a code with a neighbourhood; only the levels asked for count.
        try:
            found = find_area(areas_for_user(user).filter(level__in=levels).select_related("force"), code=code.strip())
        except AmbiguousAreaCode as error:
            raise HttpError(400, str(error)) from error
        if found is None:
            raise Http404(_("No such area, or not one you can see.")) from None
        area = found
    if area.level not in levels:
        raise HttpError(400, f"{code} is a {area.get_level_display().lower()}, not a neighbourhood, NPA or force.")
    return area


def activity_out(activity: Activity, *, internal: bool = True) -> dict[str, Any]:
    """One activity as the API shows it. Expects `selectors.with_all_details`.

    With `internal=False` (partners) the team's own fields (`access.INTERNAL_FIELDS`) are null.
    """
    shown = {
        "id": activity.pk,
        "type": activity.type.slug,
        "type_name": activity.type.name,
        "title": activity.title,
        "starts_at": timezone.localtime(activity.starts_at),
        "date": activity.date,
        "areas": sorted(link.area.code for link in activity.area_links.all()),
        "address": activity.address,
        "ward": activity.ward.code if activity.ward else None,
        "place": activity.place.name if activity.place else None,
        "latitude": activity.latitude,
        "longitude": activity.longitude,
        "officers": [officer.username for officer in activity.officers.all()],
        "partners": [partner.name for partner in activity.partners.all()],
        "other_partners": activity.other_partners,
        "people_reached": activity.people_reached,
        "online_reach": activity.online_reach,
        "demographics": activity.demographics or {},
        "issues_raised": activity.issues_raised,
        "issue_categories": [category.slug for category in activity.issue_categories.all()],
        "follow_up": activity.follow_up,
        "priorities_set": activity.priorities_set,
        "officer_hours": float(activity.officer_hours),
        "links": list(activity.links or []),
        "notes": activity.notes,
        "shared_with_partners": activity.shared_with_partners,
        "client_id": activity.client_id,
        "recorded_by": activity.recorded_by.username if activity.recorded_by else None,
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
    }
    if not internal:
        shown.update(dict.fromkeys(access.INTERNAL_FIELDS))
    return shown


def _errors(errors: dict[str, list[str]]) -> Status[dict[str, Any]]:
    return Status(422, {"detail": _("The activity was not saved: correct the fields named."), "errors": errors})


def _activity_data(user: Any, payload: ActivityIn) -> services.ActivityData:
    """The payload's names and codes turned into rows; ValidationError naming each unknown one.

    Areas are looked up among those the caller sees, so one out of scope is not found (404).
    """
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    activity_type = ActivityType.objects.filter(slug=payload.type.strip()).first()
    if activity_type is None:
        add("type", _("“%(type)s” is not an activity type.") % {"type": payload.type})
    areas = [_visible_area(user, code, levels=access.ACTIVITY_LEVELS) for code in payload.areas if code.strip()]
    force = areas[0].owning_force if areas else None
    ward = None
    if payload.ward:
        ward = Area.objects.filter(level=Level.WARD, code=payload.ward.strip()).first()
        if ward is None:
            add("ward", _("No ward has the code %(code)s.") % {"code": payload.ward})
    place = None
    if payload.place:
        place = Place.objects.filter(force=force, name__iexact=payload.place.strip()).first()
        if place is None:
            add("place", _("“%(name)s” is not one of the force's places.") % {"name": payload.place})
    officers = list(selectors.officers_for(force).filter(username__in=payload.officers))
    unknown = sorted(set(payload.officers) - {u.username for u in officers})
    if unknown:
        add("officers", _("Not officers of this force: %(names)s.") % {"names": ", ".join(unknown)})
    by_name = {p.name.lower(): p for p in Partner.objects.filter(force=force)} if force else {}
    partners = list(dict.fromkeys(by_name[n.strip().lower()] for n in payload.partners if n.strip().lower() in by_name))
    unknown = sorted(n for n in payload.partners if n.strip().lower() not in by_name)
    if unknown:
        add("partners", _("Not partners of this force: %(names)s.") % {"names": ", ".join(unknown)})
    categories = _categories(payload.issue_categories, add)
    if errors:
        raise ValidationError(errors)
    assert activity_type is not None
    return services.ActivityData(
        type=activity_type,
        starts_at=payload.starts_at,
        areas=areas,
        title=payload.title,
        address=payload.address,
        ward=ward,
        place=place,
        latitude=payload.latitude,
        longitude=payload.longitude,
        officers=officers,
        partners=partners,
        other_partners=payload.other_partners,
        people_reached=payload.people_reached,
        online_reach=payload.online_reach,
        demographics=payload.demographics,
        issues_raised=payload.issues_raised,
        issue_categories=categories,
        follow_up=payload.follow_up,
        priorities_set=payload.priorities_set,
        officer_hours=payload.officer_hours,
        links=payload.links,
        notes=payload.notes,
        shared_with_partners=payload.shared_with_partners,
    )


def _categories(names: list[str], add: Any) -> list[IssueCategory]:
    known = {}
    for category in IssueCategory.objects.all():
        known[category.slug.lower()] = category
        known[category.name.lower()] = category
    found = [known[name.strip().lower()] for name in names if name.strip().lower() in known]
    unknown = [name for name in names if name.strip().lower() not in known]
    if unknown:
        add("issue_categories", _("Not issue categories: %(names)s.") % {"names": ", ".join(unknown)})
    return list(dict.fromkeys(found))


def _detail(activity: Activity, *, internal: bool = True) -> dict[str, Any]:
    return activity_out(selectors.activity_detail(activity), internal=internal)


# --- activities --------------------------------------------------------------------------


@router.get("/activities", response=ActivityPageOut, summary="Activities you can see, newest first")
def list_activities(
    request: HttpRequest,
    area: str | None = Query(None, description="An area code: activity in it or in an area inside it."),
    type: str | None = Query(None, description="An activity type slug."),
    start: str | None = Query(None, alias="from", description="First date, YYYY-MM-DD (Europe/London)."),
    end: str | None = Query(None, alias="to", description="Last date, YYYY-MM-DD, inclusive."),
    page: int = Query(1, ge=1),
) -> dict[str, Any]:
    user = _user(request)
    filters = selectors.ActivityFilters(
        area=_visible_area(user, area, levels=access.ACTIVITY_LEVELS) if area else None,
        type=_type_filter(type),
        date_from=_date(start, "from"),
        date_to=_date(end, "to"),
    )
    found = selectors.activity_search(user, filters=filters)
    count = found.count()
    first = (page - 1) * PAGE_SIZE
    rows = selectors.with_all_details(found)[first : first + PAGE_SIZE] if first < count else []
    return {
        "count": count,
        "page": page,
        "pages": max(1, math.ceil(count / PAGE_SIZE)),
        "page_size": PAGE_SIZE,
        "results": [activity_out(a, internal=access.sees_internal_fields(user)) for a in rows],
    }


def _type_filter(slug: str | None) -> ActivityType | None:
    if not slug:
        return None
    found = ActivityType.objects.filter(slug=slug.strip()).first()
    if found is None:
        raise HttpError(400, f"type: {slug!r} is not an activity type slug (see /api/v1/activity-types).")
    return found


@router.get("/activities/{activity_id}", response=ActivityOut, summary="One activity")
def get_activity(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    user = _user(request)
    return _detail(access.get_activity_for_user(user, pk=activity_id), internal=access.sees_internal_fields(user))


@router.post(
    "/activities",
    response={200: ActivityOut, 201: ActivityOut, 403: DetailOut, 422: FieldErrorsOut},
    summary="Record an activity",
)
def create_activity(request: HttpRequest, payload: ActivityCreateIn) -> Status[dict[str, Any]]:
    """201 with the new record; 200 with the first record when its `client_id` was sent before."""
    user = _user(request)
    if not access.can_record(user):
        return Status(403, {"detail": _("Your role does not record activity.")})
    resent = payload.client_id is not None and Activity.objects.filter(client_id=payload.client_id).exists()
    try:
        data = _activity_data(user, payload)
        activity = services.activity_create(
            actor=user, data=data, client_id=payload.client_id, ip_address=request.META.get("REMOTE_ADDR")
        )
    except PermissionDenied as error:
        return Status(403, {"detail": str(error) or _("You cannot record that activity.")})
    except ValidationError as error:
        return _errors(error.message_dict)
    return Status(200 if resent else 201, _detail(activity))


@router.put(
    "/activities/{activity_id}",
    response={200: ActivityOut, 403: DetailOut, 422: FieldErrorsOut},
    summary="Replace what is recorded of an activity",
)
def update_activity(request: HttpRequest, activity_id: int, payload: ActivityIn) -> Status[dict[str, Any]]:
    """Every field is replaced: one left out takes its default."""
    user = _user(request)
    activity = access.get_activity_for_user(user, pk=activity_id)
    if not access.can_edit_activity(user, activity):
        return Status(403, {"detail": _("You can only change activity in the areas you record for.")})
    try:
        data = _activity_data(user, payload)
        activity = services.activity_update(
            actor=user, activity=activity, data=data, ip_address=request.META.get("REMOTE_ADDR")
        )
    except PermissionDenied as error:
        return Status(403, {"detail": str(error) or _("You cannot change that activity.")})
    except ValidationError as error:
        return _errors(error.message_dict)
    return Status(200, _detail(activity))


@router.get("/activity-types", response=list[ActivityTypeOut], summary="Activity types in use")
def list_activity_types(request: HttpRequest) -> list[ActivityType]:
    return list(ActivityType.objects.filter(active=True).order_by("position", "name"))


def _directory_reader(request: HttpRequest) -> Area:
    user = _user(request)
    force = access.user_force_for_directory(user)
    if force is None:
        raise HttpError(403, _("The force's partners and places are kept by its own staff."))
    return force


@router.get("/partners", response=list[PartnerOut], summary="Your force's partner organisations")
def list_partners(request: HttpRequest) -> list[Partner]:
    return list(selectors.partners_for_force(_directory_reader(request)))


@router.get("/places", response=list[PlaceOut], summary="The places you can see in your force")
def list_places(request: HttpRequest) -> list[dict[str, Any]]:
    _directory_reader(request)
    return [
        {
            "id": place.pk,
            "name": place.name,
            "neighbourhood": place.neighbourhood.code if place.neighbourhood else None,
            "address": place.address,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "active": place.active,
        }
        for place in selectors.places_for_user(_user(request))
    ]


# --- compliance --------------------------------------------------------------------------


def _period(text: str | None) -> Period:
    if not text:
        return parse_period(str(timezone.localdate().year))
    try:
        return parse_period(text.strip())
    except ValueError as error:
        raise HttpError(400, f"period: {error}") from error


@router.get(
    "/compliance/{code}",
    response={200: ComplianceOut, 403: DetailOut},
    summary="Compliance with the engagement standards of the teams in an area",
)
def compliance(
    request: HttpRequest,
    code: str,
    period: str | None = Query(None, description="YYYY, YYYY-Qn, YYYY-MM or YYYY-Www (default: this year)."),
    as_of: str | None = Query(
        None, description="Judge as on this day, inclusive (default: the period's last day, or today while it runs)."
    ),
) -> Status[dict[str, Any]]:
    """As `beatbook compliance --json`: for a force or NPA every team under it you may see,
    policing areas first, each level best first; for a neighbourhood, its own standards."""
    user = _user(request)
    visible_teams = access.teams_for_user(user)
    if not visible_teams.exists():
        return Status(403, {"detail": _("Compliance is shown to police staff only.")})
    area = _visible_area(user, code, levels=COMPLIANCE_LEVELS)
    report_period = _period(period)
    try:
        day, day_over = compliance_selectors.judging_date(
            report_period, _date(as_of, "as_of"), today=timezone.localdate()
        )
    except ValueError as error:
        raise HttpError(400, f"as_of: {error}") from error
    teams = compliance_selectors.teams_under(area)
    allowed = set(visible_teams.filter(pk__in=[t.pk for t in teams]).values_list("pk", flat=True))
    teams = [t for t in teams if t.pk in allowed]
    judged = (
        compliance_selectors.teams_compliance(teams=teams, period=report_period, as_of=day, day_over=day_over)
        if teams
        else []
    )
    judged = [t for t in judged if t.team.level == Level.NPA] + [t for t in judged if t.team.level != Level.NPA]
    return Status(200, compliance_out(area, report_period, day, judged))


def compliance_out(
    area: Area, period: Period, as_of: dt.date, judged: list[compliance_selectors.TeamCompliance]
) -> dict[str, Any]:
    """The `beatbook compliance --json` document: the command's own function builds it."""
    return compliance_as_dict(area, period, as_of, judged)
