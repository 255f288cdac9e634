"""Partners see shared engagement, never the team's own notes, who logged it or its officer hours."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beatbook.activity.models import Activity

from .test_views import record

NOTE = "Informant lives at number 12"


@pytest.fixture
def shared(area_tree: Any, users: Any) -> Activity:
    return record(
        [area_tree.nbhd_a],
        title="Shared patch walk",
        notes=NOTE,
        officer_hours=Decimal("3.5"),
        people_reached=12,
        shared_with_partners=True,
    )


def _client(login_as: Any, user: Any) -> Client:
    return login_as(Client(), user)


@pytest.mark.django_db
def test_detail_page_hides_internal_fields_from_partners(users, login_as, shared):
    url = reverse("activity:detail", kwargs={"pk": shared.pk})
    officer = _client(login_as, users.officer_a).get(url).content.decode()
    assert NOTE in officer and "Officer time" in officer and "3.50 hours" in officer and ">Recorded<" in officer
    partner = _client(login_as, users.partner).get(url)
    assert partner.status_code == 200
    html = partner.content.decode()
    assert "Shared patch walk" in html and ">12<" in html  # the engagement itself is shown
    assert NOTE not in html and "Officer time" not in html and "3.50 hours" not in html
    assert "by import" not in html and ">Recorded<" not in html


@pytest.mark.django_db
def test_list_totals_and_search_leave_notes_and_hours_out_for_partners(users, login_as, shared):
    url = reverse("activity:list")
    officer = _client(login_as, users.officer_a)
    assert 'id="total-hours"' in officer.get(url).content.decode()
    assert "Shared patch walk" in officer.get(url, {"q": "informant"}).content.decode()
    partner = _client(login_as, users.partner)
    assert 'id="total-hours"' not in partner.get(url).content.decode()
    assert "Shared patch walk" in partner.get(url, {"q": "patch walk"}).content.decode()
    # A search on the notes' words must not tell a partner what the notes say.
    assert "Shared patch walk" not in partner.get(url, {"q": "informant"}).content.decode()


def _csv_rows(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.django_db
def test_exports_blank_internal_columns_for_partners(users, login_as, shared):
    url = reverse("activity:export_csv")
    (officer_row,) = _csv_rows(_client(login_as, users.officer_a).get(url))
    assert officer_row["notes"] == NOTE and officer_row["officer_hours"] == "3.5"
    (partner_row,) = _csv_rows(_client(login_as, users.partner).get(url))
    assert partner_row["title"] == "Shared patch walk" and partner_row["people_reached"] == "12"
    assert partner_row["notes"] == "" and partner_row["officer_hours"] == ""

    from openpyxl import load_workbook

    response: Any = _client(login_as, users.partner).get(reverse("activity:export_xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, row = ([c.value for c in cells] for cells in sheet.iter_rows())
    values = dict(zip(header, row, strict=True))
    assert values["title"] == "Shared patch walk" and values["notes"] is None and values["officer_hours"] is None


@pytest.mark.django_db
def test_api_nulls_internal_fields_for_partners(users, login_as, shared):
    one = f"/api/v1/activities/{shared.pk}"
    officer = _client(login_as, users.officer_a).get(one).json()
    assert officer["notes"] == NOTE and officer["officer_hours"] == 3.5
    partner_client = _client(login_as, users.partner)
    partner = partner_client.get(one).json()
    assert partner["title"] == "Shared patch walk" and partner["people_reached"] == 12
    assert partner["notes"] is None and partner["officer_hours"] is None
    assert partner["recorded_by"] is None and partner["client_id"] is None
    (listed,) = partner_client.get("/api/v1/activities").json()["results"]
    assert listed["notes"] is None and listed["officer_hours"] is None
