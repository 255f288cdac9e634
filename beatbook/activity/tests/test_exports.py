"""The export format: its columns (shared with the importer), one row per activity, the CSV
formula guard and its exact undoing, and XLSX cells of the right types."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beatbook.activity import exports, selectors
from beatbook.activity.importers import activities as importer
from beatbook.activity.models import Activity, Partner
from beatbook.areas.models import Area, Level
from beatbook.core.exports import csv_cell_unescape

from .test_views import category, days_ago, record

DEMOGRAPHIC_COLUMNS = [
    "reached_age_under_18",
    "reached_age_18_24",
    "reached_age_25_44",
    "reached_age_45_64",
    "reached_age_65_plus",
    "reached_sex_female",
    "reached_sex_male",
    "reached_ethnic_group_asian",
    "reached_ethnic_group_black",
    "reached_ethnic_group_mixed",
    "reached_ethnic_group_white",
    "reached_ethnic_group_other",
]


def test_columns_are_the_import_format_then_the_id():
    assert list(exports.EXPORT_COLUMNS) == [
        "date",
        "time",
        "type",
        "areas",
        "title",
        "address",
        "ward",
        "place",
        "latitude",
        "longitude",
        "officers",
        "partners",
        "other_partners",
        "people_reached",
        "online_reach",
        "issues_raised",
        "issue_categories",
        "follow_up",
        "priorities_set",
        "officer_hours",
        "links",
        "notes",
        "shared_with_partners",
        *DEMOGRAPHIC_COLUMNS,
        "id",
    ]
    # The importer reads every one of them, the id included (a row with one corrects that activity).
    assert list(exports.EXPORT_COLUMNS) == importer.COLUMNS


@pytest.fixture
def rich(area_tree: Any, users: Any) -> Activity:
    ward = Area.objects.create(level=Level.WARD, code="E05900001", name="Abbey ward", force=area_tree.force)
    council = Partner.objects.create(force=area_tree.force, name="Abbeyfield Borough Council")
    fire = Partner.objects.create(force=area_tree.force, name="Testshire Fire and Rescue")
    return record(
        [area_tree.nbhd_c, area_tree.nbhd_a],
        day=dt.date(2024, 7, 1),
        hour=0,  # 00:30 BST is still 1 July in London (23:30 UTC on 30 June)
        title='=HYPERLINK("http://example.org")',
        address="12 Abbey Road",
        ward=ward,
        latitude=52.71,
        longitude=-1.19,
        officers=[users.officer_a, users.commander],
        partners=[fire, council],
        other_partners="Scouts, Neighbourhood Watch",
        people_reached=23,
        online_reach=0,
        demographics={"age": {"under_18": 11}, "ethnic_group": {"white": 9, "asian": 4}},
        issues_raised="Parking;\nspeeding",
        issue_categories=[category("speeding"), category("parking")],
        follow_up="- council to write to residents",
        priorities_set=True,
        officer_hours=Decimal("2.25"),
        links=["https://example.org/a", "https://example.org/b"],
        notes="Zoë's notes, café",
        shared_with_partners=False,
    )


@pytest.mark.django_db
def test_one_row_per_activity_with_every_column(area_tree, users, rich):
    Activity.objects.filter(pk=rich.pk).update(starts_at=dt.datetime(2024, 6, 30, 23, 30, tzinfo=dt.UTC))
    (row,) = selectors.activity_export_rows(Activity.objects.filter(pk=rich.pk))
    values = dict(zip(exports.EXPORT_COLUMNS, exports.export_values(row), strict=True))
    expected_demographics = dict.fromkeys(DEMOGRAPHIC_COLUMNS)
    expected_demographics.update(reached_age_under_18=11, reached_ethnic_group_white=9, reached_ethnic_group_asian=4)
    assert values == {
        "date": dt.date(2024, 7, 1),
        "time": dt.time(0, 30),
        "type": "patch-walk",
        "areas": "NB-A;NB-C",
        "title": '=HYPERLINK("http://example.org")',
        "address": "12 Abbey Road",
        "ward": "E05900001",
        "place": "",
        "latitude": 52.71,
        "longitude": -1.19,
        "officers": "commander;officer_a",
        "partners": "Abbeyfield Borough Council;Testshire Fire and Rescue",
        "other_partners": "Scouts, Neighbourhood Watch",
        "people_reached": 23,
        "online_reach": 0,
        "issues_raised": "Parking;\nspeeding",
        "issue_categories": "parking;speeding",
        "follow_up": "- council to write to residents",
        "priorities_set": "yes",
        "officer_hours": Decimal("2.25"),
        "links": "https://example.org/a;https://example.org/b",
        "notes": "Zoë's notes, café",
        "shared_with_partners": "no",
        **expected_demographics,
        "id": rich.pk,
    }


@pytest.mark.django_db
def test_csv_file_reads_back_to_what_was_recorded(area_tree, users, rich):
    text = "".join(exports.csv_lines(Activity.objects.filter(pk=rich.pk)))
    assert text.startswith("\ufeffdate,time,type,areas,")
    assert "\r\n" in text
    (row,) = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    assert row["title"] == '\'=HYPERLINK("http://example.org")'
    assert row["follow_up"] == "'- council to write to residents"
    assert row["longitude"] == "-1.19" and row["latitude"] == "52.71"
    assert row["officer_hours"] == "2.25" and row["people_reached"] == "23"
    assert row["reached_age_under_18"] == "11" and row["reached_sex_male"] == ""
    unescaped = {name: csv_cell_unescape(value) for name, value in row.items()}
    assert unescaped["title"] == rich.title
    assert unescaped["follow_up"] == rich.follow_up
    assert unescaped["issues_raised"] == "Parking;\nspeeding"  # a line break inside a quoted cell
    assert unescaped["notes"] == "Zoë's notes, café"


@pytest.mark.django_db
def test_xlsx_cells_are_typed_and_text_is_never_a_formula(area_tree, users, rich):
    from openpyxl import load_workbook

    Activity.objects.filter(pk=rich.pk).update(notes="bell\x07 and tab\tkept")
    buffer = io.BytesIO()
    exports.write_xlsx(Activity.objects.filter(pk=rich.pk), buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    header, row = list(sheet.iter_rows())
    cells = dict(zip([c.value for c in header], row, strict=True))
    assert cells["title"].data_type == "s" and cells["title"].value == '=HYPERLINK("http://example.org")'
    # A real date (openpyxl reads every date cell back as a datetime at midnight).
    assert cells["date"].is_date and cells["date"].value.date() == dt.date(2024, 7, 1)
    assert cells["date"].value.time() == dt.time() and cells["date"].number_format == "yyyy-mm-dd"
    assert cells["time"].value == dt.time(0, 0) and cells["time"].number_format == "hh:mm"
    assert cells["longitude"].value == -1.19 and cells["longitude"].data_type == "n"
    assert cells["officer_hours"].value == 2.25
    assert cells["notes"].value == "bell and tab\tkept"  # a control character XLSX cannot hold is dropped
    assert cells["reached_sex_male"].value is None


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_the_rows(area_tree, users):
    council = Partner.objects.create(force=area_tree.force, name="Council")

    def queries_for(count: int) -> int:
        Activity.objects.all().delete()
        for n in range(count):
            record(
                [area_tree.nbhd_a],
                day=days_ago(n % 20 + 1),
                partners=[council],
                officers=[users.officer_a],
                issue_categories=[category("speeding")],
            )
        with CaptureQueriesContext(connection) as captured:
            lines = list(exports.csv_lines(Activity.objects.all()))
        assert len(lines) == count + 1
        return len(captured)

    assert queries_for(2) == queries_for(25)
