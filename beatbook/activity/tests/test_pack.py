"""The monthly performance pack: its figures on a small hand-made data set, the PDF and the
spreadsheet, who may have it, and a query count that does not grow with the teams."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beatbook.activity import pack, services
from beatbook.activity.compliance import Status
from beatbook.activity.models import ActivityType, IssueCategory, Partner
from beatbook.activity.periods import month_period
from beatbook.areas.models import Area, Level

UTC = dt.UTC
TODAY = dt.date(2025, 4, 10)
MARCH = month_period(2025, 3)


def at(text: str) -> dt.datetime:
    """An aware UTC moment from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def record(type_slug: str, when: str, areas: list[Any], **extra: Any) -> Any:
    data = services.ActivityData(
        type=ActivityType.objects.get(slug=type_slug), starts_at=at(when), areas=areas, **extra
    )
    return services.activity_create(actor=None, data=data, today=TODAY)


def categories(*slugs: str) -> list[IssueCategory]:
    return list(IssueCategory.objects.filter(slug__in=slugs))


@dataclass
class PackData:
    council: Partner
    housing: Partner


def build(tree: Any) -> PackData:
    """Twelve months to March 2025 for North (A and C) and some activity that must not count.

    Worked by hand, for North:
    - March 2025: a patch walk in A with the council (12 people; ASB, drugs), a joint patch walk
      of A and C without partners (8 people; ASB: one activity, not two), the commander's blog
      on North (1,000 online), a street briefing in C with Neighbourhood Watch (a partner not in
      the list; 5 people). 4 activities, 25 people, 1,000 online, 2 with partners.
    - February 2025: a newsletter in C, 500 online.
    - April 2024: a ward meeting in A with the council and housing (30 people; speeding), and
      one at 23:30 UTC on 31 March 2024, which is 00:30 on 1 April in London (10 people).
    Not North's: a meeting at 22:30 UTC on 31 March 2024 (23:30 in London, before the
    twelve months), a walk in B (South), a force-wide campaign, a post on 2 April 2025.
    """
    council = Partner.objects.create(force=tree.force, name="Abbeyfield Borough Council", kind="council")
    housing = Partner.objects.create(force=tree.force, name="Castlegate Housing", kind="housing")
    a, c = tree.nbhd_a, tree.nbhd_c
    record(
        "patch-walk",
        "2025-03-05 10:00",
        [a],
        partners=[council],
        people_reached=12,
        issue_categories=categories("anti-social-behaviour", "drugs"),
    )
    record(
        "patch-walk", "2025-03-20 18:00", [a, c], people_reached=8, issue_categories=categories("anti-social-behaviour")
    )
    record("commander-blog", "2025-03-10 09:00", [tree.npa_north], online_reach=1000)
    record("street-briefing", "2025-03-15 12:00", [c], other_partners="Neighbourhood Watch", people_reached=5)
    record("newsletter", "2025-02-01 08:00", [c], online_reach=500)
    record(
        "ward-meeting",
        "2024-04-01 19:00",
        [a],
        partners=[council, housing],
        people_reached=30,
        issue_categories=categories("speeding"),
    )
    record("ward-meeting", "2024-03-31 23:30", [a], people_reached=10)
    record("ward-meeting", "2024-03-31 22:30", [a], people_reached=99)
    record("patch-walk", "2025-03-06 10:00", [tree.nbhd_b], partners=[council], people_reached=40)
    record("campaign", "2025-03-07 10:00", [tree.force], people_reached=200)
    record("social-media", "2025-04-02 10:00", [a], online_reach=70)
    return PackData(council=council, housing=housing)


def trend(result: pack.Pack, slug: str) -> list[int]:
    return next(t.counts for t in result.by_type if t.type.slug == slug)


# --- The figures ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_months_are_the_twelve_to_the_packs_month(area_tree):
    build(area_tree)
    result = pack.build_pack(npa=area_tree.npa_north, month=MARCH, today=TODAY)
    assert [m.code for m in result.months] == [
        "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09",
        "2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03",
    ]  # fmt: skip
    assert result.as_of == dt.date(2025, 3, 31)
    assert result.year_to_date.code == "2025"
    assert result.notes == []


