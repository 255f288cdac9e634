"""Sign-in, two-factor, password, staff accounts, audit search and API token pages.

Views stay thin: they check who may use the page, validate a form, call one service and
render. Who may do what is decided in `access`; writes are in `services`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from . import access, selectors, services, two_factor
from .forms import (
    ApiTokenForm,
    AuditFilterForm,
    BeatbookPasswordChangeForm,
    LoginForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from .http import client_ip, safe_next
from .models import ApiToken, AuditEvent, User

View = Callable[..., HttpResponse]


def _require(check: Callable[[Any], bool]) -> Callable[[View], View]:
    """Signed-out people go to sign in; signed-in people without the right get 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


admin_required = _require(access.can_manage_users)
token_user_required = _require(access.can_use_api_tokens)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _default_landing() -> str:
    return reverse("areas:home")


# --- Sign in and out --------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm

    def get_success_url(self) -> str:
        url = super().get_success_url()
        user = self.request.user
        if selectors.two_factor_required(user):
            # Straight to the code (or set-up) page, rather than bouncing off the middleware.
            has_device = selectors.confirmed_device(user) is not None  # type: ignore[arg-type]
            page = reverse("accounts:two_factor" if has_device else "accounts:two_factor_setup")
            return f"{page}?{urlencode({'next': url})}"
        return url


class LogoutView(auth_views.LogoutView):
    """POST only (Django refuses GET): a link or a prefetch must not sign anyone out.

    Signing out also asks the browser to clear this site's storage: the quick activity form
    keeps an unsent draft (what residents said) in localStorage, and on a shared phone the
    next person must not find it.
    """

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"storage"'
        return response


# --- Two-factor -------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    next_url = safe_next(request, _default_landing())
    device = selectors.confirmed_device(user)
    if device is None:
        return HttpResponseRedirect(f"{reverse('accounts:two_factor_setup')}?{urlencode({'next': next_url})}")
    if user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(next_url)
    form = TokenForm(request.POST or None)
    locked_until = None
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_verify(
            user=user, device=device, token=form.cleaned_data["token"], ip_address=client_ip(request)
        )
        if result.verified and result.device is not None:
            otp_login(request, result.device)
            return HttpResponseRedirect(next_url)
        locked_until = result.locked_until
        if locked_until is not None:
            form.add_error("token", _("Too many wrong codes. Wait a few seconds, then enter the code your app shows."))
        else:
            form.add_error("token", _("That code is not right. Enter the code your app shows now"))
    return render(request, "accounts/two_factor.html", {"form": form, "next": next_url, "locked_until": locked_until})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    next_url = safe_next(request, _default_landing())
    has_device = selectors.confirmed_device(user) is not None
    verified = user.is_verified()  # type: ignore[attr-defined]
    if has_device and not verified:
        # Adding a device must need the existing one, or a stolen password would be enough.
        return HttpResponseRedirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': next_url})}")
    key = request.session.get(two_factor.SESSION_KEY)
    if not key:
        key = two_factor.new_key()
        request.session[two_factor.SESSION_KEY] = key
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = two_factor.match_setup_token(key, form.cleaned_data["token"])
        if step is None:
            form.add_error(
                "token",
                _("That code is not right. Check the time on your phone is correct and enter the code it shows now"),
            )
        else:
            device = services.two_factor_enrol(user=user, key=key, last_t=step, ip_address=client_ip(request))
            del request.session[two_factor.SESSION_KEY]
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is set up."))
            return HttpResponseRedirect(next_url)
    url = two_factor.config_url(user, key)
    context = {
        "form": form,
        "next": next_url,
        "secret": two_factor.secret_for_display(key),
        "qr_svg": two_factor.qr_svg(url),
        "has_device": has_device,
        "required": user.role == "admin",
    }
    return render(request, "accounts/two_factor_setup.html", context)


# --- Password ---------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = BeatbookPasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(
            actor=user, user=user, password=form.cleaned_data["new_password1"], ip_address=client_ip(request)
        )
        # Keeps this session signed in; Django ends the person's other sessions.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:password_change")
    return render(request, "accounts/password_change.html", {"form": form})


