"""The immediate-response staff pages and the incident flag services, for each persona, and
the list page and flag form in Chromium with axe-core."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beatbook.accounts.models import AuditEvent
from beatbook.core.tests.browser import assert_accessible
from beatbook.crime import services
from beatbook.crime.models import IncidentFlag

from .test_detection import AS_OF, build_history

LIST = reverse("immediate_response:list")
CREATE = reverse("immediate_response:flag_create")


def close_url(flag: IncidentFlag) -> str:
    return reverse("immediate_response:flag_close", kwargs={"pk": flag.pk})


def signed_in(login_as: Any, user: Any) -> Client:
    return login_as(Client(), user)


def open_flag(area: Any, title: str = "Stabbing near the shops") -> IncidentFlag:
    return IncidentFlag.objects.create(area=area, title=title, starts_on=timezone.localdate())


def form_data(area: Any, **extra: str) -> dict[str, Any]:
    return {
        "area": area.pk,
        "title": "Fatal stabbing near the Abbey Road shops",
        "description": "Community tension high; reassurance patrols and a public meeting planned.",
        "starts_on": "2024-07-14",
        "ends_on": "",
        **extra,
    }


# --- The list -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_flagged_areas_in_scope(area_tree, users, login_as):
    build_history(area_tree)
    response = signed_in(login_as, users.officer_a).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Flagged for July 2024" in html
    assert "1 neighbourhood area checked." in html
    assert "Abbeyfield" in html and "Crime (excluding anti-social behaviour): unusually high" in html
    assert "Brookside" not in html  # officer A cannot see neighbourhood B
    assert "Violence and sexual offences" in html
    assert 'href="/staff/areas/neighbourhood/NB-A/"' in html
    assert "Mark an area" in html
    result = response.context["result"]
    (item,) = result.flagged
    flag = item.statistical[0]
    assert f"{flag.lower} to {flag.upper}" in html
    assert f'<dd class="govuk-summary-list__value">{flag.observed}</dd>' in html

    analyst = signed_in(login_as, users.analyst).get(LIST, {"level": "lsoa", "month": "2024-07"})
    assert analyst.status_code == 200
    assert analyst.context["result"].areas_checked == 5
    assert "Brookside 003A" in analyst.content.decode()


@pytest.mark.django_db
def test_list_for_partners_is_read_only(area_tree, users, login_as):
    build_history(area_tree)
    flag = open_flag(area_tree.nbhd_a)
    html = signed_in(login_as, users.partner).get(LIST).content.decode()
    assert "Abbeyfield" in html and flag.title in html
    assert "Mark an area" not in html
    assert close_url(flag) not in html


@pytest.mark.django_db
def test_list_offers_close_only_for_flags_one_may_close(area_tree, users, login_as):
    mine = open_flag(area_tree.lsoa_a, "In A")
    north = open_flag(area_tree.npa_north, "In North")
    officer = signed_in(login_as, users.officer_a).get(LIST).content.decode()
    assert close_url(mine) in officer
    assert "In North" not in officer  # officers cannot see the policing area
    commander = signed_in(login_as, users.commander).get(LIST).content.decode()
    assert close_url(mine) in commander and close_url(north) in commander


@pytest.mark.django_db
def test_list_without_data_and_with_a_bad_month(area_tree, users, login_as):
    client = signed_in(login_as, users.analyst)
    html = client.get(LIST).content.decode()
    assert "No crime data has been imported for your force yet" in html
    build_history(area_tree, months=12)
    bad = client.get(LIST, {"level": "ward", "month": "1999-01"})
    assert bad.status_code == 200
    page = bad.content.decode()
    assert "There is a problem" in page
    assert "Choose a level from the list" in page and "Choose a month from the list" in page
    assert bad.context["result"] is None
    short = client.get(LIST, {"level": "neighbourhood", "month": "2024-07"}).content.decode()
    assert "3 areas have less than two years of data, so they were not tested." in short


@pytest.mark.django_db
def test_list_needs_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# --- Marking areas --------------------------------------------------------------------------


@pytest.mark.django_db
def test_form_access(area_tree, users, login_as, client):
    assert client.get(CREATE).status_code == 302
    for name in ("officer_a", "officer_b", "commander", "analyst", "admin"):
        assert signed_in(login_as, getattr(users, name)).get(CREATE).status_code == 200, name
    assert signed_in(login_as, users.partner).get(CREATE).status_code == 403
    assert signed_in(login_as, users.partner).post(CREATE, form_data(area_tree.nbhd_a)).status_code == 403
    assert not IncidentFlag.objects.exists()


@pytest.mark.django_db
def test_form_offers_only_the_users_areas(area_tree, users, login_as):
    response = signed_in(login_as, users.officer_a).get(CREATE, {"area": area_tree.lsoa_a.pk})
    choices = [label for _value, label in response.context["form"].fields["area"].choices][1:]
    assert choices == ["Abbeyfield (Neighbourhood)", "Abbeyfield 001A (LSOA)", "Abbeyfield 001B (LSOA)"]
    assert response.context["form"].initial["area"] == area_tree.lsoa_a
    # Someone else's area is not pre-selected.
    other = signed_in(login_as, users.officer_a).get(CREATE, {"area": area_tree.nbhd_b.pk})
    assert other.context["form"].initial["area"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "area", "allowed"),
    [
        ("officer_a", "nbhd_a", True),
        ("officer_a", "lsoa_a", True),
        ("officer_a", "nbhd_b", False),
        ("officer_b", "nbhd_a", False),
        ("commander", "nbhd_c", True),
        ("commander", "npa_north", True),
        ("commander", "nbhd_b", False),
        ("analyst", "nbhd_b", True),
        ("admin", "npa_south", True),
        ("analyst", "force", False),  # a whole force is not an area to mark
    ],
)
def test_marking_areas(area_tree, users, login_as, persona, area, allowed):
    user, target = getattr(users, persona), getattr(area_tree, area)
    response = signed_in(login_as, user).post(CREATE, form_data(target))
    if allowed:
        assert response.status_code == 302 and response["Location"] == LIST
        flag = IncidentFlag.objects.get()
        assert (flag.area, flag.raised_by, flag.starts_on, flag.ends_on) == (target, user, dt.date(2024, 7, 14), None)
        event = AuditEvent.objects.get(action="incident_flag.raise")
        assert event.actor == user and event.object_id == str(flag.pk) and event.force == area_tree.force
        assert event.after is not None
        assert event.after["area"] == target.code and event.after["title"] == flag.title
    else:
        assert response.status_code == 200
        assert "Choose one of your areas" in response.content.decode()
        assert not IncidentFlag.objects.exists() and not AuditEvent.objects.filter(action="incident_flag.raise")


@pytest.mark.django_db
def test_form_errors_are_summarised(area_tree, users, login_as):
    client = signed_in(login_as, users.officer_a)
    response = client.post(CREATE, form_data(area_tree.nbhd_a, title="", starts_on="next Tuesday"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert '<a href="#id_title">Enter what happened</a>' in html
    assert '<a href="#id_starts_on">Enter the start date like 2026-03-27</a>' in html
    assert "<title>Error: " in html
    later = client.post(CREATE, form_data(area_tree.nbhd_a, ends_on="2024-07-01"))
    assert (
        '<a href="#id_ends_on">The end date must be the same as or after the start date</a>' in later.content.decode()
    )
    assert not IncidentFlag.objects.exists()


# --- Closing --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_closing_flags(area_tree, users, login_as, client):
    flag = open_flag(area_tree.nbhd_a)
    assert client.post(close_url(flag)).status_code == 302  # to sign in
    assert signed_in(login_as, users.officer_b).post(close_url(flag)).status_code == 404
    assert signed_in(login_as, users.partner).post(close_url(flag)).status_code == 403
    assert signed_in(login_as, users.officer_a).get(close_url(flag)).status_code == 405
    flag.refresh_from_db()
    assert flag.closed_at is None

    officer = signed_in(login_as, users.officer_a)
    response = officer.post(close_url(flag), {"next": f"{LIST}?level=lsoa"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?level=lsoa"
    flag.refresh_from_db()
    assert flag.closed_at is not None and flag.closed_by == users.officer_a
    event = AuditEvent.objects.get(action="incident_flag.close")
    assert event.before is not None and event.after is not None
    assert event.before["closed_at"] is None and event.after["closed_at"] is not None
    # Closing again changes nothing and says so.
    again = officer.post(close_url(flag), {"next": "https://elsewhere.example/"}, follow=True)
    assert again.redirect_chain[0][0] == LIST  # no open redirect
    assert "That flag is already closed." in again.content.decode()
    assert AuditEvent.objects.filter(action="incident_flag.close").count() == 1

    north = open_flag(area_tree.npa_north)
    assert signed_in(login_as, users.officer_a).post(close_url(north)).status_code == 404
    assert signed_in(login_as, users.commander).post(close_url(north)).status_code == 302
    north.refresh_from_db()
    assert north.closed_by == users.commander


# --- Services -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_services_check_rules(area_tree, users):
    flag = services.incident_flag_raise(
        actor=None, area=area_tree.nbhd_b, title="  Disorder after match  ", starts_on=dt.date(2024, 7, 1)
    )
    assert flag.title == "Disorder after match" and flag.raised_by is None
    assert AuditEvent.objects.get(action="incident_flag.raise").actor_label == "command line"
    with pytest.raises(ValidationError):
        services.incident_flag_raise(actor=None, area=area_tree.force, title="x", starts_on=dt.date(2024, 7, 1))
    with pytest.raises(ValidationError):
        services.incident_flag_raise(actor=None, area=area_tree.nbhd_a, title=" ", starts_on=dt.date(2024, 7, 1))
    with pytest.raises(ValidationError):
        services.incident_flag_raise(
            actor=None, area=area_tree.nbhd_a, title="x", starts_on=dt.date(2024, 7, 2), ends_on=dt.date(2024, 7, 1)
        )
    with pytest.raises(PermissionDenied):
        services.incident_flag_raise(
            actor=users.partner, area=area_tree.nbhd_a, title="x", starts_on=dt.date(2024, 7, 1)
        )
    with pytest.raises(PermissionDenied):
        services.incident_flag_raise(
            actor=users.officer_a, area=area_tree.nbhd_b, title="x", starts_on=dt.date(2024, 7, 1)
        )
    with pytest.raises(PermissionDenied):
        services.incident_flag_close(actor=users.officer_a, flag=flag)
    assert AuditEvent.objects.filter(action__startswith="incident_flag.").count() == 1
    services.incident_flag_close(actor=users.officer_b, flag=flag)
    flag.refresh_from_db()
    assert flag.closed_by == users.officer_b


# --- In the browser -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_pages_are_accessible(area_tree, users, browser_context):
    build_history(area_tree)
    open_flag(area_tree.nbhd_c, "Disorder after the match")
    context = browser_context(users.commander)
    page = context.new_page()
    response = page.goto(f"{LIST}?level=neighbourhood&month={AS_OF:%Y-%m}")
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", name="Flagged for July 2024").is_visible()
    page.get_by_text("How areas are flagged").click()
    assert_accessible(page)

    # The form, first with mistakes, then properly.
    page.get_by_role("link", name="Mark an area").click()
    assert page.get_by_role("heading", name="Mark an area for immediate response").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Mark the area").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert_accessible(page)
    page.get_by_label("Area").select_option(label="Castlegate 002A (LSOA)")
    page.get_by_label("What happened").fill("Arson attack on the community centre")
    page.get_by_label("From").fill("2024-07-20")
    page.get_by_role("button", name="Mark the area").click()
    assert page.get_by_text("Castlegate 002A is marked for immediate response.").is_visible()
    assert_accessible(page)
    assert IncidentFlag.objects.filter(area=area_tree.lsoas["E01900003"], raised_by=users.commander).exists()

    # Without JavaScript the month chooser still works.
    plain = browser_context(users.analyst, javascript=False).new_page()
    plain.goto(LIST)
    plain.get_by_label("Areas").select_option("lsoa")
    plain.get_by_role("button", name="Show areas").click()
    assert "level=lsoa" in plain.url
    assert plain.get_by_text("5 LSOA areas checked.").is_visible()
    # (axe-core needs JavaScript, so the same page is checked in a context with it.)
    lsoas = browser_context(users.analyst).new_page()
    lsoas.goto(plain.url)
    assert_accessible(lsoas)
