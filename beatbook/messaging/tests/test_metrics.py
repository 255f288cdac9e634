"""Metrics against counts made independently from the Delivery rows, query counts that do not
grow with the number of messages, subscriber counts, reach, and the downloads round-trip."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beatbook.areas.models import CensusCount
from beatbook.messaging import metrics
from beatbook.messaging.exports import EXPORT_COLUMNS
from beatbook.messaging.models import Delivery, DeliveryStatus, Message, MessagingSettings

from .test_staff_views import client_for, world_fixture  # noqa: F401 - the `world` fixture

pytestmark = pytest.mark.django_db


def independent(rows: list[Delivery]) -> dict[str, int]:
    """The definitions in `metrics`' docstring, applied in Python to each row."""
    handed = {DeliveryStatus.SENT, DeliveryStatus.DELIVERED}
    waiting = {DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.SENDING, DeliveryStatus.RETRY}
    return {
        "targeted": len(rows),
        "sent": sum(1 for d in rows if d.sent_at is not None or d.status in handed),
        "delivered": sum(1 for d in rows if d.status == DeliveryStatus.DELIVERED),
        "failed": sum(1 for d in rows if d.status == DeliveryStatus.FAILED),
        "waiting": sum(1 for d in rows if d.status in waiting),
        "not_sent": sum(1 for d in rows if d.status in {DeliveryStatus.SKIPPED, DeliveryStatus.CANCELLED}),
        "clicked": sum(1 for d in rows if d.clicked_at is not None),
        "clicks": sum(d.clicks for d in rows),
        "useful": sum(1 for d in rows if d.useful is True),
        "not_useful": sum(1 for d in rows if d.useful is False),
        "unsubscribed": sum(1 for d in rows if d.unsubscribed_at is not None),
        "converted": sum(1 for d in rows if d.converted_at is not None),
        "opened": sum(1 for d in rows if d.opened_at is not None),
    }


def test_metrics_equal_counts_made_from_the_rows(world: Any, area_tree: Any) -> None:
    message = world["sent"]
    rows = list(Delivery.objects.filter(message=message))
    found = metrics.metrics_for(message)
    assert found.total.as_dict() == independent(rows)
    for channel in ("email", "sms"):
        assert found.by_channel[channel].as_dict() == independent([d for d in rows if d.channel == channel])
    by_area = {a.code: a.counts.as_dict() for a in found.by_area}
    for area in (area_tree.nbhd_a, area_tree.nbhd_b, area_tree.nbhd_c):
        assert by_area[area.code] == independent([d for d in rows if d.area_id == area.pk])
    # The fixture has something in every column, so a swapped definition would show.
    assert all(found.total.as_dict()[name] > 0 for name in ("sent", "delivered", "failed", "waiting", "not_sent"))
    assert found.total.clicked and found.total.useful and found.total.not_useful and found.total.unsubscribed


