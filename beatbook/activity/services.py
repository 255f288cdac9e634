"""Writes to engagement activity and engagement standards.

Every write checks who may make it (`access`), validates the whole record, runs in one
transaction and records an audit event in it. The quick form, the full form, the CSV import
and the API all describe an activity as one `ActivityData` and call the same functions, so
the same rules hold whichever way a record arrives. `actor=None` is the command line.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beatbook.accounts.models import Role, User
from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area, Level

from . import access, demographics
from .demographics import validate_demographics
from .models import Activity, ActivityArea, ActivityType, IssueCategory, Partner, Place, Standard

MAX_LINKS = 10
# Far beyond any real reach (the UK has under 70 million people) but inside a 32-bit column,
# so a slip of the thumb is an error on the field rather than a database error.
MAX_COUNT = demographics.MAX_COUNT
# Officer time on one activity: the column holds up to 9,999.99 hours.
HOURS_LIMIT = Decimal(10_000)
# The database refuses longer values (PostgreSQL; SQLite would keep them): say so on the field.
TEXT_LIMITS = {"title": 200, "address": 300, "other_partners": 300}


@dataclass
class ActivityData:
    """Everything a person can say about one activity. Fields not given keep their defaults."""

    type: ActivityType
    starts_at: dt.datetime
    areas: Sequence[Area]
    title: str = ""
    address: str = ""
    ward: Area | None = None
    place: Place | None = None
    latitude: float | None = None
    longitude: float | None = None
    officers: Sequence[User] = ()
    partners: Sequence[Partner] = ()
    other_partners: str = ""
    people_reached: int = 0
    online_reach: int = 0
    demographics: dict[str, dict[str, int]] = field(default_factory=dict)
    issues_raised: str = ""
    issue_categories: Sequence[IssueCategory] = ()
    follow_up: str = ""
    priorities_set: bool = False
    officer_hours: Decimal = Decimal(0)
    links: Sequence[str] = ()
    notes: str = ""
    shared_with_partners: bool = False


def local_date(moment: dt.datetime) -> dt.date:
    """The Europe/London (TIME_ZONE) calendar date of an aware moment."""
    if timezone.is_naive(moment):
        raise ValueError("activity times must be timezone-aware")
    return timezone.localtime(moment).date()


def _field_error(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _validate(data: ActivityData, *, force: Area, today: dt.date) -> None:
    """Check the whole record; raise one ValidationError naming every field that is wrong."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, limit in TEXT_LIMITS.items():
        if len(getattr(data, name).strip()) > limit:
            add(name, _("Use %(n)s characters or fewer.") % {"n": limit})
    if not data.type.active and data.type.pk is not None:
        add("type", _("“%(type)s” is no longer in use: choose another type.") % {"type": data.type.name})
    if timezone.is_naive(data.starts_at):
        add("starts_at", _("Give the time with its time zone."))
    elif local_date(data.starts_at) > today:
        add("starts_at", _("The date is in the future: record activity once it has happened."))
    if not data.areas:
        add("areas", _("Choose at least one neighbourhood."))
    for area in data.areas:
        if area.level not in access.ACTIVITY_LEVELS:
            add("areas", _("%(area)s is not a neighbourhood or policing area.") % {"area": area.name})
        elif area.owning_force != force:
            add("areas", _("%(area)s is in another force.") % {"area": area.name})
    if data.ward is not None and (data.ward.level != Level.WARD or data.ward.force_id != force.pk):
        add("ward", _("Choose a ward of this force."))
    if data.place is not None and data.place.force_id != force.pk:
        add("place", _("Choose a place of this force."))
    if (data.latitude is None) != (data.longitude is None):
        add("latitude", _("Give both latitude and longitude, or neither."))
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        add("latitude", _("Latitude must be between -90 and 90."))
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        add("longitude", _("Longitude must be between -180 and 180."))
    for officer in data.officers:
        officer_force = officer.area.owning_force if officer.area is not None else None
        if officer.role == Role.PARTNER or officer_force != force:
            add("officers", _("%(name)s is not on the staff of this force.") % {"name": str(officer)})
    for partner in data.partners:
        if partner.force_id != force.pk:
            add("partners", _("%(partner)s is not a partner of this force.") % {"partner": partner.name})
    for name in ("people_reached", "online_reach"):
        value = getattr(data, name)
        if not isinstance(value, int) or value < 0:
            add(name, _("Enter a whole number, 0 or more."))
        elif value > MAX_COUNT:
            add(name, _("Enter a number no more than %(n)s.") % {"n": f"{MAX_COUNT:,}"})
    if data.officer_hours < 0:
        add("officer_hours", _("Officer time cannot be negative."))
    elif data.officer_hours >= HOURS_LIMIT:
        add("officer_hours", _("Officer time must be less than 10,000 hours."))
    for message in validate_demographics(data.demographics):
        add("demographics", message)
    if len(data.links) > MAX_LINKS:
        add("links", _("Give at most %(n)s links.") % {"n": MAX_LINKS})
    for link in data.links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            add("links", _("“%(link)s” is not a web address starting http:// or https://.") % {"link": link})
    if errors:
        raise ValidationError(errors)


