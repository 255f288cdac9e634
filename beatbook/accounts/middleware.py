"""Force administrators must confirm a one-time code before any staff page or API call.

Runs after django-otp's OTPMiddleware, which marks `request.user.is_verified()` when the
session holds a device that was verified in it. Only /staff/ and /api/ are guarded: the
public site, static files and the sign-in, sign-out and two-factor pages stay reachable.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from .selectors import confirmed_device, two_factor_required

GUARDED_PREFIXES = ("/staff/", "/api/")
EXEMPT_URL_NAMES = ("accounts:login", "accounts:logout", "accounts:two_factor", "accounts:two_factor_setup")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._check(request)
        if response is not None:
            return response
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        if not path.startswith(GUARDED_PREFIXES):
            return None
        if path in {reverse(name) for name in EXEMPT_URL_NAMES}:
            return None
        is_api = path.startswith("/api/")
        if is_api and request.headers.get("Authorization", "").lower().startswith("bearer "):
            # A bearer request is authenticated by its token alone (the session is not used),
            # and tokens are made only in a session that passed two-factor.
            return None
        user = request.user
        # OTPMiddleware (which runs first) gives signed-in users is_verified().
        is_verified = getattr(user, "is_verified", None)
        if not user.is_authenticated or (is_verified is not None and is_verified()):
            return None
        if not two_factor_required(user):
            return None
        if is_api:
            return JsonResponse({"detail": "Two-factor authentication is required for this session."}, status=403)
        has_device = confirmed_device(user) is not None
        target = reverse("accounts:two_factor" if has_device else "accounts:two_factor_setup")
        if request.method in ("GET", "HEAD"):
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        return HttpResponseRedirect(target)
