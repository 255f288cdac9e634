"""Sign-in events → audit trail. Handlers only call a service; the logic lives there."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import services
from .http import client_ip


@receiver(user_logged_in, dispatch_uid="beatbook_audit_login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.login_succeeded_record(user=user, ip_address=client_ip(request))


@receiver(user_login_failed, dispatch_uid="beatbook_audit_login_failed")
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    services.login_failed_record(
        username=credentials.get("username"),
        ip_address=client_ip(request),
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


@receiver(user_locked_out, dispatch_uid="beatbook_audit_lockout")
def on_locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    services.lockout_record(username=username, ip_address=client_ip(request))


@receiver(user_logged_out, dispatch_uid="beatbook_audit_logout")
def on_logout(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is not None:
        services.logout_record(user=user, ip_address=client_ip(request))
