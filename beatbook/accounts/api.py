"""Accounts API: who the caller is (useful to check a token or session works)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from .models import User

router = Router(tags=["accounts"])


class AreaRef(Schema):
    level: str
    code: str
    name: str


class MeOut(Schema):
    username: str
    role: str
    area: AreaRef | None


@router.get("/me", response=MeOut, summary="The signed-in user or the token's owner")
def me(request: HttpRequest) -> MeOut:
    user: User = request.auth  # type: ignore[attr-defined]
    area = user.area
    return MeOut(
        username=user.username,
        role=user.role,
        area=AreaRef(level=area.level, code=area.code, name=area.name) if area else None,
    )
