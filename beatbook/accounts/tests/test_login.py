"""Sign-in, throttling, sign-out and password change, through the real views and django-axes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beatbook.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/staff/login/"


def post_login(client: Client, username: str, password: str, **extra: str):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_login_url_is_the_fixed_name():
    assert reverse("accounts:login") == LOGIN


def test_sign_in_page_is_govuk_form_with_autocomplete(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert '<label class="govuk-label" for="id_username">' in html
    assert "govuk-error-summary" not in html


def test_wrong_password_shows_error_summary_and_keeps_username(client, users):
    response = post_login(client, "officer_a", "not-the-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert 'href="#id_username"' in html
    assert 'value="officer_a"' in html
    assert "not-the-password" not in html  # a password is never echoed back
    assert html.count("<title>Error:") == 1


def test_successful_sign_in_goes_to_staff_home_and_is_audited(client, users):
    response = post_login(client, "officer_a", users.password)
    assert response.status_code == 302
    assert response["Location"] == reverse("areas:home")
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == users.officer_a
    assert event.force == users.officer_a.area.force
    assert event.ip_address == "127.0.0.1"


def test_sign_in_does_not_follow_next_to_another_site(client, users):
    response = post_login(client, "officer_a", users.password, next="https://evil.example/steal")
    assert response.status_code == 302
    assert response["Location"] == reverse("areas:home")


def test_lockout_after_failure_limit_for_that_username_and_address(client, users):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5  # the documented default; the loop below uses the setting itself
    for attempt in range(1, limit):
        response = post_login(client, "officer_a", f"wrong-{attempt}")
        assert response.status_code == 200, f"attempt {attempt} should only be refused, not locked"
    attempts = AccessAttempt.objects.get(username="officer_a")
    assert attempts.failures_since_start == limit - 1

    response = post_login(client, "officer_a", f"wrong-{limit}")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Signing in is paused" in html
    assert f"There were {limit} unsuccessful attempts" in html
    assert "Try again in 15 minutes, after" in html
    assert AccessAttempt.objects.get(username="officer_a").failures_since_start == limit

    # Even the right password is refused while locked.
    response = post_login(client, "officer_a", users.password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # The lock is for that username from that address: another person can still sign in.
    assert post_login(client, "officer_b", users.password).status_code == 302

    failed = AuditEvent.objects.filter(action="auth.login_failed", object_id=str(users.officer_a.pk))
    assert failed.count() == limit + 1  # five wrong passwords and the refused right one
    assert failed.filter(after__locked_out=True).count() >= 1
    lockouts = AuditEvent.objects.filter(action="auth.lockout", object_id=str(users.officer_a.pk))
    first_lockout = lockouts.first()
    assert first_lockout is not None
    assert first_lockout.force == users.officer_a.area.force


def test_lock_ends_after_the_cool_off(client, users):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "officer_a", f"wrong-{attempt}")
    assert post_login(client, "officer_a", users.password).status_code == 429
    # Move the failures back past the cool-off instead of sleeping for 15 minutes.
    past = timezone.now() - timedelta(minutes=16)
    AccessAttempt.objects.filter(username="officer_a").update(attempt_time=past)
    response = post_login(client, "officer_a", users.password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(users.officer_a.pk)


def test_failed_sign_in_for_unknown_username_is_recorded_without_a_force(client, users):
    post_login(client, "nobody-here", "whatever")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.actor_label == "sign-in as nobody-here"
    assert event.force is None


def test_logout_is_post_only(client, users, login_as):
    login_as(client, users.officer_a)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("public:home")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.logout", actor=users.officer_a).count() == 1


def test_logout_clears_the_sites_storage_but_not_by_get(client, users, login_as):
    # An unsent activity draft is kept in localStorage: a shared phone must not keep it.
    login_as(client, users.officer_a)
    refused = client.get(reverse("accounts:logout"))
    assert refused.status_code == 405 and not refused.has_header("Clear-Site-Data")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"storage"'


def test_logout_needs_csrf_token(users, login_as):
    client = Client(enforce_csrf_checks=True)
    login_as(client, users.officer_a)
    assert client.post(reverse("accounts:logout")).status_code == 403
    assert "_auth_user_id" in client.session


def test_signout_form_include_posts_to_logout(rf, users):
    request = rf.get("/")
    html = render_to_string("accounts/_signout_form.html", {"user": users.officer_a}, request=request)
    assert 'method="post"' in html
    assert f'action="{reverse("accounts:logout")}"' in html
    assert "csrfmiddlewaretoken" in html
    assert render_to_string("accounts/_signout_form.html", {"user": None}, request=request).strip() == ""


def test_password_change(client, users, login_as):
    login_as(client, users.officer_a)
    url = reverse("accounts:password_change")
    assert client.get(url).status_code == 200

    response = client.post(url, {"old_password": "wrong", "new_password1": "x", "new_password2": "y"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_old_password"' in html
    assert 'href="#id_new_password2"' in html
    assert 'autocomplete="new-password"' in html

    new = "Lantern-Meadow-Copper-77"
    response = client.post(url, {"old_password": users.password, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    users.officer_a.refresh_from_db()
    assert users.officer_a.check_password(new)
    # Still signed in (the session hash was updated), and the change is in the audit trail.
    assert client.get(url).status_code == 200
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.actor == users.officer_a
    assert event.before is None and event.after is None  # never the password itself


def test_password_change_rejects_a_weak_password(client, users, login_as):
    login_as(client, users.officer_a)
    url = reverse("accounts:password_change")
    response = client.post(
        url, {"old_password": users.password, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    assert "govuk-error-message" in response.content.decode()
    users.officer_a.refresh_from_db()
    assert users.officer_a.check_password(users.password)
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


def test_password_change_needs_sign_in(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
