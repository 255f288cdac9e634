"""Writes to the force's directory: partner organisations and the places teams go back to.

Officers pick partners and places on the activity forms instead of typing them, so the names
must be kept tidy: one spelling per organisation (names are unique in a force, whatever their
case), and a place's point inside the force. Nothing is deleted, because past activities name
them: a partner or place that is no longer used is retired (`active=False`) and drops out of
the forms' choices while the records that name it keep it. Every write checks the actor's
scope (`access`), runs in one transaction and records an audit event. `actor=None` is the
command line.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from beatbook.accounts.models import Role, User
from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area, Level

from . import access
from .models import Partner, Place

# The database refuses longer values on PostgreSQL (SQLite would keep them): say so on the field.
NAME_LIMIT = 200
ADDRESS_LIMIT = 300


@dataclass(frozen=True)
class PartnerData:
    name: str
    kind: str = Partner.Kind.OTHER
    active: bool = True


@dataclass(frozen=True)
class PlaceData:
    name: str
    neighbourhood: Area | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    active: bool = True


def _errors(found: dict[str, list[str]]) -> None:
    if found:
        raise ValidationError(found)


def _check_name(name: str, *, model: type[Partner] | type[Place], force: Area, exclude_pk: int | None) -> list[str]:
    if not name:
        return [_("Enter a name.")]
    if len(name) > NAME_LIMIT:
        return [_("Names can be at most %(limit)d characters.") % {"limit": NAME_LIMIT}]
    others = model.objects.filter(force=force, name__iexact=name)
    same = (others.exclude(pk=exclude_pk) if exclude_pk is not None else others).first()
    if same is not None:
        return [_("“%(name)s” is already in the list. Change that one instead.") % {"name": same.name}]
    return []


def _partner_snapshot(partner: Partner) -> dict[str, Any]:
    return {"name": partner.name, "kind": partner.kind, "active": partner.active}


def _check_partner_manager(actor: User | None, force: Area) -> None:
    if actor is None:
        return
    if not access.can_manage_partners(actor) or actor.area is None or actor.area.owning_force != force:
        raise PermissionDenied(_("Commanders and administrators keep the partner list."))


def _validate_partner(data: PartnerData, *, force: Area, exclude_pk: int | None) -> None:
    found: dict[str, list[str]] = {}
    if name_errors := _check_name(data.name, model=Partner, force=force, exclude_pk=exclude_pk):
        found["name"] = name_errors
    if data.kind not in Partner.Kind.values:
        found["kind"] = [_("Choose what kind of organisation it is.")]
    _errors(found)


@transaction.atomic
def partner_create(*, actor: User | None, force: Area, data: PartnerData, ip_address: str | None = None) -> Partner:
    _check_partner_manager(actor, force)
    data = PartnerData(name=data.name.strip(), kind=data.kind, active=data.active)
    _validate_partner(data, force=force, exclude_pk=None)
    partner = Partner.objects.create(force=force, **asdict(data))
    audit_record(
        actor=actor,
        action="partner.create",
        obj=partner,
        force=force,
        after=_partner_snapshot(partner),
        ip_address=ip_address,
    )
    return partner


@transaction.atomic
def partner_update(
    *, actor: User | None, partner: Partner, data: PartnerData, ip_address: str | None = None
) -> Partner:
    partner = Partner.objects.select_for_update().select_related("force").get(pk=partner.pk)
    _check_partner_manager(actor, partner.force)
    data = PartnerData(name=data.name.strip(), kind=data.kind, active=data.active)
    _validate_partner(data, force=partner.force, exclude_pk=partner.pk)
    before = _partner_snapshot(partner)
    partner.name, partner.kind, partner.active = data.name, data.kind, data.active
    partner.save(update_fields=["name", "kind", "active"])
    audit_record(
        actor=actor,
        action="partner.update",
        obj=partner,
        force=partner.force,
        before=before,
        after=_partner_snapshot(partner),
        ip_address=ip_address,
    )
    return partner


# --- places ---------------------------------------------------------------------------------


def _place_snapshot(place: Place) -> dict[str, Any]:
    return {
        "name": place.name,
        "neighbourhood": place.neighbourhood.code if place.neighbourhood else None,
        "address": place.address,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "active": place.active,
    }


def _check_point(data: PlaceData, force: Area) -> dict[str, list[str]]:
    latitude, longitude = data.latitude, data.longitude
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        return {missing: [_("Give both the latitude and the longitude, or neither.")]}
    if latitude is None or longitude is None:
        return {}
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        return {"latitude": [_("Latitude must be between -90 and 90.")]}
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        return {"longitude": [_("Longitude must be between -180 and 180.")]}
    box = (force.min_lon, force.min_lat, force.max_lon, force.max_lat)
    if None in box:
        return {}
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in box if v is not None)
    if min_lon <= longitude <= max_lon and min_lat <= latitude <= max_lat:
        return {}
    # The commonest slip is the two numbers the wrong way round: say so when that would fit.
    swapped = min_lon <= latitude <= max_lon and min_lat <= longitude <= max_lat
    message = (
        _("That point is outside %(force)s. The latitude and longitude look the wrong way round.")
        if swapped
        else _("That point is outside %(force)s. Check the latitude and longitude.")
    )
    return {"latitude": [message % {"force": force.name}]}


def _validate_place(actor: User | None, data: PlaceData, *, force: Area, exclude_pk: int | None) -> None:
    found: dict[str, list[str]] = {}
    if name_errors := _check_name(data.name, model=Place, force=force, exclude_pk=exclude_pk):
        found["name"] = name_errors
    if len(data.address) > ADDRESS_LIMIT:
        found["address"] = [_("Addresses can be at most %(limit)d characters.") % {"limit": ADDRESS_LIMIT}]
    neighbourhood = data.neighbourhood
    if neighbourhood is not None and (
        neighbourhood.level != Level.NEIGHBOURHOOD or neighbourhood.owning_force != force
    ):
        found["neighbourhood"] = [_("Choose a neighbourhood of this force.")]
    found.update(_check_point(data, force))
    _errors(found)
    if actor is None:
        return
    if neighbourhood is None:
        if actor.role != Role.ADMIN:
            raise ValidationError({"neighbourhood": [_("Choose the neighbourhood the place is in.")]})
    elif not access.place_neighbourhoods(actor).filter(pk=neighbourhood.pk).exists():
        raise ValidationError({"neighbourhood": [_("Choose a neighbourhood you record activity for.")]})


def _clean_place(data: PlaceData) -> PlaceData:
    return PlaceData(
        name=data.name.strip(),
        neighbourhood=data.neighbourhood,
        address=data.address.strip(),
        latitude=data.latitude,
        longitude=data.longitude,
        active=data.active,
    )


def _check_force(actor: User | None, force: Area) -> None:
    if actor is not None and (actor.area is None or actor.area.owning_force != force):
        raise PermissionDenied(_("That place belongs to another force."))


def _apply_place(place: Place, data: PlaceData) -> None:
    place.name, place.neighbourhood, place.address = data.name, data.neighbourhood, data.address
    place.latitude, place.longitude, place.active = data.latitude, data.longitude, data.active


@transaction.atomic
def place_create(*, actor: User | None, force: Area, data: PlaceData, ip_address: str | None = None) -> Place:
    _check_force(actor, force)
    if actor is not None and not access.can_add_places(actor):
        raise PermissionDenied(_("Only the people who record activity add places."))
    data = _clean_place(data)
    _validate_place(actor, data, force=force, exclude_pk=None)
    place = Place(force=force)
    _apply_place(place, data)
    place.save()
    audit_record(
        actor=actor, action="place.create", obj=place, force=force, after=_place_snapshot(place), ip_address=ip_address
    )
    return place


@transaction.atomic
def place_update(*, actor: User | None, place: Place, data: PlaceData, ip_address: str | None = None) -> Place:
    place = Place.objects.select_for_update().select_related("force", "neighbourhood").get(pk=place.pk)
    _check_force(actor, place.force)
    if actor is not None and not access.can_edit_place(actor, place):
        raise PermissionDenied(_("You can only change places in the neighbourhoods you record for."))
    data = _clean_place(data)
    _validate_place(actor, data, force=place.force, exclude_pk=place.pk)
    before = _place_snapshot(place)
    _apply_place(place, data)
    place.save()
    audit_record(
        actor=actor,
        action="place.update",
        obj=place,
        force=place.force,
        before=before,
        after=_place_snapshot(place),
        ip_address=ip_address,
    )
    return place
