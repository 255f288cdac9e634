"""Placeholder: the activity pages are being built (see the helper brief)."""

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


activity_list = activity_create = activity_export_csv = activity_export_xlsx = _todo
activity_detail = activity_edit = activity_delete = _todo
