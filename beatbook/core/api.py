"""The JSON API at /api/v1/. Each app adds its own router here.

The interactive docs page is switched off: it loads its script from a CDN, which the
Content-Security-Policy forbids. The OpenAPI description stays at /api/v1/openapi.json.
"""

from __future__ import annotations

from ninja import NinjaAPI

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
api.add_router("/areas", areas_router)
api.add_router("/crime", "beatbook.crime.api.router")
api.add_router("/", "beatbook.activity.api.router")
api.add_router("/", accounts_router)
