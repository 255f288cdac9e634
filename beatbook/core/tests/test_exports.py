"""The cells every download shares: CSV text that never runs as a formula, and typed XLSX."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest

from beatbook.core.exports import csv_cell_escape, csv_cell_unescape, csv_text, write_xlsx


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+44 116 222 2222", "'+44 116 222 2222"),
        ("-", "'-"),
        ("@mention", "'@mention"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("plain text", "plain text"),
        ("a = b", "a = b"),
        ("'quoted'", "'quoted'"),
        ("'=typed with an apostrophe", "''=typed with an apostrophe"),
        ("''-two", "'''-two"),
        ("", ""),
    ],
)
def test_csv_formula_guard_and_its_exact_undoing(text, written):
    assert csv_cell_escape(text) == written
    assert csv_cell_unescape(written) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (Decimal("1.50"), "1.5"),
        (Decimal("2.00"), "2"),
        (Decimal("100.00"), "100"),
        (Decimal("0"), "0"),
        (Decimal("10.25"), "10.25"),
        (-1.19, "-1.19"),  # numbers are never escaped, so a negative longitude stays a number
        (52.7, "52.7"),
        (14, "14"),
        (dt.date(2024, 7, 1), "2024-07-01"),
        (dt.time(0, 30), "00:30"),
        ("-1.19", "'-1.19"),  # text that looks like a formula is escaped
    ],
)
def test_csv_cell_text(value, text):
    assert csv_text(value) == text


def test_xlsx_writes_typed_cells_and_no_formula():
    from openpyxl import load_workbook

    london_summer = dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC)
    buffer = io.BytesIO()
    rows = [["=SUM(A1)", "bell\x07 gone", "", 3, dt.date(2026, 1, 2), dt.time(7, 5), london_summer, None]]
    write_xlsx(buffer, sheet_title="Test", header=["a", "b", "c", "d", "e", "f", "g", "h"], rows=rows)
    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    assert workbook.sheetnames == ["Test"]
    header, row = list(workbook.active.iter_rows())
    assert [c.value for c in header] == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert all(c.font.bold for c in header)
    formula, text, empty, number, day, clock, moment, nothing = row
    assert formula.data_type == "s" and formula.value == "=SUM(A1)"
    assert text.value == "bell gone"
    assert empty.value is None and nothing.value is None
    assert number.value == 3 and number.data_type == "n"
    assert day.is_date and day.value.date() == dt.date(2026, 1, 2)
    assert clock.value == dt.time(7, 5) and clock.number_format == "hh:mm"
    # Excel has no time zones: 09:30 UTC is 10:30 on a London summer clock.
    expected = london_summer.astimezone(zoneinfo.ZoneInfo("Europe/London")).replace(tzinfo=None)
    assert moment.value == expected
    assert (expected.hour, expected.minute) == (10, 30)
    assert moment.number_format == "yyyy-mm-dd hh:mm"
