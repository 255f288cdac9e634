"""The authorization matrix: every URL pattern, every persona, the expected outcome.

`test_every_url_pattern_is_in_the_matrix` walks the URL resolver (pages, the ninja API and
i18n) and fails naming any pattern that has no row in MATRIX, so a new page cannot ship
without someone deciding who may use it. `test_matrix` then makes each request with the
Django test client as each of the eight personas and compares the outcome:

- ALLOW: 2xx, or a 3xx to one of the pages the row names in `redirects_to` (any other
  redirect is reported as unexpected, so a view bouncing everyone away cannot pass);
- LOGIN: a redirect to the sign-in page (signed-out visitors on staff pages);
- DENY: 403 or 404 (an area outside someone's scope is a 404, so scope is not leaked);
- UNAUTH: 401 (signed-out callers of the JSON API).

Page rows are keyed by URL name; API rows by route (ninja names routes after functions),
with converters dropped: "api/v1/areas/<code>".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from beatbook.accounts import services

ALLOW, LOGIN, DENY, UNAUTH = "allow", "login", "deny", "unauth"
# In `Case.redirects_to`: a redirect off the site (a tracked link's destination) counts as ALLOW.
EXTERNAL = "another site"
PERSONAS = ("anonymous", "officer", "officer_other", "commander", "analyst", "partner", "admin", "officer_elsewhere")
# Persona → attribute of the `users` fixture (officer: neighbourhood A; officer_other: B, in
# the other policing area; commander: North, which holds A; partner: neighbourhood A).
# officer_elsewhere is an officer of another force, made by the `world` fixture below.
PERSONA_USER = {
    "officer": "officer_a",
    "officer_other": "officer_b",
    "commander": "commander",
    "analyst": "analyst",
    "partner": "partner",
    "admin": "admin",
}


def expect(
    anonymous: str,
    officer: str,
    officer_other: str,
    commander: str,
    analyst: str,
    partner: str,
    admin: str,
    officer_elsewhere: str,
) -> dict[str, str]:
    outcomes = (anonymous, officer, officer_other, commander, analyst, partner, admin, officer_elsewhere)
    return dict(zip(PERSONAS, outcomes, strict=True))


EVERYONE = expect(ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
NOBODY = expect(DENY, DENY, DENY, DENY, DENY, DENY, DENY, DENY)
SIGNED_IN = expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
ADMIN_ONLY = expect(LOGIN, DENY, DENY, DENY, DENY, DENY, ALLOW, DENY)
TOKEN_ROLES = expect(LOGIN, DENY, DENY, DENY, ALLOW, DENY, ALLOW, DENY)
API_SIGNED_IN = expect(UNAUTH, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)


@dataclass
class World:
    tree: Any
    users: Any
    tokens: dict[str, Any]
    onsareas: dict[str, Any]  # ward, lad, msoa: ONS areas over the tree's LSOAs
    elsewhere: Any  # officer_elsewhere

    def user(self, persona: str) -> Any:
        if persona == "officer_elsewhere":
            return self.elsewhere
        return getattr(self.users, PERSONA_USER[persona])

    def area(self, attr: str) -> Any:
        return self.onsareas[attr] if attr in self.onsareas else getattr(self.tree, attr)


Build = Callable[[World, str], dict[str, Any]]


def no_args(world: World, persona: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    label: str
    outcomes: dict[str, str]
    kwargs: Build = no_args
    method: str = "get"
    data: Build = no_args
    # URL names a redirect may lead to and still count as ALLOW (any other redirect fails).
    redirects_to: tuple[str, ...] = ()


# --- Area scope: which personas may see each kind of area -------------------------------

AREA_SCOPE = {
    # area attribute on the tree (or World.onsareas): (level, outcomes for a staff page)
    "nbhd_a": ("neighbourhood", expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, ALLOW, ALLOW, DENY)),
    "lsoa_a": ("lsoa", expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, ALLOW, ALLOW, DENY)),
    "nbhd_b": ("neighbourhood", expect(LOGIN, DENY, ALLOW, DENY, ALLOW, DENY, ALLOW, DENY)),
    "npa_north": ("npa", expect(LOGIN, DENY, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY)),
    "force": ("force", expect(LOGIN, DENY, DENY, DENY, ALLOW, DENY, ALLOW, DENY)),
    # Wards, districts and MSOAs are visible to anyone sharing one of their LSOAs (the pages
    # then show only those LSOAs: see test_ons_areas_show_only_the_lsoas_in_scope).
    "ward": ("ward", expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, DENY)),  # LSOAs of A and B
    "lad": ("lad", expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, DENY)),  # every LSOA
    "msoa": ("msoa", expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, ALLOW, ALLOW, DENY)),  # LSOAs of A and C
}


def _as_api(outcomes: dict[str, str]) -> dict[str, str]:
    return {p: UNAUTH if o == LOGIN else o for p, o in outcomes.items()}


def area_page_cases() -> list[Case]:
    def build(attr: str, level: str) -> Build:
        return lambda world, persona: {"level": level, "code": world.area(attr).code}

    return [Case(attr, outcomes, kwargs=build(attr, level)) for attr, (level, outcomes) in AREA_SCOPE.items()]


def area_api_cases() -> list[Case]:
    def build(attr: str) -> Build:
        return lambda world, persona: {"code": world.area(attr).code}

    return [Case(attr, _as_api(outcomes), kwargs=build(attr)) for attr, (_level, outcomes) in AREA_SCOPE.items()]


def area_list_cases() -> list[Case]:
    within_b = lambda world, persona: {"within": world.tree.nbhd_b.code}  # noqa: E731
    within_msoa = lambda world, persona: {"within": world.onsareas["msoa"].code, "level": "lsoa"}  # noqa: E731
    return [
        Case("whole scope", API_SIGNED_IN),
        Case("by level", API_SIGNED_IN, data=lambda world, persona: {"level": "lsoa"}),
        # Asking for areas inside a neighbourhood you cannot see is a 404, as for the area itself.
        Case("within B", _as_api(AREA_SCOPE["nbhd_b"][1]), data=within_b),
        Case("within an MSOA", _as_api(AREA_SCOPE["msoa"][1]), data=within_msoa),
    ]


# --- Accounts -----------------------------------------------------------------------------


def own_token(world: World, persona: str) -> dict[str, Any]:
    """Each token holder revokes their own token; the others try the analyst's."""
    owner = persona if persona in world.tokens else "analyst"
    return {"pk": world.tokens[owner].pk}


