"""Reads behind the public subscriber pages: which force a page is for, the neighbourhoods,
interests and consent wording it offers, and the subscriber a sign-up or import matches.

The installation's default interests and first consent wording live in the database (migration
0002), in English. Their texts are repeated here with `gettext_noop` so that makemessages puts
them in the catalogues, and `interest_label`/`wording_text` look them up in the reader's
language; a force's own interests or wording are shown as the force wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext, gettext_noop

from beatbook.areas.models import Area, Level

from .models import ConsentWording, Interest, Subscriber

# The languages a subscriber may choose: the public site's, by their short code (messages
# and audiences are targeted by these codes; "en" is English).
LANGUAGE_CODES = [code.split("-")[0] for code, _name in settings.LANGUAGES]

# Copies of migration 0002's English texts, for the catalogues (see the module docstring).
DEFAULT_TEXTS = (
    gettext_noop("Burglary"),
    gettext_noop("Break-ins at homes, sheds and garages, and how to prevent them."),
    gettext_noop("Anti-social behaviour"),
    gettext_noop("Nuisance, noise, vandalism and what is being done."),
    gettext_noop("Rural crime"),
    gettext_noop("Farm, machinery, livestock and wildlife crime."),
    gettext_noop("Business crime"),
    gettext_noop("Shoplifting, fraud against businesses and retail safety."),
    gettext_noop("Fraud and scams"),
    gettext_noop("Scams doing the rounds and how to spot them."),
    gettext_noop("Road safety"),
    gettext_noop("Speeding, parking and safety on local roads."),
    gettext_noop("Vehicle crime"),
    gettext_noop("Thefts of and from vehicles."),
    gettext_noop("Events"),
    gettext_noop("Beat surgeries, meetings and community events near you."),
    gettext_noop("Appeals for information"),
    gettext_noop("When we are asking the public for help with an investigation."),
    gettext_noop("Volunteering"),
    gettext_noop("Neighbourhood Watch, Speedwatch, cadets and special constables."),
    gettext_noop(
        "I agree to receive messages from my local police and the partners they work with about the "
        "areas and subjects I have chosen, by the ways I have chosen. My details are used only to "
        "send these messages and to count how many people they reach. I can change what I receive, "
        "download my details or unsubscribe at any time from the link in every message."
    ),
)
_TRANSLATABLE = frozenset(DEFAULT_TEXTS)


def _translated(text: str) -> str:
    return gettext(text) if text in _TRANSLATABLE else text


def interest_label(interest: Interest) -> str:
    return _translated(interest.name)


def interest_description(interest: Interest) -> str:
    return _translated(interest.description)


def wording_text(wording: ConsentWording) -> str:
    return _translated(wording.text)


# --- the force a public page is for -------------------------------------------------------


@dataclass(frozen=True)
class ForceChoice:
    """The force a sign-up is for, or (when the site serves several and none was named) the
    forces to choose from."""

    force: Area | None
    choices: list[Area]


def public_force(code: str | None) -> ForceChoice:
    """`?force=<code>` when given; otherwise the only force, if there is one."""
    forces = Area.objects.filter(level=Level.FORCE).order_by("name")
    if code:
        return ForceChoice(force=forces.filter(code=code).first(), choices=[])
    found = list(forces[:2])
    if len(found) == 1:
        return ForceChoice(force=found[0], choices=[])
    return ForceChoice(force=None, choices=list(forces))


# --- what a sign-up offers ------------------------------------------------------------------


def neighbourhood_groups(force: Area) -> list[tuple[Area, list[Area]]]:
    """The force's neighbourhoods under their policing areas, both by name."""
    neighbourhoods = Area.objects.filter(force=force, level=Level.NEIGHBOURHOOD).select_related("parent")
    groups: dict[int | None, list[Area]] = {}
    parents: dict[int | None, Area] = {}
    for area in neighbourhoods.order_by("name"):
        groups.setdefault(area.parent_id, []).append(area)
        if area.parent is not None:
            parents[area.parent_id] = area.parent
    ordered = sorted(groups.items(), key=lambda item: parents[item[0]].name if item[0] in parents else force.name)
    return [(parents.get(parent_id, force), areas) for parent_id, areas in ordered]


def neighbourhoods_of(force: Area) -> QuerySet[Area]:
    return Area.objects.filter(force=force, level=Level.NEIGHBOURHOOD)


def interests_for(force: Area) -> QuerySet[Interest]:
    """Active interests a force's subscribers choose from: the force's own and the defaults."""
    return Interest.objects.filter(Q(force=force) | Q(force__isnull=True), active=True).order_by("position", "name")


def current_wording(force: Area) -> ConsentWording | None:
    """The consent wording shown now: the force's latest, else the installation's latest."""
    own = ConsentWording.objects.filter(force=force).order_by("-created_at", "-pk").first()
    return own or ConsentWording.objects.filter(force__isnull=True).order_by("-created_at", "-pk").first()


def wording_for(force: Area, pk: int | None) -> ConsentWording | None:
    """A wording this force may use (its own or a default), by id."""
    if pk is None:
        return None
    return ConsentWording.objects.filter(Q(force=force) | Q(force__isnull=True), pk=pk).first()


def matching_subscribers(force: Area, *, email: str, phone: str) -> list[Subscriber]:
    """Subscribers of the force holding this email address or number (at most one each)."""
    match = Q()
    if email:
        match |= Q(email=email)
    if phone:
        match |= Q(phone=phone)
    if not match:
        return []
    found = list(Subscriber.objects.filter(match, force=force).order_by("pk"))
    # The email's row first: it is the one a repeated sign-up updates.
    return sorted(found, key=lambda s: (s.email != email or not email, s.pk))