@pytest.mark.django_db
def test_activity_reach_and_partners_each_month(area_tree):
    build(area_tree)
    result = pack.build_pack(npa=area_tree.npa_north, month=MARCH, today=TODAY)
    figures = {m.month.code: (m.activities, m.people_reached, m.online_reach, m.with_partner) for m in result.monthly}
    assert figures["2025-03"] == (4, 25, 1000, 2)
    assert figures["2025-02"] == (1, 0, 500, 0)
    assert figures["2024-04"] == (2, 40, 0, 1)
    assert all(figures[code] == (0, 0, 0, 0) for code in figures if code not in ("2025-03", "2025-02", "2024-04"))
    totals = result.totals
    assert (totals.activities, totals.people_reached, totals.online_reach, totals.with_partner) == (7, 65, 1500, 3)


@pytest.mark.django_db
def test_activity_by_type(area_tree):
    build(area_tree)
    result = pack.build_pack(npa=area_tree.npa_north, month=MARCH, today=TODAY)
    assert trend(result, "patch-walk") == [0] * 11 + [2]
    assert trend(result, "ward-meeting") == [2] + [0] * 11
    assert trend(result, "newsletter") == [0] * 10 + [1, 0]
    assert trend(result, "commander-blog")[-1] == 1
    assert trend(result, "campaign") == [0] * 12  # force-wide: not North's
    assert trend(result, "social-media") == [0] * 12  # after the month
    # Every active type has a row, even with nothing recorded.
    assert len(result.by_type) == ActivityType.objects.filter(active=True).count()


@pytest.mark.django_db
def test_issues_partners_and_patch_walks(area_tree):
    build(area_tree)
    result = pack.build_pack(npa=area_tree.npa_north, month=MARCH, today=TODAY)
    assert [(c.category.slug, c.twelve_months, c.this_month) for c in result.categories] == [
        ("anti-social-behaviour", 2, 2),
        ("drugs", 1, 1),
        ("speeding", 1, 0),
    ]
    assert [(p.name, p.twelve_months, p.this_month) for p in result.partners] == [
        ("Abbeyfield Borough Council", 2, 1),
        ("Castlegate Housing", 1, 0),
    ]
    assert result.unlisted_partner_activities == 1
    assert (result.patch_walks_year.part, result.patch_walks_year.whole, result.patch_walks_year.text) == (1, 2, "50%")
    assert (result.patch_walks_month.part, result.patch_walks_month.whole) == (1, 2)


@pytest.mark.django_db
def test_compliance_for_the_month_and_the_year_to_date(area_tree):
    build(area_tree)
    result = pack.build_pack(npa=area_tree.npa_north, month=MARCH, today=TODAY)
    npa_table, neighbourhoods = result.compliance_month
    assert npa_table.level == Level.NPA and [r.team for r in npa_table.rows] == [area_tree.npa_north]
    assert [s.key for s in npa_table.standards] == ["commander-blog-weekly"]
    # ISO weeks 10 to 13 belong to March 2025; the blog on 10 March is in week 11 only.
    (blog,) = npa_table.rows[0].cells
    assert blog is not None and blog.status == Status.MISSED and blog.text == "Missed"
    assert [w.count for w in blog.result.evaluation.windows] == [0, 1, 0, 0]

    assert {r.team for r in neighbourhoods.rows} == {area_tree.nbhd_a, area_tree.nbhd_c}
    keys = [s.key for s in neighbourhoods.standards]
    assert "commander-blog-weekly" not in keys and "patch-walks-yearly" in keys

    def cell(table: pack.ComplianceTable, team: Area, key: str) -> Status:
        row = next(r for r in table.rows if r.team == team)
        found = row.cells[[s.key for s in table.standards].index(key)]
        assert found is not None
        return found.status

    # A: one walk with a partner by 31 March (day 90 of 365) projects 4.1 >= 2; C: none.
    assert cell(neighbourhoods, area_tree.nbhd_a, "patch-walks-yearly") == Status.ON_TRACK
    assert cell(neighbourhoods, area_tree.nbhd_c, "patch-walks-yearly") == Status.AT_RISK
    # C's newsletter was in February, so March has none: judged on 31 March, a day that is over
    # by the time the pack is made (10 April), the month is complete and missed, not at risk.
    assert cell(neighbourhoods, area_tree.nbhd_c, "newsletter-monthly") == Status.MISSED
    year_npa, year_neighbourhoods = result.compliance_year
    assert year_npa.rows[0].cells[0] is not None and year_npa.rows[0].cells[0].status == Status.MISSED
    # February's newsletter was C's only one: January missed, so the year to date is missed.
    assert cell(year_neighbourhoods, area_tree.nbhd_c, "newsletter-monthly") == Status.MISSED
    assert neighbourhoods.counts[Status.ON_TRACK] >= 1


