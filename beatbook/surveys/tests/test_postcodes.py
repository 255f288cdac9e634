"""`beatbook import-postcodes`: the ONS Postcode Directory layout, dry run, bad lines, idempotence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.core.imports import ImportFailed
from beatbook.surveys.importers.postcodes import import_postcodes, normalise_postcode
from beatbook.surveys.models import Postcode

from .survey_fixtures import onspd_row, write_onspd

pytestmark = pytest.mark.django_db


@pytest.fixture
def onspd(tmp_path: Path) -> Path:
    return write_onspd(
        tmp_path / "ONSPD_TEST.csv",
        [
            onspd_row("TS1 1AA", "E01900001"),
            onspd_row("TS10 2BB", "E01900004", doterm="201905", lat="52.60500", long="-1.18500"),
            onspd_row("ZZ9 9ZZ", "E01999999"),  # an LSOA Beatbook does not hold
        ],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ts11aa", "TS1 1AA"), (" TS10   2BB ", "TS10 2BB"), ("ec1a1bb", "EC1A 1BB"), ("W1A 0AX", "W1A 0AX")],
)
def test_normalise_postcode(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize("text", ["", "TS1", "TS1 1A", "1TS 1AA", "TS1 1AAA"])
def test_normalise_postcode_refuses_non_postcodes(text: str) -> None:
    with pytest.raises(ValueError):
        normalise_postcode(text)


def test_dry_run_reports_and_saves_nothing(area_tree: Any, onspd: Path) -> None:
    report = import_postcodes(onspd, commit=False)
    assert (report.read, report.created, report.skipped, report.committed) == (3, 2, 1, False)
    assert report.skipped_reasons == {"LSOA not imported": 1}
    assert Postcode.objects.count() == 0


def test_commit_imports_known_lsoas_and_is_idempotent(area_tree: Any, onspd: Path) -> None:
    report = import_postcodes(onspd, commit=True)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    live = Postcode.objects.get(postcode="TS1 1AA")
    assert (live.lsoa, live.lsoa_code, live.terminated) == (area_tree.lsoas["E01900001"], "E01900001", False)
    gone = Postcode.objects.get(postcode="TS10 2BB")
    assert gone.terminated is True
    assert (gone.latitude, gone.longitude) == (52.605, -1.185)
    again = import_postcodes(onspd, commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Postcode.objects.count() == 2


def test_a_changed_row_is_updated(area_tree: Any, onspd: Path, tmp_path: Path) -> None:
    import_postcodes(onspd, commit=True)
    newer = write_onspd(tmp_path / "newer.csv", [onspd_row("TS1 1AA", "E01900002")])
    report = import_postcodes(newer, commit=True)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert Postcode.objects.get(postcode="TS1 1AA").lsoa == area_tree.lsoas["E01900002"]


def test_keep_all_keeps_unknown_lsoas_without_a_link(area_tree: Any, onspd: Path) -> None:
    import_postcodes(onspd, commit=True, keep_all=True)
    far = Postcode.objects.get(postcode="ZZ9 9ZZ")
    assert (far.lsoa, far.lsoa_code) == (None, "E01999999")


def test_no_grid_reference_is_kept_as_none(area_tree: Any, tmp_path: Path) -> None:
    path = write_onspd(tmp_path / "p.csv", [onspd_row("TS1 1AA", "E01900001", lat="99.999999", long="0.000000")])
    import_postcodes(path, commit=True)
    assert Postcode.objects.get().latitude is None


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (onspd_row("TS1 1A", "E01900001"), "pcds", "not a UK postcode"),
        (onspd_row("TS1 2AA", "E01900001", lat="north"), "lat", "not a number"),
        (onspd_row("TS1 2AA", "E01900001", long="-20.5"), "long", "outside"),
        (onspd_row("TS1 2AA", "E01900001", doterm="May 2019"), "doterm", "YYYYMM"),
        (onspd_row("TS1 1AA", "E01900002"), "pcds", "also on line 2"),
    ],
)
def test_bad_line_names_line_and_field_and_imports_nothing(
    area_tree: Any, tmp_path: Path, row: str, field: str, words: str
) -> None:
    path = write_onspd(tmp_path / "bad.csv", [onspd_row("TS1 1AA", "E01900001"), row])
    with pytest.raises(ImportFailed) as error:
        import_postcodes(path, commit=True)
    assert (error.value.line, error.value.field) == (3, field)
    assert words in error.value.reason
    assert Postcode.objects.count() == 0


def test_file_without_postcode_or_lsoa_columns_is_refused(area_tree: Any, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("postcode,area\nTS1 1AA,E01900001\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as error:
        import_postcodes(path, commit=True)
    assert error.value.line == 1
    assert "ONS Postcode Directory" in error.value.reason


def test_lsoa11_is_used_when_the_file_has_no_lsoa21(area_tree: Any, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("pcd,pcds,doterm,lsoa11,lat,long\nTS1 1AA,TS1 1AA,,E01900003,52.7,-1.15\n", encoding="utf-8")
    import_postcodes(path, commit=True)
    assert Postcode.objects.get().lsoa == area_tree.lsoas["E01900003"]


def test_command_dry_run_then_commit_with_json(area_tree: Any, onspd: Path, capsys: Any) -> None:
    call_command("import-postcodes", str(onspd), "--json", "--no-progress")
    assert json.loads(capsys.readouterr().out)["committed"] is False
    assert Postcode.objects.count() == 0
    call_command("import-postcodes", str(onspd), "--commit", "--json", "--no-progress")
    report = json.loads(capsys.readouterr().out)
    assert (report["committed"], report["created"]) == (True, 2)
    with pytest.raises(CommandError, match="file not found"):
        call_command("import-postcodes", str(onspd.with_name("missing.csv")), "--no-progress")


def test_committed_import_is_audited_once_for_the_force(area_tree: Any, onspd: Path) -> None:
    from beatbook.accounts.models import AuditEvent

    import_postcodes(onspd, commit=False)
    assert not AuditEvent.objects.filter(action="import.postcodes").exists()
    import_postcodes(onspd, commit=True)
    assert list(AuditEvent.objects.filter(action="import.postcodes").values_list("force", flat=True)) == [
        area_tree.force.pk
    ]
