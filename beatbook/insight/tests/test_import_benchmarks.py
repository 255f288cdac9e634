"""`beatbook import-benchmarks` on small hand-written files: parsing, merging, bad input, idempotence."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.accounts.models import AuditEvent
from beatbook.core.imports import ImportFailed
from beatbook.insight.importers.benchmarks import borough_spelling, import_benchmarks, quarter_end
from beatbook.insight.models import BenchmarkPoint, BenchmarkSeries
from beatbook.insight.selectors import benchmark_series, series_for
from beatbook.insight.services import PointData, SeriesData, benchmark_series_save

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
Q1_2016, Q2_2016 = dt.date(2016, 3, 31), dt.date(2016, 6, 30)


def points(area: str, measure: str) -> list[tuple[dt.date, float]]:
    return list(
        BenchmarkPoint.objects.filter(series__area_name=area, series__measure=measure)
        .order_by("period_end")
        .values_list("period_end", "value")
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Richmond Upon Thames", "Richmond upon Thames"),
        ("Richmond upon Thames", "Richmond upon Thames"),
        ("City Of Westminster", "City of Westminster"),
        ("Hammersmith And Fulham", "Hammersmith and Fulham"),
        ("The Borough", "The Borough"),
    ],
)
def test_borough_spelling(given: str, expected: str) -> None:
    assert borough_spelling(given) == expected


@pytest.mark.parametrize(
    ("quarter", "expected"), [("1", dt.date(2018, 3, 31)), ("2", dt.date(2018, 6, 30)), ("4", dt.date(2018, 12, 31))]
)
def test_quarter_end(quarter: str, expected: dt.date) -> None:
    assert quarter_end("2018", quarter, path=Path("x.csv"), line=2) == expected


def test_pas_dry_run_reports_but_saves_nothing() -> None:
    report = import_benchmarks(FIXTURES / "pas_good.csv", file_format="mopac-pas", commit=False)
    assert (report.read, report.created, report.committed) == (5, 8, False)
    assert BenchmarkSeries.objects.count() == 0 and BenchmarkPoint.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="import.benchmarks").exists()


def test_pas_commit_decimal_commas_dates_richmond_and_mps() -> None:
    report = import_benchmarks(FIXTURES / "pas_good.csv", file_format="mopac-pas", commit=True)
    # Barnet trust 2, Richmond trust 2 (two spellings, one series), Barnet good job 1, MPS 2 + 1.
    assert (report.created, report.updated, report.unchanged) == (8, 0, 0)
    assert BenchmarkSeries.objects.count() == 5
    assert points("Barnet", "Trust MPS") == [(Q1_2016, 0.7), (Q2_2016, 0.72)]
    assert points("Richmond upon Thames", "Trust MPS") == [(Q1_2016, 0.8), (Q2_2016, 0.81)]
    assert points("Metropolitan Police Service", "Trust MPS") == [(Q1_2016, 0.69), (Q2_2016, 0.7)]
    assert points("Metropolitan Police Service", '"Good Job" local') == [(Q2_2016, 0.65)]
    assert BenchmarkSeries.objects.get(area_name="Metropolitan Police Service", measure="Trust MPS").area_kind == (
        "force"
    )
    assert any("Richmond Upon Thames" in note for note in report.notes)
    assert AuditEvent.objects.filter(action="import.benchmarks_mopac-pas").count() == 1


def test_pas_import_again_changes_nothing_and_a_new_value_updates(tmp_path: Path) -> None:
    import_benchmarks(FIXTURES / "pas_good.csv", file_format="mopac-pas", commit=True)
    again = import_benchmarks(FIXTURES / "pas_good.csv", file_format="mopac-pas", commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    revised = tmp_path / "revised.csv"
    revised.write_text(
        (FIXTURES / "pas_good.csv").read_text().replace('Barnet,Trust MPS,"0,72"', 'Barnet,Trust MPS,"0,73"'),
        encoding="utf-8",
    )
    report = import_benchmarks(revised, file_format="mopac-pas", commit=True)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 7)
    assert points("Barnet", "Trust MPS") == [(Q1_2016, 0.7), (Q2_2016, 0.73)]
    assert BenchmarkPoint.objects.count() == 8


@pytest.mark.parametrize(
    ("name", "file_format", "line", "field", "words"),
    [
        ("pas_bad_decimal.csv", "mopac-pas", 3, "Proportion", "not a proportion"),
        ("pas_bad_date.csv", "mopac-pas", 3, "Date", "day/month/year"),
        ("pas_wrong_header.csv", "mopac-pas", 1, None, "missing column(s) Date, Borough"),
        ("pas_mps_disagrees.csv", "mopac-pas", 3, "MPS", "also on line 2"),
        ("csew_bad_estimate.csv", "csew-perceptions", 3, "estimate", "'0.6O' is not a proportion"),
        ("csew_bad_quarter.csv", "csew-perceptions", 2, "quarter", "not a quarter"),
        ("pas_good.csv", "csew-perceptions", 1, None, "not a CSEW perceptions"),
    ],
)
def test_bad_file_names_line_and_column_and_imports_nothing(
    name: str, file_format: str, line: int, field: str | None, words: str
) -> None:
    with pytest.raises(ImportFailed) as error:
        import_benchmarks(FIXTURES / name, file_format=file_format, commit=True)
    assert (error.value.line, error.value.field) == (line, field)
    assert words in error.value.reason
    assert BenchmarkPoint.objects.count() == 0 and BenchmarkSeries.objects.count() == 0


def test_an_unquoted_decimal_comma_is_caught_by_the_row_width(tmp_path: Path) -> None:
    path = tmp_path / "pas.csv"
    path.write_text(
        "Date,Survey,Borough,Measure,Proportion,MPS\n31/3/2016,PAS,Barnet,Trust MPS,0,7,0,69\n", encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as error:
        import_benchmarks(path, file_format="mopac-pas", commit=True)
    assert error.value.line == 2
    assert "8 cells but the header has 6" in error.value.reason


def test_a_proportion_above_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pas.csv"
    path.write_text(
        'Date,Survey,Borough,Measure,Proportion,MPS\n31/3/2016,PAS,Barnet,Trust MPS,"1,5","0,69"\n', encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as error:
        import_benchmarks(path, file_format="mopac-pas", commit=True)
    assert (error.value.line, error.value.field) == (2, "Proportion")
    assert "between 0 and 1" in error.value.reason


def test_csew_keeps_all_adult_region_and_total_rows_with_intervals() -> None:
    report = import_benchmarks(FIXTURES / "csew_good.csv", file_format="csew-perceptions", commit=True)
    assert (report.read, report.created) == (6, 3)
    assert report.skipped_reasons == {
        "another breakdown (not region or total)": 1,
        "one sex or age group only": 1,
        "no estimate published (NA)": 1,
    }
    east = BenchmarkPoint.objects.get(series__area_name="East Midlands")
    assert (east.period_end, east.value, east.standard_error, east.n) == (dt.date(2018, 12, 31), 0.55, 0.01, 2900)
    # 0.55 -/+ 1.96 x 0.01, by hand: 0.530400, 0.569600.
    assert east.low == pytest.approx(0.5304, abs=1e-4) and east.high == pytest.approx(0.5696, abs=1e-4)
    assert east.series.area_kind == "region"
    assert "good or excellent job" in east.series.name
    total = BenchmarkPoint.objects.get(series__area_name="England and Wales")
    assert (total.value, total.n, total.series.area_kind) == (0.58, 32148, "country")
    wales = BenchmarkPoint.objects.get(series__area_name="Wales")
    # 0.995 + 0.0196 passes 1, so the interval stops at 1.
    assert (wales.high, wales.series.area_kind) == (1.0, "country")
    assert wales.low == pytest.approx(0.9754, abs=1e-4)


def test_series_for_matches_measure_and_area_case_insensitively() -> None:
    import_benchmarks(FIXTURES / "pas_good.csv", file_format="mopac-pas", commit=True)
    found = series_for("trust", "BARNET")
    assert [(p.series.area_name, p.period_end, p.value) for p in found] == [
        ("Barnet", Q1_2016, 0.7),
        ("Barnet", Q2_2016, 0.72),
    ]
    assert series_for("good job", "Barnet")[0].value == 0.6
    assert series_for("trust", "Nowhere") == []
    assert len(benchmark_series(source="mopac-pas")) == 5
    assert benchmark_series(source="csew") == []


def test_service_refuses_values_outside_zero_to_one_and_repeated_periods() -> None:
    series = SeriesData(source="csew", measure="ratpol3", area_name="Wales", area_kind="country", name="x")
    with pytest.raises(ValidationError) as error:
        benchmark_series_save(series=series, points=[PointData(period_end=Q1_2016, value=1.2)])
    assert "value" in error.value.message_dict
    with pytest.raises(ValidationError):
        benchmark_series_save(
            series=series, points=[PointData(period_end=Q1_2016, value=0.2), PointData(period_end=Q1_2016, value=0.3)]
        )
    assert BenchmarkSeries.objects.count() == 0


def test_command_dry_run_json_then_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pas.csv.gz"
    with (FIXTURES / "pas_good.csv").open("rb") as plain, gzip.open(path, "wb") as packed:
        shutil.copyfileobj(plain, packed)
    call_command("import-benchmarks", str(path), "--format", "mopac-pas", "--json", "--no-progress")
    dry = json.loads(capsys.readouterr().out)
    assert (dry["committed"], dry["created"]) == (False, 8)
    assert BenchmarkPoint.objects.count() == 0
    call_command("import_benchmarks", str(path), "--format", "mopac-pas", "--commit", "--no-progress")
    assert "created 8" in capsys.readouterr().out
    assert BenchmarkPoint.objects.count() == 8


def test_command_failure_as_json_and_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CommandError, match="line 3"):
        call_command(
            "import-benchmarks", str(FIXTURES / "pas_bad_date.csv"), "--format", "mopac-pas", "--commit", "--json"
        )
    failure = json.loads(capsys.readouterr().out)["failure"]
    assert (failure["line"], failure["field"]) == (3, "Date")


def test_command_needs_a_known_format() -> None:
    with pytest.raises(CommandError):
        call_command("import-benchmarks", str(FIXTURES / "pas_good.csv"), "--format", "pas")
