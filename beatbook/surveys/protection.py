"""Protection of the public survey against abuse, without blocking real people.

Nothing that might be a genuine answer is refused: a filled honeypot, a burst from one address
or a repeat of the same answers is stored with status "flagged" and a reason, left out of
scores until a person reviews it (`services.response_review`). Only what cannot be a valid
response is refused: an unknown or used invitation token, or answers that fail validation.

The sender's address is never stored: only a keyed hash (HMAC with a key derived from
SECRET_KEY), enough to count submissions from one address but not to recover it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from django.utils.crypto import salted_hmac

from beatbook.accounts.models import Role, User

from . import intake
from .models import Survey, Wave

# More than RATE_LIMIT submissions from one address within RATE_WINDOW: the later ones are
# flagged. A household, a shared office or a library computer can send a few honestly.
RATE_LIMIT = 5
RATE_WINDOW = dt.timedelta(minutes=10)
# The same answers from the same place and address within this window are flagged as repeats.
DUPLICATE_WINDOW = dt.timedelta(hours=24)

FLAG_HONEYPOT = "honeypot"
FLAG_RATE = "rate"
FLAG_DUPLICATE = "duplicate"

TOKEN_BYTES = 24
REVIEW_ROLES = frozenset({Role.ANALYST, Role.ADMIN})


def new_token() -> str:
    """A random invitation token, URL-safe (32 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of a token. Tokens are long and random, so an unsalted hash is enough:
    it cannot be reversed and lets a token be found by an index lookup."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def address_hash(client_address: str) -> str:
    """A keyed hash of a network address; "" when there is none."""
    address = client_address.strip().lower()
    if not address:
        return ""
    return salted_hmac("beatbook.surveys.protection.address", address).hexdigest()


def fingerprint(*, answers: Mapping[str, Any], lsoa_id: int | None, neighbourhood_id: int | None) -> str:
    """A hash of the (cleaned) answers and the place, equal for repeated submissions."""
    payload = json.dumps(
        {"answers": answers, "lsoa": lsoa_id, "neighbourhood": neighbourhood_id}, sort_keys=True, ensure_ascii=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def submission_flags(
    *,
    survey: Survey,
    wave: Wave,
    sender: str,
    answers_fingerprint: str,
    honeypot: str,
    now: dt.datetime,
    invited: bool,
) -> list[str]:
    """Why a submission should be held for review ([] to count it). An invited submission
    (a valid token) is not rate-limited nor compared with others: the token already limits it
    to one, and a household answering alike from one address is not abuse."""
    flags: list[str] = []
    if honeypot.strip():
        flags.append(FLAG_HONEYPOT)
    if invited or not sender:
        return flags
    recent, repeated = intake.sender_counts(
        survey_id=survey.pk,
        wave_id=wave.pk,
        sender=sender,
        fingerprint=answers_fingerprint,
        now=now,
        rate_since=now - RATE_WINDOW,
        duplicate_since=now - DUPLICATE_WINDOW,
    )
    if recent >= RATE_LIMIT:
        flags.append(FLAG_RATE)
    if repeated:
        flags.append(FLAG_DUPLICATE)
    return flags


def can_review_responses(user: Any, survey: Survey) -> bool:
    """Analysts and administrators of the survey's force decide on flagged responses."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    if not isinstance(user, User) or user.area is None or user.role not in REVIEW_ROLES:
        return False
    force = user.area.owning_force
    return force is not None and force.pk == survey.force_id