def new_incident_flag(world: World, persona: str) -> dict[str, Any]:
    """A fresh open flag on neighbourhood A for each persona to try to close."""
    import datetime as dt

    from beatbook.crime.models import IncidentFlag

    flag = IncidentFlag.objects.create(area=world.tree.nbhd_a, title="Matrix", starts_on=dt.date(2024, 7, 1))
    return {"pk": flag.pk}


def _activity(world: World, *, shared: bool = False) -> Any:
    import datetime as dt

    from beatbook.activity import services as activity_services
    from beatbook.activity.models import ActivityType

    data = activity_services.ActivityData(
        type=ActivityType.objects.get(slug="patch-walk"),
        starts_at=dt.datetime(2025, 6, 2, 11, 0, tzinfo=dt.UTC),
        areas=[world.tree.nbhd_a],
        shared_with_partners=shared,
    )
    return activity_services.activity_create(actor=None, data=data)


def activity_in_a(world: World, persona: str) -> dict[str, Any]:
    """An activity of neighbourhood A that is not shared with partners."""
    return {"pk": _activity(world).pk}


def shared_activity_in_a(world: World, persona: str) -> dict[str, Any]:
    return {"pk": _activity(world, shared=True).pk}


def api_activity_in_a(world: World, persona: str) -> dict[str, Any]:
    return {"activity_id": _activity(world).pk}


def default_standard(world: World, persona: str) -> dict[str, Any]:
    from beatbook.activity.models import Standard

    return {"pk": Standard.objects.get(force__isnull=True, key="newsletter-monthly").pk}


def partner_of_testshire(world: World, persona: str) -> dict[str, Any]:
    from beatbook.activity.models import Partner

    partner, _ = Partner.objects.get_or_create(force=world.tree.force, name="Abbeyfield Borough Council")
    return {"pk": partner.pk}


def place_in_a(world: World, persona: str) -> dict[str, Any]:
    from beatbook.activity.models import Place

    place, _ = Place.objects.get_or_create(force=world.tree.force, name="Abbey Hall", neighbourhood=world.tree.nbhd_a)
    return {"pk": place.pk}


def your_views_survey(world: World, persona: str) -> dict[str, Any]:
    """The "Your Views" survey of Testshire, open today (made once, on first use)."""
    from beatbook.surveys.models import Survey
    from beatbook.surveys.tests.survey_fixtures import make_survey
    from beatbook.surveys.tests.test_public_form import open_wave

    survey = Survey.objects.filter(slug="your-views").first()
    if survey is None:
        survey = make_survey(world.tree)
        open_wave(survey)
    return {"slug": survey.slug}


def survey_response_in_a(world: World, persona: str) -> dict[str, Any]:
    """A flagged response from someone living in neighbourhood A."""
    from beatbook.surveys import services as survey_services
    from beatbook.surveys.models import Response, Survey

    slug = your_views_survey(world, persona)["slug"]
    survey = Survey.objects.get(slug=slug)
    response = Response.objects.filter(survey=survey, lsoa=world.tree.lsoa_a).first()
    if response is None:
        wave = survey.waves.first()
        assert wave is not None
        response = survey_services.response_record(
            survey=survey,
            wave=wave,
            answers={"feel-safe": "agree"},
            channel="online",
            language="en",
            lsoa=world.tree.lsoa_a,
        )
        Response.objects.filter(pk=response.pk).update(status="flagged", flag_reason="honeypot")
    return {"slug": slug, "pk": response.pk}


