"""Placeholder: being built."""

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


pack = pack_pdf = pack_xlsx = _todo
