"""Request helpers shared by the accounts views, middleware and signal handlers."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, for login throttling (axes) and the audit trail.

    Behind TRUSTED_PROXY_COUNT reverse proxies, each proxy appends the address it saw to
    X-Forwarded-For, so the client is that many entries from the right. Entries further
    left were written by the client and could be forged, so they are never used. With no
    trusted proxies REMOTE_ADDR is the client: without this, every visitor behind a proxy
    would share one address and one person's failed logins would lock out everyone.
    """
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


def safe_next(request: HttpRequest, default: str) -> str:
    """The ?next= address if it is on this site, else `default` (no open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
