"""The JSON API at /api/v1/. Each app adds its own router here.

The interactive docs page is switched off: it loads its script from a CDN, which the
Content-Security-Policy forbids. The OpenAPI description stays at /api/v1/openapi.json.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaValidationError

from beatbook.accounts.api import router as accounts_router
from beatbook.accounts.api_auth import api_auth
from beatbook.areas.api import router as areas_router

api = NinjaAPI(
    title="Beatbook API",
    version="1",
    description="Community engagement data for police forces. Authenticate with a staff session "
    "or an API token (Authorization: Bearer …).",
    auth=api_auth,
    urls_namespace="api",
    docs_url=None,
)


@api.exception_handler(SchemaValidationError)
def schema_errors(request: HttpRequest, error: SchemaValidationError) -> HttpResponse:
    """One shape for every 422: `{"detail", "errors": {field: [messages]}}`.

    The services' rule errors already come this way; values the schema refuses (a wrong type, a
    count beyond its stated limit) would otherwise come as the framework's list, so a client
    would have to read two shapes and see only the first kind of error.
    """
    errors: dict[str, list[str]] = {}
    for item in error.errors:
        location: list[Any] = list(item.get("loc", ()))
        # ("body", "payload", "people_reached") or ("query", "level"): the field is what follows
        # the payload's name; nested fields (demographics) keep their path.
        names = [str(part) for part in location if part not in ("body", "payload", "query", "path")]
        errors.setdefault(".".join(names) or "request", []).append(str(item.get("msg", "is not valid")))
    return api.create_response(request, {"detail": "The request is not valid.", "errors": errors}, status=422)


api.add_router("/areas", areas_router)
api.add_router("/crime", "beatbook.crime.api.router")
api.add_router("/", "beatbook.activity.api.router")
api.add_router("/messaging", "beatbook.messaging.api.router")
api.add_router("/", accounts_router)
