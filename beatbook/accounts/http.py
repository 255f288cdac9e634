"""Request helpers shared by the accounts views, middleware and signal handlers."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest | None) -> str | None:
    """The address to record in the audit trail.

    Axes has already worked it out (honouring its proxy settings) for sign-in requests;
    otherwise REMOTE_ADDR, which is the proxy's address unless the server is configured
    to pass the client's through.
    """
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR") or None


def safe_next(request: HttpRequest, default: str) -> str:
    """The ?next= address if it is on this site, else `default` (no open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