def _check_may_record(actor: User | None, areas: Sequence[Area]) -> None:
    if actor is None:
        return
    if not access.can_record(actor):
        raise PermissionDenied(_("Your role does not record activity."))
    allowed = set(access.recordable_areas(actor).filter(pk__in=[a.pk for a in areas]).values_list("pk", flat=True))
    outside = [a.name for a in areas if a.pk not in allowed]
    if outside:
        raise PermissionDenied(_("You cannot record activity for %(areas)s.") % {"areas": ", ".join(outside)})


def _snapshot(activity: Activity) -> dict[str, Any]:
    return {
        "type": activity.type.slug,
        "title": activity.title,
        "starts_at": activity.starts_at.isoformat(),
        "areas": sorted(activity.area_links.values_list("area__code", flat=True)),
        "people_reached": activity.people_reached,
        "online_reach": activity.online_reach,
        "partners": sorted(activity.partners.values_list("name", flat=True)),
        "other_partners": activity.other_partners,
        "officer_hours": str(activity.officer_hours),
        "priorities_set": activity.priorities_set,
        "shared_with_partners": activity.shared_with_partners,
    }


SCALAR_FIELDS = (
    "type",
    "title",
    "starts_at",
    "address",
    "ward",
    "place",
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
    "notes",
    "shared_with_partners",
)


def _apply(activity: Activity, data: ActivityData) -> None:
    for name in SCALAR_FIELDS:
        value = getattr(data, name)
        setattr(activity, name, value.strip() if isinstance(value, str) else value)
    activity.links = list(data.links)
    activity.date = local_date(data.starts_at)


def _write_relations(activity: Activity, data: ActivityData) -> None:
    activity.officers.set(data.officers)
    activity.partners.set(data.partners)
    activity.issue_categories.set(data.issue_categories)
    activity.area_links.all().delete()
    with_partner = bool(data.partners) or bool(data.other_partners.strip())
    ActivityArea.objects.bulk_create(
        ActivityArea(
            activity=activity,
            area=area,
            force=activity.force,
            date=activity.date,
            type=activity.type,
            with_partner=with_partner,
            priorities_set=activity.priorities_set,
        )
        for area in {a.pk: a for a in data.areas}.values()
    )


def _force_for(areas: Sequence[Area]) -> Area:
    forces = {a.owning_force for a in areas}
    if len(forces) != 1 or None in forces:
        raise _field_error("areas", _("Choose neighbourhoods of one force."))
    force = forces.pop()
    assert force is not None
    return force


