"""Staff area pages: who can open what, what each page shows, and what it leaves out."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area, Deprivation, Level

from .synthetic import FEMALES, MALES, RANKS, SmallForce, build_small_force, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def small() -> SmallForce:
    return build_small_force()


def profile_url(area: Area) -> str:
    return reverse("areas:profile", args=[area.level, area.code])


def map_url(area: Area) -> str:
    return reverse("areas:map", args=[area.level, area.code])


def as_user(small: SmallForce, name: str) -> Client:
    return sign_in(Client(), small.users[name])


def assert_csp_safe(html: str) -> None:
    """No inline style attributes or inline scripts: the CSP would block them."""
    assert not re.search(r"\sstyle=", html)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag


def test_anonymous_visitors_are_sent_to_sign_in(small: SmallForce) -> None:
    client = Client()
    nb = small.neighbourhoods[0]
    urls = [
        reverse("areas:home"),
        profile_url(nb),
        map_url(nb),
        reverse("areas:geojson", args=[nb.level, nb.code]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_officer_sees_only_their_neighbourhood(small: SmallForce) -> None:
    client = as_user(small, "officer")
    home = client.get(reverse("areas:home"))
    assert home.status_code == 200
    html = home.content.decode()
    assert "Neighbourhood 1" in html
    # Their three LSOAs are listed below it, with links.
    for code in ("E01900001", "E01900002", "E01900003"):
        assert reverse("areas:profile", args=["lsoa", code]) in html
    assert "E01900004" not in html
    assert client.get(profile_url(small.neighbourhoods[0])).status_code == 200
    assert client.get(profile_url(small.lsoas[0])).status_code == 200
    # Outside the scope: 404, the same answer as for an area that does not exist.
    for area in (small.neighbourhoods[1], small.npas[0], small.force, small.lsoas[3], small.other_lsoas[0]):
        assert client.get(profile_url(area)).status_code == 404
        assert client.get(map_url(area)).status_code == 404
    assert client.get(reverse("areas:profile", args=["lsoa", "E01999999"])).status_code == 404
    assert client.get(reverse("areas:profile", args=["npa", "E01900001"])).status_code == 404


def test_commander_profile_of_their_npa(small: SmallForce) -> None:
    client = as_user(small, "commander")
    response = client.get(profile_url(small.npas[0]))
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_safe(html)
    assert '<h1 class="govuk-heading-xl">Testshire North</h1>' in html
    # Headline figures, summed over LSOAs 1-6.
    assert sum(MALES[:6]) + sum(FEMALES[:6]) == 9830
    assert "9,830" in html
    assert "Population (Census 2011)" in html
    assert "Population, mid-2015 estimate" in html
    # Census tables are real tables with captions and header scopes.
    for caption in ("Age (Census 2011)", "Sex (Census 2011)", "Ethnic group (Census 2011)", "Religion (Census 2011)"):
        assert caption in html
    assert 'scope="row"' in html and 'scope="col"' in html
    assert 'class="bb-bar"' in html
    # Deprivation and the seven domains.
    assert "LSOAs in each national deprivation decile" in html
    assert "Living environment" in html
    # Children are this NPA's neighbourhoods only.
    assert profile_url(small.neighbourhoods[0]) in html and profile_url(small.neighbourhoods[1]) in html
    assert profile_url(small.neighbourhoods[2]) not in html
    # Breadcrumbs name the force but do not link to it: the commander cannot open it.
    assert "Testshire Police" in html
    assert profile_url(small.force) not in html
    # The map: a measure chooser that works as a plain GET form and through HTMX.
    assert f'action="{map_url(small.npas[0])}"' in html
    assert f'hx-get="{map_url(small.npas[0])}"' in html
    assert 'hx-target="#map-panel"' in html and 'hx-push-url="true"' in html
    assert "data-bb-map" in html and 'role="region"' in html
    assert "vendor/leaflet/leaflet.js" in html and "beatbook/map.js" in html and "vendor/htmx/htmx.min.js" in html
    # No tile server is configured, so none is referenced.
    assert 'data-tile-url=""' in html


def test_admin_force_profile_links_down_and_shows_staff_menu(small: SmallForce) -> None:
    client = as_user(small, "admin")
    html = client.get(profile_url(small.force)).content.decode()
    assert profile_url(small.npas[0]) in html and profile_url(small.npas[1]) in html
    assert "Sign out" in html
    assert re.search(r'<form method="post" action="/staff/logout/"', html)
    users_url = reverse("accounts:users")
    assert users_url in html
    officer_html = as_user(small, "officer").get(profile_url(small.neighbourhoods[0])).content.decode()
    assert users_url not in officer_html
    assert reverse("accounts:audit") not in officer_html


def test_lsoa_profile_without_census_shows_no_people_section(small: SmallForce) -> None:
    client = as_user(small, "admin")
    html = client.get(profile_url(small.lsoas[11])).content.decode()
    assert "Deprivation rank" in html
    assert "32,000 of 32,844" in html
    assert 'id="people-title"' not in html
    assert "Population (Census" not in html
    # Breadcrumbs climb the policing hierarchy, all linked for an administrator.
    assert profile_url(small.neighbourhoods[3]) in html and profile_url(small.npas[1]) in html
    # The district it sits in is listed as related open-data geography.
    assert "Eastborough" in html


def test_empty_area_shows_no_placeholders(small: SmallForce) -> None:
    empty = Area.objects.create(
        level=Level.NEIGHBOURHOOD, code="TST-N9", name="Empty patch", force=small.force, parent=small.npas[0]
    )
    html = as_user(small, "admin").get(profile_url(empty)).content.decode()
    assert "Empty patch" in html
    for absent in ('id="people-title"', 'id="deprivation-title"', 'id="map-title"', 'id="children-title"'):
        assert absent not in html
    # Crime has its own page now (linked from every profile); survey features are not built yet.
    for unbuilt in ("Survey", "Confidence", "coming soon"):
        assert unbuilt not in html


def test_ward_profile_shows_only_the_part_inside_the_scope(small: SmallForce) -> None:
    """The ward holds LSOAs 3, 6, 9 and 12; the commander of North sees only 3 and 6, and every
    figure on the page is summed over those two, labelled as the part inside their area."""
    Area.objects.filter(pk=small.ward.pk).update(area_sq_km=4.2)
    client = as_user(small, "commander")
    html = client.get(profile_url(small.ward)).content.decode()
    assert_csp_safe(html)
    assert "This page shows the part of Hilltop inside your area" in html
    for code in ("E01900003", "E01900006"):
        # Both rows are inside the commander's scope, so they link to the LSOA profiles.
        assert reverse("areas:profile", args=["lsoa", code]) in html
    for hidden in ("E01900009", "E01900012", "Testshire 009", "Testshire 012"):
        assert hidden not in html
    assert MALES[2] + FEMALES[2] + MALES[5] + FEMALES[5] == 3350
    assert "3,350" in html  # census population of LSOAs 3 and 6, not of the whole ward
    assert "3,250" in html  # their mid-2015 population: 1,700 + 1,550
    weighted = (5000 * 1700 + 15000 * 1550) / 3250
    assert f"{round(weighted):,} of 32,844" in html  # 9,769
    # Most and least deprived among the two (the whole ward's least deprived is LSOA 12).
    assert "rank 5,000, decile 2" in html and "rank 15,000, decile 5" in html
    assert "rank 32,000" not in html
    # The ward's size is the whole ward's, so it is not shown beside the part's figures.
    assert ">Size</dt>" not in html

    page = client.get(map_url(small.ward), {"measure": "imd"}).content.decode()
    assert "Map of the part of Hilltop inside your area" in page
    assert "Index of Multiple Deprivation decile for each LSOA in the part of Hilltop inside your area" in page
    assert page.count('<tr class="govuk-table__row">') == 3  # header + LSOAs 3 and 6
    assert "E01900009" not in page and "E01900012" not in page
    data = json.loads(client.get(reverse("areas:geojson", args=["ward", small.ward.code])).content)
    assert [f["id"] for f in data["features"]] == ["E01900003", "E01900006"]


def test_officer_opening_their_district_sees_only_their_neighbourhood(small: SmallForce) -> None:
    # Westborough holds neighbourhoods 1 and 2 (LSOAs 1-6); the officer of neighbourhood 1 sees 1-3.
    client = as_user(small, "officer")
    lad = small.lads[0]
    html = client.get(profile_url(lad)).content.decode()
    assert "This page shows the part of Westborough inside your area" in html
    assert f"{sum(MALES[:3]) + sum(FEMALES[:3]):,}" in html
    for code in ("E01900004", "E01900005", "E01900006", "Testshire 004"):
        assert code not in html
    for view in ("areas:map", "areas:geojson"):
        body = client.get(reverse(view, args=[lad.level, lad.code]), {"measure": "population"}).content.decode()
        assert "E01900001" in body and "E01900003" in body
        assert "E01900004" not in body and "E01900006" not in body
    # The district they share no LSOA with stays a 404.
    assert client.get(profile_url(small.lads[1])).status_code == 404


def test_force_scoped_users_see_the_whole_ward(small: SmallForce) -> None:
    Area.objects.filter(pk=small.ward.pk).update(area_sq_km=4.2)
    html = as_user(small, "analyst").get(profile_url(small.ward)).content.decode()
    assert "the part of" not in html
    for code in ("E01900003", "E01900006", "E01900009", "E01900012"):
        assert code in html
    assert ">Size</dt>" in html and "4.2 km²" in html
    data = json.loads(as_user(small, "analyst").get(reverse("areas:geojson", args=["ward", small.ward.code])).content)
    assert len(data["features"]) == 4


def test_unweighted_average_rank_is_labelled(small: SmallForce) -> None:
    # One LSOA of neighbourhood 1 loses its population: the average is then a plain mean.
    Deprivation.objects.filter(lsoa=small.lsoas[0]).update(population_total=None)
    html = as_user(small, "officer").get(profile_url(small.neighbourhoods[0])).content.decode()
    mean = round(sum(RANKS[:3]) / 3)
    assert f"{mean:,} of 32,844" in html  # 3,067
    assert "not weighted: some LSOAs have no mid-2015 population" in html
    assert "Average rank, unweighted" in html
    assert "weighted by their mid-2015 population" not in html


def test_api_tokens_link_for_analysts_and_admins_only(small: SmallForce) -> None:
    tokens_url = reverse("accounts:tokens")
    for name, shown in (("analyst", True), ("admin", True), ("officer", False), ("commander", False)):
        html = as_user(small, name).get(reverse("areas:home")).content.decode()
        assert (f'href="{tokens_url}"' in html) is shown, name


def test_map_page_without_javascript_and_htmx_partial(small: SmallForce) -> None:
    client = as_user(small, "commander")
    area = small.npas[0]
    full = client.get(map_url(area), {"measure": "ethnic_group:Asian/Asian British: Indian"})
    assert full.status_code == 200
    html = full.content.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "Map: Share: Asian/Asian British: Indian" in html
    assert '<option value="ethnic_group:Asian/Asian British: Indian" selected>' in html
    assert "Share: Asian/Asian British: Indian for each LSOA in Testshire North" in html
    assert_csp_safe(html)
    assert "HX-Request" in full["Vary"]

    partial = client.get(map_url(area), {"measure": "income"}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "<html" not in body and "<h1" not in body
    assert "Map: Income decile" in body
    assert 'id="map-status" hx-swap-oob="innerHTML"' in body
    assert body.count('<tr class="govuk-table__row">') == 7  # header + six LSOAs
    assert "HX-Request" in partial["Vary"]
    # A history restore asks for the whole page even though it comes through HTMX.
    restore = client.get(
        map_url(area), {"measure": "income"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert restore.content.decode().startswith("<!DOCTYPE html>")


def test_unknown_measure_falls_back_to_imd(small: SmallForce) -> None:
    html = as_user(small, "officer").get(map_url(small.neighbourhoods[0]), {"measure": "nope"}).content.decode()
    assert "Map: Index of Multiple Deprivation decile" in html


def test_geojson_endpoint(small: SmallForce) -> None:
    client = as_user(small, "officer")
    nb = small.neighbourhoods[0]
    response = client.get(reverse("areas:geojson", args=[nb.level, nb.code]), {"measure": "population"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in data["features"]] == ["E01900001", "E01900002", "E01900003"]
    assert data["features"][0]["properties"]["value"] == MALES[0] + FEMALES[0]
    assert all(f["geometry"]["type"] == "Polygon" for f in data["features"])
    other = small.neighbourhoods[1]
    assert client.get(reverse("areas:geojson", args=[other.level, other.code])).status_code == 404


def test_account_without_an_area_gets_the_403_page(small: SmallForce) -> None:
    user = User.objects.create_user(username="nobody", password="x" * 20, role=Role.OFFICER, area=None)
    response = sign_in(Client(), user).get(reverse("areas:home"))
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_404_page_uses_the_service_template(small: SmallForce) -> None:
    response = as_user(small, "officer").get(profile_url(small.force))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Skip to main content" in html


def test_profile_query_count_does_not_grow_with_children(small: SmallForce, django_assert_max_num_queries) -> None:
    client = as_user(small, "admin")
    client.get(profile_url(small.force))  # warm the session and the user
    with django_assert_max_num_queries(30):
        assert client.get(profile_url(small.force)).status_code == 200
