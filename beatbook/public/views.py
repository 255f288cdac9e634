from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from beatbook.areas.selectors import public_forces


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html", {"forces": public_forces()})
