from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from beatbook.accounts.access import get_area_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = request.user.area  # type: ignore[union-attr]
    if scope is None:
        return HttpResponse(status=403)
    return redirect("areas:profile", level=scope.level, code=scope.code)


@login_required
def area_profile(request: HttpRequest, level: str, code: str) -> HttpResponse:
    area = get_area_for_user(request.user, code=code, level=level)
    return HttpResponse(str(area))
