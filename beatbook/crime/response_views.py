"""Staff pages: areas needing immediate-response engagement, and marking areas by hand.

Thin views: the list comes from `detection.immediate_response_for_user` (only the areas
the user can see), flags are written by `services`. Partners see the list but cannot mark
or close (403); a flag on an area outside someone's scope is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from beatbook.accounts.access import areas_for_user, user_force
from beatbook.accounts.http import client_ip, safe_next
from beatbook.accounts.models import User
from beatbook.areas.models import Area, Level

from . import detection, services
from .forms import ChooserForm, IncidentFlagForm
from .models import IncidentFlag

# How one area of each level is named in a sentence ("3 neighbourhood areas checked").
LEVEL_NOUNS = {
    Level.FORCE: gettext_lazy("force"),
    Level.NPA: gettext_lazy("policing"),
    Level.NEIGHBOURHOOD: gettext_lazy("neighbourhood"),
    Level.LSOA: gettext_lazy("LSOA"),
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _force(user: User) -> Area:
    force = user_force(user) if user.area_id else None
    if force is None:
        raise PermissionDenied(_("Your account has no area yet; ask your force administrator."))
    return force


@login_required
def response_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    force = _force(user)
    months = detection.months_with_data(force)
    form = ChooserForm(request.GET or None, months=months)
    level: str = Level.NEIGHBOURHOOD
    month = months[0] if months else detection.month_start(timezone.localdate())
    result = None
    if not form.is_bound or form.is_valid():
        if form.is_bound:
            level = form.cleaned_data["level"]
            month = detection.parse_month(form.cleaned_data["month"])
        result = detection.immediate_response_for_user(user, month=month, level=level)
    closable: set[int] = set()
    if result is not None and detection.can_raise_flags(user):
        area_ids = {flag.area_id for item in result.flagged for flag in item.manual if flag.closed_at is None}
        mine = set(detection.flaggable_areas(user).filter(pk__in=area_ids).values_list("pk", flat=True))
        closable = {
            flag.pk
            for item in result.flagged
            for flag in item.manual
            if flag.closed_at is None and flag.area_id in mine
        }
    context: dict[str, Any] = {
        "form": form,
        "result": result,
        "force": force,
        "level_noun": LEVEL_NOUNS[Level(level)],
        "month": month,
        "has_months": bool(months),
        "can_raise": detection.can_raise_flags(user),
        "closable": closable,
        "method": detection.method_summary(result.config) if result else "",
        "visible_area_ids": set(areas_for_user(user).values_list("pk", flat=True)) if result else set(),
    }
    return render(request, "crime/immediate_response.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def flag_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _force(user)
    if not detection.can_raise_flags(user):
        raise PermissionDenied(_("Partners cannot mark areas for immediate response."))
    areas = detection.flaggable_areas(user)
    initial: dict[str, Any] = {"starts_on": timezone.localdate()}
    chosen = request.GET.get("area", "")
    if chosen.isdigit():
        initial["area"] = areas.filter(pk=int(chosen)).first()
    form = IncidentFlagForm(request.POST or None, initial=initial, areas=areas)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            flag = services.incident_flag_raise(
                actor=user,
                area=data["area"],
                title=data["title"],
                description=data["description"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                ip_address=client_ip(request),
            )
        except (PermissionDenied, ValidationError) as error:
            reasons = error.messages if isinstance(error, ValidationError) else [str(error)]
            for message in reasons:
                form.add_error(None, message)
        else:
            messages.success(request, _("%(area)s is marked for immediate response.") % {"area": flag.area.name})
            return redirect("immediate_response:list")
    return render(request, "crime/incident_flag_form.html", {"form": form})


@login_required
@require_POST
def flag_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    if not detection.can_raise_flags(user):
        raise PermissionDenied(_("Partners cannot close flags."))
    # Flags on areas outside the user's scope are not found, so they are not confirmed.
    flag = get_object_or_404(IncidentFlag.objects.select_related("area"), pk=pk, area__in=areas_for_user(user))
    try:
        services.incident_flag_close(actor=user, flag=flag, ip_address=client_ip(request))
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, _("Flag “%(title)s” closed.") % {"title": flag.title})
    return redirect(safe_next(request, reverse("immediate_response:list")))
