"""Staff results pages of "Your Views": who may see what, figures equal to `survey_scores`,
suppression, the map, representation, concerns with redaction, downloads and query counts.

The expected figures are computed by the scoring code itself (`selectors.survey_scores`,
`scoring.representation`) and formatted as the pages format them, so a page that shows a
different number, or a number where it should show none, fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beatbook.areas.models import Area, CensusCount, CensusTopic
from beatbook.insight.models import AreaKind, BenchmarkPoint, BenchmarkSeries, BenchmarkSource
from beatbook.surveys import dashboard_selectors, selectors, services
from beatbook.surveys.models import Response, ResponseStatus, Survey, Wave
from beatbook.surveys.scoring import Level, ScoreRow, ScoringSettings, representation
from beatbook.surveys.themes import redact

from .survey_fixtures import confidence

pytestmark = pytest.mark.django_db

AGE = [("Aged 15 to 19", 50), ("Aged 20 to 24", 60), ("Aged 25 to 29", 100), ("Aged 60 to 64", 80)]
SEX = [("Female", 300), ("Male", 200)]
ETHNIC = [("White: English, Welsh, Scottish, Northern Irish or British", 400), ("Asian, Asian British: Indian", 150)]
SLUG = "your-views"
PHONE_CONCERN = "Speeding cars on the main road, ring me on 07700 900123 about it"


def _wave(survey: Survey, code: str, month: int, year: int = 2026) -> Wave:
    return services.wave_create(
        actor=None,
        survey=survey,
        code=code,
        name=f"Wave {code}",
        opens_on=dt.date(year, month, 1),
        closes_on=dt.date(year, month, 28),
    )


def _answer(survey: Survey, wave: Wave, lsoa: Any, values: tuple[int, ...], age: str, **extra: str) -> Response:
    answers = {**confidence(*values), "age-band": age, "sex": "female" if values[0] > 2 else "male"}
    answers["ethnic-group"] = "white"
    answers.update(extra)
    return services.response_record(
        survey=survey, wave=wave, answers=answers, channel="paper", language="en", lsoa=lsoa
    )


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    for lsoa in area_tree.lsoas.values():
        for topic, cells in ((CensusTopic.AGE, AGE), (CensusTopic.SEX, SEX), (CensusTopic.ETHNIC_GROUP, ETHNIC)):
            for position, (category, count) in enumerate(cells):
                CensusCount.objects.create(
                    lsoa=lsoa, census_year=2021, topic=topic, category=category, position=position, count=count
                )
    survey = services.survey_create_from_template(
        actor=None, force=area_tree.force, name="Your Views", slug=SLUG, min_responses=3
    )
    may, november = _wave(survey, "2026-05", 5), _wave(survey, "2026-11", 11)
    a, b, c = area_tree.lsoa_a, area_tree.lsoa_b, area_tree.lsoas["E01900003"]
    for values, age in (
        ((4, 5, 2, 4, 4), "25-44"),
        ((2, 4, 4, 1, 4), "60-74"),
        ((5, 3, 4, 4, 5), "60-74"),
        ((4, 4, 3, 2, 2), "25-44"),
        ((5, 5, 5, 4, 4), "60-74"),
        ((4, 4, 5, 4, 3), "60-74"),
        ((3, 4, 4, 4, 4), "60-74"),
        ((5, 4, 2, 4, 5), "60-74"),
        ((4, 2, 4, 5, 4), "45-59"),
    ):
        _answer(survey, may, a, values, age)
    _answer(survey, may, a, (4, 4, 4, 4, 4), "60-74", **{"main-concern": PHONE_CONCERN})
    for values, age in (((1, 2, 2, 1, 2), "16-24"), ((4, 4, 4, 5, 5), "60-74"), ((2, 2, 1, 1, 2), "25-44")):
        _answer(survey, november, a, values, age)
    for values, age in (((5, 5, 4, 4, 4), "60-74"), ((2, 3, 2, 2, 2), "25-44"), ((4, 4, 4, 4, 2), "60-74")):
        _answer(survey, may, b, values, age)
    # Brookside in November: two responses, below the minimum of 3 (and the 5 a model needs).
    for values, age in (((5, 5, 5, 5, 5), "60-74"), ((1, 1, 1, 1, 1), "25-44")):
        _answer(survey, november, b, values, age)
    _answer(survey, may, c, (3, 3, 3, 3, 3), "45-59")
    flagged = _answer(survey, may, a, (1, 1, 1, 1, 1), "16-24")
    Response.objects.filter(pk=flagged.pk).update(status=ResponseStatus.FLAGGED)
    return survey


def _get(client: Any, name: str, query: str = "", **kwargs: str) -> Any:
    return client.get(reverse(f"surveys:{name}", kwargs={"slug": SLUG, **kwargs}) + query)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _row(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr class="govuk-table__row" {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(1)


def _cell(row_html: str, field: str) -> str:
    match = re.search(rf'data-field="{field}">(.*?)</td>', row_html, re.S)
    assert match, f"no cell {field}"
    return _text(match.group(1))


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _score(survey: Survey, level: str, code: str, wave: int) -> ScoreRow:
    rows, _inputs = selectors.survey_scores(survey)
    [found] = [r for r in rows if (r.level, r.area, r.wave) == (level, code, wave)]
    return found


# --- access ------------------------------------------------------------------------------------

PAGES = ("dashboard", "map", "representation", "concerns")


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_sign_in(client: Any, survey: Survey, page: str) -> None:
    response = _get(client, page)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_officer_of_the_area_sees_it_and_another_area_is_hidden(
    client: Any, users: Any, login_as: Any, survey: Survey, page: str
) -> None:
    login_as(client, users.officer_a)
    assert _get(client, page, "?area=NB-A").status_code == 200
    if page == "map":
        # The map has no area: it shows every neighbourhood the user may see, and only those.
        html = _get(client, page).content.decode()
        assert 'data-area="NB-A"' in html and 'data-area="NB-B"' not in html
        login_as(client, users.officer_b)
        html = _get(client, page).content.decode()
        assert 'data-area="NB-B"' in html and 'data-area="NB-A"' not in html
        return
    assert _get(client, page, "?area=NB-B").status_code == 404
    login_as(client, users.officer_b)
    assert _get(client, page, "?area=NB-A").status_code == 404
    # Without an area, officer B gets their own neighbourhood.
    response = _get(client, page)
    assert response.status_code == 200
    assert response.context["area"].code == "NB-B"


def test_partner_sees_scores_of_their_area_and_the_areas_above(
    client: Any, users: Any, login_as: Any, survey: Survey
) -> None:
    login_as(client, users.partner)
    for code in ("NB-A", "NPA-N", "TESTSHIRE"):
        assert _get(client, "dashboard", f"?area={code}").status_code == 200, code
    assert _get(client, "dashboard", "?area=NB-C").status_code == 404
    assert _get(client, "dashboard", "?area=NPA-S").status_code == 404


def test_survey_of_another_force_is_not_found(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    login_as(client, users.analyst)
    response = client.get(reverse("surveys:dashboard", kwargs={"slug": "no-such-survey"}))
    assert response.status_code == 404


def test_list_counts_and_latest_force_score(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    assert client.get(reverse("surveys:list")).status_code == 302
    login_as(client, users.officer_b)
    response = client.get(reverse("surveys:list"))
    assert response.status_code == 200
    html = response.content.decode()
    counted = Response.objects.filter(survey=survey, status=ResponseStatus.COUNTED).count()
    flagged = Response.objects.filter(survey=survey, status=ResponseStatus.FLAGGED).count()
    assert re.search(rf'data-field="counted">{counted}<', html)
    assert re.search(rf'data-field="flagged">{flagged}<', html)
    latest = _score(survey, Level.FORCE, "TESTSHIRE", 1).weighted
    assert latest is not None
    assert _text(re.search(r'data-field="latest">(.*?)</dd>', html, re.S).group(1)).startswith(_pct(latest.value))  # type: ignore[union-attr]


# --- the dashboard ----------------------------------------------------------------------------


def test_dashboard_figures_equal_survey_scores(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    login_as(client, users.analyst)
    html = _get(client, "dashboard", "?area=NB-A&wave=2026-05").content.decode()
    rows, inputs = selectors.survey_scores(survey)
    published = 0
    for index, wave in enumerate(inputs.waves):
        [expected] = [r for r in rows if (r.level, r.area, r.wave) == (Level.NEIGHBOURHOOD, "NB-A", index)]
        row = _row(html, "data-wave", wave.code)
        assert expected.weighted is not None and expected.unweighted is not None
        published += 1
        assert _cell(row, "responses") == str(expected.responses)
        assert _cell(row, "weighted") == _pct(expected.weighted.value)
        assert _cell(row, "unweighted") == _pct(expected.unweighted.value)
        assert _cell(row, "interval") == f"{_pct(expected.weighted.low)} to {_pct(expected.weighted.high)}"
        if expected.change is None:
            assert "No comparison" in _cell(row, "change")
        else:
            assert ("more than noise" in _cell(row, "change")) is expected.change.more_than_noise
            assert f"{expected.change.difference * 100:+.1f} points" in _cell(row, "change")
        if expected.modelled is not None:
            assert _pct(expected.modelled.value) in _cell(row, "modelled")
            assert "modelled" in _cell(row, "modelled")
    assert published == 2
    # The five questions of the chosen wave.
    may = _score(survey, Level.NEIGHBOURHOOD, "NB-A", 0)
    keys = ("understand-issues", "feel-safe", "kept-informed", "good-job", "trust-police")
    for question in may.questions:
        line = _row(html, "data-question", keys[question.question])
        assert question.weighted is not None
        assert _cell(line, "weighted") == _pct(question.weighted.value)
    # Beside it: the NPA and the force.
    npa, force = _score(survey, Level.NPA, "NPA-N", 0), _score(survey, Level.FORCE, "TESTSHIRE", 0)
    compared = re.search(r'id="compared-table">(.*?)</table>', html, re.S).group(1)  # type: ignore[union-attr]
    assert npa.weighted is not None and force.weighted is not None
    assert _pct(npa.weighted.value) in compared and _pct(force.weighted.value) in compared
    # The chart is an image with a text alternative naming each wave's figure.
    assert 'role="img"' in html and 'aria-labelledby="trend-chart-title"' in html
    description = re.search(r'<desc id="trend-chart-desc">(.*?)</desc>', html, re.S).group(1)  # type: ignore[union-attr]
    assert _pct(may.weighted.value) in description  # type: ignore[union-attr]


def test_suppressed_wave_shows_no_number(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    login_as(client, users.officer_b)
    html = _get(client, "dashboard", "?wave=2026-11").content.decode()
    november = _score(survey, Level.NEIGHBOURHOOD, "NB-B", 1)
    assert november.status == "suppressed" and november.modelled is None
    row = _row(html, "data-wave", "2026-11")
    text = _text(row)
    assert "Too few responses" in text and "fewer than 3" in text
    assert "%" not in text
    assert 'data-field="responses"' not in row and 'data-field="weighted"' not in row
    # Nor in the questions of that wave, nor the map.
    questions = re.search(r'id="questions-table">(.*?)</table>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "%" not in _text(questions.split("</thead>")[1])


def test_unknown_wave_names_the_field_and_shows_the_latest(
    client: Any, users: Any, login_as: Any, survey: Survey
) -> None:
    login_as(client, users.officer_a)
    response = _get(client, "dashboard", "?wave=1999-01")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#wave"' in html and "Wave: choose one of the survey" in html
    assert response.context["wave"].code == "2026-11"


def test_benchmark_points_on_the_timeline_with_a_note(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    series = BenchmarkSeries.objects.create(
        source=BenchmarkSource.CSEW,
        name="Local police do a good or excellent job",
        measure="ratpol3",
        area_name="East Midlands",
        area_kind=AreaKind.REGION,
        slug="csew-ratpol3-east-midlands",
    )
    BenchmarkPoint.objects.create(series=series, period_end=dt.date(2026, 3, 31), value=0.55, low=0.53, high=0.57)
    BenchmarkPoint.objects.create(series=series, period_end=dt.date(2010, 3, 31), value=0.5)
    login_as(client, users.officer_a)
    response = _get(client, "dashboard", f"?benchmark={series.slug}")
    html = response.content.decode()
    assert "The measures differ" in html
    table = re.search(r'id="benchmark-table">(.*?)</table>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "55%" in table and "50%" not in table  # 2010 is years before the first wave
    assert "1 point more than a year away" in _text(html)
    assert html.count('fill="#d4351c"') == 1
    bad = _get(client, "dashboard", "?benchmark=nothing").content.decode()
    assert 'href="#benchmark"' in bad


# --- map, representation, concerns -----------------------------------------------------------


def test_map_table_and_geojson(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    login_as(client, users.analyst)
    html = _get(client, "map", "?wave=2026-11").content.decode()
    for code in ("NB-A", "NB-B", "NB-C"):
        expected = _score(survey, Level.NEIGHBOURHOOD, code, 1)
        row = _row(html, "data-area", code)
        if expected.weighted is not None:
            assert _cell(row, "weighted") == _pct(expected.weighted.value)
        else:
            text = _text(row)
            assert "%" not in text and ("Too few responses" in text or "No responses" in text), text
    collection = _get(client, "map_geojson", "?wave=2026-11").json()
    fills = {feature["properties"]["code"]: feature["properties"]["fill"] for feature in collection["features"]}
    assert fills["NB-B"] is None and fills["NB-C"] is None and fills["NB-A"]
    # Officer B sees only their own neighbourhood on the map.
    login_as(client, users.officer_b)
    codes = [f["properties"]["code"] for f in _get(client, "map_geojson").json()["features"]]
    assert codes == ["NB-B"]


def test_representation_names_the_groups_scoring_names(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    login_as(client, users.commander)
    html = _get(client, "representation", "?area=NB-A&wave=2026-05").content.decode()
    inputs = selectors.scoring_inputs(survey)
    rows = [
        r
        for r in representation(
            inputs.responses,
            areas=inputs.areas,
            census=inputs.census,
            waves=2,
            settings=ScoringSettings(min_responses=3),
        )
        if (r.level, r.area, r.wave) == (Level.NEIGHBOURHOOD, "NB-A", 0)
    ]
    assert rows and any(r.under_represented for r in rows)
    listed = re.search(r'id="under-represented-list">(.*?)</ul>', html, re.S).group(1)  # type: ignore[union-attr]
    for r in rows:
        assert (r.group in listed) is r.under_represented, r.group
        line = _row(html, "data-group", r.group)
        assert _cell(line, "population-share") == _pct(r.population_share)
        assert _cell(line, "respondent-share") == _pct(r.respondent_share or 0)
    suppressed = _get(client, "representation", "?area=NB-C&wave=2026-05").content.decode()
    assert 'id="representation-suppressed"' in suppressed and 'data-group="' not in suppressed


def test_concerns_redacted_for_partners_only(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    login_as(client, users.analyst)
    html = _get(client, "concerns", "?area=NB-A&wave=2026-05").content.decode()
    assert "07700 900123" in html and 'id="redaction-note"' not in html
    login_as(client, users.partner)
    html = _get(client, "concerns", "?area=NB-A&wave=2026-05").content.decode()
    assert "07700 900123" not in html and redact(PHONE_CONCERN) in html
    assert 'id="redaction-note"' in html
    # Below the threshold nothing anyone wrote is shown.
    login_as(client, users.analyst)
    html = _get(client, "concerns", "?area=NB-C&wave=2026-05").content.decode()
    assert 'id="concerns-suppressed"' in html and "themes-table" not in html


# --- downloads ----------------------------------------------------------------------------------


def _csv(response: Any) -> list[dict[str, str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def test_csv_matches_scores_and_areas_the_user_may_see(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    login_as(client, users.partner)
    response = _get(client, "download", fmt="csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert {(r["level"], r["area_code"]) for r in rows} == {
        ("force", "TESTSHIRE"),
        ("npa", "NPA-N"),
        ("neighbourhood", "NB-A"),
    }
    scored, inputs = selectors.survey_scores(survey)
    codes = [w.code for w in inputs.waves]
    for row in rows:
        [expected] = [
            s for s in scored if (s.level, s.area, codes[s.wave]) == (row["level"], row["area_code"], row["wave"])
        ]
        if expected.weighted is None:
            assert row["weighted"] == "" and row["responses"] == "" and row["reason"]
        else:
            assert float(row["weighted"]) == pytest.approx(expected.weighted.value, abs=1e-6)
            assert float(row["weighted_low"]) == pytest.approx(expected.weighted.low, abs=1e-6)
            assert int(row["responses"]) == expected.responses
            assert row["reason"] == ""
    login_as(client, users.officer_b)
    suppressed = [r for r in _csv(_get(client, "download", fmt="csv")) if r["area_code"] == "NB-B"]
    november = next(r for r in suppressed if r["wave"] == "2026-11")
    assert november["weighted"] == november["unweighted"] == november["responses"] == ""
    assert "fewer than 3" in november["reason"]


def test_xlsx_download_opens(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    from openpyxl import load_workbook

    login_as(client, users.analyst)
    response = _get(client, "download", fmt="xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["Scores"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["level", "area_code", "area_name"]
    _rows, inputs = selectors.survey_scores(survey)
    # Every area (force, 2 NPAs, 3 neighbourhoods) in every wave.
    assert sheet.max_row - 1 == 6 * len(inputs.waves)


def test_download_anonymous_and_other_force(client: Any, users: Any, login_as: Any, survey: Survey) -> None:
    assert _get(client, "download", fmt="csv").status_code == 302
    login_as(client, users.officer_b)
    assert client.get(reverse("surveys:download", kwargs={"slug": "other", "fmt": "csv"})).status_code == 404


# --- query counts -------------------------------------------------------------------------------


def _queries(client: Any, name: str, query: str = "", **kwargs: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert _get(client, name, query, **kwargs).status_code == 200
    return len(captured.captured_queries)


def test_query_counts_do_not_grow_with_waves_or_areas(
    client: Any, users: Any, login_as: Any, survey: Survey, area_tree: Any, django_assert_max_num_queries: Any
) -> None:
    login_as(client, users.analyst)
    pages: list[tuple[str, str, dict[str, str]]] = [
        ("dashboard", "?area=NPA-N&benchmark=x", {}),
        ("map", "", {}),
        ("list", "", {}),
    ]
    pages += [("representation", "?area=NB-A", {}), ("concerns", "?area=NB-A", {}), ("download", "", {"fmt": "csv"})]

    def count(name: str, query: str, kwargs: dict[str, str]) -> int:
        if name == "list":
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("surveys:list")).status_code == 200
            return len(captured.captured_queries)
        return _queries(client, name, query, **kwargs)

    before = [count(*page) for page in pages]
    with django_assert_max_num_queries(40):
        _get(client, "dashboard", "?area=NB-A")
    # Two more waves with answers, and a fourth neighbourhood with its own LSOA.
    extra = Area.objects.create(
        level="neighbourhood", code="NB-D", name="Dunmore", parent=area_tree.npa_south, force=area_tree.force
    )
    lsoa = Area.objects.create(level="lsoa", code="E01900006", name="Dunmore 004A", parent=extra, force=area_tree.force)
    for topic, cells in ((CensusTopic.AGE, AGE), (CensusTopic.SEX, SEX), (CensusTopic.ETHNIC_GROUP, ETHNIC)):
        for position, (category, number) in enumerate(cells):
            CensusCount.objects.create(
                lsoa=lsoa, census_year=2021, topic=topic, category=category, position=position, count=number
            )
    for code, month in (("2027-05", 5), ("2027-11", 11)):
        wave = _wave(survey, code, month, 2027)
        for target in (area_tree.lsoa_a, lsoa, area_tree.lsoa_b):
            for values in ((4, 4, 4, 4, 4), (2, 2, 2, 2, 2), (5, 4, 3, 2, 1)):
                _answer(survey, wave, target, values, "25-44")
    after = [count(*page) for page in pages]
    assert after == before, list(zip(pages, before, after, strict=True))


@pytest.mark.parametrize("waves", [0, 1])
def test_pages_work_for_a_survey_without_answers(
    client: Any, users: Any, login_as: Any, area_tree: Any, waves: int
) -> None:
    empty = services.survey_create_from_template(actor=None, force=area_tree.force, name="Empty", slug="empty")
    if waves:
        _wave(empty, "2026-05", 5)
    login_as(client, users.officer_a)
    for name in ("dashboard", "map", "representation", "concerns", "map_geojson"):
        response = client.get(reverse(f"surveys:{name}", kwargs={"slug": "empty"}))
        assert response.status_code == 200, name
    for fmt in ("csv", "xlsx"):
        assert client.get(reverse("surveys:download", kwargs={"slug": "empty", "fmt": fmt})).status_code == 200
    assert client.get(reverse("surveys:list")).status_code == 200


# --- review findings: quotes stay inside the user's area, cached scores, the chart ---------------


@pytest.mark.parametrize(
    ("persona", "code", "quoted"),
    [
        ("officer_a", "NB-A", True),
        ("officer_a", "NPA-N", False),
        ("officer_a", "TESTSHIRE", False),
        ("officer_b", "TESTSHIRE", False),
        ("commander", "NPA-N", True),
        ("commander", "TESTSHIRE", False),
        ("partner", "TESTSHIRE", False),
        ("analyst", "TESTSHIRE", True),
    ],
)
def test_quotes_only_inside_the_users_own_area(
    client: Any, users: Any, login_as: Any, survey: Survey, persona: str, code: str, quoted: bool
) -> None:
    login_as(client, getattr(users, persona))
    response = _get(client, "concerns", f"?area={code}&wave=2026-05")
    html = response.content.decode()
    assert response.status_code == 200
    # The themes are counted either way; the words only where the user works.
    assert 'id="themes-table"' in html
    assert any(entry.count for entry in response.context["themes"])
    quotes = [quote for entry in response.context["themes"] for quote in entry.quotes]
    assert bool(quotes) is quoted
    assert ("900123" in html or redact(PHONE_CONCERN) in html) is quoted
    assert ('id="quotes-withheld"' in html) is not quoted


def test_scores_are_cached_until_a_response_changes_them(survey: Survey, area_tree: Any, users: Any) -> None:
    first = dashboard_selectors.score_index(survey)
    before = first.figure(Level.NEIGHBOURHOOD, "NB-A", 1)
    with CaptureQueriesContext(connection) as cached:
        again = dashboard_selectors.score_index(survey)
    with CaptureQueriesContext(connection) as scored:
        dashboard_selectors._score_index(survey)
    assert len(cached.captured_queries) < len(scored.captured_queries)
    assert again.figure(Level.NEIGHBOURHOOD, "NB-A", 1).responses == before.responses
    # A new counted response in Abbeyfield in November changes the figures at once.
    november = Wave.objects.get(survey=survey, code="2026-11")
    _answer(survey, november, area_tree.lsoa_a, (5, 5, 5, 5, 5), "60-74")
    after = dashboard_selectors.score_index(survey).figure(Level.NEIGHBOURHOOD, "NB-A", 1)
    assert after.responses == (before.responses or 0) + 1
    assert after.unweighted != before.unweighted
    # So does a review that counts a held response (May, Abbeyfield).
    may_before = dashboard_selectors.score_index(survey).figure(Level.NEIGHBOURHOOD, "NB-A", 0)
    held = Response.objects.get(survey=survey, status=ResponseStatus.FLAGGED)
    services.response_review(actor=users.analyst, response=held, decision="count")
    may_after = dashboard_selectors.score_index(survey).figure(Level.NEIGHBOURHOOD, "NB-A", 0)
    assert may_after.responses == (may_before.responses or 0) + 1


def test_chart_names_and_describes_itself_and_keeps_decimal_coordinates(
    client: Any, users: Any, login_as: Any, survey: Survey, area_tree: Any
) -> None:
    # A July wave sits a fraction of the way between May and November on the chart.
    july = _wave(survey, "2026-07", 7)
    for values in ((4, 4, 4, 4, 4), (2, 3, 4, 5, 3), (5, 5, 4, 4, 4)):
        _answer(survey, july, area_tree.lsoa_a, values, "60-74")
    login_as(client, users.analyst)
    response = _get(client, "dashboard", "?area=TESTSHIRE")
    html = response.content.decode()
    assert 'aria-labelledby="trend-chart-title" aria-describedby="trend-chart-desc"' in html
    chart = response.context["chart"]
    assert any(point.x != int(point.x) for point in chart.points), "the test needs a point off the whole numbers"
    for point in chart.points:
        assert point.cap_left == round(point.x - 6, 1)
        assert f'x1="{point.cap_left}" x2="{point.cap_right}"' in html
    assert f'x="{chart.left - 6}"' in html


def test_demo_adds_a_synthetic_benchmark_and_a_few_flagged_responses(
    client: Any, users: Any, login_as: Any, survey: Survey
) -> None:
    from beatbook.core.demo import survey as demo

    waves = [demo.DemoWave(w.code, w.name, w.opens_on, w.closes_on) for w in survey.waves.order_by("opens_on")]
    stored = demo.load_synthetic_benchmark(waves)
    series = BenchmarkSeries.objects.get()
    assert "Synthetic regional survey (demo)" in str(series) and series.points.count() == stored > 0
    for point in series.points.all():
        assert point.low is not None and point.high is not None
        assert 0 < point.low < point.value < point.high < 1
    flagged_before = Response.objects.filter(survey=survey, status=ResponseStatus.FLAGGED).count()
    submitted = demo.submit_flagged_responses(survey)
    reasons = sorted(response.flag_reason for response in submitted if response.flag_reason)
    assert reasons == ["duplicate"] * (demo.BURST_SIZE - 1) + ["honeypot"]
    flagged = Response.objects.filter(survey=survey, status=ResponseStatus.FLAGGED).count()
    assert flagged == flagged_before + demo.BURST_SIZE
    # The comparison shows on the dashboard.
    login_as(client, users.analyst)
    html = _get(client, "dashboard", f"?area=TESTSHIRE&benchmark={series.slug}").content.decode()
    assert "Synthetic regional survey (demo)" in html and "Red squares and dashed line" in html
