"""TOTP: required for force administrators, optional for others, throttled, never replayable."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from beatbook.accounts import two_factor
from beatbook.accounts.models import AuditEvent, Role
from beatbook.accounts.services import user_create
from conftest import totp_now

pytestmark = pytest.mark.django_db

STAFF_PAGE = "/staff/password/"  # any page under /staff/ that every signed-in person may use


def sign_in(client: Client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def code_for_key(key: str) -> str:
    from binascii import unhexlify

    return f"{totp(unhexlify(key)):06d}"


def test_admin_is_sent_to_enter_a_code_after_password(client, users):
    response = sign_in(client, "admin", users.password)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:two_factor')}?next={quote(reverse('areas:home'), safe='')}"


def test_unverified_admin_cannot_use_staff_pages_or_the_api(client, users):
    client.force_login(users.admin)
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:two_factor')}?next={quote(STAFF_PAGE, safe='')}"
    assert client.get(reverse("accounts:users")).status_code == 302
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json() == {"detail": "Two-factor authentication is required for this session."}
    # The public site and the two-factor page itself stay reachable.
    assert client.post(reverse("set_language"), {"language": "en-gb", "next": "/"}).status_code == 302
    assert client.get(reverse("accounts:two_factor")).status_code == 200


def test_wrong_code_is_rejected_and_throttled_then_right_code_accepted(client, users):
    client.force_login(users.admin)
    device = users.admin_device
    right = totp_now(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    url = f"{reverse('accounts:two_factor')}?next={quote(STAFF_PAGE)}"

    response = client.post(url, {"token": wrong, "next": STAFF_PAGE})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert AuditEvent.objects.filter(action="auth.two_factor_failed", actor=users.admin).count() == 1

    # Straight after a wrong code even the right one is refused (django-otp's back-off).
    response = client.post(url, {"token": right, "next": STAFF_PAGE})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="auth.two_factor_throttled").count() == 1

    # Once the back-off has passed, the right code works.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=5))
    response = client.post(url, {"token": right, "next": STAFF_PAGE})
    assert response.status_code == 302
    assert response["Location"] == STAFF_PAGE
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(STAFF_PAGE).status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_cannot_be_used_twice(users):
    code = totp_now(users.admin_device)
    first, second = Client(), Client()
    first.force_login(users.admin)
    second.force_login(users.admin)
    url = reverse("accounts:two_factor")
    assert first.post(url, {"token": code}).status_code == 302
    response = second.post(url, {"token": code})
    assert response.status_code == 200
    assert DEVICE_ID_SESSION_KEY not in second.session


def test_code_must_be_six_digits(client, users):
    client.force_login(users.admin)
    response = client.post(reverse("accounts:two_factor"), {"token": "12ab"})
    assert "The code must be 6 digits" in response.content.decode()
    users.admin_device.refresh_from_db()
    assert users.admin_device.throttling_failure_count == 0  # refused before reaching the device


def test_admin_without_device_must_enrol(client, area_tree):
    admin = user_create(actor=None, username="newadmin", password=None, role=Role.ADMIN, area=area_tree.force)
    client.force_login(admin)
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))
    # The code page sends them on to set-up too.
    assert client.get(reverse("accounts:two_factor"))["Location"].startswith(reverse("accounts:two_factor_setup"))

    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    key = client.session[two_factor.SESSION_KEY]
    assert two_factor.secret_for_display(key) in html
    assert re.search(r'<svg role="img" aria-label="[^"]+" class="bb-qr"', html)
    assert " style=" not in html  # the strict CSP forbids inline styles
    assert not TOTPDevice.objects.filter(user=admin).exists()  # nothing is saved by looking

    wrong = f"{(int(code_for_key(key)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:two_factor_setup"), {"token": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=admin).exists()

    response = client.post(reverse("accounts:two_factor_setup"), {"token": code_for_key(key), "next": STAFF_PAGE})
    assert response.status_code == 302
    assert response["Location"] == STAFF_PAGE
    device = TOTPDevice.objects.get(user=admin)
    assert device.confirmed and device.key == key
    assert client.get(STAFF_PAGE).status_code == 200
    assert two_factor.SESSION_KEY not in client.session
    event = AuditEvent.objects.get(action="two_factor.enrol")
    assert event.actor == admin and event.force == area_tree.force


def test_setup_secret_url_names_issuer_and_user(users):
    url = two_factor.config_url(users.officer_a, two_factor.new_key())
    assert url.startswith("otpauth://totp/Beatbook%3Aofficer_a?secret=")
    assert "issuer=Beatbook" in url


def test_enrolled_device_cannot_be_replaced_without_the_code(client, users):
    client.force_login(users.admin)
    response = client.get(reverse("accounts:two_factor_setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor"))


def test_other_roles_are_not_asked_but_may_enrol(client, users):
    client.force_login(users.officer_a)
    assert client.get(STAFF_PAGE).status_code == 200
    assert client.get("/api/v1/me").status_code == 200

    client.get(reverse("accounts:two_factor_setup"))
    key = client.session[two_factor.SESSION_KEY]
    assert client.post(reverse("accounts:two_factor_setup"), {"token": code_for_key(key)}).status_code == 302

    # Having enrolled, they need the code in every new session.
    fresh = Client()
    fresh.force_login(users.officer_a)
    assert fresh.get(STAFF_PAGE)["Location"].startswith(reverse("accounts:two_factor"))


def test_two_factor_pages_need_sign_in(client):
    for name in ("accounts:two_factor", "accounts:two_factor_setup"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_verified_admin_reaches_admin_pages(client, users, login_as):
    login_as(client, users.admin)
    assert client.get(reverse("accounts:users")).status_code == 200
    assert client.get("/api/v1/me").json()["role"] == "admin"