def test_one_query_whatever_the_number_of_messages(world: Any, users: Any) -> None:
    ids = list(Message.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as one:
        metrics.message_metrics(ids[:1])
    with CaptureQueriesContext(connection) as many:
        metrics.message_metrics(ids)
    assert len(many) == len(one) <= 2


def test_subscriber_counts(world: Any, area_tree: Any) -> None:
    summary = metrics.subscriber_summary(area_tree.force.pk, None)
    statuses = {row.key: row.count for row in summary.by_status}
    assert statuses["active"] == 13 and statuses["unsubscribed"] == 1 and summary.total == 14
    channels = {row.key: row.count for row in summary.by_channel}
    assert channels == {"email": 13, "sms": 7, "both": 7}
    assert {row.key: row.count for row in summary.by_area} == {"NB-A": 6, "NB-B": 4, "NB-C": 3}
    assert {row.key: row.count for row in summary.by_interest} == {"burglary": 6}
    assert {row.key: row.count for row in summary.by_language} == {"en": 10, "pl": 3}
    north = metrics.subscriber_summary(
        area_tree.force.pk,
        area_tree.npa_north.__class__.objects.filter(
            pk__in=[area_tree.npa_north.pk, area_tree.nbhd_a.pk, area_tree.nbhd_c.pk]
        ),
    )
    assert north.active == 9 and north.total == 10


def test_growth_by_month(world: Any, area_tree: Any) -> None:
    growth = metrics.subscriber_growth(area_tree.force.pk, None)
    assert len(growth) == 12
    assert growth[-1].joined == 14 and growth[-1].confirmed == 13
    assert sum(m.joined for m in growth[:-1]) == 0


def test_reach_divides_by_the_census_population(world: Any, area_tree: Any) -> None:
    for code, count in (("E01900001", 400), ("E01900002", 200), ("E01900004", 1000)):
        CensusCount.objects.create(
            lsoa=area_tree.lsoas[code], census_year=2021, topic="population", category="total", count=count, position=0
        )
    result = metrics.reach(area_tree.force.pk, area_tree.force.__class__.objects.filter(level="neighbourhood"))
    rows = {r.code: r for r in result.rows}
    assert rows["NB-A"].population == 600 and rows["NB-A"].share == pytest.approx(6 / 600)
    assert rows["NB-B"].share == pytest.approx(4 / 1000)
    assert rows["NB-C"].share is None and rows["NB-C"].class_label == "No population figure"
    assert rows["NB-A"].colour != rows["NB-B"].colour
    assert result.bounds is not None


def test_the_reach_map_is_geojson(world: Any, users: Any, login_as: Any) -> None:
    response = client_for(login_as, users.commander).get(reverse("messaging:reach_geojson"))
    assert response["Content-Type"] == "application/geo+json"
    codes = {f["properties"]["code"] for f in response.json()["features"]}
    assert codes == {"NB-A", "NB-C"}  # the commander's neighbourhoods only


def _csv_rows(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_round_trip(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    message = world["sent"]
    message.subject = '=HYPERLINK("http://evil")'
    message.save()
    response = client_for(login_as, users.admin).get(reverse("messaging:export"))
    assert response["Content-Disposition"].startswith('attachment; filename="message-metrics-')
    rows = _csv_rows(response)
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert {r["message_id"] for r in rows} == {str(message.pk)}  # drafts never began sending
    assert rows[0]["subject"] == '\'=HYPERLINK("http://evil")'
    deliveries = list(Delivery.objects.filter(message=message).select_related("area"))
    cells: Counter[tuple[str, str]] = Counter()
    for row in rows:
        key = (row["channel"], row["area_code"])
        cells[key] += 1
        expected: dict[str, Any] = independent(
            [d for d in deliveries if (d.channel, d.area.code if d.area else "") == key]
        )
        expected["opened"] = ""  # open tracking is off
        assert {name: (int(row[name]) if row[name] else "") for name in expected} == expected
    assert all(n == 1 for n in cells.values())
    assert sum(int(r["targeted"]) for r in rows) == len(deliveries)
    MessagingSettings.objects.create(force=area_tree.force, open_tracking=True)
    rows = _csv_rows(client_for(login_as, users.admin).get(reverse("messaging:export")))
    assert sum(int(r["opened"]) for r in rows) == sum(1 for d in deliveries if d.opened_at)


def test_xlsx_download(world: Any, users: Any, login_as: Any) -> None:
    from openpyxl import load_workbook

    response = client_for(login_as, users.analyst).get(reverse("messaging:export"), {"format": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    sheet = workbook.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == EXPORT_COLUMNS
    assert sum(row[EXPORT_COLUMNS.index("targeted")] for row in values[1:]) == Delivery.objects.count()


def test_exports_follow_scope(world: Any, users: Any, login_as: Any) -> None:
    rows = _csv_rows(client_for(login_as, users.officer_a).get(reverse("messaging:export")))
    assert rows == []  # the force-wide message is not the officer's to see
