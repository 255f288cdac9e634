"""API tokens: created once, stored as a hash, accepted by the API, revocable."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from ninja.errors import HttpError

from beatbook.accounts import services
from beatbook.accounts.api_auth import StaffSessionAuth, api_auth
from beatbook.accounts.models import ApiToken, AuditEvent, Role

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.parametrize("persona", ["officer_a", "officer_b", "commander", "partner"])
def test_roles_without_api_access_get_403(client, users, login_as, persona):
    login_as(client, getattr(users, persona))
    assert client.get(reverse("accounts:tokens")).status_code == 403
    assert client.post(reverse("accounts:tokens"), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_token_is_shown_once_and_only_its_hash_is_stored(client, users, login_as):
    login_as(client, users.analyst)
    response = client.post(reverse("accounts:tokens"), {"name": "Power BI"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    found = re.search(r'<code class="bb-token">(bb_[A-Za-z0-9_-]+)</code>', html)
    assert found is not None
    raw = found.group(1)
    assert len(raw) == 3 + 43
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:11]
    assert raw not in repr(list(ApiToken.objects.values()))
    assert not AuditEvent.objects.filter(after__icontains=raw[11:]).exists()
    event = AuditEvent.objects.get(action="api_token.create")
    assert event.after is not None
    assert event.actor == users.analyst and event.after["prefix"] == token.prefix
    # The list afterwards shows the name and prefix, never the token.
    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert "Power BI" in listing and token.prefix in listing and raw not in listing


def test_empty_name_is_an_error(client, users, login_as):
    login_as(client, users.analyst)
    html = client.post(reverse("accounts:tokens"), {"name": "  "}).content.decode()
    assert 'href="#id_name"' in html and "Enter a name for the token" in html
    assert not ApiToken.objects.exists()


def test_bearer_token_authenticates_a_real_endpoint(users):
    token, raw = services.api_token_create(actor=users.analyst, name="etl")
    assert token.last_used_at is None
    response = Client().get(ME, headers=bearer(raw))
    assert response.status_code == 200
    assert response.json() == {
        "username": "analyst",
        "role": "analyst",
        "area": {"level": "force", "code": "TESTSHIRE", "name": "Testshire Police"},
    }
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_admin_token_works_without_a_session_second_factor(users):
    _, raw = services.api_token_create(actor=users.admin, name="admin etl")
    assert Client().get(ME, headers=bearer(raw)).json()["role"] == "admin"


@pytest.mark.parametrize("raw", ["bb_not-a-real-token", "nonsense", ""])
def test_unknown_token_is_401(users, raw):
    assert Client().get(ME, headers=bearer(raw)).status_code == 401


def test_bad_token_does_not_fall_back_to_the_session(client, users, login_as):
    login_as(client, users.analyst)
    assert client.get(ME).status_code == 200
    assert client.get(ME, headers=bearer("bb_wrong")).status_code == 401


def test_revoked_token_is_401(client, users, login_as):
    token, raw = services.api_token_create(actor=users.analyst, name="etl")
    login_as(client, users.analyst)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get(ME, headers=bearer(raw)).status_code == 401
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.before == {"revoked": False} and event.after == {"revoked": True, "prefix": token.prefix}
    assert "Revoked" in client.get(reverse("accounts:tokens")).content.decode()


def test_cannot_revoke_someone_elses_token(client, users, login_as):
    token, raw = services.api_token_create(actor=users.analyst, name="etl")
    login_as(client, users.admin)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    assert Client().get(ME, headers=bearer(raw)).status_code == 200


def test_token_stops_working_when_role_loses_api_access(users):
    _, raw = services.api_token_create(actor=users.analyst, name="etl")
    services.user_update(
        actor=users.admin,
        user=users.analyst,
        role=Role.OFFICER,
        area=users.officer_a.area,
        first_name="A",
        last_name="B",
        email="",
    )
    assert Client().get(ME, headers=bearer(raw)).status_code == 401


def test_session_auth_and_anonymous(client, users, login_as):
    assert client.get(ME).status_code == 401
    login_as(client, users.partner)
    assert client.get(ME).json()["area"]["code"] == "NB-A"


def test_session_auth_checks_csrf_on_unsafe_methods(rf, users):
    auth = StaffSessionAuth()
    request = rf.post(ME)
    request.user = users.analyst
    request.COOKIES["sessionid"] = "x"
    with pytest.raises(HttpError) as excinfo:
        auth(request)
    assert excinfo.value.status_code == 403
    safe = rf.get(ME)
    safe.user = users.analyst
    assert auth(safe) == users.analyst


def test_api_auth_is_a_list_with_bearer_first():
    assert isinstance(api_auth, list)
    assert [type(a).__name__ for a in api_auth] == ["ApiTokenAuth", "StaffSessionAuth"]
