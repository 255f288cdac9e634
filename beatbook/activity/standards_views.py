"""Placeholder: being built."""

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


standard_list = standard_create = standard_edit = _todo