# --- Staff accounts (force administrators) ----------------------------------------------


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    admin = _user(request)
    areas = selectors.assignable_areas(admin)
    form = UserFilterForm(request.GET or None, areas=areas)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "role": form.cleaned_data["role"] or None,
            "area": form.cleaned_data["area"],
            "q": form.cleaned_data["q"] or None,
        }
    page = Paginator(selectors.users_for_admin(admin, **filters), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/user_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "force": access.user_force(admin)},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    admin = _user(request)
    form = UserCreateForm(request.POST or None, areas=selectors.assignable_areas(admin))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.user_create(
            actor=admin,
            username=data["username"],
            password=data["password1"],
            role=data["role"],
            area=data["area"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            organisation=data["organisation"],
            ip_address=client_ip(request),
        )
        messages.success(request, _("Account created for %(name)s.") % {"name": user})
        return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@admin_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _user(request)
    target = selectors.user_for_admin(admin, pk)
    if target is None:
        # Someone in another force, or nobody: the same answer, so accounts are not probed.
        raise Http404("No such account in your force.")
    initial = {
        "first_name": target.first_name,
        "last_name": target.last_name,
        "email": target.email,
        "role": target.role,
        "area": target.area,
        "organisation": target.organisation,
        "is_active": target.is_active,
    }
    form = UserEditForm(request.POST or None, initial=initial, areas=selectors.assignable_areas(admin))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ip = client_ip(request)
        try:
            with transaction.atomic():
                services.user_update(
                    actor=admin,
                    user=target,
                    role=data["role"],
                    area=data["area"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    organisation=data["organisation"],
                    ip_address=ip,
                )
                if data["is_active"] and not target.is_active:
                    services.user_reactivate(actor=admin, user=target, ip_address=ip)
                elif not data["is_active"] and target.is_active:
                    services.user_deactivate(actor=admin, user=target, ip_address=ip)
                if data["reset_two_factor"]:
                    services.two_factor_reset(actor=admin, user=target, ip_address=ip)
        except PermissionDenied as exc:
            target.refresh_from_db()
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes to %(name)s saved.") % {"name": target})
            return redirect("accounts:users")
    has_device = selectors.confirmed_device(target) is not None
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "creating": False, "target": target, "has_device": has_device},
    )


# --- Audit ------------------------------------------------------------------------------


@admin_required
def audit(request: HttpRequest) -> HttpResponse:
    admin = _user(request)
    actions, object_types = selectors.audit_choices(admin)
    form = AuditFilterForm(request.GET or None, actions=actions, object_types=object_types)
    filters = selectors.AuditFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.AuditFilters(
            actor=data["actor"].strip(),
            action=data["action"],
            object_type=data["object_type"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            q=data["q"].strip(),
        )
    # A search with a mistake in it shows the error, not every event unfiltered.
    events = AuditEvent.objects.none() if form.errors else selectors.audit_events_for_admin(admin, filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    rows = [(event, selectors.audit_event_changes(event)) for event in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode(), "force": access.user_force(admin)},
    )


# --- API tokens -------------------------------------------------------------------------


@never_cache
@token_user_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ApiTokenForm(request.POST or None)
    new_token: str | None = None
    created: ApiToken | None = None
    if request.method == "POST" and form.is_valid():
        created, new_token = services.api_token_create(
            actor=user, name=form.cleaned_data["name"], ip_address=client_ip(request)
        )
        form = ApiTokenForm()  # an empty form below the one-time token
    # never_cache keeps the one-time token out of the browser's and any proxy's cache.
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": selectors.tokens_for_user(user), "new_token": new_token, "created": created},
    )


@token_user_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    token = get_object_or_404(ApiToken, pk=pk, user=user)
    services.api_token_revoke(actor=user, token=token, ip_address=client_ip(request))
    messages.success(request, _("Token “%(name)s” revoked. It no longer works.") % {"name": token.name})
    return redirect("accounts:tokens")