def survey_download(fmt: str) -> Build:
    return lambda world, persona: {**your_views_survey(world, persona), "fmt": fmt}


def survey_area(attr: str) -> Build:
    return lambda world, persona: {"area": world.area(attr).code}


# Survey results are aggregates every role of the force may read, for the areas in and above their scope.
SURVEY_RESULTS = expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, DENY)
# Individual responses: commanders (their NPA), analysts and administrators.
RESPONSE_READERS = expect(LOGIN, DENY, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY)
# Setting a survey up (its theme taxonomy): analysts and administrators of the force.
SURVEY_ADMIN = expect(LOGIN, DENY, DENY, DENY, ALLOW, DENY, ALLOW, DENY)


def survey_area_cases() -> list[Case]:
    """Results of one area: neighbourhood A is seen by its officer, its commander and partner;
    B by its own officer; analysts and administrators see both."""
    return [
        Case("own scope", SURVEY_RESULTS, kwargs=your_views_survey),
        Case(
            "area A",
            expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, ALLOW, ALLOW, DENY),
            kwargs=your_views_survey,
            data=survey_area("nbhd_a"),
        ),
        Case(
            "area B",
            expect(LOGIN, DENY, ALLOW, DENY, ALLOW, DENY, ALLOW, DENY),
            kwargs=your_views_survey,
            data=survey_area("nbhd_b"),
        ),
    ]


# --- Messaging ------------------------------------------------------------------------------


def _subscriber(world: World, status: str = "active") -> Any:
    import secrets

    from beatbook.messaging.models import Subscriber, SubscriberArea

    force = world.area("force")
    subscriber = Subscriber.objects.create(
        force=force,
        email=f"resident-{secrets.token_hex(4)}@example.org",
        wants_email=True,
        status=status,
        link_key=secrets.token_hex(16),
    )
    SubscriberArea.objects.create(
        subscriber=subscriber, area=world.tree.nbhd_a, active=status == "active", wants_email=True
    )
    return subscriber


def subscriber_link(purpose: str, status: str = "active") -> Build:
    def build(world: World, persona: str) -> dict[str, Any]:
        from beatbook.messaging import links

        return {"token": links.subscriber_token(_subscriber(world, status), links.Purpose(purpose))}

    return build


def _message_to_a(world: World, *, submit: bool) -> Any:
    """A message officer A wrote to neighbourhood A: a draft, or submitted (officers need approval)."""
    from beatbook.messaging import message_services

    officer = world.users.officer_a
    data = message_services.MessageData(
        kind="alert",
        subject="Bike thefts near the station",
        body="Please lock your bikes with two locks.",
        sms_body="",
        area_ids=[world.tree.nbhd_a.pk],
        interest_ids=[],
        languages=[],
        channels=["email"],
    )
    message = message_services.message_create(actor=officer, data=data)
    if submit:
        message = message_services.message_submit(actor=officer, message=message, send_at=None)
    return message


def draft_to_a(world: World, persona: str) -> dict[str, Any]:
    return {"pk": _message_to_a(world, submit=False).pk}


def submitted_to_a(world: World, persona: str) -> dict[str, Any]:
    return {"pk": _message_to_a(world, submit=True).pk}


def delivery_link(kind: str) -> Build:
    def build(world: World, persona: str) -> dict[str, Any]:
        from beatbook.messaging import links
        from beatbook.messaging.models import Delivery

        message = _message_to_a(world, submit=False)
        delivery = Delivery.objects.create(message=message, subscriber=_subscriber(world), channel="email")
        url = {
            "click": lambda: links.click_url(delivery.pk, "https://example.org/"),
            "open": lambda: links.open_url(delivery.pk),
            "rate": lambda: links.rate_url(delivery.pk, useful=True),
        }[kind]()
        parts = urlsplit(url).path.strip("/").split("/")
        return {"token": parts[2], "answer": parts[3]} if kind == "rate" else {"token": parts[2]}

    return build


def force_template(world: World, persona: str) -> dict[str, Any]:
    from beatbook.messaging.models import MessageTemplate

    template = MessageTemplate.objects.create(
        force=world.area("force"), name="Burglary alert", kind="alert", subject="Burglaries", body="Lock up."
    )
    return {"pk": template.pk}


def force_subscriber(world: World, persona: str) -> dict[str, Any]:
    return {"pk": _subscriber(world).pk}


