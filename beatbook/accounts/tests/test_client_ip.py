"""The client address used for login throttling and the audit trail, with and without proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from beatbook.accounts.http import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no trusted proxy: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the left entry was written by the client
        (2, "198.51.100.7, 203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: not trustworthy
        (1, "not-an-address", "10.0.0.2"),
    ],
)
def test_client_ip_reads_only_the_entries_trusted_proxies_wrote(proxies: int, forwarded: str, expected: str) -> None:
    request = RequestFactory().post("/staff/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request) == expected


@pytest.mark.django_db
def test_lockout_behind_a_proxy_is_per_client_not_per_proxy(client, users) -> None:
    """Two people behind the same proxy: one locking themselves out does not lock the other."""
    from django.conf import settings

    with override_settings(TRUSTED_PROXY_COUNT=1):
        for attempt in range(settings.AXES_FAILURE_LIMIT):
            client.post(
                "/staff/login/",
                {"username": "officer_a", "password": f"wrong {attempt}"},
                REMOTE_ADDR="10.0.0.2",
                HTTP_X_FORWARDED_FOR="198.51.100.1",
            )
        locked = client.post(
            "/staff/login/",
            {"username": "officer_a", "password": users.password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
        assert locked.status_code == 429
        other = client.post(
            "/staff/login/",
            {"username": "officer_a", "password": users.password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.2",
        )
        assert other.status_code == 302
