"""The write services and access rules of the activity app: who may record what, and the checks."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from beatbook.accounts.models import AuditEvent
from beatbook.activity import access, services
from beatbook.activity.models import Activity, ActivityArea, ActivityType, Partner, Standard

pytestmark = pytest.mark.django_db

LONDON_NOON = dt.datetime(2025, 6, 2, 11, 0, tzinfo=dt.UTC)  # 12:00 BST
TODAY = dt.date(2025, 6, 30)


def _type(slug: str) -> ActivityType:
    return ActivityType.objects.get(slug=slug)


def _data(areas: list[Any], **changes: Any) -> services.ActivityData:
    values: dict[str, Any] = {"type": _type("patch-walk"), "starts_at": LONDON_NOON, "areas": areas}
    values.update(changes)
    return services.ActivityData(**values)


def _create(actor: Any, areas: list[Any], **changes: Any) -> Activity:
    return services.activity_create(actor=actor, data=_data(areas, **changes), today=TODAY)


def test_an_officer_records_for_their_neighbourhood_and_the_link_copies_the_counted_facts(area_tree, users):
    partner = Partner.objects.create(force=area_tree.force, name="Abbeyfield Borough Council")
    activity = _create(users.officer_a, [area_tree.nbhd_a], partners=[partner], priorities_set=True, people_reached=14)

    link = ActivityArea.objects.get(activity=activity)
    assert (link.area, link.force, link.type.slug) == (area_tree.nbhd_a, area_tree.force, "patch-walk")
    assert (link.date, link.with_partner, link.priorities_set) == (dt.date(2025, 6, 2), True, True)
    assert activity.recorded_by == users.officer_a and activity.force == area_tree.force
    after = AuditEvent.objects.get(action="activity.create").after or {}
    assert after["areas"] == ["NB-A"] and after["people_reached"] == 14


def test_the_local_date_is_the_london_date_not_the_utc_date(area_tree):
    # 23:30 UTC on 31 March 2025 is 00:30 BST on 1 April.
    activity = _create(None, [area_tree.nbhd_a], starts_at=dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC))
    assert activity.date == dt.date(2025, 4, 1)
    # In winter London is on UTC: 23:30 UTC on 31 December is still 31 December.
    winter = _create(None, [area_tree.nbhd_a], starts_at=dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC))
    assert winter.date == dt.date(2024, 12, 31)


def test_other_partners_typed_in_count_as_a_partner(area_tree):
    activity = _create(None, [area_tree.nbhd_a], other_partners="Residents' association")
    assert ActivityArea.objects.get(activity=activity).with_partner


@pytest.mark.parametrize(
    ("persona", "area"),
    [("officer_a", "nbhd_b"), ("officer_a", "npa_north"), ("officer_b", "nbhd_a"), ("commander", "nbhd_b")],
)
def test_nobody_records_outside_their_areas(area_tree, users, persona, area):
    with pytest.raises(PermissionDenied):
        _create(getattr(users, persona), [getattr(area_tree, area)])
    assert not Activity.objects.exists()


@pytest.mark.parametrize("persona", ["analyst", "partner"])
def test_analysts_and_partners_do_not_record(area_tree, users, persona):
    with pytest.raises(PermissionDenied):
        _create(getattr(users, persona), [area_tree.nbhd_a])


def test_a_commander_records_for_their_npa_and_its_neighbourhoods(area_tree, users):
    activity = _create(users.commander, [area_tree.npa_north, area_tree.nbhd_c], type=_type("commander-blog"))
    assert set(activity.area_links.values_list("area__code", flat=True)) == {"NPA-N", "NB-C"}


def test_every_wrong_field_is_named_at_once(area_tree):
    with pytest.raises(ValidationError) as caught:
        _create(
            None,
            [area_tree.nbhd_a],
            starts_at=dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC),
            latitude=52.6,
            people_reached=-3,
            officer_hours=Decimal("-1"),
            links=["javascript:alert(1)"],
            demographics={"age": {"under_18": -1}, "shoe_size": {}},
        )
    fields = caught.value.message_dict
    assert set(fields) == {"starts_at", "latitude", "people_reached", "officer_hours", "links", "demographics"}
    assert "future" in fields["starts_at"][0]
    assert len(fields["demographics"]) == 2
    assert not Activity.objects.exists()


def test_areas_must_be_policing_areas_of_one_force(area_tree):
    with pytest.raises(ValidationError) as caught:
        _create(None, [area_tree.lsoa_a])
    assert "areas" in caught.value.message_dict
    with pytest.raises(ValidationError):
        _create(None, [])


def test_a_resend_with_the_same_client_id_makes_one_record(area_tree, users):
    client_id = uuid.uuid4()
    first = services.activity_create(
        actor=users.officer_a, data=_data([area_tree.nbhd_a]), client_id=client_id, today=TODAY
    )
    again = services.activity_create(
        actor=users.officer_a, data=_data([area_tree.nbhd_a], people_reached=99), client_id=client_id, today=TODAY
    )
    assert again.pk == first.pk and Activity.objects.count() == 1
    assert again.people_reached == 0
    # Someone who could not record there cannot learn of it by replaying the id.
    with pytest.raises(PermissionDenied):
        services.activity_create(actor=users.officer_b, data=_data([area_tree.nbhd_b]), client_id=client_id)


def test_update_rewrites_the_links_and_is_audited(area_tree, users):
    activity = _create(users.commander, [area_tree.nbhd_a])
    services.activity_update(
        actor=users.commander,
        activity=activity,
        data=_data([area_tree.nbhd_c], type=_type("street-briefing"), people_reached=5),
        today=TODAY,
    )
    link = ActivityArea.objects.get(activity=activity)
    assert (link.area, link.type.slug) == (area_tree.nbhd_c, "street-briefing")
    event = AuditEvent.objects.get(action="activity.update")
    assert (event.before or {})["areas"] == ["NB-A"] and (event.after or {})["areas"] == ["NB-C"]


def test_an_officer_cannot_edit_a_joint_activity_reaching_another_neighbourhood(area_tree, users):
    joint = _create(users.commander, [area_tree.nbhd_a, area_tree.nbhd_c])
    assert access.get_activity_for_user(users.officer_a, pk=joint.pk) == joint
    assert not access.can_edit_activity(users.officer_a, joint)
    with pytest.raises(PermissionDenied):
        access.get_activity_for_edit(users.officer_a, pk=joint.pk)
    with pytest.raises(PermissionDenied):
        services.activity_update(actor=users.officer_a, activity=joint, data=_data([area_tree.nbhd_a]), today=TODAY)
    assert access.can_edit_activity(users.commander, joint)


def test_visibility_by_role(area_tree, users):
    mine = _create(None, [area_tree.nbhd_a])
    shared = _create(None, [area_tree.nbhd_a], shared_with_partners=True)
    theirs = _create(None, [area_tree.nbhd_b])
    blog = _create(None, [area_tree.npa_north], type=_type("commander-blog"))

    def seen(persona: str) -> set[int]:
        return set(access.visible_activities(getattr(users, persona)).values_list("pk", flat=True))

    assert seen("officer_a") == {mine.pk, shared.pk}
    assert seen("officer_b") == {theirs.pk}
    assert seen("commander") == {mine.pk, shared.pk, blog.pk}
    assert seen("analyst") == seen("admin") == {mine.pk, shared.pk, theirs.pk, blog.pk}
    assert seen("partner") == {shared.pk}
    with pytest.raises(Http404):
        access.get_activity_for_user(users.officer_b, pk=mine.pk)
    with pytest.raises(Http404):
        access.get_activity_for_user(users.partner, pk=mine.pk)


def test_delete_is_audited_and_limited_to_editors(area_tree, users):
    activity = _create(None, [area_tree.nbhd_a])
    with pytest.raises(PermissionDenied):
        services.activity_delete(actor=users.officer_b, activity=activity)
    services.activity_delete(actor=users.officer_a, activity=activity)
    assert not Activity.objects.exists() and not ActivityArea.objects.exists()
    assert (AuditEvent.objects.get(action="activity.delete").before or {})["areas"] == ["NB-A"]


# --- Standards -----------------------------------------------------------------------------


def test_the_leicestershire_defaults_are_installed():
    defaults = {s.key: s for s in Standard.objects.filter(force__isnull=True).prefetch_related("types")}
    assert len(defaults) == 7
    walks = defaults["patch-walks-yearly"]
    assert (walks.minimum, walks.period, walks.requires_partner) == (2, "year", True)
    assert defaults["commander-blog-weekly"].applies_to == "npa"
    assert defaults["social-media-daily"].period == "day"
    assert defaults["priorities-quarterly"].requires_priorities


def test_editing_a_default_gives_the_force_its_own_copy(area_tree, users):
    default = Standard.objects.get(force__isnull=True, key="newsletter-monthly")
    edited = services.standard_update(
        actor=users.admin,
        force=area_tree.force,
        standard=default,
        data=services.StandardData(
            key="newsletter-monthly",
            name="Two newsletters a month",
            types=[_type("newsletter")],
            minimum=2,
            period="month",
            applies_to="neighbourhood",
        ),
    )
    assert edited.force == area_tree.force and edited.minimum == 2
    assert Standard.objects.get(pk=default.pk).minimum == 1  # the default is untouched
    assert Standard.objects.filter(force=area_tree.force).count() == 7
    # Every copy counts the same types as its default (the edited one its new types).
    for copy in Standard.objects.filter(force=area_tree.force).prefetch_related("types"):
        default_copy = Standard.objects.get(force__isnull=True, key=copy.key)
        assert set(copy.types.all()) == set(default_copy.types.all()) and copy.types.exists(), copy.key
        if copy.key != "newsletter-monthly":
            assert (copy.minimum, copy.period, copy.applies_to) == (
                default_copy.minimum,
                default_copy.period,
                default_copy.applies_to,
            )
    assert [s.key for s in services.standards_for_force(area_tree.force)] == list(
        Standard.objects.filter(force__isnull=True).values_list("key", flat=True)
    )
    # Adopting again does not copy twice.
    services.standards_adopt(actor=users.admin, force=area_tree.force)
    assert Standard.objects.filter(force=area_tree.force).count() == 7


@pytest.mark.parametrize("persona", ["officer_a", "commander", "analyst", "partner"])
def test_only_administrators_edit_standards(area_tree, users, persona):
    with pytest.raises(PermissionDenied):
        services.standards_adopt(actor=getattr(users, persona), force=area_tree.force)
    assert not Standard.objects.filter(force=area_tree.force).exists()


def test_a_standard_needs_a_type_and_a_minimum_of_one(area_tree, users):
    with pytest.raises(ValidationError) as caught:
        services.standard_create(
            actor=users.admin,
            force=area_tree.force,
            data=services.StandardData(
                key="x", name="", types=[], minimum=0, period="fortnight", applies_to="neighbourhood"
            ),
        )
    assert set(caught.value.message_dict) == {"name", "types", "minimum", "period"}
    assert not Standard.objects.filter(force=area_tree.force, key="x").exists()


def test_text_limits_are_the_columns_limits_and_are_checked(area_tree):
    for name, limit in services.TEXT_LIMITS.items():
        assert getattr(Activity._meta.get_field(name), "max_length", None) == limit, name
    with pytest.raises(ValidationError) as caught:
        _create(None, [area_tree.nbhd_a], title="x" * 201, address="y" * 301)
    assert set(caught.value.message_dict) == {"title", "address"}


def test_counts_beyond_any_real_reach_are_refused_on_the_field(area_tree):
    with pytest.raises(ValidationError) as caught:
        _create(None, [area_tree.nbhd_a], people_reached=99_999_999_999, online_reach=services.MAX_COUNT)
    assert set(caught.value.message_dict) == {"people_reached"}


def test_officers_must_be_staff_of_the_force(area_tree, users):
    with pytest.raises(ValidationError) as caught:
        _create(None, [area_tree.nbhd_a], officers=[users.officer_a, users.partner])
    assert "officers" in caught.value.message_dict
    assert list(_create(None, [area_tree.nbhd_a], officers=[users.officer_a]).officers.all()) == [users.officer_a]


def test_a_second_send_racing_the_first_returns_the_first(area_tree, users, monkeypatch):
    """The existence check passes for both sends; the unique client_id stops the second insert."""
    client_id = uuid.uuid4()
    first = services.activity_create(
        actor=users.officer_a, data=_data([area_tree.nbhd_a]), client_id=client_id, today=TODAY
    )
    # Make the second send miss the early lookup, as it would while the first was uncommitted.
    real_filter = Activity.objects.filter
    calls = {"n": 0}

    def first_lookup_misses(*args: Any, **kwargs: Any) -> Any:
        if kwargs == {"client_id": client_id} and calls["n"] == 0:
            calls["n"] += 1
            return Activity.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Activity.objects, "filter", first_lookup_misses)
    again = services.activity_create(
        actor=users.officer_a, data=_data([area_tree.nbhd_a]), client_id=client_id, today=TODAY
    )
    assert again.pk == first.pk and Activity.objects.count() == 1
