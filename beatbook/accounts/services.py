"""Writes to staff accounts, sign-in records, API tokens and the audit trail.

Every staff write records an AuditEvent through `audit_record`, inside the same
transaction, so a change and its audit row are committed (or rolled back) together.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from beatbook.areas.models import Area, Level

from . import access
from .models import ApiToken, AuditEvent, Role, User

# Levels a person's scope may be: their force, a policing area or a neighbourhood.
SCOPE_LEVELS = (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD)

TOKEN_PREFIX = "bb_"  # noqa: S105 - a label, not a secret
# Shown in lists so that people can tell their tokens apart; 8 random characters
# reveal too little to help guess the remaining 43.
TOKEN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# Writing last_used_at on every request would turn every API read into a write.
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "command line"
    return actor.get_username()


def _force_of(area: Area | None) -> Area | None:
    return area.owning_force if area is not None else None


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    force: Area | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Write one audit record. Call it inside the service's transaction.

    `actor_label` names an actor who has no account (such as the username typed in a
    failed sign-in); by default it is the actor's username, or "command line".
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:300]
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=(actor_label or _actor_label(actor))[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        force=force,
        before=before,
        after=after,
        ip_address=ip_address,
    )


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "area": user.area.code if user.area_id and user.area else None,
        "organisation": user.organisation,
        "is_active": user.is_active,
    }


def _check_admin_may_assign(actor: User | None, area: Area) -> None:
    """A force administrator may only give people scopes inside their own force."""
    if actor is None:
        return  # command line: whoever runs it already controls the whole install
    if not access.is_force_admin(actor):
        raise PermissionDenied(_("Only force administrators manage accounts."))
    force = access.user_force(actor)
    if force is None or _force_of(area) != force or area.level not in SCOPE_LEVELS:
        raise PermissionDenied(_("That area is not a force, policing area or neighbourhood in your force."))


def _check_admin_may_manage(actor: User | None, user: User) -> None:
    if actor is None:
        return
    if not access.is_force_admin(actor):
        raise PermissionDenied(_("Only force administrators manage accounts."))
    if access.user_force(user) != access.user_force(actor):
        raise PermissionDenied(_("That account belongs to another force."))


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    role: str,
    area: Area,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    organisation: str = "",
    ip_address: str | None = None,
) -> User:
    """Create a staff or partner account scoped to `area`."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    _check_admin_may_assign(actor, area)
    user = User(
        username=username,
        role=role,
        area=area,
        first_name=first_name,
        last_name=last_name,
        email=email,
        organisation=organisation,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        force=_force_of(area),
        after=_user_snapshot(user),
        ip_address=ip_address,
    )
    return user


@transaction.atomic
def user_update(
    *,
    actor: User | None,
    user: User,
    role: str,
    area: Area,
    first_name: str,
    last_name: str,
    email: str,
    organisation: str = "",
    ip_address: str | None = None,
) -> User:
    """Change a person's role, scope or details. Records the values before and after."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    _check_admin_may_manage(actor, user)
    _check_admin_may_assign(actor, area)
    if actor is not None and actor.pk == user.pk and (role != user.role or area.pk != user.area_id):
        # An administrator who demotes or moves themselves can lock the force out of its own accounts.
        raise PermissionDenied(_("You cannot change your own role or area; ask another administrator."))
    before = _user_snapshot(user)
    user.role = role
    user.area = area
    user.first_name = first_name
    user.last_name = last_name
    user.email = email
    user.organisation = organisation
    user.full_clean(exclude=["password"])
    user.save()
    after = _user_snapshot(user)
    if after != before:
        audit_record(
            actor=actor,
            action="user.update",
            obj=user,
            force=_force_of(area),
            before=before,
            after=after,
            ip_address=ip_address,
        )
    return user


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User, ip_address: str | None = None) -> User:
    """Stop an account signing in; its sessions end and its API tokens are revoked."""
    _check_admin_may_manage(actor, user)
    if actor is not None and actor.pk == user.pk:
        raise PermissionDenied(_("You cannot deactivate your own account."))
    if not user.is_active:
        return user
    before = _user_snapshot(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    # Django's ModelBackend refuses inactive users on every request, so open sessions end too.
    for token in user.api_tokens.filter(revoked_at__isnull=True):
        api_token_revoke(actor=actor, token=token, ip_address=ip_address)
    audit_record(
        actor=actor,
        action="user.deactivate",
        obj=user,
        force=_force_of(user.area),
        before=before,
        after=_user_snapshot(user),
        ip_address=ip_address,
    )
    return user


@transaction.atomic
def user_reactivate(*, actor: User | None, user: User, ip_address: str | None = None) -> User:
    _check_admin_may_manage(actor, user)
    if user.is_active:
        return user
    before = _user_snapshot(user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.reactivate",
        obj=user,
        force=_force_of(user.area),
        before=before,
        after=_user_snapshot(user),
        ip_address=ip_address,
    )
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str, ip_address: str | None = None) -> User:
    """Set a new password. The audit row says that it changed, never what it is."""
    if actor.pk != user.pk:
        _check_admin_may_manage(actor, user)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor, action="user.password_change", obj=user, force=_force_of(user.area), ip_address=ip_address
    )
    return user


# --- Two-factor authentication -------------------------------------------------------


@transaction.atomic
def two_factor_enrol(*, user: User, key: str, last_t: int, ip_address: str | None = None) -> TOTPDevice:
    """Save a TOTP device the person has just proved they hold (by typing a code from it).

    `last_t` is the time step of that code, so the same code cannot be used again to verify.
    Earlier devices are removed: one phone per person keeps recovery simple.
    """
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", key=key, confirmed=True, last_t=last_t)
    audit_record(
        actor=user,
        action="two_factor.enrol",
        obj=user,
        force=_force_of(user.area),
        after={"device": device.name, "replaced_devices": removed},
        ip_address=ip_address,
    )
    return device


@dataclass(frozen=True)
class TwoFactorResult:
    verified: bool
    device: TOTPDevice | None = None
    locked_until: datetime | None = None


@transaction.atomic
def two_factor_verify(*, user: User, device: TOTPDevice, token: str, ip_address: str | None = None) -> TwoFactorResult:
    """Check a code against the person's device, with django-otp's throttling.

    After each wrong code the device refuses every code (right or wrong) for 1, 2, 4, 8 …
    seconds, so guessing six digits takes far too long to be worth trying.
    """
    allowed, info = device.verify_is_allowed()
    if not allowed:
        audit_record(
            actor=user,
            action="auth.two_factor_throttled",
            obj=user,
            force=_force_of(user.area),
            ip_address=ip_address,
        )
        return TwoFactorResult(verified=False, locked_until=(info or {}).get("locked_until"))
    verified = verify_token(user, device.persistent_id, token.strip().replace(" ", ""))
    audit_record(
        actor=user,
        action="auth.two_factor" if verified else "auth.two_factor_failed",
        obj=user,
        force=_force_of(user.area),
        ip_address=ip_address,
    )
    return TwoFactorResult(verified=verified is not None, device=verified)


@transaction.atomic
def two_factor_reset(*, actor: User | None, user: User, ip_address: str | None = None) -> int:
    """Remove a person's devices (a lost phone). An administrator must enrol again at next sign-in."""
    _check_admin_may_manage(actor, user)
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    if removed:
        audit_record(
            actor=actor,
            action="two_factor.reset",
            obj=user,
            force=_force_of(user.area),
            before={"devices": removed},
            after={"devices": 0},
            ip_address=ip_address,
        )
    return removed


