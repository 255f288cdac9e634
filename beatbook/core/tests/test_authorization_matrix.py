"""The authorization matrix: every URL pattern, every persona, the expected outcome.

`test_every_url_pattern_is_in_the_matrix` walks the URL resolver (pages, the ninja API and
i18n) and fails naming any pattern that has no row in MATRIX, so a new page cannot ship
without someone deciding who may use it. `test_matrix` then makes each request with the
Django test client as each of the seven personas and compares the outcome:

- ALLOW: 2xx, or a 3xx that does not bounce to sign-in;
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

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from beatbook.accounts import services

ALLOW, LOGIN, DENY, UNAUTH = "allow", "login", "deny", "unauth"
PERSONAS = ("anonymous", "officer", "officer_other", "commander", "analyst", "partner", "admin")
# Persona → attribute of the `users` fixture (officer: neighbourhood A; officer_other: B, in
# the other policing area; commander: North, which holds A; partner: neighbourhood A).
PERSONA_USER = {
    "officer": "officer_a",
    "officer_other": "officer_b",
    "commander": "commander",
    "analyst": "analyst",
    "partner": "partner",
    "admin": "admin",
}


def expect(anonymous: str, officer: str, officer_other: str, commander: str, analyst: str, partner: str, admin: str):
    return dict(zip(PERSONAS, (anonymous, officer, officer_other, commander, analyst, partner, admin), strict=True))


EVERYONE = expect(ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
NOBODY = expect(DENY, DENY, DENY, DENY, DENY, DENY, DENY)
SIGNED_IN = expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
ADMIN_ONLY = expect(LOGIN, DENY, DENY, DENY, DENY, DENY, ALLOW)
TOKEN_ROLES = expect(LOGIN, DENY, DENY, DENY, ALLOW, DENY, ALLOW)
API_SIGNED_IN = expect(UNAUTH, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)


@dataclass
class World:
    tree: Any
    users: Any
    tokens: dict[str, Any]

    def user(self, persona: str) -> Any:
        return getattr(self.users, PERSONA_USER[persona])


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


# --- Area scope: which personas may see each kind of area -------------------------------

AREA_SCOPE = {
    # area attribute on the tree: (level, outcomes for a staff page)
    "nbhd_a": ("neighbourhood", expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, ALLOW, ALLOW)),
    "lsoa_a": ("lsoa", expect(LOGIN, ALLOW, DENY, ALLOW, ALLOW, ALLOW, ALLOW)),
    "nbhd_b": ("neighbourhood", expect(LOGIN, DENY, ALLOW, DENY, ALLOW, DENY, ALLOW)),
    "npa_north": ("npa", expect(LOGIN, DENY, DENY, ALLOW, ALLOW, DENY, ALLOW)),
    "force": ("force", expect(LOGIN, DENY, DENY, DENY, ALLOW, DENY, ALLOW)),
}


def _as_api(outcomes: dict[str, str]) -> dict[str, str]:
    return {p: UNAUTH if o == LOGIN else o for p, o in outcomes.items()}


def area_page_cases() -> list[Case]:
    def build(attr: str, level: str) -> Build:
        return lambda world, persona: {"level": level, "code": getattr(world.tree, attr).code}

    return [Case(attr, outcomes, kwargs=build(attr, level)) for attr, (level, outcomes) in AREA_SCOPE.items()]


def area_api_cases() -> list[Case]:
    def build(attr: str) -> Build:
        return lambda world, persona: {"code": getattr(world.tree, attr).code}

    return [Case(attr, _as_api(outcomes), kwargs=build(attr)) for attr, (_level, outcomes) in AREA_SCOPE.items()]


def area_list_cases() -> list[Case]:
    within_b = lambda world, persona: {"within": world.tree.nbhd_b.code}  # noqa: E731
    return [
        Case("whole scope", API_SIGNED_IN),
        Case("by level", API_SIGNED_IN, data=lambda world, persona: {"level": "lsoa"}),
        # Asking for areas inside a neighbourhood you cannot see is a 404, as for the area itself.
        Case("within B", _as_api(AREA_SCOPE["nbhd_b"][1]), data=within_b),
    ]


# --- Accounts -----------------------------------------------------------------------------


def own_token(world: World, persona: str) -> dict[str, Any]:
    """Each token holder revokes their own token; the others try the analyst's."""
    owner = persona if persona in world.tokens else "analyst"
    return {"pk": world.tokens[owner].pk}