def _checked_force(actor: User | None, data: ActivityData, *, today: dt.date, keep_force: Area | None = None) -> Area:
    """The force of a record that passes every rule: areas given and of one force (the same as
    `keep_force` when an existing record is changed), the actor may record there, and every
    field is valid. The single-record, bulk and update paths all check through here."""
    if not data.areas:
        raise _field_error("areas", _("Choose at least one neighbourhood."))
    force = _force_for(data.areas)
    if keep_force is not None and force != keep_force:
        raise _field_error("areas", _("An activity cannot move to another force."))
    _check_may_record(actor, data.areas)
    _validate(data, force=force, today=today)
    return force


@transaction.atomic
def activity_create(
    *,
    actor: User | None,
    data: ActivityData,
    client_id: uuid.UUID | None = None,
    import_key: str = "",
    ip_address: str | None = None,
    today: dt.date | None = None,
) -> Activity:
    """Record one activity. A `client_id` already used returns that record unchanged (a resend)."""
    if client_id is not None:
        existing = Activity.objects.filter(client_id=client_id).first()
        if existing is not None:
            _check_may_record(actor, list(Area.objects.filter(activity_links__activity=existing)))
            return existing
    force = _checked_force(actor, data, today=today or timezone.localdate())
    activity = Activity(force=force, recorded_by=actor, client_id=client_id, import_key=import_key)
    _apply(activity, data)
    try:
        # Two sends of one draft can arrive together (a double tap, a retry while the first is
        # still being saved): the unique client_id lets one in; the other returns it.
        with transaction.atomic():
            activity.save()
    except IntegrityError:
        if client_id is None:
            raise
        existing = Activity.objects.get(client_id=client_id)
        _check_may_record(actor, list(Area.objects.filter(activity_links__activity=existing)))
        return existing
    _write_relations(activity, data)
    audit_record(
        actor=actor,
        action="activity.create",
        obj=activity,
        force=force,
        after=_snapshot(activity),
        ip_address=ip_address,
    )
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: User | None,
    activity: Activity,
    data: ActivityData,
    ip_address: str | None = None,
    today: dt.date | None = None,
) -> Activity:
    """Replace what is recorded of an activity. The actor must be able to record in its old and new areas."""
    activity = Activity.objects.select_for_update(of=("self",)).select_related("type").get(pk=activity.pk)
    if actor is not None and not access.can_edit_activity(actor, activity):
        raise PermissionDenied(_("You can only change activity in the areas you record for."))
    force = _checked_force(actor, data, today=today or timezone.localdate(), keep_force=activity.force)
    before = _snapshot(activity)
    _apply(activity, data)
    activity.save()
    _write_relations(activity, data)
    audit_record(
        actor=actor,
        action="activity.update",
        obj=activity,
        force=force,
        before=before,
        after=_snapshot(activity),
        ip_address=ip_address,
    )
    return activity


@transaction.atomic
def activity_delete(*, actor: User | None, activity: Activity, ip_address: str | None = None) -> None:
    if actor is not None and not access.can_edit_activity(actor, activity):
        raise PermissionDenied(_("You can only delete activity in the areas you record for."))
    before = _snapshot(activity)
    audit_record(
        actor=actor, action="activity.delete", obj=activity, force=activity.force, before=before, ip_address=ip_address
    )
    activity.delete()


# --- Many at once ------------------------------------------------------------------------------
#
# `activity_create` costs about twenty queries a record (savepoint, insert, three many-to-many
# sets, the area links, an audit snapshot and event): the demo's two years of activity took 66 s
# on PostgreSQL that way, and about 2 s in bulk. Each row is checked by the same functions, so the
# rules are those of the forms, the API and the single-record path; only the writing differs (a
# few multi-row INSERTs per batch, and one audit event per force for the batch).

BULK_BATCH_SIZE = 500


