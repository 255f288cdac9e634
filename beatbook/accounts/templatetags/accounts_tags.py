"""Small template filters for the accounts pages."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def whole_minutes(delta: timedelta | None) -> int:
    """A wait rounded up to whole minutes (a 90-second wait is 2 minutes, not 1)."""
    if not delta:
        return 0
    return max(1, math.ceil(delta.total_seconds() / 60))


@register.filter
def from_now(delta: timedelta | None) -> datetime | None:
    """The time `delta` from now, to say when a wait ends."""
    if not delta:
        return None
    return timezone.localtime(timezone.now() + delta)