# --- Sign-in records (called from signal handlers) --------------------------------------


def _user_by_username(username: str | None) -> User | None:
    if not username:
        return None
    return User.objects.select_related("area").filter(username=username).first()


@transaction.atomic
def login_succeeded_record(*, user: User, ip_address: str | None = None) -> AuditEvent:
    return audit_record(actor=user, action="auth.login", obj=user, force=_force_of(user.area), ip_address=ip_address)


def _sign_in_attempt_record(
    *, action: str, username: str | None, ip_address: str | None, after: dict[str, Any] | None = None
) -> AuditEvent:
    """A failed sign-in or lockout. The actor is unknown, so the typed username is the label."""
    account = _user_by_username(username)
    return audit_record(
        actor=None,
        actor_label=f"sign-in as {username or '(blank)'}",
        action=action,
        obj=account,
        object_type="" if account else "accounts.user",
        object_label="" if account else (username or "")[:300],
        force=_force_of(account.area) if account else None,
        after=after,
        ip_address=ip_address,
    )


@transaction.atomic
def login_failed_record(*, username: str | None, ip_address: str | None = None, locked_out: bool = False) -> AuditEvent:
    return _sign_in_attempt_record(
        action="auth.login_failed", username=username, ip_address=ip_address, after={"locked_out": locked_out}
    )


@transaction.atomic
def lockout_record(*, username: str | None, ip_address: str | None = None) -> AuditEvent:
    return _sign_in_attempt_record(action="auth.lockout", username=username, ip_address=ip_address)


@transaction.atomic
def logout_record(*, user: User, ip_address: str | None = None) -> AuditEvent:
    return audit_record(actor=user, action="auth.logout", obj=user, force=_force_of(user.area), ip_address=ip_address)


# --- API tokens ---------------------------------------------------------------------------


def api_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, name: str, ip_address: str | None = None) -> tuple[ApiToken, str]:
    """Make a token for `actor`. Returns the row and the token itself, which is never stored."""
    if not access.can_use_api_tokens(actor):
        raise PermissionDenied(_("Only analysts and force administrators may create API tokens."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter a name for the token")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name[:100], prefix=raw[:TOKEN_PREFIX_LENGTH], key_hash=api_token_hash(raw)
    )
    audit_record(
        actor=actor,
        action="api_token.create",
        obj=token,
        force=_force_of(actor.area),
        after={"name": token.name, "prefix": token.prefix, "user": actor.username},
        ip_address=ip_address,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken, ip_address: str | None = None) -> ApiToken:
    if actor is not None and token.user_id != actor.pk:
        _check_admin_may_manage(actor, token.user)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api_token.revoke",
        obj=token,
        force=_force_of(token.user.area),
        before={"revoked": False},
        after={"revoked": True, "prefix": token.prefix},
        ip_address=ip_address,
    )
    return token


def api_token_authenticate(*, raw: str) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, revoked, or not allowed).

    Looking the token up by its SHA-256 hash means a timing difference can only reveal
    something about a hash, which does not help anyone to forge a token.
    """
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__area")
        .filter(key_hash=api_token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    user = token.user
    # A person who has since been deactivated or moved to a role without API access loses it at once.
    if not access.can_use_api_tokens(user):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user
