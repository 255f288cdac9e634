"""API authentication: a bearer token, or a staff session (with CSRF on unsafe methods).

`api_auth` is the list given to the NinjaAPI in beatbook/core/api.py. Ninja tries each in
turn; the bearer check comes first so that a request carrying a bad token is refused
(401) rather than quietly falling back to a session cookie sent alongside it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from .selectors import two_factor_required
from .services import api_token_authenticate


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer bb_…` → the token's user; unknown or revoked → 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(raw=token.strip())
        if user is None:
            raise AuthenticationError()
        # Endpoints scope their queries with accounts.access functions on request.user, so
        # a token request must look like that person's session request.
        request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """A signed-in person with a scope; CSRF is checked for unsafe methods by SessionAuth."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or getattr(user, "area_id", None) is None:
            return None
        # RequireTwoFactorMiddleware already refuses these; checking again here keeps the
        # API safe if the middleware is ever left out of a settings file.
        if two_factor_required(user) and not getattr(user, "is_verified", lambda: False)():
            return None
        return user


api_auth = [ApiTokenAuth(), StaffSessionAuth()]
