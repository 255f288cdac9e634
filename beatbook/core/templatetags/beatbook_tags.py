"""Template helpers shared by every page: bars and colour swatches drawn as SVG, percentages.

The Content-Security-Policy forbids inline style attributes, so a bar's length or a swatch's
colour is given as SVG presentation attributes (width, fill), which CSP does not govern.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.simple_tag
def share_bar(share: float | None) -> str:
    """A horizontal bar 0 to 100% long; decorative, so hidden from assistive technology
    (the number next to it carries the meaning)."""
    try:
        width = max(0.0, min(1.0, float(share or 0))) * 100
    except (TypeError, ValueError):
        width = 0.0
    return format_html(
        '<svg class="bb-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        '<rect class="bb-bar__track" x="0" y="0" width="100" height="10"></rect>'
        '<rect class="bb-bar__fill" x="0" y="0" width="{}" height="10"></rect></svg>',
        f"{width:.2f}",
    )


@register.simple_tag
def swatch(colour: str) -> str:
    """A legend square in a map class's colour, with a dark outline so that pale colours
    still stand out against the page (WCAG 1.4.11 non-text contrast)."""
    colour = colour if isinstance(colour, str) and colour.startswith("#") and len(colour) in (4, 7) else "#ffffff"
    return format_html(
        '<svg class="bb-swatch" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">'
        '<rect x="0.5" y="0.5" width="15" height="15" fill="{}" stroke="#0b0c0c" stroke-width="1"></rect></svg>',
        colour,
    )


@register.filter
def percent(share: float | None, places: int = 1) -> str:
    """0.1234 → "12.3%"."""
    if share is None:
        return ""
    return f"{float(share) * 100:.{int(places)}f}%"


@register.simple_tag
def language_choices() -> list[dict[str, object]]:
    """The site's languages, each named in itself, with its direction.

    Django's own language-info tags fail on languages it has no data for (Gujarati), so
    the names come from settings.LANGUAGES, which already writes them in their own script.
    """
    bidi = {code.split("-")[0] for code in settings.LANGUAGES_BIDI}
    return [{"code": code, "name": name, "bidi": code.split("-")[0] in bidi} for code, name in settings.LANGUAGES]


LEVEL_PLURALS = {
    "force": _("Forces"),
    "npa": _("Policing areas"),
    "neighbourhood": _("Neighbourhoods"),
    "lad": _("Local authority districts"),
    "ward": _("Wards"),
    "msoa": _("MSOAs"),
    "lsoa": _("LSOAs"),
}


@register.filter
def level_plural(level: str) -> str:
    """ "npa" → "Policing areas", for headings over lists of areas."""
    return str(LEVEL_PLURALS.get(level, level))