# Messaging is the force's voice: staff other than partners read it; an officer of another
# force has their own force's lists and nothing of this one's.
MESSAGE_READERS = expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, DENY, ALLOW, ALLOW)
MESSAGE_WRITERS = expect(LOGIN, ALLOW, ALLOW, ALLOW, DENY, DENY, ALLOW, ALLOW)
# Officer A's message to neighbourhood A.
READERS_OF_A = expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY)
EDITORS_OF_A_MESSAGE = expect(LOGIN, ALLOW, DENY, ALLOW, DENY, DENY, ALLOW, DENY)
APPROVERS_OF_A = expect(LOGIN, DENY, DENY, ALLOW, DENY, DENY, ALLOW, DENY)


def team_page_cases() -> list[Case]:
    """Compliance is for teams (neighbourhoods, NPAs) and never shown to partners."""

    def build(attr: str, level: str) -> Build:
        return lambda world, persona: {"level": level, "code": world.area(attr).code}

    no_partner = {"partner": DENY}
    return [
        Case(attr, {**outcomes, **no_partner}, kwargs=build(attr, level))
        for attr, (level, outcomes) in AREA_SCOPE.items()
        if level in ("neighbourhood", "npa")
    ]


# Who records activity: officers, commanders and administrators (not analysts or partners).
RECORDERS = expect(LOGIN, ALLOW, ALLOW, ALLOW, DENY, DENY, ALLOW, ALLOW)
# Who may change neighbourhood A's activity: its officer, its commander, the force's administrator.
EDITORS_OF_A = expect(LOGIN, ALLOW, DENY, ALLOW, DENY, DENY, ALLOW, DENY)
# Who keeps the force's partner list: commanders and administrators of that force.
PARTNER_KEEPERS = expect(LOGIN, DENY, DENY, ALLOW, DENY, DENY, ALLOW, DENY)
# Compliance and standards are the force's own performance management: staff, not partners.
STAFF_NOT_PARTNERS = expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, DENY, ALLOW, ALLOW)
# The monthly performance pack of North: its commander, the force's analysts and administrators.
PACK_OF_NORTH = expect(LOGIN, DENY, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY)
# Paper and phone survey entry: the recording roles of the survey's own force.
RECORDERS_IN_FORCE = expect(LOGIN, ALLOW, ALLOW, ALLOW, DENY, DENY, ALLOW, DENY)
north = lambda world, persona: {"code": world.tree.npa_north.code}  # noqa: E731


