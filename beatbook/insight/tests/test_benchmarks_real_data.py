"""The real CSEW and MOPAC PAS files import to the figures SOURCES.md verified (facts 18 to 21)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from beatbook.insight.importers.benchmarks import import_benchmarks
from beatbook.insight.models import BenchmarkPoint, BenchmarkSeries
from beatbook.insight.selectors import series_for

pytestmark = pytest.mark.django_db

CSEW = "csew_confidence/csew_perceptions_cjs_police_2018q4_by_characteristic.csv.gz"
PAS = "public_attitude_survey/mopac_pas_dashboard_borough_2014q4_2023q4.csv.gz"
YEAR_TO_DEC_2018 = dt.date(2018, 12, 31)


def value(measure: str, area: str, period: dt.date) -> float:
    return BenchmarkPoint.objects.get(series__measure=measure, series__area_name=area, period_end=period).value


def test_csew_england_and_wales_and_east_midlands(shared_data: Path) -> None:
    report = import_benchmarks(shared_data / CSEW, file_format="csew-perceptions", commit=True)
    assert report.read == 27144
    # 13 variables x (11 `gor` groups + the England and Wales total), none NA for all adults 16+.
    assert (report.created, BenchmarkSeries.objects.count()) == (156, 156)
    fact_18 = {
        "ratpol3": 0.5817492536000001,
        "catt2": 0.5596719106,
        "patt6": 0.5613999574999999,
        "cjsovb1dv": 0.4981655414,
        "fairova1dv": 0.6563172237,
    }
    for measure, expected in fact_18.items():
        assert value(measure, "England and Wales", YEAR_TO_DEC_2018) == pytest.approx(expected, abs=1e-12)
    assert BenchmarkPoint.objects.get(series__measure="ratpol3", series__area_name="England and Wales").n == 32148
    assert BenchmarkPoint.objects.get(series__measure="catt2", series__area_name="England and Wales").n == 32504
    fact_19 = {"ratpol3": 0.5479749073, "catt2": 0.5120926067, "patt6": 0.5218027516}
    for measure, expected in fact_19.items():
        assert value(measure, "East Midlands", YEAR_TO_DEC_2018) == pytest.approx(expected, abs=1e-12)
    east_midlands = BenchmarkSeries.objects.get(measure="ratpol3", area_name="East Midlands")
    assert east_midlands.area_kind == "region"
    point = east_midlands.points.get()
    assert point.low is not None and point.high is not None and point.standard_error is not None
    assert point.low < point.value < point.high
    assert point.high - point.low == pytest.approx(2 * 1.959963984540054 * point.standard_error)


def test_mopac_pas_facts_merged_richmond_and_force_series(shared_data: Path) -> None:
    report = import_benchmarks(shared_data / PAS, file_format="mopac-pas", commit=True)
    assert report.read == 9312
    # 9,312 borough points, plus the MPS-wide series: 7 measures x 37 quarters + Trust MPS x 32.
    assert report.created == 9312 + 7 * 37 + 32
    assert BenchmarkSeries.objects.filter(area_kind="borough").values("area_name").distinct().count() == 32
    assert not BenchmarkSeries.objects.filter(area_name="Richmond Upon Thames").exists()
    richmond = BenchmarkSeries.objects.get(area_name="Richmond upon Thames", measure='"Good Job" local')
    assert richmond.points.count() == 37

    end_2023 = dt.date(2023, 12, 31)
    trust = {
        p.series.area_name: p.value
        for p in BenchmarkPoint.objects.filter(series__measure="Trust MPS", period_end=end_2023).select_related(
            "series"
        )
    }
    boroughs = {name: v for name, v in trust.items() if name != "Metropolitan Police Service"}
    assert len(boroughs) == 32
    assert min(boroughs, key=boroughs.__getitem__) == "Lewisham" and boroughs["Lewisham"] == pytest.approx(0.56)
    assert max(boroughs, key=boroughs.__getitem__) == "Harrow" and boroughs["Harrow"] == pytest.approx(0.82)
    assert trust["Metropolitan Police Service"] == pytest.approx(0.69)
    assert boroughs["Barnet"] == pytest.approx(0.7)
    assert boroughs["Lambeth"] == pytest.approx(0.63)
    assert boroughs["City of Westminster"] == pytest.approx(0.78)

    end_2014 = dt.date(2014, 12, 31)
    good_job = {
        p.series.area_name: p.value
        for p in BenchmarkPoint.objects.filter(series__measure='"Good Job" local', period_end=end_2014)
        .exclude(series__area_kind="force")
        .select_related("series")
    }
    assert min(good_job, key=good_job.__getitem__) == "Tower Hamlets" and good_job["Tower Hamlets"] == 0.5
    # Fact 21 names Richmond as highest; Kensington and Chelsea shares the 0,78 in the file.
    assert max(good_job.values()) == pytest.approx(0.78)
    assert good_job["Richmond upon Thames"] == pytest.approx(0.78)
    assert value('"Good Job" local', "Metropolitan Police Service", end_2014) == pytest.approx(0.67)

    trust_mps = series_for("trust", "metropolitan police service")
    assert trust_mps[0].period_end == dt.date(2016, 3, 31)
    assert len(trust_mps) == 32


def test_real_files_import_twice_without_change(shared_data: Path) -> None:
    for name, file_format in ((CSEW, "csew-perceptions"), (PAS, "mopac-pas")):
        first = import_benchmarks(shared_data / name, file_format=file_format, commit=True)
        again = import_benchmarks(shared_data / name, file_format=file_format, commit=True)
        assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