class RowsInvalid(Exception):
    """Rows that break the rules: position in the batch → the error activity_create would raise."""

    def __init__(self, errors: dict[int, ValidationError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} activities are not valid")


@transaction.atomic
def activities_create_many(
    *, actor: User | None, rows: Sequence[tuple[ActivityData, str]], today: dt.date | None = None
) -> list[Activity]:
    """Record each (data, import key) as `activity_create` would; all or nothing.

    Every row is checked before anything is written; RowsInvalid lists every row that fails.
    """
    today = today or timezone.localdate()
    pending: list[tuple[Activity, ActivityData]] = []
    errors: dict[int, ValidationError] = {}
    for index, (data, key) in enumerate(rows):
        try:
            force = _checked_force(actor, data, today=today)
        except ValidationError as error:
            errors[index] = error
            continue
        activity = Activity(force=force, recorded_by=actor, import_key=key)
        _apply(activity, data)
        pending.append((activity, data))
    if errors:
        raise RowsInvalid(errors)
    # SQLite (3.35+) and PostgreSQL return the new primary keys from a bulk insert.
    activities = Activity.objects.bulk_create([activity for activity, _data in pending], batch_size=BULK_BATCH_SIZE)
    _write_relations_many(pending)
    for force, count in sorted(Counter(a.force for a in activities).items(), key=lambda item: item[0].pk):
        audit_record(
            actor=actor,
            action="activity.create_many",
            object_type="activity.activity",
            object_label=f"{count} activities",
            force=force,
            after={"created": count},
        )
    return activities


def _write_relations_many(pending: list[tuple[Activity, ActivityData]]) -> None:
    """The officers, partners, categories and area links of new activities, as `_write_relations` makes them."""
    officers: list[Any] = []
    partners: list[Any] = []
    categories: list[Any] = []
    links: list[ActivityArea] = []
    for activity, data in pending:
        officers += [
            Activity.officers.through(activity_id=activity.pk, user_id=pk) for pk in {u.pk for u in data.officers}
        ]
        partners += [
            Activity.partners.through(activity_id=activity.pk, partner_id=pk) for pk in {p.pk for p in data.partners}
        ]
        categories += [
            Activity.issue_categories.through(activity_id=activity.pk, issuecategory_id=pk)
            for pk in {c.pk for c in data.issue_categories}
        ]
        # The same rule as services._write_relations: a listed partner or one typed in.
        with_partner = bool(data.partners) or bool(data.other_partners.strip())
        links += [
            ActivityArea(
                activity_id=activity.pk,
                area_id=area_id,
                force_id=activity.force_id,
                date=activity.date,
                type_id=activity.type_id,
                with_partner=with_partner,
                priorities_set=activity.priorities_set,
            )
            for area_id in {a.pk for a in data.areas}
        ]
    Activity.officers.through.objects.bulk_create(officers, batch_size=BULK_BATCH_SIZE)
    Activity.partners.through.objects.bulk_create(partners, batch_size=BULK_BATCH_SIZE)
    Activity.issue_categories.through.objects.bulk_create(categories, batch_size=BULK_BATCH_SIZE)
    ActivityArea.objects.bulk_create(links, batch_size=BULK_BATCH_SIZE)


# --- Standards -------------------------------------------------------------------------------


def standards_for_force(force: Area) -> list[Standard]:
    """The standards in force: the force's own set if it has one, else the installation's defaults."""
    own = list(Standard.objects.filter(force=force).prefetch_related("types"))
    if own:
        return own
    return list(Standard.objects.filter(force__isnull=True).prefetch_related("types"))


def _check_may_edit_standards(actor: User | None, force: Area) -> None:
    if actor is None:
        return
    if not access.can_edit_standards(actor) or actor.area is None or actor.area.owning_force != force:
        raise PermissionDenied(_("Only the force's administrators set its engagement standards."))


@transaction.atomic
def standards_adopt(*, actor: User | None, force: Area, ip_address: str | None = None) -> list[Standard]:
    """Give the force its own copy of the default standards (once), so that it can edit them."""
    _check_may_edit_standards(actor, force)
    if Standard.objects.filter(force=force).exists():
        return list(Standard.objects.filter(force=force))
    copies = []
    copied_fields = [
        f.name for f in Standard._meta.concrete_fields if f.name not in ("id", "force") and not f.primary_key
    ]
    for default in Standard.objects.filter(force__isnull=True).prefetch_related("types"):
        copy = Standard.objects.create(force=force, **{name: getattr(default, name) for name in copied_fields})
        copy.types.set(default.types.all())
        copies.append(copy)
    audit_record(
        actor=actor,
        action="standards.adopt",
        object_type="activity.standard",
        object_label=f"{len(copies)} default standards",
        force=force,
        after={"keys": [s.key for s in copies]},
        ip_address=ip_address,
    )
    return copies


@dataclass
class StandardData:
    key: str
    name: str
    types: Sequence[ActivityType]
    minimum: int
    period: str
    applies_to: str
    description: str = ""
    requires_partner: bool = False
    requires_priorities: bool = False
    active: bool = True


def _standard_snapshot(standard: Standard) -> dict[str, Any]:
    return {
        "key": standard.key,
        "name": standard.name,
        "types": sorted(standard.types.values_list("slug", flat=True)),
        "minimum": standard.minimum,
        "period": standard.period,
        "applies_to": standard.applies_to,
        "requires_partner": standard.requires_partner,
        "requires_priorities": standard.requires_priorities,
        "active": standard.active,
    }


def _validate_standard(data: StandardData, *, force: Area, exclude_pk: int | None) -> None:
    from .models import AppliesTo, Period

    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("Enter a name")]
    if not data.types:
        errors["types"] = [_("Choose at least one activity type")]
    if data.minimum < 1:
        errors["minimum"] = [_("The minimum must be 1 or more")]
    if data.period not in Period.values:
        errors["period"] = [_("Choose a period")]
    if data.applies_to not in AppliesTo.values:
        errors["applies_to"] = [_("Choose who the standard applies to")]
    clash = Standard.objects.filter(force=force, key=data.key)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if not data.key or clash.exists():
        errors["key"] = [_("Another standard of this force already uses that key")]
    if errors:
        raise ValidationError(errors)


