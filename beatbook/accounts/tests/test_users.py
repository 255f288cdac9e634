"""Staff account management by force administrators, with before/after audit rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from beatbook.accounts import services
from beatbook.accounts.models import AuditEvent, Role, User
from beatbook.areas.models import Area, Level

pytestmark = pytest.mark.django_db

PAGES = ("accounts:users", "accounts:user_create")


@pytest.fixture
def other_force(db):
    force = Area.objects.create(level=Level.FORCE, code="OTHERSHIRE", name="Othershire Police")
    npa = Area.objects.create(level=Level.NPA, code="O-NPA", name="Elsewhere", parent=force, force=force)
    stranger = services.user_create(actor=None, username="stranger", password=None, role=Role.OFFICER, area=npa)
    return force, npa, stranger


@pytest.fixture
def admin_client(client, users, login_as):
    return login_as(client, users.admin)


def edit_data(user: User, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "area": str(user.area_id),
        "organisation": user.organisation,
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


@pytest.mark.parametrize("persona", ["officer_a", "officer_b", "commander", "analyst", "partner"])
def test_only_admins_may_manage_accounts(client, users, login_as, persona):
    login_as(client, getattr(users, persona))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("accounts:user_edit", args=[users.officer_a.pk])).status_code == 403
    assert client.post(reverse("accounts:user_edit", args=[users.officer_a.pk]), {"role": "admin"}).status_code == 403
    users.officer_a.refresh_from_db()
    assert users.officer_a.role == Role.OFFICER


def test_signed_out_people_are_sent_to_sign_in(client, users):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_list_shows_the_admins_force_only(admin_client, users, other_force):
    html = admin_client.get(reverse("accounts:users")).content.decode()
    for username in ("officer_a", "officer_b", "commander", "analyst", "admin", "partner"):
        assert f'<td class="govuk-table__cell">{username}</td>' in html
    assert "stranger" not in html
    assert "6 people" in html


def test_list_filters_by_role_and_area(admin_client, users, area_tree):
    response = admin_client.get(reverse("accounts:users"), {"role": "officer"})
    assert [u.username for u in response.context["page"].object_list] == ["officer_a", "officer_b"]
    # A policing area includes the people scoped to its neighbourhoods.
    response = admin_client.get(reverse("accounts:users"), {"area": area_tree.npa_north.pk})
    assert sorted(u.username for u in response.context["page"].object_list) == ["commander", "officer_a", "partner"]
    response = admin_client.get(reverse("accounts:users"), {"area": area_tree.nbhd_b.pk, "role": "officer"})
    assert [u.username for u in response.context["page"].object_list] == ["officer_b"]
    # Area choices are the force, its NPAs and neighbourhoods; never an LSOA.
    choices = {a.code for a in response.context["form"].fields["area"].queryset}
    assert choices == {"TESTSHIRE", "NPA-N", "NPA-S", "NB-A", "NB-B", "NB-C"}


def test_create_shows_errors_linked_to_fields_and_keeps_input(admin_client, users, area_tree):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "officer_a",  # taken
            "first_name": "Priya",
            "last_name": "",
            "email": "not-an-email",
            "role": Role.PARTNER,
            "area": str(area_tree.nbhd_c.pk),
            "password1": "Orchard-Pylon-Sunrise-19",
            "password2": "something else",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("username", "last_name", "email", "organisation", "password2"):
        assert f'href="#id_{field}"' in html, field
        assert f'id="id_{field}-error"' in html, field
    assert 'value="Priya"' in html
    assert f'<option value="{area_tree.nbhd_c.pk}" selected>' in html
    assert 'aria-describedby="id_email-error"' in html
    assert "Orchard-Pylon-Sunrise-19" not in html
    assert not User.objects.filter(first_name="Priya").exists()


def test_create_account_is_audited(admin_client, users, area_tree):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "pcso_jones",
            "first_name": "Sam",
            "last_name": "Jones",
            "email": "sam.jones@example.org",
            "role": Role.OFFICER,
            "area": str(area_tree.nbhd_c.pk),
            "password1": "Orchard-Pylon-Sunrise-19",
            "password2": "Orchard-Pylon-Sunrise-19",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="pcso_jones")
    assert created.area == area_tree.nbhd_c and created.check_password("Orchard-Pylon-Sunrise-19")
    event = AuditEvent.objects.get(action="user.create", object_id=str(created.pk))
    assert event.actor == users.admin
    assert event.force == area_tree.force
    assert event.after is not None
    assert event.after["area"] == "NB-C" and event.after["role"] == "officer"


def test_cannot_assign_an_area_in_another_force(admin_client, users, other_force):
    _, npa, _ = other_force
    response = admin_client.post(
        reverse("accounts:user_edit", args=[users.officer_a.pk]), edit_data(users.officer_a, area=str(npa.pk))
    )
    assert response.status_code == 200
    assert "Choose an area in your force" in response.content.decode()
    users.officer_a.refresh_from_db()
    assert users.officer_a.area.code == "NB-A"
    # The service refuses it too, whatever calls it.
    with pytest.raises(PermissionDenied):
        services.user_update(
            actor=users.admin,
            user=users.officer_a,
            role=Role.OFFICER,
            area=npa,
            first_name="x",
            last_name="y",
            email="",
        )


def test_edit_records_before_and_after(admin_client, users, area_tree):
    url = reverse("accounts:user_edit", args=[users.officer_a.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'value="officer_a@example.org"' in page.content.decode()
    response = admin_client.post(
        url, edit_data(users.officer_a, role=Role.COMMANDER, area=str(area_tree.npa_south.pk), last_name="Okafor")
    )
    assert response.status_code == 302
    users.officer_a.refresh_from_db()
    assert (users.officer_a.role, users.officer_a.area.code) == (Role.COMMANDER, "NPA-S")
    event = AuditEvent.objects.get(action="user.update")
    assert event.actor == users.admin
    assert event.object_type == "accounts.user" and event.object_id == str(users.officer_a.pk)
    assert event.before is not None and event.after is not None
    assert event.before["role"] == "officer" and event.after["role"] == "commander"
    assert event.before["area"] == "NB-A" and event.after["area"] == "NPA-S"
    assert event.before["last_name"] == "Tester" and event.after["last_name"] == "Okafor"
    assert event.before["email"] == event.after["email"] == "officer_a@example.org"


def test_saving_without_changes_writes_no_audit_row(admin_client, users):
    url = reverse("accounts:user_edit", args=[users.officer_a.pk])
    assert admin_client.post(url, edit_data(users.officer_a)).status_code == 302
    assert not AuditEvent.objects.filter(action="user.update").exists()


def test_deactivate_ends_sessions_and_revokes_tokens(admin_client, users, login_as):
    token, raw = services.api_token_create(actor=users.analyst, name="Dashboard")
    analyst_client = login_as(Client(), users.analyst)
    assert analyst_client.get(reverse("accounts:tokens")).status_code == 200

    url = reverse("accounts:user_edit", args=[users.analyst.pk])
    assert admin_client.post(url, edit_data(users.analyst, is_active="")).status_code == 302
    users.analyst.refresh_from_db()
    assert not users.analyst.is_active
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    event = AuditEvent.objects.get(action="user.deactivate")
    assert event.before is not None and event.after is not None
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk), actor=users.admin).exists()
    # Their open session no longer works, and they cannot sign in.
    response = analyst_client.get(reverse("accounts:tokens"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    response = Client().post(reverse("accounts:login"), {"username": "analyst", "password": users.password})
    assert response.status_code == 200

    assert admin_client.post(url, edit_data(users.analyst, is_active="on")).status_code == 302
    users.analyst.refresh_from_db()
    assert users.analyst.is_active
    assert AuditEvent.objects.filter(action="user.reactivate").count() == 1


def test_admin_cannot_demote_or_deactivate_themselves(admin_client, users):
    url = reverse("accounts:user_edit", args=[users.admin.pk])
    response = admin_client.post(url, edit_data(users.admin, role=Role.OFFICER))
    assert response.status_code == 200
    assert "You cannot change your own role or area" in response.content.decode()
    response = admin_client.post(url, edit_data(users.admin, is_active=""))
    assert "You cannot deactivate your own account" in response.content.decode()
    users.admin.refresh_from_db()
    assert users.admin.role == Role.ADMIN and users.admin.is_active
    assert not AuditEvent.objects.filter(action__in=["user.update", "user.deactivate"]).exists()


def test_account_in_another_force_is_not_found(admin_client, other_force):
    _, _, stranger = other_force
    assert admin_client.get(reverse("accounts:user_edit", args=[stranger.pk])).status_code == 404
    assert admin_client.get(reverse("accounts:user_edit", args=[999999])).status_code == 404


def test_reset_two_factor_for_a_lost_phone(admin_client, users, area_tree):
    other_admin = services.user_create(
        actor=None,
        username="admin2",
        password=None,
        role=Role.ADMIN,
        area=area_tree.force,
        first_name="Ada",
        last_name="Second",
    )
    TOTPDevice.objects.create(user=other_admin, name="phone", confirmed=True)
    url = reverse("accounts:user_edit", args=[other_admin.pk])
    assert "Reset two-factor authentication" in admin_client.get(url).content.decode()
    assert admin_client.post(url, edit_data(other_admin, reset_two_factor="on")).status_code == 302
    assert not TOTPDevice.objects.filter(user=other_admin).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.before == {"devices": 1} and event.after == {"devices": 0}


def test_user_create_service_refuses_non_admin_actor(users, area_tree):
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=users.commander, username="x1", password=None, role=Role.OFFICER, area=area_tree.nbhd_a
        )
    assert not User.objects.filter(username="x1").exists()
