"""What readers do with a message: clicks, opens, "was this useful?" answers and conversions,
recorded on its `Delivery` row (the metrics sum these fields).

Each is one conditional UPDATE, so two clicks at once both count and the first time of each
is kept. An unknown delivery id changes nothing. None of them is a staff action, so none is
audited.
"""

from __future__ import annotations

from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Delivery


def delivery_clicked(*, delivery_id: int) -> None:
    now = timezone.now()
    Delivery.objects.filter(pk=delivery_id).update(
        clicks=F("clicks") + 1, clicked_at=Coalesce("clicked_at", Value(now, output_field=DateTimeField()))
    )


def delivery_opened(*, delivery_id: int) -> None:
    """Callers check that the force turned open tracking on (`public_views.open_pixel`)."""
    Delivery.objects.filter(pk=delivery_id, opened_at__isnull=True).update(opened_at=timezone.now())


def delivery_rated(*, delivery_id: int, useful: bool) -> None:
    """The latest answer counts: someone who pressed "no" by mistake may press "yes"."""
    Delivery.objects.filter(pk=delivery_id).update(useful=useful)


def delivery_converted(*, delivery_id: int, survey_id: int | None = None) -> None:
    """The first response from a survey invitation's link counts; with `survey_id`, only a
    response to the survey that message invited people to."""
    deliveries = Delivery.objects.filter(pk=delivery_id, converted_at__isnull=True)
    if survey_id is not None:
        deliveries = deliveries.filter(message__survey_id=survey_id)
    deliveries.update(converted_at=timezone.now())
