"""The force's directory of partner organisations and places: who keeps it, what a bad entry is
told, and that retiring one keeps the records that name it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from beatbook.accounts.models import AuditEvent
from beatbook.activity import directory_services as directory
from beatbook.activity import services
from beatbook.activity.models import ActivityType, Partner, Place
from beatbook.areas.models import Area, Level

pytestmark = pytest.mark.django_db

PARTNERS = reverse("activity:partners")
PARTNER_CREATE = reverse("activity:partner_create")
PLACES = reverse("activity:places")
PLACE_CREATE = reverse("activity:place_create")


def signed_in(login_as: Any, user: Any) -> Client:
    return login_as(Client(), user)


def partner(area_tree: Any, name: str = "Abbeyfield Borough Council", **extra: Any) -> Partner:
    return directory.partner_create(
        actor=None, force=area_tree.force, data=directory.PartnerData(name=name, kind="council", **extra)
    )


def place(area_tree: Any, name: str = "Abbey Hall", neighbourhood: Any = None, **extra: Any) -> Place:
    data = directory.PlaceData(name=name, neighbourhood=neighbourhood or area_tree.nbhd_a, **extra)
    return directory.place_create(actor=None, force=area_tree.force, data=data)


# --- services ----------------------------------------------------------------------------


def test_a_partner_name_is_one_per_force_whatever_its_case(area_tree: Any, users: Any) -> None:
    partner(area_tree)
    with pytest.raises(ValidationError) as caught:
        directory.partner_create(
            actor=users.commander,
            force=area_tree.force,
            data=directory.PartnerData(name="  abbeyfield borough COUNCIL ", kind="council"),
        )
    assert "already in the list" in caught.value.message_dict["name"][0]
    assert Partner.objects.count() == 1


def test_officers_and_analysts_do_not_keep_the_partner_list(area_tree: Any, users: Any) -> None:
    for actor in (users.officer_a, users.analyst, users.partner):
        with pytest.raises(PermissionDenied):
            directory.partner_create(
                actor=actor, force=area_tree.force, data=directory.PartnerData(name="Fire and Rescue", kind="fire")
            )
    assert not Partner.objects.exists()


def test_a_partner_change_is_audited_with_before_and_after(area_tree: Any, users: Any) -> None:
    council = partner(area_tree)
    directory.partner_update(
        actor=users.admin,
        partner=council,
        data=directory.PartnerData(name="Abbeyfield District Council", kind="council", active=False),
        ip_address="127.0.0.1",
    )
    event = AuditEvent.objects.filter(action="partner.update").get()
    assert event.before is not None
    assert event.before["name"] == "Abbeyfield Borough Council"
    assert event.after == {"name": "Abbeyfield District Council", "kind": "council", "active": False}


def test_retiring_a_partner_keeps_the_activities_that_name_it(area_tree: Any, users: Any) -> None:
    import datetime as dt

    council = partner(area_tree)
    activity = services.activity_create(
        actor=users.officer_a,
        data=services.ActivityData(
            type=ActivityType.objects.get(slug="patch-walk"),
            starts_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
            areas=[area_tree.nbhd_a],
            partners=[council],
        ),
    )
    directory.partner_update(
        actor=users.commander, partner=council, data=directory.PartnerData(name=council.name, active=False)
    )
    assert list(activity.partners.all()) == [council]
    assert Partner.objects.get(pk=council.pk).active is False


def test_a_place_point_outside_the_force_is_refused_and_swapped_numbers_are_named(area_tree: Any, users: Any) -> None:
    # Testshire's box is longitude -1.2 to -1.0, latitude 52.6 to 52.8.
    swapped = directory.PlaceData(name="Abbey Hall", neighbourhood=area_tree.nbhd_a, latitude=-1.19, longitude=52.71)
    with pytest.raises(ValidationError) as caught:
        directory.place_create(actor=users.officer_a, force=area_tree.force, data=swapped)
    assert "wrong way round" in caught.value.message_dict["latitude"][0]

    far = directory.PlaceData(name="Abbey Hall", neighbourhood=area_tree.nbhd_a, latitude=51.5, longitude=-0.12)
    with pytest.raises(ValidationError) as caught:
        directory.place_create(actor=users.officer_a, force=area_tree.force, data=far)
    assert "outside Testshire Police" in caught.value.message_dict["latitude"][0]

    half = directory.PlaceData(name="Abbey Hall", neighbourhood=area_tree.nbhd_a, latitude=52.71)
    with pytest.raises(ValidationError) as caught:
        directory.place_create(actor=users.officer_a, force=area_tree.force, data=half)
    assert "longitude" in caught.value.message_dict
    assert not Place.objects.exists()

    inside = directory.PlaceData(name="Abbey Hall", neighbourhood=area_tree.nbhd_a, latitude=52.71, longitude=-1.19)
    made = directory.place_create(actor=users.officer_a, force=area_tree.force, data=inside)
    assert (made.latitude, made.longitude) == (52.71, -1.19)


def test_an_officer_adds_places_only_in_their_own_neighbourhood(area_tree: Any, users: Any) -> None:
    elsewhere = directory.PlaceData(name="Brook Park", neighbourhood=area_tree.nbhd_b)
    with pytest.raises(ValidationError) as caught:
        directory.place_create(actor=users.officer_a, force=area_tree.force, data=elsewhere)
    assert "you record activity for" in caught.value.message_dict["neighbourhood"][0]

    force_wide = directory.PlaceData(name="Headquarters")
    with pytest.raises(ValidationError) as caught:
        directory.place_create(actor=users.commander, force=area_tree.force, data=force_wide)
    assert "neighbourhood" in caught.value.message_dict
    assert directory.place_create(actor=users.admin, force=area_tree.force, data=force_wide).neighbourhood is None


def test_a_place_of_another_force_cannot_be_given_a_neighbourhood_of_this_one(area_tree: Any, users: Any) -> None:
    other_force = Area.objects.create(level=Level.FORCE, code="OTHER", name="Other Police")
    with pytest.raises(PermissionDenied):
        directory.place_create(
            actor=users.admin, force=other_force, data=directory.PlaceData(name="X", neighbourhood=area_tree.nbhd_a)
        )
    with pytest.raises(ValidationError) as caught:
        directory.place_create(
            actor=None, force=other_force, data=directory.PlaceData(name="X", neighbourhood=area_tree.nbhd_a)
        )
    assert "of this force" in caught.value.message_dict["neighbourhood"][0]


# --- pages -------------------------------------------------------------------------------


def test_a_commander_adds_a_partner_through_the_form(area_tree: Any, users: Any, login_as: Any) -> None:
    client = signed_in(login_as, users.commander)
    response = client.post(PARTNER_CREATE, {"name": "Northtown Housing", "kind": "housing", "active": "on"})
    assert response.status_code == 302 and response["Location"] == PARTNERS
    made = Partner.objects.get(name="Northtown Housing")
    assert (made.force, made.kind, made.active) == (area_tree.force, "housing", True)
    page = client.get(PARTNERS).content.decode()
    assert "Northtown Housing" in page and "Housing provider" in page


def test_a_duplicate_partner_is_named_on_the_field(area_tree: Any, users: Any, login_as: Any) -> None:
    partner(area_tree)
    client = signed_in(login_as, users.admin)
    response = client.post(PARTNER_CREATE, {"name": "ABBEYFIELD borough council", "kind": "council"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="#id_name"' in page  # the error summary links to the field
    assert 'id="id_name-error"' in page and "already in the list" in page
    assert Partner.objects.count() == 1


def test_an_officer_sees_the_partners_but_not_the_buttons_to_change_them(
    area_tree: Any, users: Any, login_as: Any
) -> None:
    council = partner(area_tree)
    client = signed_in(login_as, users.officer_a)
    page = client.get(PARTNERS).content.decode()
    assert council.name in page and PARTNER_CREATE not in page
    assert client.get(reverse("activity:partner_edit", kwargs={"pk": council.pk})).status_code == 403
    assert client.post(PARTNER_CREATE, {"name": "Sneaky", "kind": "other"}).status_code == 403
    assert not Partner.objects.filter(name="Sneaky").exists()


def test_an_officer_adds_a_place_and_bad_coordinates_are_named(area_tree: Any, users: Any, login_as: Any) -> None:
    client = signed_in(login_as, users.officer_a)
    form = client.get(PLACE_CREATE).content.decode()
    # An officer's form offers only their own neighbourhood, and no force-wide choice.
    assert "Abbeyfield" in form and "Brookside" not in form and "The whole force" not in form

    bad = client.post(
        PLACE_CREATE,
        {"name": "Abbey Hall", "neighbourhood": area_tree.nbhd_a.pk, "latitude": "fifty-two", "longitude": ""},
    )
    assert bad.status_code == 200 and "Enter the latitude as a number" in bad.content.decode()
    assert not Place.objects.exists()

    good = client.post(
        PLACE_CREATE,
        {
            "name": "Abbey Hall",
            "neighbourhood": area_tree.nbhd_a.pk,
            "address": "1 Abbey Road",
            "latitude": "52.71",
            "longitude": "-1.19",
            "active": "on",
        },
    )
    assert good.status_code == 302
    hall = Place.objects.get(name="Abbey Hall")
    assert (hall.neighbourhood, hall.address, hall.latitude) == (area_tree.nbhd_a, "1 Abbey Road", 52.71)


def test_places_out_of_sight_are_hidden_and_a_neighbour_cannot_change_them(
    area_tree: Any, users: Any, login_as: Any
) -> None:
    hall = place(area_tree)
    park = place(area_tree, "Brook Park", neighbourhood=area_tree.nbhd_b)
    gate = place(area_tree, "Castle Gate", neighbourhood=area_tree.nbhd_c)
    officer_b = signed_in(login_as, users.officer_b)
    page = officer_b.get(PLACES).content.decode()
    assert "Brook Park" in page and "Abbey Hall" not in page
    assert officer_b.get(reverse("activity:place_edit", kwargs={"pk": hall.pk})).status_code == 404

    # Officer A sees North's places (the commander's area is not theirs) only for A: C is out of scope.
    officer_a = signed_in(login_as, users.officer_a)
    assert officer_a.get(reverse("activity:place_edit", kwargs={"pk": gate.pk})).status_code == 404
    response = officer_a.post(
        reverse("activity:place_edit", kwargs={"pk": hall.pk}),
        {"name": "Abbey Hall", "neighbourhood": area_tree.nbhd_b.pk, "active": "on"},
    )
    assert response.status_code == 200  # Brookside is not one of the choices: a field error, nothing moved
    assert Place.objects.get(pk=hall.pk).neighbourhood == area_tree.nbhd_a
    assert Place.objects.get(pk=park.pk).name == "Brook Park"


def test_partners_users_see_neither_list(area_tree: Any, users: Any, login_as: Any) -> None:
    client = signed_in(login_as, users.partner)
    assert client.get(PARTNERS).status_code == 403
    assert client.get(PLACES).status_code == 403


# --- API ---------------------------------------------------------------------------------


def test_the_api_lists_the_partners_and_the_places_a_caller_may_name(area_tree: Any, users: Any) -> None:
    from beatbook.accounts.services import api_token_create

    council = partner(area_tree)
    directory.partner_update(
        actor=None, partner=council, data=directory.PartnerData(name=council.name, kind="council", active=False)
    )
    partner(area_tree, "Northtown Housing")
    place(area_tree, "Abbey Hall", latitude=52.71, longitude=-1.19)
    place(area_tree, "Brook Park", neighbourhood=area_tree.nbhd_b)

    _token, key = api_token_create(actor=users.analyst, name="sync")
    partners = Client().get("/api/v1/partners", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [(p["name"], p["kind"], p["active"]) for p in partners] == [
        ("Northtown Housing", "council", True),
        ("Abbeyfield Borough Council", "council", False),
    ]
    places = Client().get("/api/v1/places", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert {(p["name"], p["neighbourhood"], p["latitude"]) for p in places} == {
        ("Abbey Hall", "NB-A", 52.71),
        ("Brook Park", "NB-B", None),
    }


def test_the_api_shows_an_officer_only_the_places_in_sight_and_partners_none(
    area_tree: Any, users: Any, login_as: Any
) -> None:
    place(area_tree, "Abbey Hall")
    place(area_tree, "Brook Park", neighbourhood=area_tree.nbhd_b)
    officer_b = signed_in(login_as, users.officer_b)
    assert [p["name"] for p in officer_b.get("/api/v1/places").json()] == ["Brook Park"]
    partner_user = signed_in(login_as, users.partner)
    assert partner_user.get("/api/v1/places").status_code == 403
    assert partner_user.get("/api/v1/partners").status_code == 403