def _apply_standard(standard: Standard, data: StandardData) -> None:
    for name in ("key", "name", "description", "minimum", "period", "applies_to", "active"):
        value = getattr(data, name)
        setattr(standard, name, value.strip() if isinstance(value, str) else value)
    standard.requires_partner = data.requires_partner
    standard.requires_priorities = data.requires_priorities


@transaction.atomic
def standard_create(*, actor: User | None, force: Area, data: StandardData, ip_address: str | None = None) -> Standard:
    _check_may_edit_standards(actor, force)
    standards_adopt(actor=actor, force=force, ip_address=ip_address)
    _validate_standard(data, force=force, exclude_pk=None)
    standard = Standard(force=force, position=Standard.objects.filter(force=force).count() + 1)
    _apply_standard(standard, data)
    standard.save()
    standard.types.set(data.types)
    audit_record(
        actor=actor,
        action="standard.create",
        obj=standard,
        force=force,
        after=_standard_snapshot(standard),
        ip_address=ip_address,
    )
    return standard


@transaction.atomic
def standard_update(
    *, actor: User | None, force: Area, standard: Standard, data: StandardData, ip_address: str | None = None
) -> Standard:
    """Change one standard. Editing a default first gives the force its own copy and edits that."""
    _check_may_edit_standards(actor, force)
    if standard.force_id is None:
        standards_adopt(actor=actor, force=force, ip_address=ip_address)
        standard = Standard.objects.get(force=force, key=standard.key)
    elif standard.force_id != force.pk:
        raise PermissionDenied(_("That standard belongs to another force."))
    _validate_standard(data, force=force, exclude_pk=standard.pk)
    before = _standard_snapshot(standard)
    _apply_standard(standard, data)
    standard.save()
    standard.types.set(data.types)
    audit_record(
        actor=actor,
        action="standard.update",
        obj=standard,
        force=force,
        before=before,
        after=_standard_snapshot(standard),
        ip_address=ip_address,
    )
    return standard
