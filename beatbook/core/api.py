"""The JSON API at /api/v1/. Each app adds its own router here."""

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
)
api.add_router("/areas", areas_router)
api.add_router("/", accounts_router)
