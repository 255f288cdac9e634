"""`beatbook import-survey-responses`: every bad row named, all or nothing, idempotent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.accounts.models import AuditEvent
from beatbook.core.imports import ImportFailed
from beatbook.surveys.importers.responses import import_survey_responses
from beatbook.surveys.models import Postcode, Response, Survey, Wave

from .survey_fixtures import make_survey, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    return make_survey(area_tree)


@pytest.fixture
def wave(survey: Survey) -> Wave:
    return make_wave(survey)


HEADER = "wave,submitted_at,postcode,lsoa,channel,language,understand-issues,feel-safe,kept-informed,good-job,trust-police,age-band,sex"
GOOD = [
    "2026-05,2026-05-03,TS1 1AA,,paper,en,agree,strongly-agree,disagree,agree,dont-know,16-24,female",
    "2026-05,2026-05-04T18:30,,E01900004,phone,cy,disagree,agree,agree,strongly-disagree,agree,,",
    "2026-05,2026-05-04T18:30,,E01900004,phone,cy,disagree,agree,agree,strongly-disagree,agree,,",
]


@pytest.fixture
def postcode(area_tree: Any) -> Postcode:
    return Postcode.objects.create(postcode="TS1 1AA", lsoa_code="E01900001", lsoa=area_tree.lsoa_a)


def write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_dry_run_validates_and_saves_nothing(survey: Survey, wave: Wave, postcode: Postcode, tmp_path: Path) -> None:
    report = import_survey_responses(write(tmp_path / "r.csv", GOOD), survey=survey, commit=False)
    assert (report.read, report.created, report.committed) == (3, 3, False)
    assert Response.objects.count() == 0


def test_commit_imports_rows_with_locations_and_scoring_columns(
    area_tree: Any, survey: Survey, wave: Wave, postcode: Postcode, tmp_path: Path
) -> None:
    report = import_survey_responses(write(tmp_path / "r.csv", GOOD), survey=survey, commit=True)
    assert (report.created, report.committed) == (3, True)
    first = Response.objects.get(lsoa=area_tree.lsoa_a)
    assert (first.q1, first.q2, first.q3, first.q4, first.q5) == (4, 5, 2, 4, 0)
    assert (first.age_band, first.sex, first.ethnic_group) == (0, 0, None)
    assert first.channel == "paper"
    # a date alone is midday London time (BST in May: 11:00 UTC)
    assert first.submitted_at == dt.datetime(2026, 5, 3, 11, 0, tzinfo=dt.UTC)
    second = Response.objects.filter(lsoa=area_tree.lsoa_b)
    assert second.count() == 2  # identical rows are two people, not one
    assert {r.neighbourhood for r in second} == {area_tree.nbhd_b}
    assert {r.language for r in second} == {"cy"}
    assert AuditEvent.objects.filter(action="import.survey_responses", force=area_tree.force).count() == 1


def test_reimport_changes_nothing(survey: Survey, wave: Wave, postcode: Postcode, tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", GOOD)
    import_survey_responses(path, survey=survey, commit=True)
    again = import_survey_responses(path, survey=survey, commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Response.objects.count() == 3


def test_rows_with_an_id_are_updated_when_the_file_changes(
    survey: Survey, wave: Wave, postcode: Postcode, tmp_path: Path
) -> None:
    header = "id,wave,submitted_at,lsoa,feel-safe"
    import_survey_responses(
        write(tmp_path / "a.csv", ["P-1,2026-05,2026-05-03,E01900001,agree"], header), survey=survey, commit=True
    )
    report = import_survey_responses(
        write(tmp_path / "b.csv", ["P-1,2026-05,2026-05-03,E01900001,disagree"], header), survey=survey, commit=True
    )
    assert (report.created, report.updated) == (0, 1)
    assert Response.objects.get().q2 == 2


def test_bad_rows_are_named_by_line_and_column_and_nothing_is_imported(
    survey: Survey, wave: Wave, postcode: Postcode, tmp_path: Path
) -> None:
    rows = [
        GOOD[0],
        "2026-05,2026-05-03,,,paper,en,agre,agree,agree,agree,agree,,",  # line 3: bad answer
        "2026-11,2026-11-03,,,paper,en,agree,agree,agree,agree,agree,,",  # line 4: unknown wave
        "2026-05,3rd May,,,paper,en,agree,agree,agree,agree,agree,,",  # line 5: bad date
        "2026-05,2026-05-03,TS9 9ZZ,E01900099,paper,en,agree,agree,agree,agree,agree,,",  # line 6: unknown LSOA
        "2026-05,2026-05-03,TS9 9ZZ,,paper,en,agree,agree,agree,agree,agree,,",  # line 7: unknown postcode
    ]
    with pytest.raises(ImportFailed) as error:
        import_survey_responses(write(tmp_path / "bad.csv", rows), survey=survey, commit=True)
    assert (error.value.line, error.value.field) == (3, "understand-issues")
    message = str(error.value)
    for where in (
        "line 4 column 'wave'",
        "line 5 column 'submitted_at'",
        "line 6 column 'lsoa'",
        "line 7 column 'postcode'",
    ):
        assert where in message
    assert "Nothing was imported" in message
    assert Response.objects.count() == 0


def test_unknown_column_is_refused_on_line_1(survey: Survey, wave: Wave, tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", ["2026-05,2026-05-03,agree"], "wave,submitted_at,feel-safe-ish")
    with pytest.raises(ImportFailed) as error:
        import_survey_responses(path, survey=survey, commit=True)
    assert error.value.line == 1
    assert "feel-safe-ish" in error.value.reason


def test_command_needs_a_survey_and_reports_json(
    survey: Survey, wave: Wave, postcode: Postcode, tmp_path: Path, capsys: Any
) -> None:
    path = write(tmp_path / "r.csv", GOOD)
    with pytest.raises(CommandError, match="No survey"):
        call_command("import-survey-responses", str(path), "--survey", "nope", "--no-progress")
    call_command("import-survey-responses", str(path), "--commit", "--json", "--no-progress")
    assert json.loads(capsys.readouterr().out)["created"] == 3
    bad = write(tmp_path / "bad.csv", ["2026-05,2026-05-03,,,paper,en,agre,,,,,,"])
    with pytest.raises(CommandError, match="line 2, field 'understand-issues'"):
        call_command("import-survey-responses", str(bad), "--survey", "your-views", "--commit", "--no-progress")
    assert Response.objects.count() == 3
