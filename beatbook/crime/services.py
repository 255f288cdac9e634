"""Writes to incident flags: areas staff mark for immediate-response engagement by hand.

Each write checks who may make it, runs in one transaction and records an audit event in
that transaction. Who may mark which area: officers their own areas, commanders their
policing area, analysts and administrators their whole force; partners never
(`beatbook.crime.detection.flaggable_areas`). `actor=None` is the command line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beatbook.accounts.models import User
from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area

from .detection import FLAG_LEVELS, can_raise_flags, flaggable_areas
from .models import IncidentFlag

TITLE_MAX_LENGTH = IncidentFlag._meta.get_field("title").max_length or 200


def _snapshot(flag: IncidentFlag) -> dict[str, Any]:
    return {
        "area": flag.area.code,
        "area_level": flag.area.level,
        "title": flag.title,
        "description": flag.description,
        "starts_on": flag.starts_on.isoformat(),
        "ends_on": flag.ends_on.isoformat() if flag.ends_on else None,
        "closed_at": flag.closed_at.isoformat() if flag.closed_at else None,
    }


def _check_may_flag(actor: User | None, area: Area) -> None:
    if actor is None:
        return  # the command line: whoever runs it controls the installation
    if not can_raise_flags(actor):
        raise PermissionDenied(_("Partners cannot mark areas for immediate response."))
    if not flaggable_areas(actor).filter(pk=area.pk).exists():
        raise PermissionDenied(_("That area is not one you can mark."))


@transaction.atomic
def incident_flag_raise(
    *,
    actor: User | None,
    area: Area,
    title: str,
    starts_on: dt.date,
    description: str = "",
    ends_on: dt.date | None = None,
    ip_address: str | None = None,
) -> IncidentFlag:
    """Mark `area` for immediate-response engagement from `starts_on` (until `ends_on`, if given)."""
    if area.level not in FLAG_LEVELS:
        raise ValidationError(_("Choose a policing area, neighbourhood or LSOA."))
    _check_may_flag(actor, area)
    title = title.strip()
    if not title:
        raise ValidationError(_("Enter a title"))
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(_("The title must be %(n)s characters or fewer") % {"n": TITLE_MAX_LENGTH})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError(_("The end date must be the same as or after the start date"))
    flag = IncidentFlag.objects.create(
        area=area,
        title=title,
        description=description.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        raised_by=actor,
    )
    audit_record(
        actor=actor,
        action="incident_flag.raise",
        obj=flag,
        force=area.owning_force,
        after=_snapshot(flag),
        ip_address=ip_address,
    )
    return flag


@transaction.atomic
def incident_flag_close(*, actor: User | None, flag: IncidentFlag, ip_address: str | None = None) -> IncidentFlag:
    """Close a flag: it stops counting from today (it still shows for the months it was open)."""
    # Lock the row so that two people closing at once make one change and one audit event.
    flag = IncidentFlag.objects.select_for_update(of=("self",)).select_related("area").get(pk=flag.pk)
    _check_may_flag(actor, flag.area)
    if flag.closed_at is not None:
        raise ValidationError(_("That flag is already closed."))
    before = _snapshot(flag)
    flag.closed_at = timezone.now()
    flag.closed_by = actor
    flag.save(update_fields=["closed_at", "closed_by"])
    audit_record(
        actor=actor,
        action="incident_flag.close",
        obj=flag,
        force=flag.area.owning_force,
        before=before,
        after=_snapshot(flag),
        ip_address=ip_address,
    )
    return flag