@pytest.mark.django_db
def test_the_current_month_is_judged_to_today(area_tree):
    build(area_tree)
    april = month_period(2025, 4)
    result = pack.build_pack(npa=area_tree.npa_north, month=april, today=TODAY)
    assert result.as_of == TODAY
    assert result.notes == ["April 2025 is not over: figures are to 10 April 2025."]
    assert result.months[0].code == "2024-05"
    # The post on 2 April in A is North's April activity.
    assert (result.this_month.activities, result.this_month.online_reach) == (1, 70)


@pytest.mark.django_db
def test_month_parsing_and_default():
    assert pack.default_month(dt.date(2025, 1, 15)).code == "2024-12"
    assert pack.default_month(dt.date(2025, 3, 1)).code == "2025-02"
    assert pack.parse_month("2025-02", today=TODAY) == month_period(2025, 2)
    for bad in ("2025", "2025-Q1", "2025-13", "March", "2025-05"):
        with pytest.raises(ValueError):
            pack.parse_month(bad, today=TODAY)
    assert pack.add_months(dt.date(2025, 1, 31), -1) == dt.date(2024, 12, 1)
    assert pack.add_months(dt.date(2024, 12, 5), 1) == dt.date(2025, 1, 1)


# --- Query count ------------------------------------------------------------------------------


def _queries(npa: Area) -> int:
    with CaptureQueriesContext(connection) as captured:
        pack.build_pack(npa=npa, month=MARCH, today=TODAY)
    return len(captured)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_teams(area_tree):
    build(area_tree)
    before = _queries(area_tree.npa_north)
    for n in range(4):
        extra = Area.objects.create(
            level=Level.NEIGHBOURHOOD,
            code=f"NB-X{n}",
            name=f"Extra {n}",
            parent=area_tree.npa_north,
            force=area_tree.force,
        )
        record("patch-walk", f"2025-03-0{n + 1} 10:00", [extra], people_reached=1)
    after = _queries(area_tree.npa_north)
    assert after == before
    result = pack.build_pack(npa=area_tree.npa_north, month=MARCH, today=TODAY)
    assert result.this_month.activities == 8
    assert len(result.compliance_month[1].rows) == 6


# --- The page and the files -----------------------------------------------------------------


