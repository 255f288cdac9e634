"""Template filters for crime pages: changes in words, so they read the same aloud as on screen."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from beatbook.crime.selectors import Change

register = template.Library()

MINUS = "\u2212"  # a true minus sign, read as "minus" by screen readers


def rounded(value: float, places: int) -> str:
    """Django's number_format cuts decimals off (579.69 → "579.6"); round first."""
    return number_format(round(float(value), places), places, force_grouping=True)


def _amount(value: float) -> str:
    return rounded(abs(value), 0 if float(value).is_integer() else 1)


@register.filter
def change_text(change: Change | None) -> str:
    """Change(21, 11) → "up 10 (90.9%)"; Change(3, 4) → "down 1 (25.0%)"; equal → "no change"."""
    if change is None:
        return ""
    difference = change.difference
    if not difference:
        return _("no change")
    if change.percent is None:
        return _("up %(amount)s (none the year before)") % {"amount": _amount(difference)}
    values = {"amount": _amount(difference), "percent": rounded(abs(change.percent), 1)}
    if difference > 0:
        return _("up %(amount)s (%(percent)s%%)") % values
    return _("down %(amount)s (%(percent)s%%)") % values


@register.filter
def percent_change(change: Change | None) -> str:
    """Change(21, 11) → "+90.9%"; words when the year before had none (no percentage of 0)."""
    if change is None or change.percent is None:
        return _("none the year before")
    if not change.difference:
        return "0%"
    sign = "+" if change.difference > 0 else MINUS
    return f"{sign}{rounded(abs(change.percent), 1)}%"


@register.filter
def amount(value: float | None, places: int = 0) -> str:
    """A figure with thousands separators and `places` decimals; words for none."""
    if value is None:
        return _("not known")
    return rounded(value, int(places))
