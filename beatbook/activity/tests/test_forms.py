"""The activity forms: defaults, the type order, local times, numbers, and how the service's
errors are shown against the form's own fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.forms import CheckboxSelectMultiple
from django.utils import timezone

from beatbook.accounts.models import Role
from beatbook.accounts.services import user_create
from beatbook.activity import selectors
from beatbook.activity.forms import ActivityFilterForm, ActivityForm, QuickActivityForm, initial_from_activity
from beatbook.activity.models import ActivityType, Partner, Place

from .test_views import category, days_ago, kind, record

UTC = dt.UTC


def field(form: Any, name: str) -> Any:
    return form.fields[name]


def quick(user: Any, **data: Any) -> QuickActivityForm:
    values = {
        "type": kind("patch-walk").pk,
        "date": "2024-07-01",
        "time": "00:30",
        "area": user.area.pk,
        **data,
    }
    return QuickActivityForm(values, user=user)


@pytest.mark.django_db
def test_quick_form_defaults(area_tree, users):
    before = timezone.localtime().replace(second=0, microsecond=0)
    form = QuickActivityForm(user=users.officer_a)
    after = timezone.localtime()
    assert form.initial["date"] == timezone.localdate()
    moment = timezone.make_aware(dt.datetime.combine(form.initial["date"], form.initial["time"]))
    assert before <= moment <= after
    assert form.initial["area"] == area_tree.nbhd_a
    assert form.single_area == area_tree.nbhd_a
    assert form.fields["area"].widget.is_hidden
    assert form.initial["client_id"] != QuickActivityForm(user=users.officer_a).initial["client_id"]
    assert "place" not in form.fields  # the force has no known places


@pytest.mark.django_db
def test_types_most_used_in_my_areas_come_first(area_tree, users):
    surgery, newsletter, drop_in, ward = kind("beat-surgery"), kind("newsletter"), kind("drop-in"), kind("ward-meeting")
    retired = ActivityType.objects.create(slug="retired-type", name="Retired type", active=False)
    record([area_tree.nbhd_a], type="beat-surgery", day=days_ago(3))
    record([area_tree.nbhd_a], type="beat-surgery", day=days_ago(100))
    record([area_tree.nbhd_a], type="newsletter", day=days_ago(364))
    record([area_tree.nbhd_a], type="drop-in", day=days_ago(366))  # more than a year ago: not counted
    record([area_tree.nbhd_b], type="ward-meeting", day=days_ago(3))  # another neighbourhood
    record([area_tree.nbhd_b], type="ward-meeting", day=days_ago(4))
    record([area_tree.nbhd_b], type="ward-meeting", day=days_ago(5))

    ordered = selectors.types_for_quick_form(users.officer_a)
    assert ordered[:2] == [surgery, newsletter]
    rest = ordered[2:]
    assert drop_in in rest and ward in rest and retired not in ordered
    assert rest == sorted(rest, key=lambda t: (t.position, t.name))  # unused: the configured order
    assert selectors.types_for_quick_form(users.officer_b)[0] == ward
    form = QuickActivityForm(user=users.officer_a)
    offered = [value for value, _label in field(form, "type").choices][1:]
    assert offered[:2] == [surgery.pk, newsletter.pk]


@pytest.mark.django_db
def test_quick_form_times_are_london_times(area_tree, users):
    summer = quick(users.officer_a, date="2024-07-01", time="00:30")
    assert summer.is_valid(), summer.errors
    # 00:30 BST on 1 July is 23:30 UTC on 30 June.
    assert summer.to_data().starts_at == dt.datetime(2024, 6, 30, 23, 30, tzinfo=UTC)
    winter = quick(users.officer_a, date="2024-01-15", time="00:30")
    assert winter.is_valid()
    assert winter.to_data().starts_at == dt.datetime(2024, 1, 15, 0, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_quick_form_empty_numbers_are_zero_and_the_recorder_attended(area_tree, users):
    form = quick(users.officer_a)
    assert form.is_valid()
    data = form.to_data()
    assert (data.people_reached, data.online_reach, data.officer_hours) == (0, 0, Decimal(0))
    assert list(data.officers) == [users.officer_a]
    assert list(data.areas) == [area_tree.nbhd_a]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("people_reached", "-3", "Enter a whole number, 0 or more"),
        ("people_reached", "1e3", "Enter a whole number, like 12"),
        ("online_reach", "2.5", "Enter a whole number, like 12"),
        ("officer_hours", "-1", "Officer time cannot be negative"),
        ("officer_hours", "12345", "Officer time must be less than 10,000 hours"),
        ("officer_hours", "1.255", "Give officer time to at most 2 decimal places"),
        ("date", "31/02/2024", "Enter the date like 2026-03-27"),
        ("time", "25:00", "Enter the time like 14:30"),
        ("type", "", "Choose the type of activity"),
    ],
)
def test_quick_form_messages_name_the_problem(area_tree, users, field, typed, message):
    form = quick(users.officer_a, **{field: typed})
    assert not form.is_valid()
    assert form.errors[field] == [message]


@pytest.mark.django_db
def test_service_errors_are_shown_on_the_matching_fields(area_tree, users):
    form = quick(users.officer_a)
    assert form.is_valid()
    form.add_service_errors(
        ValidationError({"starts_at": ["In the future"], "areas": ["Not yours"], "demographics": ["Bad counts"]})
    )
    assert form.errors["date"] == ["In the future"]
    # The officer's one area is a hidden field, so its error is shown above the form.
    assert form.non_field_errors() == ["Not yours", "Bad counts"]
    assert form.error_links() == [
        ("id_type", "Not yours"),
        ("id_type", "Bad counts"),
        ("id_date", "In the future"),
    ]

    commander = quick(users.commander, area=area_tree.nbhd_c.pk)
    assert commander.is_valid()
    commander.add_service_errors(ValidationError({"areas": ["Not yours"]}))
    assert commander.errors["area"] == ["Not yours"]

    plain = quick(users.officer_a)
    assert plain.is_valid()
    plain.add_service_errors(ValidationError("Something else"))
    assert plain.non_field_errors() == ["Something else"]


@pytest.mark.django_db
def test_checkbox_errors_link_to_the_first_box(area_tree, users):
    Partner.objects.create(force=area_tree.force, name="Council")
    form = quick(users.officer_a, partners=["999999"])
    assert not form.is_valid()
    assert ("id_partners_0", "Choose from the list") in form.error_links()


# --- The full edit ----------------------------------------------------------------------------


@pytest.fixture
def full_activity(area_tree: Any, users: Any) -> Any:
    council = Partner.objects.create(force=area_tree.force, name="Council")
    return record(
        [area_tree.nbhd_a, area_tree.nbhd_c],
        day=dt.date(2024, 7, 1),
        hour=0,
        title="Midnight walk",
        partners=[council],
        officers=[users.commander],
        demographics={"age": {"18_24": 3}, "sex": {"male": 2, "female": 1}},
        issue_categories=[category("drugs")],
        links=["https://example.org/one"],
        officer_hours=Decimal("0.75"),
    )


@pytest.mark.django_db
def test_full_form_starts_from_what_is_recorded(area_tree, users, full_activity):
    initial = initial_from_activity(full_activity)
    assert initial["date"] == dt.date(2024, 7, 1) and initial["time"] == dt.time(0, 0)
    assert set(initial["areas"]) == {area_tree.nbhd_a, area_tree.nbhd_c}
    assert initial["reached_age_18_24"] == 3
    assert initial["reached_sex_male"] == 2 and initial["reached_sex_female"] == 1
    assert "reached_age_under_18" not in initial
    assert initial["links"] == "https://example.org/one"
    assert initial["officer_hours"] == Decimal("0.75")


@pytest.mark.django_db
def test_full_form_turns_what_was_typed_into_activity_data(area_tree, users, full_activity):
    form = ActivityForm(
        {
            "type": full_activity.type.pk,
            "date": "2024-07-01",
            "time": "00:00",
            "areas": [area_tree.nbhd_a.pk, area_tree.nbhd_c.pk],
            "officers": [users.commander.pk, users.officer_a.pk],
            "people_reached": "7",
            "reached_age_18_24": "3",
            "reached_sex_female": "0",
            "links": "  https://example.org/one \n\nhttps://example.org/two\n",
            "officer_hours": "0.75",
            "title": "Midnight walk",
        },
        user=users.commander,
        activity=full_activity,
    )
    assert form.is_valid(), form.errors
    data = form.to_data()
    assert data.starts_at == dt.datetime(2024, 6, 30, 23, 0, tzinfo=UTC)
    assert set(data.areas) == {area_tree.nbhd_a, area_tree.nbhd_c}
    assert set(data.officers) == {users.commander, users.officer_a}
    assert data.demographics == {"age": {"18_24": 3}}
    assert list(data.links) == ["https://example.org/one", "https://example.org/two"]
    assert data.people_reached == 7 and data.online_reach == 0
    assert data.partners == [] and data.ward is None


@pytest.mark.django_db
def test_full_form_keeps_retired_choices_the_activity_already_has(area_tree, users, full_activity):
    council = full_activity.partners.get()
    Partner.objects.filter(pk=council.pk).update(active=False)
    other_retired = Partner.objects.create(force=area_tree.force, name="Old partner", active=False)
    elsewhere = Partner.objects.create(force=area_tree.npa_south, name="Not a force partner")
    ActivityType.objects.filter(pk=full_activity.type.pk).update(active=False)
    full_activity.refresh_from_db()
    form = ActivityForm(user=users.commander, activity=full_activity)
    partners = set(field(form, "partners").queryset)
    assert council in partners and other_retired not in partners and elsewhere not in partners
    assert full_activity.type in set(field(form, "type").queryset)


@pytest.mark.django_db
def test_officers_offered_are_active_staff_in_the_users_scope_as_checkboxes(area_tree, users, full_activity):
    leaver = user_create(actor=None, username="leaver", password=None, role=Role.OFFICER, area=area_tree.nbhd_a)
    leaver.is_active = False
    leaver.save()
    castlegate = user_create(actor=None, username="officer_c", password=None, role=Role.OFFICER, area=area_tree.nbhd_c)
    # The commander's policing area (North: its own staff, Abbeyfield's and Castlegate's); not the partner.
    form = ActivityForm(user=users.commander, activity=full_activity)
    assert set(field(form, "officers").queryset) == {users.officer_a, castlegate, users.commander}
    assert isinstance(field(form, "officers").widget, CheckboxSelectMultiple)
    # An officer: their own neighbourhood's, and whoever the activity already names (the commander).
    own = record([area_tree.nbhd_a], officers=[users.commander, users.officer_b])
    form = ActivityForm(user=users.officer_a, activity=own)
    assert set(field(form, "officers").queryset) == {users.officer_a, users.commander, users.officer_b}
    # An administrator: the whole force's staff.
    form = ActivityForm(user=users.admin, activity=full_activity)
    offered = set(field(form, "officers").queryset)
    assert offered == {users.officer_a, users.officer_b, castlegate, users.commander, users.analyst, users.admin}


@pytest.mark.django_db
def test_places_offered_are_those_of_the_users_areas_or_of_none(area_tree, users):
    anywhere = Place.objects.create(force=area_tree.force, name="County Hall")
    abbeyfield = Place.objects.create(force=area_tree.force, name="Abbey Library", neighbourhood=area_tree.nbhd_a)
    castlegate = Place.objects.create(force=area_tree.force, name="Castle Hall", neighbourhood=area_tree.nbhd_c)
    brookside = Place.objects.create(force=area_tree.force, name="Brook School", neighbourhood=area_tree.nbhd_b)
    assert set(field(QuickActivityForm(user=users.officer_a), "place").queryset) == {anywhere, abbeyfield}
    assert set(field(QuickActivityForm(user=users.commander), "place").queryset) == {anywhere, abbeyfield, castlegate}
    assert set(field(QuickActivityForm(user=users.admin), "place").queryset) == {
        anywhere,
        abbeyfield,
        castlegate,
        brookside,
    }
    refused = quick(users.officer_a, place=brookside.pk)
    assert not refused.is_valid() and refused.errors["place"] == ["Choose from the list"]

    # The full edit likewise, keeping the place the activity already has.
    at_castle = record([area_tree.nbhd_a], place=castlegate)
    assert set(field(ActivityForm(user=users.officer_a, activity=at_castle), "place").queryset) == {
        anywhere,
        abbeyfield,
        castlegate,
    }
    elsewhere = record([area_tree.nbhd_a])
    offered = set(field(ActivityForm(user=users.officer_a, activity=elsewhere), "place").queryset)
    assert offered == {anywhere, abbeyfield}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["people_reached", "online_reach", "reached_age_under_18"])
def test_counts_above_the_limit_are_refused_on_the_field(area_tree, users, full_activity, name):
    values = {
        "type": full_activity.type.pk,
        "date": "2024-07-01",
        "time": "00:00",
        "areas": [area_tree.nbhd_a.pk, area_tree.nbhd_c.pk],
    }
    at_limit = ActivityForm({**values, name: "100000000"}, user=users.commander, activity=full_activity)
    assert at_limit.is_valid(), at_limit.errors
    over = ActivityForm({**values, name: "100000001"}, user=users.commander, activity=full_activity)
    assert not over.is_valid()
    assert over.errors[name] == ["Enter a number no more than 100,000,000"]
    if not name.startswith("reached_"):
        quick_over = quick(users.officer_a, **{name: "3000000000"})
        assert not quick_over.is_valid()
        assert quick_over.errors[name] == ["Enter a number no more than 100,000,000"]


@pytest.mark.django_db
def test_full_form_errors_are_summarised_in_the_order_the_page_shows_the_fields(area_tree, users, full_activity):
    form = ActivityForm(
        {
            "type": full_activity.type.pk,
            "date": "2024-07-01",
            "time": "00:00",
            "areas": [area_tree.nbhd_a.pk],
            "issues_raised": "",
            "officer_hours": "lots",
            "people_reached": "-1",
            "reached_sex_male": "x",
            "reached_age_under_18": "-2",
            "latitude": "north",
        },
        user=users.commander,
        activity=full_activity,
    )
    assert not form.is_valid()
    # The page: where (latitude), who took part (officer time), who was reached (people, then
    # the age group before the sex group).
    assert [anchor for anchor, _message in form.error_links()] == [
        "id_latitude",
        "id_officer_hours",
        "id_people_reached",
        "id_reached_age_under_18",
        "id_reached_sex_male",
    ]


# --- The list's filters ---------------------------------------------------------------------


@pytest.mark.django_db
def test_filter_form(area_tree, users):
    form = ActivityFilterForm(
        {"q": "  parking  ", "date_from": "2024-03-01", "date_to": "2024-03-31", "with_partners": "on"},
        user=users.commander,
    )
    assert form.is_valid()
    filters = form.filters()
    assert filters.q == "parking" and filters.with_partners is True
    assert (filters.date_from, filters.date_to) == (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    assert set(field(form, "area").queryset) == {area_tree.npa_north, area_tree.nbhd_a, area_tree.nbhd_c}
    wrong_way = ActivityFilterForm({"date_from": "2024-03-31", "date_to": "2024-03-01"}, user=users.commander)
    assert not wrong_way.is_valid()
    assert wrong_way.filters() == selectors.ActivityFilters()
