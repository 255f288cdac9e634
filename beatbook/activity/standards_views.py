"""Staff pages for a force's engagement standards: the list, and adding or changing one.

Everyone on the staff who may see compliance (`access.teams_for_user`: not partners) may read
the standards their teams are held to; only the force's administrators
(`access.can_edit_standards`) add or change them, others get a 403. A standard of another
force, or a default the force has replaced with its own copy, is a 404. Writes go through
`services.standard_create` / `standard_update`, which also give the force its own copy of the
defaults the first time it edits one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from beatbook.accounts.access import user_force
from beatbook.accounts.http import client_ip
from beatbook.accounts.models import User
from beatbook.areas.models import Area

from . import access, services
from .models import Standard
from .standards_forms import StandardForm


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _force_for_reader(user: User) -> Area:
    """The user's force, when they may read its standards (403 for partners and unscoped accounts)."""
    force = user_force(user) if user.area_id else None
    if force is None or not access.teams_for_user(user).exists():
        raise PermissionDenied(_("Engagement standards are shown to the force's own staff."))
    return force


def _force_for_editor(user: User) -> Area:
    force = user_force(user) if user.area_id else None
    if force is None or not access.can_edit_standards(user):
        raise PermissionDenied(_("Only the force's administrators set its engagement standards."))
    return force


@login_required
def standard_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    force = _force_for_reader(user)
    standards = services.standards_for_force(force)
    context = {
        "force": force,
        "standards": standards,
        "uses_defaults": not standards or standards[0].force_id is None,
        "can_edit": access.can_edit_standards(user),
    }
    return render(request, "activity/standard_list.html", context)


def _save(request: HttpRequest, form: StandardForm, *, force: Area, standard: Standard | None) -> Standard | None:
    """Write the form through the services; on failure put their messages on the form's fields."""
    user = _user(request)
    try:
        if standard is None:
            return services.standard_create(actor=user, force=force, data=form.to_data(), ip_address=client_ip(request))
        return services.standard_update(
            actor=user, force=force, standard=standard, data=form.to_data(), ip_address=client_ip(request)
        )
    except ValidationError as error:
        for name, reasons in error.message_dict.items():
            field = name if name in form.fields else None
            for message in reasons:
                form.add_error(field, message)
    except PermissionDenied as error:
        form.add_error(None, str(error))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def standard_create(request: HttpRequest) -> HttpResponse:
    force = _force_for_editor(_user(request))
    form = StandardForm(request.POST or None, initial={"minimum": 1, "active": True})
    if request.method == "POST" and form.is_valid():
        created = _save(request, form, force=force, standard=None)
        if created is not None:
            messages.success(request, _("Standard “%(name)s” added.") % {"name": created.name})
            return redirect("compliance:standards")
    context = {
        "form": form,
        "force": force,
        "standard": None,
        "uses_defaults": not Standard.objects.filter(force=force).exists(),
    }
    return render(request, "activity/standard_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    force = _force_for_editor(_user(request))
    # Only a standard the force is held to now: its own, or a default while it has none.
    standard = next((s for s in services.standards_for_force(force) if s.pk == pk), None)
    if standard is None:
        raise Http404(_("No such standard for your force."))
    form = StandardForm(request.POST or None, standard=standard)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, force=force, standard=standard)
        if saved is not None:
            messages.success(request, _("Standard “%(name)s” saved.") % {"name": saved.name})
            return redirect("compliance:standards")
    context = {"form": form, "force": force, "standard": standard, "uses_defaults": standard.force_id is None}
    return render(request, "activity/standard_form.html", context)
