"""Staff pages for the force's directory: partner organisations and places, listed, added and
corrected.

The force's own staff (not partners) read both lists. Commanders and administrators keep the
partner list; whoever records activity in a neighbourhood keeps its places, and
administrators the force-wide ones (`access`). Another force's partner, or a place out of
sight, is a 404; one in sight but not the user's to change is a 403. Writes go through
`directory_services`, whose field errors come back onto the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from beatbook.accounts.http import client_ip
from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area

from . import access, directory_services, selectors
from .directory_forms import PartnerForm, PlaceForm
from .models import Partner, Place


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _reader_force(user: User) -> Area:
    force = access.user_force_for_directory(user)
    if force is None:
        raise PermissionDenied(_("The force's partners and places are kept by its own staff."))
    return force


def _put_errors(form: Form, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, PermissionDenied) or not hasattr(error, "error_dict"):
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
        return
    for name, reasons in error.message_dict.items():
        for message in reasons:
            form.add_error(name if name in form.fields else None, message)


@login_required
def partner_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    force = _reader_force(user)
    context = {
        "force": force,
        "partners": selectors.partners_for_force(force),
        "can_manage": access.can_manage_partners(user),
    }
    return render(request, "activity/partner_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def partner_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    force = _reader_force(user)
    if not access.can_manage_partners(user):
        raise PermissionDenied(_("Commanders and administrators keep the partner list."))
    return _partner_form(request, force=force, partner=None)


@login_required
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partner = access.get_partner_for_manage(user, pk=pk)
    return _partner_form(request, force=_reader_force(user), partner=partner)


def _partner_form(request: HttpRequest, *, force: Area, partner: Partner | None) -> HttpResponse:
    form = PartnerForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            if partner is None:
                saved = directory_services.partner_create(
                    actor=_user(request), force=force, data=form.to_data(), ip_address=client_ip(request)
                )
                messages.success(request, _("“%(name)s” added to the partners.") % {"name": saved.name})
            else:
                saved = directory_services.partner_update(
                    actor=_user(request), partner=partner, data=form.to_data(), ip_address=client_ip(request)
                )
                messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
            return redirect("activity:partners")
        except (ValidationError, PermissionDenied) as error:
            _put_errors(form, error)
    return render(request, "activity/partner_form.html", {"form": form, "force": force, "partner": partner})


@login_required
def place_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    force = _reader_force(user)
    places = list(selectors.places_for_user(user))
    context = {
        "force": force,
        "places": [(place, access.can_edit_place(user, place)) for place in places],
        "can_add": access.can_add_places(user),
    }
    return render(request, "activity/place_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def place_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    force = _reader_force(user)
    if not access.can_add_places(user):
        raise PermissionDenied(_("Only the people who record activity add places."))
    return _place_form(request, force=force, place=None)


@login_required
@require_http_methods(["GET", "POST"])
def place_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    place = access.get_place_for_edit(user, pk=pk)
    return _place_form(request, force=_reader_force(user), place=place)


def _place_form(request: HttpRequest, *, force: Area, place: Place | None) -> HttpResponse:
    user = _user(request)
    form = PlaceForm(
        request.POST or None,
        neighbourhoods=access.place_neighbourhoods(user),
        force_wide=user.role == Role.ADMIN,
        place=place,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if place is None:
                saved = directory_services.place_create(
                    actor=user, force=force, data=form.to_data(), ip_address=client_ip(request)
                )
                messages.success(request, _("“%(name)s” added to the places.") % {"name": saved.name})
            else:
                saved = directory_services.place_update(
                    actor=user, place=place, data=form.to_data(), ip_address=client_ip(request)
                )
                messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
            return redirect("activity:places")
        except (ValidationError, PermissionDenied) as error:
            _put_errors(form, error)
    return render(request, "activity/place_form.html", {"form": form, "force": force, "place": place})