MATRIX: dict[str, list[Case]] = {
    # Public site and language choice.
    "public:home": [Case("home", EVERYONE)],
    "set_language": [
        Case(
            "choose Welsh",
            EVERYONE,
            method="post",
            data=lambda w, p: {"language": "cy", "next": "/"},
            redirects_to=("public:home",),
        ),
    ],
    # Sign-in and sign-out.
    # The public "Your Views" survey: anyone may answer, signed in or not.
    "your_views:about": [Case("how answers are used", EVERYONE)],
    "your_views:form": [
        Case("form", EVERYONE, kwargs=your_views_survey),
        # A wrong answer, so the page comes back (200) rather than redirecting to the thanks
        # page, whose address needs the survey (`redirects_to` names pages without arguments).
        Case(
            "answer (POST)",
            EVERYONE,
            method="post",
            kwargs=your_views_survey,
            data=lambda w, p: {"feel-safe": "not-an-answer"},
        ),
    ],
    "your_views:thanks": [Case("thanks", EVERYONE, kwargs=your_views_survey)],
    "accounts:login": [Case("page", EVERYONE)],
    "accounts:logout": [Case("sign out (POST)", EVERYONE, method="post", redirects_to=("public:home",))],
    # Without a device the code page sends you to set one up; once verified, on to your areas.
    "accounts:two_factor": [Case("enter code", SIGNED_IN, redirects_to=("accounts:two_factor_setup", "areas:home"))],
    "accounts:two_factor_setup": [Case("set up", SIGNED_IN)],
    "accounts:password_change": [Case("page", SIGNED_IN)],
    # Force administration.
    "accounts:users": [Case("list", ADMIN_ONLY)],
    "accounts:user_create": [Case("form", ADMIN_ONLY)],
    "accounts:user_edit": [Case("officer A", ADMIN_ONLY, kwargs=lambda w, p: {"pk": w.users.officer_a.pk})],
    "accounts:audit": [Case("search", ADMIN_ONLY)],
    # API tokens: analysts and administrators.
    "accounts:tokens": [Case("list", TOKEN_ROLES)],
    "accounts:token_revoke": [
        Case("revoke (POST)", TOKEN_ROLES, kwargs=own_token, method="post", redirects_to=("accounts:tokens",))
    ],
    # Staff area pages.
    "areas:home": [Case("landing", SIGNED_IN)],
    "areas:profile": area_page_cases(),
    "areas:map": area_page_cases(),
    "areas:geojson": area_page_cases(),
    "crime:profile": area_page_cases(),
    "crime:points": area_page_cases(),
    # Immediate response: everyone signed in sees their own areas; partners cannot mark or close.
    "immediate_response:list": [Case("list", SIGNED_IN)],
    "immediate_response:flag_create": [Case("form", expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, DENY, ALLOW, ALLOW))],
    "immediate_response:flag_close": [
        Case(
            "close A's flag (POST)",
            expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY),
            kwargs=new_incident_flag,
            method="post",
            redirects_to=("immediate_response:list",),
        )
    ],
    # Engagement activity: everyone signed in has a list (partners see what is shared with them).
    "activity:list": [Case("list", SIGNED_IN)],
    "activity:export_csv": [Case("CSV", SIGNED_IN)],
    "activity:export_xlsx": [Case("XLSX", SIGNED_IN)],
    "activity:create": [Case("quick form", RECORDERS)],
    "activity:detail": [
        Case("A, not shared", expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY), kwargs=activity_in_a),
        Case("A, shared", expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, ALLOW, ALLOW, DENY), kwargs=shared_activity_in_a),
    ],
    "activity:edit": [Case("A", EDITORS_OF_A, kwargs=activity_in_a)],
    "activity:delete": [
        Case("confirm", EDITORS_OF_A, kwargs=activity_in_a),
        Case("delete (POST)", EDITORS_OF_A, kwargs=activity_in_a, method="post", redirects_to=("activity:list",)),
    ],
    # The force's directory: partner organisations (kept by commanders and administrators) and
    # places (kept by whoever records activity in their neighbourhood).
    "activity:partners": [Case("list", STAFF_NOT_PARTNERS)],
    "activity:partner_create": [
        Case("form", PARTNER_KEEPERS),
        Case(
            "add (POST)",
            PARTNER_KEEPERS,
            method="post",
            data=lambda w, p: {"name": f"Partner added by {p}", "kind": "council", "active": "on"},
            redirects_to=("activity:partners",),
        ),
    ],
    "activity:partner_edit": [Case("Testshire's", PARTNER_KEEPERS, kwargs=partner_of_testshire)],
    "activity:places": [Case("list", STAFF_NOT_PARTNERS)],
    "activity:place_create": [Case("form", RECORDERS)],
    "activity:place_edit": [Case("in A", EDITORS_OF_A, kwargs=place_in_a)],
    # Engagement standards and compliance.
    "compliance:overview": [Case("overview", STAFF_NOT_PARTNERS)],
    "compliance:team": team_page_cases(),
    "compliance:standards": [Case("list", STAFF_NOT_PARTNERS)],
    "compliance:standard_create": [Case("form", ADMIN_ONLY)],
    "compliance:standard_edit": [Case("a default", ADMIN_ONLY, kwargs=default_standard)],
    "compliance:pack": [Case("North", PACK_OF_NORTH, kwargs=north)],
    "compliance:pack_pdf": [Case("North", PACK_OF_NORTH, kwargs=north)],
    "compliance:pack_xlsx": [Case("North", PACK_OF_NORTH, kwargs=north)],
    # "Your Views" results and survey running.
    "surveys:list": [Case("list", SIGNED_IN)],
    "surveys:dashboard": survey_area_cases(),
    "surveys:representation": survey_area_cases(),
    "surveys:concerns": survey_area_cases(),
    "surveys:map": [Case("map", SURVEY_RESULTS, kwargs=your_views_survey)],
    "surveys:map_geojson": [Case("GeoJSON", SURVEY_RESULTS, kwargs=your_views_survey)],
    "surveys:download": [Case(fmt, SURVEY_RESULTS, kwargs=survey_download(fmt)) for fmt in ("csv", "xlsx")],
    "survey_manage:responses": [Case("list", RESPONSE_READERS, kwargs=your_views_survey)],
    "survey_manage:response": [Case("one from A", RESPONSE_READERS, kwargs=survey_response_in_a)],
    "survey_manage:enter": [Case("form", RECORDERS_IN_FORCE, kwargs=your_views_survey)],
    "survey_manage:themes": [Case("list", SURVEY_ADMIN, kwargs=your_views_survey)],
    "survey_manage:theme_add": [Case("form", SURVEY_ADMIN, kwargs=your_views_survey)],
    "survey_manage:theme_edit": [
        Case("a default", SURVEY_ADMIN, kwargs=lambda w, p: {**your_views_survey(w, p), "theme": "drugs"})
    ],
    # Messaging: the public's subscription pages (a signed link is the only key) ...
    "stay_informed:signup": [Case("form", EVERYONE)],
    "stay_informed:sent": [Case("check your messages", EVERYONE)],
    "stay_informed:confirm": [Case("pending person's link", EVERYONE, kwargs=subscriber_link("confirm", "pending"))],
    "stay_informed:manage": [Case("preferences", EVERYONE, kwargs=subscriber_link("manage"))],
    "stay_informed:download": [Case("own data", EVERYONE, kwargs=subscriber_link("manage"))],
    "stay_informed:erase": [Case("confirm erasure", EVERYONE, kwargs=subscriber_link("manage"))],
    "stay_informed:unsubscribe": [Case("one button", EVERYONE, kwargs=subscriber_link("unsubscribe"))],
    "stay_informed:click": [Case("signed redirect", EVERYONE, kwargs=delivery_link("click"), redirects_to=(EXTERNAL,))],
    "stay_informed:open": [Case("tracking image", EVERYONE, kwargs=delivery_link("open"))],
    "stay_informed:rate": [Case("was it useful?", EVERYONE, kwargs=delivery_link("rate"))],
    # ... GOV.UK Notify's status callbacks, which need Notify's bearer token, not a person ...
    "messaging_callbacks:notify": [
        Case("without the token (POST)", expect(*[UNAUTH] * 8), method="post", data=lambda w, p: {"id": "x"})
    ],
    # ... and the staff pages.
    "messaging:list": [Case("list", MESSAGE_READERS)],
    "messaging:subscribers": [Case("counts", MESSAGE_READERS)],
    "messaging:reach_geojson": [Case("reach map", MESSAGE_READERS)],
    "messaging:export": [Case("CSV", MESSAGE_READERS)],
    "messaging:compose": [Case("form", MESSAGE_WRITERS)],
    "messaging:audience": [Case("audience size", MESSAGE_WRITERS)],
    "messaging:profile": [Case("signature", MESSAGE_WRITERS)],
    "messaging:templates": [Case("list", ADMIN_ONLY)],
    "messaging:template_create": [Case("form", ADMIN_ONLY)],
    "messaging:template_edit": [Case("one", ADMIN_ONLY, kwargs=force_template)],
    "messaging:settings": [Case("force settings", ADMIN_ONLY)],
    "messaging:subscriber_people": [Case("people", ADMIN_ONLY)],
    "messaging:subscriber_detail": [Case("one person", ADMIN_ONLY, kwargs=force_subscriber)],
    "messaging:subscriber_erase": [Case("confirm erasure", ADMIN_ONLY, kwargs=force_subscriber)],
    "messaging:detail": [Case("A's draft", READERS_OF_A, kwargs=draft_to_a)],
    "messaging:edit": [Case("A's draft", EDITORS_OF_A_MESSAGE, kwargs=draft_to_a)],
    "messaging:send": [Case("A's draft", EDITORS_OF_A_MESSAGE, kwargs=draft_to_a)],
    "messaging:cancel": [Case("A's submitted message", EDITORS_OF_A_MESSAGE, kwargs=submitted_to_a)],
    "messaging:approve": [
        Case(
            "A's submitted message (POST)",
            APPROVERS_OF_A,
            kwargs=submitted_to_a,
            method="post",
            redirects_to=("messaging:detail",),
        )
    ],
    "messaging:return": [
        Case(
            "A's submitted message (POST)",
            APPROVERS_OF_A,
            kwargs=submitted_to_a,
            method="post",
            data=lambda w, p: {"note": "Please add the crime reference."},
            redirects_to=("messaging:detail",),
        )
    ],
    # JSON API.
    "api/v1/": [Case("root (no page)", NOBODY)],
    "api/v1/openapi.json": [Case("schema", EVERYONE)],
    "api/v1/me": [Case("me", API_SIGNED_IN)],
    "api/v1/areas/": area_list_cases(),
    "api/v1/areas/geojson": area_list_cases(),
    "api/v1/areas/<code>": area_api_cases(),
    "api/v1/areas/<code>/geojson": area_api_cases(),
    "api/v1/crime/<code>/summary": area_api_cases(),
    "api/v1/activities": [Case("list", API_SIGNED_IN)],
    "api/v1/activities/<activity_id>": [
        Case("A, not shared", expect(UNAUTH, ALLOW, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY), kwargs=api_activity_in_a)
    ],
    "api/v1/activity-types": [Case("types", API_SIGNED_IN)],
    "api/v1/partners": [Case("list", _as_api(STAFF_NOT_PARTNERS))],
    "api/v1/places": [Case("list", _as_api(STAFF_NOT_PARTNERS))],
    "api/v1/compliance/<code>": [
        Case(
            "A",
            expect(UNAUTH, ALLOW, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY),
            kwargs=lambda w, p: {"code": w.tree.nbhd_a.code},
            data=lambda w, p: {"period": "2025"},
        ),
        Case(
            "North",
            expect(UNAUTH, DENY, DENY, ALLOW, ALLOW, DENY, ALLOW, DENY),
            kwargs=lambda w, p: {"code": w.tree.npa_north.code},
            data=lambda w, p: {"period": "2025-Q2"},
        ),
    ],
    "api/v1/messaging/messages": [Case("list", _as_api(MESSAGE_READERS))],
    "api/v1/messaging/subscribers/summary": [Case("counts", _as_api(MESSAGE_READERS))],
    "api/v1/messaging/messages/<message_id>/metrics": [
        Case("A's draft", _as_api(READERS_OF_A), kwargs=lambda w, p: {"message_id": draft_to_a(w, p)["pk"]})
    ],
}


