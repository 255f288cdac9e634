"""The activity pages: the quick form, the full edit, a record, the list and its exports.

Thin views: who may do what is decided by `access` (out of sight is a 404, visible but not
yours to change a 403), reads come from `selectors`, writes go through `services`, and the
forms turn what was typed into an `ActivityData` and show the service's errors on its fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from beatbook.accounts.http import client_ip
from beatbook.accounts.models import User

from . import access, exports, selectors, services
from .demographics import GROUPS
from .forms import ActivityFilterForm, ActivityForm, QuickActivityForm
from .models import Activity

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _draft_key(user: User) -> str:
    """Where the phone keeps this person's unsent quick form (one draft per person)."""
    return f"beatbook.activity-draft.{user.pk}"


# --- Record -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not access.can_record(user):
        raise PermissionDenied(_("Your role does not record activity."))
    form = QuickActivityForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            # PermissionDenied (an area the user may not record for) is left to become a 403.
            activity = services.activity_create(
                actor=user,
                data=form.to_data(),
                client_id=form.cleaned_data["client_id"],
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            # Not a flash message: the offline script follows this redirect with fetch() and
            # then loads the page again, which would have used the message up.
            return redirect(f"{reverse('activity:detail', kwargs={'pk': activity.pk})}?recorded=1")
    return render(request, "activity/quick_form.html", {"form": form, "draft_key": _draft_key(user)})


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    activity = access.get_activity_for_edit(user, pk=pk)
    form = ActivityForm(request.POST or None, user=user, activity=activity)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=user, activity=activity, data=form.to_data(), ip_address=client_ip(request))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your changes to this activity were saved."))
            return redirect("activity:detail", pk=activity.pk)
    return render(request, "activity/form.html", {"form": form, "activity": activity})


@login_required
@require_http_methods(["GET", "POST"])
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    activity = access.get_activity_for_edit(user, pk=pk)
    if request.method == "POST":
        label = str(activity)
        services.activity_delete(actor=user, activity=activity, ip_address=client_ip(request))
        messages.success(request, _("“%(activity)s” was deleted.") % {"activity": label})
        return redirect("activity:list")
    return render(request, "activity/confirm_delete.html", {"activity": activity})


# --- Read ---------------------------------------------------------------------------------


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    activity = selectors.activity_detail(access.get_activity_for_user(user, pk=pk))
    demographics = activity.demographics or {}
    reached = [
        (label, [(name, demographics[group][key]) for key, name in categories.items() if key in demographics[group]])
        for group, (label, categories) in GROUPS.items()
        if demographics.get(group)
    ]
    context: dict[str, Any] = {
        "activity": activity,
        "area_links": list(activity.area_links.all()),
        "reached": reached,
        "can_edit": access.can_edit_activity(user, activity),
        "can_record": access.can_record(user),
        "internal": access.sees_internal_fields(user),
        "recorded": request.GET.get("recorded") == "1",
        "draft_key": _draft_key(user),
    }
    return render(request, "activity/detail.html", context)


def _filtered(request: HttpRequest, user: User) -> tuple[ActivityFilterForm, Any, str]:
    """The filter form, the activities it selects, and the query string that reproduces it."""
    form = ActivityFilterForm(request.GET or None, user=user)
    # A filter with a mistake in it shows the error, not everything unfiltered.
    if form.is_bound and not form.is_valid():
        activities = Activity.objects.none()
    else:
        activities = selectors.activity_search(user, filters=form.filters())
    query = request.GET.copy()
    query.pop("page", None)
    return form, activities, query.urlencode()


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form, activities, query = _filtered(request, user)
    totals = selectors.activity_totals(activities)
    paginator = Paginator(selectors.with_list_details(activities), PAGE_SIZE)
    # The totals counted the activities already; counting again would scan them twice.
    paginator.count = totals.activities
    page = paginator.get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "totals": totals,
        "internal": access.sees_internal_fields(user),
        "query": query,
        "can_record": access.can_record(user),
        "directory": access.can_read_directory(user),
        "filtered": bool(query),
    }
    return render(request, "activity/list.html", context)


@login_required
@require_GET
def activity_export_csv(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    _form, activities, _query = _filtered(request, user)
    return exports.csv_response(activities, internal=access.sees_internal_fields(user))


@login_required
@require_GET
def activity_export_xlsx(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    _form, activities, query = _filtered(request, user)
    count = activities.count()
    if count > exports.XLSX_MAX_ROWS:
        messages.error(
            request,
            _(
                "That is %(count)s activities: more than an Excel file made here can hold (%(limit)s). "
                "Narrow the filters, or download CSV."
            )
            % {"count": f"{count:,}", "limit": f"{exports.XLSX_MAX_ROWS:,}"},
        )
        return redirect(f"{reverse('activity:list')}?{query}" if query else reverse("activity:list"))
    return exports.xlsx_response(activities, internal=access.sees_internal_fields(user))
