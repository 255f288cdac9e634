"""The staff messaging pages: messages (list, write, confirm and send, approve, cancel), their
metrics and downloads, templates, signatures and the force's settings.

Thin views: `access` decides (a message out of scope is a 404; one in sight that the user may
not act on is a 403; partners get 403 everywhere), `message_services` and `staff_services`
write, `metrics` reads. Subscriber counts are for every reader; subscribers' personal details
and erasure only for those `access.can_see_subscriber_details` allows (administrators).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beatbook.accounts.models import AuditEvent, User
from beatbook.areas.models import Area, Level

from . import access, exports, message_services, metrics, staff_services, subscriber_services
from .audience import audience_count
from .models import Message, MessageStatus, MessageTemplate, SenderProfile, Subscriber, SubscriberStatus
from .staff_forms import (
    MessageForm,
    ProfileForm,
    ReturnForm,
    SendForm,
    SettingsForm,
    SubscriberSearchForm,
    TargetsForm,
    TemplateForm,
)

SENT_PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def require_reader(user: User) -> None:
    if not access.can_read_messages(user):
        raise PermissionDenied(_("Your role does not use community messaging."))


def require_writer(user: User) -> None:
    if not access.can_write_messages(user):
        raise PermissionDenied(_("Your role does not write community messages."))


def require_manager(user: User) -> None:
    if not access.can_manage_messaging(user):
        raise PermissionDenied(_("Only your force's administrators manage messaging."))


def _force(user: User) -> Area:
    force_id = access.user_force_id(user)
    if force_id is None:
        raise PermissionDenied(_("Your account has no area yet; ask your force administrator."))
    return Area.objects.get(pk=force_id)


# --- Messages -----------------------------------------------------------------------------


@login_required
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_reader(user)
    visible = access.visible_messages(user).select_related("author", "approved_by").prefetch_related("areas")
    open_ = list(visible.exclude(status__in=[MessageStatus.SENT, MessageStatus.CANCELLED]).order_by("-created_at"))
    drafts = [m for m in open_ if m.status == MessageStatus.DRAFT]
    waiting = [m for m in open_ if m.status == MessageStatus.AWAITING_APPROVAL]
    mine_to_approve = [m for m in waiting if access.can_approve(user, m)]
    waiting = mine_to_approve + [m for m in waiting if m not in mine_to_approve]
    scheduled = sorted(
        (m for m in open_ if m.status == MessageStatus.SCHEDULED), key=lambda m: (m.send_at is not None, m.send_at)
    )
    sending = [m for m in open_ if m.status == MessageStatus.SENDING]
    finished = visible.filter(status__in=[MessageStatus.SENT, MessageStatus.CANCELLED]).order_by(
        "-started_at", "-created_at"
    )
    page = Paginator(finished, SENT_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [*sending, *page.object_list]
    figures = metrics.message_metrics(m.pk for m in shown)
    for message in shown:
        message.metrics = figures[message.pk]
    context = {
        "drafts": drafts,
        "waiting": waiting,
        "approvable": {m.pk for m in mine_to_approve},
        "scheduled": scheduled,
        "sending": sending,
        "page": page,
        "can_write": access.can_write_messages(user),
        "can_manage": access.can_manage_messaging(user),
        "open_tracking": access.messaging_settings(_force(user).pk).open_tracking,
    }
    return render(request, "messaging/staff/list.html", context)


def _message_form_page(request: HttpRequest, user: User, message: Message | None) -> HttpResponse:
    templates = MessageTemplate.objects.filter(force_id=access.user_force_id(user), active=True)
    if request.method == "POST":
        form = MessageForm(request.POST, user=user)
        if form.is_valid():
            try:
                if message is None:
                    message = message_services.message_create(actor=user, data=form.to_data())
                else:
                    message = message_services.message_update(actor=user, message=message, data=form.to_data())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("messaging:send", pk=message.pk)
    else:
        initial: dict[str, Any] = {}
        chosen = request.GET.get("template", "")
        if message is not None:
            initial = MessageForm.initial_from_message(message)
        elif chosen.isdigit():
            template = templates.filter(pk=int(chosen)).first()
            if template is not None:
                initial = MessageForm.initial_from_template(template)
        form = MessageForm(initial=initial, user=user)
    signature = _signature_for(user)
    audience = _audience(user, _targets_of(form, user))
    context = {
        "form": form,
        "message": message,
        "templates": templates,
        "signature": signature,
        "audience": audience,
    }
    return render(request, "messaging/staff/form.html", context)


def _targets_of(form: MessageForm, user: User) -> dict[str, list[Any]]:
    if form.is_bound:
        return TargetsForm(form.data, user=user).targets()
    initial = form.initial
    return {
        "area_ids": [a.pk for a in initial.get("areas", [])],
        "interest_ids": [i.pk for i in initial.get("interests", [])],
        "languages": list(initial.get("languages", [])),
        "channels": list(initial.get("channels", [])) or ["email", "sms"],
    }


def _audience(user: User, targets: dict[str, list[Any]]) -> Any:
    if not targets["area_ids"]:
        return None
    return audience_count(force=_force(user), **targets)


def _signature_for(user: User) -> dict[str, str]:
    profile = SenderProfile.objects.filter(user=user).first()
    if profile is not None:
        return {
            "name": profile.display_name,
            "role": profile.role_title,
            "photo": profile.photo.url if profile.photo else "",
        }
    return {"name": user.get_full_name() or user.get_username(), "role": str(user.get_role_display()), "photo": ""}


@login_required
@require_http_methods(["GET", "POST"])
def message_compose(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_writer(user)
    return _message_form_page(request, user, None)


@login_required
@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    message = access.get_message_for_user(user, pk=pk)
    if not access.can_edit_message(user, message):
        raise PermissionDenied(_("This message can no longer be changed, or is not yours to change."))
    return _message_form_page(request, user, message)


@login_required
@require_GET
def message_audience(request: HttpRequest) -> HttpResponse:
    """The audience panel alone (HTMX swaps it in as the targets change)."""
    user = _user(request)
    require_writer(user)
    targets = TargetsForm(request.GET, user=user).targets()
    response = render(request, "messaging/staff/_audience.html", {"audience": _audience(user, targets), "live": True})
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "POST"])
def message_send(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirm step: the message as sent, its audience, and send now or at a time."""
    user = _user(request)
    message = access.get_message_for_user(user, pk=pk)
    if message.status != MessageStatus.DRAFT or not access.can_edit_message(user, message):
        raise PermissionDenied(_("Only a draft you may edit can be sent."))
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = message_services.message_submit(actor=user, message=message, send_at=form.send_at())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if message.status == MessageStatus.AWAITING_APPROVAL:
                messages.success(request, _("Your message is waiting for approval."))
            elif message.send_at:
                messages.success(request, _("Your message is scheduled."))
            else:
                messages.success(request, _("Your message is being sent."))
            return redirect("messaging:detail", pk=message.pk)
    context = {
        **_message_context(user, message),
        "form": form,
        "approval_required": access.approval_required(user),
    }
    return render(request, "messaging/staff/send.html", context)