# --- Walking the resolver -----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str
    route: str
    name: str | None


def _normalise(route: str) -> str:
    return re.sub(r"<\w+:(\w+)>", r"<\1>", route)


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = _normalise(prefix + str(entry.pattern))
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else None
            key = route if route.startswith("api/") or not name else name
            yield Route(key=key, route=route, name=name)


def all_routes() -> dict[str, Route]:
    return {r.key: r for r in walk(get_resolver().url_patterns)}


def test_walk_finds_pages_api_and_i18n():
    keys = set(all_routes())
    assert {"accounts:login", "api/v1/openapi.json", "api/v1/me", "set_language"} <= keys


def test_every_url_pattern_is_in_the_matrix():
    missing = sorted(set(all_routes()) - set(MATRIX))
    assert not missing, "URL patterns with no row in the authorization matrix: " + ", ".join(missing)


def test_every_row_is_a_url_pattern():
    stale = sorted(set(MATRIX) - set(all_routes()))
    assert not stale, "Rows in the authorization matrix with no URL pattern (view missing or renamed): " + ", ".join(
        stale
    )


def test_api_docs_page_is_off(client):
    # The interactive docs page loads scripts from a CDN, which the CSP forbids.
    assert client.get("/api/v1/docs").status_code == 404


def test_every_row_has_all_personas():
    for key, cases in MATRIX.items():
        for case in cases:
            assert tuple(case.outcomes) == PERSONAS, f"{key} / {case.label}"


