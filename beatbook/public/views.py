from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from beatbook.areas.models import Area, Level


def home(request: HttpRequest) -> HttpResponse:
    forces = Area.objects.filter(level=Level.FORCE).order_by("name")
    return render(request, "public/home.html", {"forces": forces})
