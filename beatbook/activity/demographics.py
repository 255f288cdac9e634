"""Aggregate demographics of the people an activity reached: counts per group, never per person.

Officers record these only when they know them (a school assembly's year groups, a meeting's
sign-in sheet), so every group is optional. The groups follow the census 2021 headline
categories, so reach can be compared with the population of the neighbourhood.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The same bound as services.MAX_COUNT (which imports this module).
MAX_COUNT = 100_000_000

GROUPS: dict[str, tuple[Any, dict[str, Any]]] = {
    "age": (
        gettext_lazy("Age"),
        {
            "under_18": gettext_lazy("Under 18"),
            "18_24": gettext_lazy("18 to 24"),
            "25_44": gettext_lazy("25 to 44"),
            "45_64": gettext_lazy("45 to 64"),
            "65_plus": gettext_lazy("65 and over"),
        },
    ),
    "sex": (
        gettext_lazy("Sex"),
        {"female": gettext_lazy("Female"), "male": gettext_lazy("Male")},
    ),
    "ethnic_group": (
        gettext_lazy("Ethnic group"),
        {
            "asian": gettext_lazy("Asian or Asian British"),
            "black": gettext_lazy("Black, Black British, Caribbean or African"),
            "mixed": gettext_lazy("Mixed or multiple ethnic groups"),
            "white": gettext_lazy("White"),
            "other": gettext_lazy("Other ethnic group"),
        },
    ),
}


def field_names() -> list[tuple[str, str]]:
    """(group, category) for every count a form or a CSV file may give, in display order."""
    return [(group, category) for group, (_label, categories) in GROUPS.items() for category in categories]


def validate_demographics(value: Any) -> list[str]:
    """Messages for everything wrong with a demographics value; empty when it is valid."""
    if not isinstance(value, dict):
        return [_("Demographics must be counts by group.")]
    problems = []
    for group, counts in value.items():
        if group not in GROUPS:
            problems.append(_("“%(group)s” is not a demographic group.") % {"group": group})
            continue
        if not isinstance(counts, dict):
            problems.append(_("Give %(group)s as counts by category.") % {"group": group})
            continue
        known = GROUPS[group][1]
        for category, count in counts.items():
            if category not in known:
                problems.append(
                    _("“%(category)s” is not a category of %(group)s.") % {"category": category, "group": group}
                )
            elif isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
                problems.append(
                    _("%(group)s %(category)s: enter a whole number, 0 or more.")
                    % {"group": group, "category": category}
                )
    return problems


def clean_demographics(value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Drop empty groups and zero counts, so 'not recorded' and 'none' are stored the same way."""
    return {
        group: {category: count for category, count in counts.items() if count}
        for group, counts in value.items()
        if any(counts.values())
    }