def _message_context(user: User, message: Message) -> dict[str, Any]:
    targets = message_services.message_data(message)
    audience = audience_count(
        force=message.force,
        area_ids=targets.area_ids,
        interest_ids=targets.interest_ids,
        languages=targets.languages,
        channels=targets.channels,
    )
    return {
        "message": message,
        "areas": list(message.areas.order_by("level", "name")),
        "interests": list(message.interests.all()),
        "languages": [metrics.language_names().get(code, code) for code in message.languages],
        "audience": audience,
        "photo_url": default_storage.url(message.signature_photo) if message.signature_photo else "",
        "paragraphs": [p.strip() for p in message.body.replace("\r\n", "\n").split("\n\n") if p.strip()],
    }


@login_required
@require_GET
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    message = access.get_message_for_user(user, pk=pk)
    force_settings = access.messaging_settings(message.force_id)
    returned = (
        AuditEvent.objects.filter(action="message.return", object_type="messaging.message", object_id=str(message.pk))
        .order_by("-at", "-id")
        .first()
        if message.status == MessageStatus.DRAFT
        else None
    )
    context = {
        **_message_context(user, message),
        "metrics": metrics.metrics_for(message),
        "open_tracking": force_settings.open_tracking,
        "can_edit": access.can_edit_message(user, message),
        "can_approve": access.can_approve(user, message),
        "can_cancel": access.can_cancel(user, message),
        "return_note": (returned.after or {}).get("note", "") if returned else "",
        "return_form": ReturnForm(),
    }
    return render(request, "messaging/staff/detail.html", context)


