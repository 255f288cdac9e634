"""The public home page and the page shell every page shares."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from beatbook.areas.tests.synthetic import build_small_force

pytestmark = pytest.mark.django_db


def test_home_lists_forces_with_their_neighbourhood_counts() -> None:
    build_small_force(with_users=False)
    html = Client().get("/").content.decode()
    assert '<html lang="en-gb" dir="ltr"' in html
    rows = re.findall(
        r'<th scope="row" class="govuk-table__header">([^<]+)</th>\s*'
        r"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>",
        html,
    )
    assert rows == [("Otherford Police", "1", "1"), ("Testshire Police", "2", "4")]
    assert "/staff/login/" in html


def test_shell_has_skip_link_first_and_no_gov_uk_branding() -> None:
    html = Client().get("/").content.decode()
    body = html[html.index("<body") :]
    first_link = re.search(r"<a [^>]*>", body)
    assert first_link is not None and "govuk-skip-link" in first_link.group(0)
    assert 'href="#main-content"' in first_link.group(0)
    assert 'id="main-content"' in html
    for banned in ("GOV.UK", "govuk-header__logotype", "crown", "GDS Transport"):
        assert banned not in html
    assert not re.search(r"\sstyle=", html)


def test_language_switcher_posts_to_set_language_and_urdu_is_rtl() -> None:
    client = Client()
    html = client.get("/").content.decode()
    assert re.search(r'<form method="post" action="/i18n/setlang/" class="bb-language">', html)
    assert '<option value="ur" lang="ur" dir="rtl">اردو</option>' in html
    response = client.post("/i18n/setlang/", {"language": "ur", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ur"
    urdu = client.get("/").content.decode()
    assert '<html lang="ur" dir="rtl"' in urdu
    assert '<option value="ur" lang="ur" dir="rtl" selected>' in urdu
    welsh = Client(headers={"Accept-Language": "cy"}).get("/").content.decode()
    assert '<html lang="cy" dir="ltr"' in welsh


def test_error_page_renders_without_a_request() -> None:
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "Beatbook" in html
    assert "Skip to main content" in html