# --- Making the requests ----------------------------------------------------------------


def _ons_areas(tree: Any) -> dict[str, Any]:
    """A ward over LSOAs of A and B, a district over all five, an MSOA over LSOAs of A and C.

    Best-fit links on the LSOAs, as the importers make them; they cut across neighbourhoods.
    Each LSOA gets a deprivation rank too, so the maps have something to show."""
    from beatbook.areas.models import Area, Deprivation, Level

    for i, lsoa in enumerate(tree.lsoas.values()):
        Deprivation.objects.create(lsoa=lsoa, imd_rank=1000 * (i + 1), imd_decile=1, population_total=1500)

    def make(level: str, code: str, name: str, lsoa_codes: list[str]) -> Any:
        area = Area.objects.create(level=level, code=code, name=name, force=tree.force, geometry=tree.force.geometry)
        Area.objects.filter(level=Level.LSOA, code__in=lsoa_codes).update(**{level: area})
        return area

    return {
        "ward": make(Level.WARD, "E05900101", "Abbey Brook", ["E01900001", "E01900002", "E01900004"]),
        "lad": make(Level.LAD, "E07900101", "Testshire District", list(tree.lsoas)),
        "msoa": make(Level.MSOA, "E02900101", "Testshire 001", ["E01900001", "E01900003"]),
    }


def _officer_elsewhere() -> Any:
    """An officer of another force, with one neighbourhood and LSOA of its own."""
    from beatbook.accounts.models import Role
    from beatbook.areas.models import Area, Level

    force = Area.objects.create(level=Level.FORCE, code="ELSEWHERE", name="Elsewhere Police")
    npa = Area.objects.create(level=Level.NPA, code="ELS-NPA", name="Elsewhere Central", parent=force, force=force)
    nbhd = Area.objects.create(level=Level.NEIGHBOURHOOD, code="ELS-N", name="Elsewhere", parent=npa, force=force)
    Area.objects.create(level=Level.LSOA, code="E01999777", name="Elsewhere 001A", parent=nbhd, force=force)
    return services.user_create(
        actor=None, username="officer_elsewhere", password=None, role=Role.OFFICER, area=nbhd, email="e@example.org"
    )


@pytest.fixture
def world(area_tree, users) -> World:
    tokens = {
        persona: services.api_token_create(actor=getattr(users, PERSONA_USER[persona]), name="matrix")[0]
        for persona in ("analyst", "admin")
    }
    return World(
        tree=area_tree, users=users, tokens=tokens, onsareas=_ons_areas(area_tree), elsewhere=_officer_elsewhere()
    )


def url_for(key: str, kwargs: dict[str, Any]) -> str:
    route = all_routes().get(key)
    if route is None:
        raise LookupError(f"{key} is in the matrix but not in the URL configuration (view missing?)")
    if route.route.startswith("api/"):
        return "/" + re.sub(r"<(\w+)>", lambda m: str(kwargs[str(m.group(1))]), route.route)
    return reverse(key, kwargs=kwargs or None)


TWO_FACTOR_PAGES = ("accounts:two_factor", "accounts:two_factor_setup")