@login_required
@require_POST
def message_approve(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _user(request)
    message = access.get_message_for_user(user, pk=pk)
    if not access.can_approve(user, message):
        raise PermissionDenied(_("You cannot approve this message."))
    message_services.message_approve(actor=user, message=message)
    messages.success(request, _("You approved the message. It will be sent as scheduled."))
    return redirect("messaging:detail", pk=message.pk)


@login_required
@require_http_methods(["GET", "POST"])
def message_return(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    message = access.get_message_for_user(user, pk=pk)
    if not access.can_approve(user, message):
        raise PermissionDenied(_("You cannot return this message."))
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message_services.message_return(actor=user, message=message, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("You returned the message to its author with your note."))
            return redirect("messaging:detail", pk=message.pk)
    return render(request, "messaging/staff/return.html", {"message": message, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def message_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    message = access.get_message_for_user(user, pk=pk)
    if not access.can_cancel(user, message):
        raise PermissionDenied(_("You cannot cancel this message."))
    if request.method == "POST":
        message_services.message_cancel(actor=user, message=message)
        messages.success(request, _("The message was cancelled. Nothing more of it will be sent."))
        return redirect("messaging:detail", pk=message.pk)
    context = {"message": message, "metrics": metrics.metrics_for(message)}
    return render(request, "messaging/staff/cancel.html", context)


@login_required
@require_GET
def message_export(request: HttpRequest) -> HttpResponseBase:
    """Metrics of every visible message that began sending: CSV, or XLSX with ?format=xlsx."""
    user = _user(request)
    require_reader(user)
    found = (
        access.visible_messages(user)
        .filter(started_at__isnull=False)
        .order_by("-started_at", "-pk")
        .select_related("author")
    )
    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(found)
    return exports.csv_response(found)


# --- Templates, signature, settings --------------------------------------------------------


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_manager(user)
    templates = MessageTemplate.objects.filter(force_id=access.user_force_id(user)).order_by("-active", "kind", "name")
    return render(request, "messaging/staff/templates.html", {"templates": templates})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    require_manager(user)
    template = None
    if pk is not None:
        template = get_object_or_404(MessageTemplate, pk=pk, force_id=access.user_force_id(user))
    initial = {}
    if template is not None:
        initial = {f: getattr(template, f) for f in ("name", "kind", "subject", "body", "sms_body", "active")}
    form = TemplateForm(request.POST or None, initial=initial or {"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            if template is None:
                staff_services.template_create(actor=user, data=form.to_data())
            else:
                staff_services.template_update(actor=user, template=template, data=form.to_data())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The template was saved."))
            return redirect("messaging:templates")
    return render(request, "messaging/staff/template_form.html", {"form": form, "template": template})


@login_required
@require_http_methods(["GET", "POST"])
def sender_profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_writer(user)
    profile = SenderProfile.objects.filter(user=user).first()
    signature = _signature_for(user)
    initial = {"display_name": signature["name"], "role_title": profile.role_title if profile else ""}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_services.sender_profile_update(
                actor=user,
                display_name=form.cleaned_data["display_name"],
                role_title=form.cleaned_data["role_title"],
                photo=form.cleaned_data.get("photo"),
                remove_photo=form.cleaned_data.get("remove_photo", False),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your signature was saved. New messages will carry it."))
            return redirect("messaging:profile")
    return render(request, "messaging/staff/profile.html", {"form": form, "signature": signature, "profile": profile})


@login_required
@require_http_methods(["GET", "POST"])
def messaging_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_manager(user)
    current = access.messaging_settings(_force(user).pk)
    initial = {
        "approval_required_for": list(current.approval_required_for),
        "approver_roles": list(current.approver_roles),
        "open_tracking": current.open_tracking,
        "sender_name": current.sender_name,
        "reply_to": current.reply_to,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_services.messaging_settings_update(actor=user, data=form.to_data())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The messaging settings were saved."))
            return redirect("messaging:settings")
    return render(request, "messaging/staff/settings.html", {"form": form})


# --- Subscribers ----------------------------------------------------------------------------


def _subscriber_scope(user: User) -> Any:
    """None (the whole force) for force-wide staff, otherwise the areas they read."""
    if user.area is not None and user.area.level == Level.FORCE:
        return None
    return access.readable_areas(user)


@login_required
@require_GET
def subscribers(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_reader(user)
    force = _force(user)
    scope = _subscriber_scope(user)
    neighbourhoods = access.readable_areas(user).filter(level=Level.NEIGHBOURHOOD)
    context = {
        "summary": metrics.subscriber_summary(force.pk, scope),
        "growth": metrics.subscriber_growth(force.pk, scope),
        "reach": metrics.reach(force.pk, neighbourhoods),
        "can_see_details": access.can_see_subscriber_details(user),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    return render(request, "messaging/staff/subscribers.html", context)


@login_required
@require_GET
def subscribers_geojson(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_reader(user)
    neighbourhoods = access.readable_areas(user).filter(level=Level.NEIGHBOURHOOD)
    collection = metrics.reach_geojson(_force(user).pk, neighbourhoods)
    return JsonResponse(collection, content_type="application/geo+json")


def _require_details(user: User) -> None:
    if not access.can_see_subscriber_details(user):
        raise PermissionDenied(_("Only your force's administrators see subscribers' details."))


def _subscriber_for_admin(user: User, pk: int) -> Any:

    _require_details(user)
    return get_object_or_404(Subscriber, pk=pk, force_id=access.user_force_id(user))


@login_required
@require_GET
def subscriber_people(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_details(user)
    form = SubscriberSearchForm(request.GET or None)
    found = Subscriber.objects.filter(force_id=access.user_force_id(user)).order_by("-created_at", "-pk")
    query = ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        q = form.cleaned_data["q"].strip()
        query = urlencode({"q": q})
        compact = q.replace(" ", "").upper()
        found = found.filter(
            Q(email__icontains=q.lower()) | Q(phone__icontains=q.replace(" ", "")) | Q(postcode__iexact=compact)
        )
    page = Paginator(found.prefetch_related("area_links__area"), 50).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": query}
    return render(request, "messaging/staff/subscriber_people.html", context)


@login_required
@require_GET
def subscriber_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    subscriber = _subscriber_for_admin(user, pk)
    context = {
        "subscriber": subscriber,
        "consents": list(subscriber.consents.select_related("wording")),
        "areas": [link.area for link in subscriber.area_links.select_related("area")],
        "interests": list(subscriber.interests.all()),
        "deliveries": subscriber.deliveries.count(),
    }
    return render(request, "messaging/staff/subscriber_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def subscriber_erase(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    subscriber = _subscriber_for_admin(user, pk)
    if subscriber.status == SubscriberStatus.ERASED:
        raise PermissionDenied(_("This subscriber's details were erased already."))
    if request.method == "POST":
        subscriber_services.subscriber_erase(subscriber=subscriber, actor=user)
        messages.success(request, _("The subscriber's personal details were erased. Anonymous counts are kept."))
        return redirect("messaging:subscriber_detail", pk=subscriber.pk)
    return render(request, "messaging/staff/subscriber_erase.html", {"subscriber": subscriber})