def pack_url(name: str, code: str = "NPA-N") -> str:
    return reverse(f"compliance:{name}", kwargs={"code": code})


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """The views ask `timezone.localdate()`; pin it to the data set's 'today'."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["commander", "analyst", "admin"])
def test_pack_page_for_those_allowed(area_tree, users, login_as, fixed_today, persona):
    build(area_tree)
    response = login_as(Client(), getattr(users, persona)).get(pack_url("pack"))
    assert response.status_code == 200
    assert response.context["pack"].month.code == "2025-03"  # the last complete month
    html = response.content.decode()
    assert "Performance pack, March 2025" in html
    assert f'href="{pack_url("pack_pdf")}?month=2025-03"' in html
    assert f'href="{pack_url("pack_xlsx")}?month=2025-03"' in html
    assert 'id="pack-activity-chart"' in html and 'role="img"' in html
    assert "Activities each month in North" in html  # the chart's title
    assert '<th scope="row" class="govuk-table__header govuk-!-font-weight-regular">March 2025</th>' in html
    assert "1 of 2 (50%)" in html  # patch walks with a partner
    assert "Abbeyfield Borough Council" in html
    assert "1 activity named a partner not in the force\u2019s list" in html
    assert "?month=2025-02" in html and "?month=2025-04" in html  # previous and next month


def _pack_statuses(table: pack.ComplianceTable, team: Area) -> dict[str, Status]:
    row = next(r for r in table.rows if r.team == team)
    return {s.key: c.status for s, c in zip(table.standards, row.cells, strict=True) if c is not None}


def _team_page_statuses(client: Client, url: str) -> dict[str, Status]:
    response = client.get(url)
    assert response.status_code == 200
    return {s.standard.key: s.result.status for s in response.context["sections"]}


def _team_links(html: str, team: Area) -> list[str]:
    path = reverse("compliance:team", kwargs={"level": team.level, "code": team.code})
    return [unescape(href) for href in re.findall(rf'href="({re.escape(path)}(?:\?[^"]*)?)"', html)]


@pytest.mark.django_db
def test_pack_team_links_show_the_pack_s_judgement(area_tree, users, login_as, fixed_today):
    build(area_tree)
    client = login_as(Client(), users.commander)
    html = client.get(pack_url("pack"), {"month": "2025-03"}).content.decode()
    team_c = reverse("compliance:team", kwargs={"level": "neighbourhood", "code": "NB-C"})
    assert f'href="{team_c}?period=2025-03&amp;as_of=2025-03-31"' in html  # the month's table
    assert f'href="{team_c}?period=2025&amp;as_of=2025-03-31"' in html  # the year to date
    north = reverse("compliance:team", kwargs={"level": "npa", "code": "NPA-N"})
    assert f'href="{north}?period=2025-03&amp;as_of=2025-03-31">North</a>' in html  # the breadcrumb


@pytest.mark.django_db
@pytest.mark.parametrize("today", [TODAY, dt.date(2026, 11, 21)])
def test_pack_and_team_page_agree_for_a_finished_month(area_tree, users, login_as, monkeypatch, today):
    # Made on 10 April 2025, or looked at again much later: the same verdicts on both pages.
    from django.utils import timezone

    build(area_tree)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    client = login_as(Client(), users.commander)
    response = client.get(pack_url("pack"), {"month": "2025-03"})
    result = response.context["pack"]
    html = response.content.decode()
    npa_month, month_table = result.compliance_month
    npa_year, year_table = result.compliance_year
    for team in (area_tree.nbhd_a, area_tree.nbhd_c):
        month_link, year_link = _team_links(html, team)
        in_pack = _pack_statuses(month_table, team)
        assert _team_page_statuses(client, month_link) == in_pack
        # The team page for March with no date chosen judges it on 31 March too.
        assert _team_page_statuses(client, f"{month_link.split('?')[0]}?period=2025-03") == in_pack
        assert _team_page_statuses(client, year_link) == _pack_statuses(year_table, team)
    # Hand-worked: C wrote no newsletter in March; A's one walk by 31 March is on pace.
    assert _pack_statuses(month_table, area_tree.nbhd_c)["newsletter-monthly"] == Status.MISSED
    assert _pack_statuses(month_table, area_tree.nbhd_a)["patch-walks-yearly"] == Status.ON_TRACK
    north_links = _team_links(html, area_tree.npa_north)
    assert len(north_links) == 3  # the breadcrumb and both tables
    for north_link in north_links:
        table = npa_month if "period=2025-03&" in north_link else npa_year
        assert _team_page_statuses(client, north_link) == _pack_statuses(table, area_tree.npa_north)


@pytest.mark.django_db
def test_pack_refused_to_officers_partners_and_other_commanders(area_tree, users, login_as, fixed_today):
    for name in ("pack", "pack_pdf", "pack_xlsx"):
        url = pack_url(name)
        for persona in ("officer_a", "officer_b", "partner"):
            assert login_as(Client(), getattr(users, persona)).get(url).status_code == 403, (name, persona)
        assert login_as(Client(), users.commander).get(pack_url(name, "NPA-S")).status_code == 404
        assert login_as(Client(), users.analyst).get(pack_url(name, "NB-A")).status_code == 404
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


@pytest.mark.django_db
def test_pack_month_errors(area_tree, users, login_as, fixed_today):
    client = login_as(Client(), users.commander)
    response = client.get(pack_url("pack"), {"month": "2025-05"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="#id_month">The month cannot be in the future</a>' in html
    assert response.context["pack"].month.code == "2025-03"
    assert "Enter a month like 2025-04" in client.get(pack_url("pack"), {"month": "March"}).content.decode()
    assert client.get(pack_url("pack_pdf"), {"month": "2025-13"}).status_code == 400
    assert client.get(pack_url("pack_xlsx"), {"month": "2025-05"}).status_code == 400
    current = client.get(pack_url("pack"), {"month": "2025-04"})
    assert "April 2025 is not over: figures are to 10 April 2025." in current.content.decode()


@pytest.mark.django_db
def test_pack_pdf(area_tree, users, login_as, fixed_today):
    build(area_tree)
    response = login_as(Client(), users.commander).get(pack_url("pack_pdf"), {"month": "2025-03"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="performance-pack-npa-n-2025-03.pdf"'
    content = response.content
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert content.count(b"/Type /Page\n") + content.count(b"/Type /Page ") >= 2
    # The metadata is not compressed.
    assert b"/Title (Performance pack: North, March 2025)" in content
    assert b"/Author (Testshire Police)" in content
    assert b"/Lang (en-GB)" in content

    # Uncompressed, the page text can be read in the file.
    from beatbook.activity.pack_pdf import render_pack_pdf

    result = pack.build_pack(npa=area_tree.npa_north, month=MARCH, today=TODAY)
    plain = render_pack_pdf(result, made_on="10 April 2025", compress=False)
    for text in (
        b"Compliance in March 2025",
        b"Abbeyfield",
        b"Castlegate",
        b"Abbeyfield Borough Council",
        b"Anti-social behaviour",
        b"Patch walks with a partner: 1 of 2 \\(50%\\)",
    ):
        assert text in plain, text


@pytest.mark.django_db
def test_pack_xlsx(area_tree, users, login_as, fixed_today):
    from openpyxl import load_workbook

    build(area_tree)
    response = login_as(Client(), users.analyst).get(pack_url("pack_xlsx"), {"month": "2025-03"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="performance-pack-npa-n-2025-03.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "About",
        "Compliance, month",
        "Compliance, year to date",
        "Activity by type",
        "People reached",
        "Issues raised",
        "Partners",
    ]
    reach = workbook["People reached"]
    assert reach.freeze_panes == "B2" and reach["A1"].font.bold
    rows = {row[0].date(): row[1:] for row in reach.iter_rows(min_row=2, values_only=True)}
    assert rows[dt.date(2025, 3, 1)] == (4, 25, 1000, 2)
    assert rows[dt.date(2024, 4, 1)] == (2, 40, 0, 1)
    assert len(rows) == 12

    types = workbook["Activity by type"]
    header = [c.value for c in types[1]]
    assert header[1].date() == dt.date(2024, 4, 1) and header[-1] == "Total"
    by_name = {row[0]: row[1:] for row in types.iter_rows(min_row=2, values_only=True)}
    assert by_name["Patch walk"] == (0,) * 11 + (2, 2)
    assert by_name["All types"][-1] == 7

    month = workbook["Compliance, month"]
    lines = {row[0]: row for row in month.iter_rows(min_row=2, values_only=True)}
    names = [c.value for c in month[1]]
    assert lines["North"][names.index("A commander's blog or vlog every week")] == "Missed"
    assert lines["Abbeyfield"][names.index("At least two patch walks a year with partners")] == "On track"
    assert lines["Abbeyfield"][names.index("Score")] == pytest.approx(1 / 6)

    issues = list(workbook["Issues raised"].iter_rows(min_row=2, values_only=True))
    assert issues[0] == ("Anti-social behaviour", 2, 2)
    partners = list(workbook["Partners"].iter_rows(min_row=2, max_row=3, values_only=True))
    assert partners[0][:3] == ("Abbeyfield Borough Council", 2, 1)


@pytest.mark.django_db
def test_names_are_never_formulas(area_tree):
    build(area_tree)
    Partner.objects.filter(name="Castlegate Housing").update(name='=HYPERLINK("http://x")')
    from openpyxl import load_workbook

    from beatbook.activity.pack_xlsx import render_pack_xlsx

    result = pack.build_pack(npa=area_tree.npa_north, month=MARCH, today=TODAY)
    workbook = load_workbook(io.BytesIO(render_pack_xlsx(result, made_on="today")))
    cell = workbook["Partners"]["A3"]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"


# --- In the browser -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_pack_page_at_360_pixels_with_axe(area_tree, users, browser_context):
    from beatbook.core.tests.browser import assert_accessible

    build(area_tree)
    page = browser_context(users.commander, viewport={"width": 360, "height": 740}).new_page()
    response = page.goto(f"{pack_url('pack')}?month=2025-03")
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", name="Performance pack, March 2025").is_visible()
    assert page.get_by_role("img", name="Activities each month in North").is_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == "performance-pack-npa-n-2025-03.pdf"