def classify(response: Any, key: str, redirects_to: tuple[str, ...] = ()) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        path = urlsplit(location).path
        if path == reverse("accounts:login"):
            return LOGIN
        # Being sent to enter a code is not being let in (the admin persona has passed two-factor).
        if key not in TWO_FACTOR_PAGES and path == reverse("accounts:two_factor"):
            return "two-factor redirect"
        # A redirect is being let in only when it lands on the page the row expects: a view
        # that bounced everyone to some other page (an error page, the landing page) would
        # otherwise pass as ALLOW.
        if EXTERNAL in redirects_to and urlsplit(location).netloc not in ("", "testserver"):
            return ALLOW
        try:
            landed = resolve(path).view_name
        except Resolver404:
            landed = ""
        if landed in redirects_to:
            return ALLOW
        return f"unexpected redirect to {location}"
    if 200 <= status < 300:
        return ALLOW
    if status in (403, 404):
        return DENY
    if status == 401:
        return UNAUTH
    return f"HTTP {status}"


CASES = [(key, case) for key, cases in MATRIX.items() for case in cases]


@pytest.mark.parametrize(("key", "case"), CASES, ids=[f"{key} [{case.label}]" for key, case in CASES])
def test_matrix(key: str, case: Case, world: World, login_as: Any):
    wrong: list[str] = []
    for persona in PERSONAS:
        client = Client()
        if persona != "anonymous":
            login_as(client, world.user(persona))
        url = url_for(key, case.kwargs(world, persona))
        send = client.post if case.method == "post" else client.get
        response = send(url, case.data(world, persona))
        got = classify(response, key, case.redirects_to)
        if got != case.outcomes[persona]:
            where = f" → {response['Location']}" if response.has_header("Location") else ""
            wrong.append(f"{persona}: expected {case.outcomes[persona]}, got {got} ({response.status_code}{where})")
    assert not wrong, f"{case.method.upper()} {key} [{case.label}]\n" + "\n".join(wrong)


# --- What a partly visible ward or district shows ----------------------------------------

A_LSOAS = ["E01900001", "E01900002"]
OTHER_LSOAS = ["E01900003", "E01900004", "E01900005"]


def test_ons_areas_show_only_the_lsoas_in_scope(world: World, login_as: Any) -> None:
    """Officer A may open the ward and the district holding A's LSOAs, but every table, map
    and figure covers A's two LSOAs only; an officer of another force gets a 404."""
    officer = login_as(Client(), world.users.officer_a)
    for attr in ("ward", "lad"):
        area = world.onsareas[attr]
        args = [area.level, area.code]
        for view in ("areas:profile", "areas:map"):
            response = officer.get(reverse(view, args=args), {"measure": "imd"})
            assert response.status_code == 200, (attr, view)
            html = response.content.decode()
            assert f"the part of {area.name} inside your area" in html, (attr, view)
            table = html[html.index('id="map-table"') :]
            assert [code for code in A_LSOAS if code in table] == A_LSOAS, (attr, view)
            assert [code for code in OTHER_LSOAS if code in html] == [], (attr, view)
        geojson = officer.get(reverse("areas:geojson", args=args)).json()
        assert [f["id"] for f in geojson["features"]] == A_LSOAS, attr
        detail = officer.get(f"/api/v1/areas/{area.code}").json()
        assert (detail["lsoas"], detail["partial"]) == (2, True), attr
        assert [c["code"] for c in detail["children"]] == A_LSOAS, attr
        assert [f["id"] for f in officer.get(f"/api/v1/areas/{area.code}/geojson").json()["features"]] == A_LSOAS

    # Force-wide staff see the whole district.
    analyst = login_as(Client(), world.users.analyst)
    lad = world.onsareas["lad"]
    assert len(analyst.get(reverse("areas:geojson", args=[lad.level, lad.code])).json()["features"]) == 5

    elsewhere = login_as(Client(), world.elsewhere)
    for area in world.onsareas.values():
        for view in ("areas:profile", "areas:map", "areas:geojson"):
            assert elsewhere.get(reverse(view, args=[area.level, area.code])).status_code == 404, (area, view)
        assert elsewhere.get(f"/api/v1/areas/{area.code}").status_code == 404
        assert elsewhere.get(f"/api/v1/areas/{area.code}/geojson").status_code == 404


def test_classify_counts_only_expected_redirects_as_allow() -> None:
    from django.http import HttpResponseRedirect

    tokens = reverse("accounts:tokens")
    assert classify(HttpResponseRedirect(tokens), "accounts:token_revoke", ("accounts:tokens",)) == ALLOW
    assert classify(HttpResponseRedirect(tokens + "?page=2"), "x", ("accounts:tokens",)) == ALLOW
    assert classify(HttpResponseRedirect("/"), "accounts:token_revoke", ("accounts:tokens",)).startswith(
        "unexpected redirect"
    )
    assert classify(HttpResponseRedirect(tokens), "accounts:users").startswith("unexpected redirect")
    assert classify(HttpResponseRedirect(reverse("accounts:login") + "?next=/x"), "x") == LOGIN