MATRIX: dict[str, list[Case]] = {
    # Public site and language choice.
    "public:home": [Case("home", EVERYONE)],
    "set_language": [
        Case("choose Welsh", EVERYONE, method="post", data=lambda w, p: {"language": "cy", "next": "/"}),
    ],
    # Sign-in and sign-out.
    "accounts:login": [Case("page", EVERYONE)],
    "accounts:logout": [Case("sign out (POST)", EVERYONE, method="post")],
    "accounts:two_factor": [Case("enter code", SIGNED_IN)],
    "accounts:two_factor_setup": [Case("set up", SIGNED_IN)],
    "accounts:password_change": [Case("page", SIGNED_IN)],
    # Force administration.
    "accounts:users": [Case("list", ADMIN_ONLY)],
    "accounts:user_create": [Case("form", ADMIN_ONLY)],
    "accounts:user_edit": [Case("officer A", ADMIN_ONLY, kwargs=lambda w, p: {"pk": w.users.officer_a.pk})],
    "accounts:audit": [Case("search", ADMIN_ONLY)],
    # API tokens: analysts and administrators.
    "accounts:tokens": [Case("list", TOKEN_ROLES)],
    "accounts:token_revoke": [Case("revoke (POST)", TOKEN_ROLES, kwargs=own_token, method="post")],
    # Staff area pages.
    "areas:home": [Case("landing", SIGNED_IN)],
    "areas:profile": area_page_cases(),
    "areas:map": area_page_cases(),
    "areas:geojson": area_page_cases(),
    "crime:profile": area_page_cases(),
    "crime:points": area_page_cases(),
    # JSON API.
    "api/v1/": [Case("root (no page)", NOBODY)],
    "api/v1/openapi.json": [Case("schema", EVERYONE)],
    "api/v1/me": [Case("me", API_SIGNED_IN)],
    "api/v1/areas/": area_list_cases(),
    "api/v1/areas/geojson": area_list_cases(),
    "api/v1/areas/<code>": area_api_cases(),
    "api/v1/areas/<code>/geojson": area_api_cases(),
    "api/v1/crime/<code>/summary": area_api_cases(),
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


@pytest.fixture
def world(area_tree, users) -> World:
    tokens = {
        persona: services.api_token_create(actor=getattr(users, PERSONA_USER[persona]), name="matrix")[0]
        for persona in ("analyst", "admin")
    }
    return World(tree=area_tree, users=users, tokens=tokens)


def url_for(key: str, kwargs: dict[str, Any]) -> str:
    route = all_routes().get(key)
    if route is None:
        raise LookupError(f"{key} is in the matrix but not in the URL configuration (view missing?)")
    if route.route.startswith("api/"):
        return "/" + re.sub(r"<(\w+)>", lambda m: str(kwargs[str(m.group(1))]), route.route)
    return reverse(key, kwargs=kwargs or None)


TWO_FACTOR_PAGES = ("accounts:two_factor", "accounts:two_factor_setup")


def classify(response: Any, key: str) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith(reverse("accounts:login")):
            return LOGIN
        # Being sent to enter a code is not being let in (the admin persona has passed two-factor).
        if key not in TWO_FACTOR_PAGES and location.startswith(reverse("accounts:two_factor")):
            return "two-factor redirect"
        return ALLOW
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
        got = classify(response, key)
        if got != case.outcomes[persona]:
            where = f" → {response['Location']}" if response.has_header("Location") else ""
            wrong.append(f"{persona}: expected {case.outcomes[persona]}, got {got} ({response.status_code}{where})")
    assert not wrong, f"{case.method.upper()} {key} [{case.label}]\n" + "\n".join(wrong)
