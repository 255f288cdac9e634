"""The crime profile page and its map points: who can open what, and the figures shown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beatbook.areas.models import Area, Level
from beatbook.areas.tests.synthetic import SmallForce, build_small_force, sign_in

from .profile_data import add_crime, ensure_categories, write_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(settings: Any, tmp_path: Path) -> SmallForce:
    settings.CRIME_DATA_DIR = tmp_path / "crime"
    small = build_small_force()
    add_crime(small)
    write_points(small)
    return small


def crime_url(area: Area, **query: str) -> str:
    url = reverse("crime:profile", args=[area.level, area.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def points_url(area: Area, query: str = "") -> str:
    return reverse("crime:points", args=[area.level, area.code]) + (f"?{query}" if query else "")


def as_user(small: SmallForce, name: str) -> Client:
    return sign_in(Client(), small.users[name])


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    # The CSP forbids inline styles and scripts: none may appear.
    assert not re.search(r"\sstyle=", html)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    return html


def section(html: str, element_id: str) -> str:
    """The text of the element with this id (tags removed, spaces squeezed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no element #{element_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()


def rows(html: str, table_id: str) -> list[list[str]]:
    match = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
    assert match, f"no table #{table_id}"
    body = match.group(1).split("<tbody", 1)[1]
    return [
        [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


# --------------------------------------------------------------------------- access


def test_anonymous_visitors_are_sent_to_sign_in(small: SmallForce) -> None:
    for url in (crime_url(small.neighbourhoods[0]), points_url(small.neighbourhoods[0])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_officer_sees_only_areas_in_their_scope(small: SmallForce) -> None:
    client = as_user(small, "officer")  # Neighbourhood 1
    assert client.get(crime_url(small.neighbourhoods[0])).status_code == 200
    assert client.get(crime_url(small.lsoas[0])).status_code == 200
    for area in (small.neighbourhoods[1], small.npas[0], small.force, small.lsoas[3], small.other_lsoas[0]):
        assert client.get(crime_url(area)).status_code == 404
        assert client.get(points_url(area)).status_code == 404
    assert client.get(reverse("crime:profile", args=["npa", "TST-N1"])).status_code == 404
    outsider = as_user(small, "outsider")  # another force's administrator
    assert outsider.get(crime_url(small.force)).status_code == 404
    assert outsider.get(crime_url(small.other_force)).status_code == 200


# --------------------------------------------------------------------------- the page


def test_neighbourhood_profile_figures(small: SmallForce) -> None:
    html = page(as_user(small, "officer"), crime_url(small.neighbourhoods[0]))
    # The last 12 months held (2022) against 2021: 21 against 11, the force 46 against 13.
    headline = section(html, "crime-headline")
    assert "Crimes and anti-social behaviour 21" in headline
    assert "11 crimes and 10 incidents of anti-social behaviour" in headline
    assert "Harm 2,875" in headline  # 7 x 145.2 + 3 x 289.0 + 991.9 = 2,875.3
    assert "4.2 crimes and incidents; harm 579.7" in headline  # per 1,000 of 4,960 residents
    assert "up 10 (90.9%), from 11" in headline
    assert "The whole force, the same months Crimes and anti-social behaviour up 33 (253.8%)" in headline
    # Data is held for 22 of the 24 months compared, and the page says so.
    assert "22 of the 24 months" in section(html, "crime-trend-incomplete")
    categories = rows(html, "crime-category-table")
    assert ["Burglary", "7", "145.2", "1,016"] in categories
    assert ["Robbery", "1", "991.9", "992"] in categories
    assert ["Anti-social behaviour", "10", "0.0", "0"] in categories
    assert categories[-1] == ["Total", "21", "", "2,875"]
    assert not any(r[0] == "Drugs" for r in categories)  # types with no crime are left out
    change = rows(html, "crime-change-table")
    # The force's burglaries are all N1's: 7 against 4. Robbery had none the year before.
    assert ["Burglary", "7", "4", "+75.0%", "+75.0%"] in change
    assert ["Robbery", "1", "0", "none the year before", "none the year before"] in change
    assert ["Shoplifting", "0", "0", "none the year before", "+300.0%"] not in change  # not in N1 at all
    assert change[-1] == ["Total", "21", "11", "+90.9%", "+253.8%"]
    monthly = rows(html, "crime-monthly-table")
    assert len(monthly) == 13
    assert monthly[2] == ["March 2022", "7", "0", "1,016"]
    assert monthly[-1] == ["Total", "11", "10", "2,875"]
    outcomes = rows(html, "crime-outcome-table")
    assert outcomes[0] == ["Investigation complete; no suspect identified", "6", "54.5%"]
    assert outcomes[-1] == ["Total", "11", "100.0%"]
    # Both charts, each named by its title and description, next to their tables.
    assert html.count('role="img"') >= 2
    assert 'aria-labelledby="crime-trend-chart-title crime-trend-chart-desc"' in html
    assert "Share of crimes and share of harm by crime type in Neighbourhood 1" in html


def test_map_points_and_top_locations(small: SmallForce) -> None:
    html = page(as_user(small, "officer"), crime_url(small.neighbourhoods[0]))
    assert "Where crime was recorded: December 2022" in html
    places = rows(html, "crime-location-table")
    assert places == [
        ["On or near High Street (52.6250, -1.1950)", "2"],
        ["On or near Park (52.6260, -1.1940)", "1"],
    ]
    assert "3 crimes and incidents at 2 places." in section(html, "crime-map-totals")
    assert 'data-points-url="/staff/crime/neighbourhood/TST-N1/points.geojson?month=2022-12"' in html
    outlines = "/api/v1/areas/geojson?level=lsoa&amp;within=TST-N1&amp;within_level=neighbourhood"
    assert f'data-outline-url="{outlines}"' in html
    # That address gives the neighbourhood's three LSOAs to the officer.
    client = as_user(small, "officer")
    features = client.get(outlines.replace("&amp;", "&")).json()["features"]
    assert sorted(f["id"] for f in features) == ["lsoa/E01900001", "lsoa/E01900002", "lsoa/E01900003"]


def test_period_and_map_choices_without_javascript(small: SmallForce) -> None:
    client = as_user(small, "officer")
    html = page(client, crime_url(small.neighbourhoods[0], **{"from": "2022-03", "to": "2022-06", "month": "2022-12"}))
    monthly = rows(html, "crime-monthly-table")
    assert [r[0] for r in monthly] == ["March 2022", "April 2022", "May 2022", "June 2022", "Total"]
    assert monthly[-1] == ["Total", "8", "0", "2,008"]  # burglary 7 + robbery 1: 1,016.4 + 991.9
    # The headline still compares the 12 months to the chosen end with the 12 before.
    assert "The 12 months from July 2021 to June 2022" in html
    html = page(client, crime_url(small.neighbourhoods[0], category="burglary", month="2022-12"))
    assert "Where crime was recorded: Burglary, December 2022" in html
    assert "No crimes with a location were published for this area in that month." in html
    # A period ending before it starts is an error the form explains; the page shows the default.
    html = page(client, crime_url(small.neighbourhoods[0], **{"from": "2022-06", "to": "2022-03"}))
    assert "There is a problem" in html
    assert "The last month must be the same as or after the first month." in html
    assert "The 12 months from January 2022 to December 2022" in html
    html = page(client, crime_url(small.neighbourhoods[0], **{"from": "1999-01"}))
    assert "Select a valid choice" in html


def test_force_profile_counts_every_row(small: SmallForce) -> None:
    html = page(as_user(small, "analyst"), crime_url(small.force))
    assert "Crimes and anti-social behaviour 46" in section(html, "crime-headline")
    assert "The whole force, the same months" not in html
    assert "Force change" not in html
    assert ["Vehicle crime", "7", "145.2", "1,016"] in rows(html, "crime-category-table")
    # All located rows of the month, in or out of the force's LSOAs; one had no location.
    assert "5 crimes and incidents at 4 places. 1 more were published without a location." in section(
        html, "crime-map-totals"
    )
    assert "data-outline-url" not in html


def test_ward_seen_in_part(small: SmallForce) -> None:
    html = page(as_user(small, "officer"), crime_url(small.ward))
    assert "This page shows the part of Hilltop inside your area" in html
    assert rows(html, "crime-category-table")[-1] == ["Total", "4", "", "1,859"]  # 3 x 289.0 + 991.9
    whole = page(as_user(small, "analyst"), crime_url(small.ward))
    assert rows(whole, "crime-category-table")[-1] == ["Total", "7", "", "1,929"]  # + 3 x 23.3


def test_sections_appear_only_with_data(small: SmallForce) -> None:
    client = as_user(small, "analyst")
    # Neighbourhood 3 (LSOAs 6-8) had no crime at all.
    html = page(client, crime_url(small.neighbourhoods[2]))
    assert "No crime or anti-social behaviour was recorded in this area from January 2022 to December 2022." in html
    for absent in (
        "crime-headline",
        "crime-monthly-table",
        "crime-category-table",
        "crime-outcome-table",
        'role="img"',
    ):
        assert absent not in html
    assert "No crimes with a location were published" in html
    # A force with no crime data at all.
    empty = Area.objects.create(level=Level.FORCE, code="E23999999", name="Emptyshire Police")
    html = page(sign_in(Client(), _admin_of(empty)), crime_url(empty))
    assert section(html, "no-crime-data") == "No crime data has been imported for this area's force yet."
    assert "<form" in html and "crime-map" not in html


def _admin_of(force: Area) -> Any:
    from beatbook.accounts.models import Role, User

    return User.objects.create_user(username="empty-admin", password=None, role=Role.ANALYST, area=force)


def test_breadcrumbs_and_links(small: SmallForce) -> None:
    html = page(as_user(small, "commander"), crime_url(small.lsoas[0]))
    # Ancestors inside the commander's scope link to their crime pages; the force does not.
    assert 'href="/staff/crime/npa/TST-A/"' in html
    assert 'href="/staff/crime/neighbourhood/TST-N1/"' in html
    assert 'href="/staff/crime/force/E23900001/"' not in html
    assert 'href="/staff/areas/lsoa/E01900001/"' in html


def test_harm_weights_are_explained(small: SmallForce) -> None:
    html = page(as_user(small, "officer"), crime_url(small.neighbourhoods[0]))
    weights = rows(html, "crime-weight-table")
    assert len(weights) == 14
    assert weights[9][:2] == ["Robbery", "991.9"]
    assert "Crime Severity Score" in weights[9][2]


# --------------------------------------------------------------------------- points


def test_points_geojson(small: SmallForce) -> None:
    client = as_user(small, "officer")
    response = client.get(points_url(small.neighbourhoods[0], "month=2022-12"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert (data["month"], data["total"], data["unmapped"]) == ("2022-12", 3, 0)
    features = sorted(data["features"], key=lambda f: -f["properties"]["count"])
    assert features[0] == {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-1.195, 52.625]},
        "properties": {"location": "On or near High Street", "count": 2},
    }
    # Without a month: the latest held. A category narrows the rows.
    assert client.get(points_url(small.neighbourhoods[0])).json()["total"] == 3
    burglary = as_user(small, "analyst").get(points_url(small.force, "month=2022-12&category=burglary")).json()
    assert [f["properties"] for f in burglary["features"]] == [{"location": "On or near Mill Lane", "count": 1}]
    # A month with no file is empty, not an error.
    assert client.get(points_url(small.neighbourhoods[0], "month=2021-01")).json()["features"] == []


def test_points_limited_to_the_visible_part_of_a_ward(small: SmallForce) -> None:
    # The ward's LSOAs 2 and 5 hold points, the officer sees only LSOA 2.
    write_points(small, rows=[(2, "Robbery", (-1.19, 52.62, "On or near A")), (5, "Robbery", (-1.18, 52.62, "B"))])
    officer = as_user(small, "officer").get(points_url(small.ward, "month=2022-12")).json()
    analyst = as_user(small, "analyst").get(points_url(small.ward, "month=2022-12")).json()
    assert (officer["total"], analyst["total"]) == (1, 2)


def test_points_bad_requests(small: SmallForce) -> None:
    client = as_user(small, "officer")
    response = client.get(points_url(small.neighbourhoods[0], "month=2022-13"))
    assert response.status_code == 400 and "YYYY-MM" in response.json()["detail"]
    response = client.get(points_url(small.neighbourhoods[0], "category=arson"))
    assert response.status_code == 400 and "arson" in response.json()["detail"]


def test_points_without_any_data(settings: Any, tmp_path: Path) -> None:
    settings.CRIME_DATA_DIR = tmp_path / "none"
    ensure_categories()
    small = build_small_force()
    data = as_user(small, "analyst").get(points_url(small.force)).json()
    assert data == {"type": "FeatureCollection", "features": []}


def test_area_profile_links_to_the_crime_page(small: SmallForce) -> None:
    html = page(as_user(small, "officer"), reverse("areas:profile", args=["neighbourhood", "TST-N1"]))
    assert section(html, "crime-link") == "Crime and anti-social behaviour in Neighbourhood 1"
    assert 'href="/staff/crime/neighbourhood/TST-N1/"' in html


# --------------------------------------------------------------------------- charts


def test_chart_steps_are_round_whole_numbers() -> None:
    from beatbook.crime.charts import nice_step

    assert [nice_step(m) for m in (0, 3, 7, 10, 45, 99, 1234, 0.4)] == [1, 1, 2, 5, 20, 50, 500, 1]


def test_line_chart_markup() -> None:
    from beatbook.crime import charts

    svg = str(
        charts.line_chart(
            chart_id="t",
            title="Crime in <Town>",
            description="Two lines.",
            labels=["2022-01", "2022-02", "2022-03"],
            series=[
                charts.Series("Crimes", [3, 5, 2]),
                charts.Series("ASB", [1, 0, 4], colour=charts.RED, dashed=True, marker="square"),
            ],
        )
    )
    assert svg.startswith('<svg class="bb-chart bb-chart--line" id="t" viewBox="0 0 720 300" width="100%" role="img"')
    assert '<title id="t-title">Crime in &lt;Town&gt;</title><desc id="t-desc">Two lines.</desc>' in svg
    assert svg.count("<polyline") == 2 and svg.count('stroke-dasharray="6 4"') == 2  # the line and its legend
    # Three circles on the line and one in the legend; the same in squares for the other series.
    assert svg.count("<circle") == 4 and svg.count('<rect class="bb-chart__marker') == 4
    # y axis 0 to 6 in steps of 2: 0 sits at the bottom (y=252), 6 at the top (y=36).
    assert ">6</text>" in svg and 'y1="36.0"' in svg
    assert "style=" not in svg


def test_paired_bar_chart_lengths() -> None:
    from beatbook.crime import charts

    svg = str(
        charts.paired_bar_chart(
            chart_id="b",
            title="T",
            description="D",
            labels=["Burglary", "Robbery"],
            first=charts.Series("Share of crimes", [80.0, 20.0]),
            second=charts.Series("Share of harm", [40.0, 60.0], colour=charts.TEXT),
        )
    )
    # The longest bar (80) spans the plot: 720 - 220 (labels) - 80 (values) = 420 units.
    bars = re.findall(r'<rect class="bb-chart__bar [^"]*" x="220" y="(\d+)" width="([\d.]+)"', svg)
    # The first is the legend's swatch (y=6), then crimes and harm for each row.
    assert [(int(y), float(w)) for y, w in bars] == [(6, 14.0), (36, 420.0), (50, 210.0), (70, 105.0), (84, 315.0)]
    assert ">80<" in svg and "Burglary</text>" in svg
