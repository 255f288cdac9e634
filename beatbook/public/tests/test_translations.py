"""The public pages and the page shell in every language the site offers.

The compiled catalogues (.mo) are committed because a fresh machine may lack GNU gettext, so
these tests also check that each .mo says exactly what its .po says.
"""

from __future__ import annotations

import ast
import gettext
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from beatbook.areas.tests.synthetic import build_small_force
from beatbook.core.tests.browser import assert_accessible

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["cy", "ur", "pa", "gu", "pl"]
# The templates every public visitor can see: the shell, the error pages and the public app.
PUBLIC_TEMPLATES = (
    sorted((Path(settings.BASE_DIR) / "templates").glob("*.html"))
    + sorted((Path(settings.BASE_DIR) / "public" / "templates").rglob("*.html"))
    # The public survey pages (the staff templates of the surveys app are not public).
    + sorted((Path(settings.BASE_DIR) / "surveys" / "templates").rglob("*public_*.html"))
    # The public "Stay informed" pages of messaging (sign-up, preferences, unsubscribe…).
    + sorted((Path(settings.BASE_DIR) / "messaging" / "templates").rglob("*public_*.html"))
)

# Written out here rather than read from the catalogues, so a lost or emptied catalogue fails.
EXPECTED = {
    "en-gb": {
        "skip": "Skip to main content",
        "title": "Home",
        "heading": "What it is for",
        "not_found": "Page not found",
    },
    "cy": {
        "skip": "Neidio i\u2019r prif gynnwys",
        "title": "Hafan",
        "heading": "Beth yw ei ddiben",
        "not_found": "Heb ddod o hyd i\u2019r dudalen",
    },
    "ur": {
        "skip": "مرکزی مواد پر جائیں",
        "title": "مرکزی صفحہ",
        "heading": "یہ کس لیے ہے",
        "not_found": "صفحہ نہیں ملا",
    },
    "pa": {
        "skip": "ਮੁੱਖ ਸਮੱਗਰੀ \u2019ਤੇ ਜਾਓ",
        "title": "ਮੁੱਖ ਪੰਨਾ",
        "heading": "ਇਹ ਕਿਸ ਲਈ ਹੈ",
        "not_found": "ਪੰਨਾ ਨਹੀਂ ਮਿਲਿਆ",
    },
    "gu": {
        "skip": "મુખ્ય સામગ્રી પર જાઓ",
        "title": "મુખ્ય પૃષ્ઠ",
        "heading": "આ શેના માટે છે",
        "not_found": "પૃષ્ઠ મળ્યું નથી",
    },
    "pl": {
        "skip": "Przejdź do treści głównej",
        "title": "Strona główna",
        "heading": "Do czego służy",
        "not_found": "Nie znaleziono strony",
    },
}
# Each language named in itself, whatever language the page is in.
ENDONYMS = [
    ("en-gb", "English"),
    ("cy", "Cymraeg"),
    ("ur", "اردو"),
    ("pa", "ਪੰਜਾਬੀ"),
    ("gu", "ગુજરાતી"),
    ("pl", "Polski"),
]
# Words that are rightly the same in English and in the translation.
SAME_AS_ENGLISH = {"cy": {"Beta"}, "pl": {"Beta", "Menu"}}
# Text on the home page that is not interface wording: the service name, force names, counts,
# the language names in the switcher and the title separator.
NOT_INTERFACE_TEXT = {"Beatbook", "Otherford Police", "Testshire Police", "\u2013", *(name for _, name in ENDONYMS)}


@pytest.fixture(autouse=True)
def restore_active_language() -> Iterator[None]:
    """The test client's LocaleMiddleware activates each request's language in this thread and
    leaves it active; later tests that render without a request (the 500 page) would inherit it."""
    before = translation.get_language()
    yield
    translation.activate(before)


def client_in(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


class VisibleText(HTMLParser):
    """Text nodes and accessible-name attributes of a page (scripts and styles excluded)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "alt", "placeholder") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.texts.extend(part.strip() for part in re.split(r"\s*\u2013\s*|\n", data) if part.strip())


def visible_text(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return {text for text in parser.texts if not re.fullmatch(r"[\d,.]+", text)}


# --- Pages as served ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en-gb", *LANGUAGES])
def test_home_page_is_in_the_chosen_language(language: str) -> None:
    build_small_force(with_users=False)
    html = client_in(language).get("/").content.decode()
    direction = "rtl" if language == "ur" else "ltr"
    assert f'<html lang="{language}" dir="{direction}" class="govuk-template">' in html
    expected = EXPECTED[language]
    skip_link = re.search(r'<a href="#main-content" class="govuk-skip-link"[^>]*>([^<]*)</a>', html)
    assert skip_link is not None and skip_link.group(1) == expected["skip"]
    assert f'<h2 class="govuk-heading-m">{expected["heading"]}</h2>' in html
    assert re.search(rf"<title>{re.escape(expected['title'])} \u2013 Beatbook</title>", html)
    if language != "en-gb":
        assert "Skip to main content" not in html
        assert "What it is for" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_nothing_on_the_home_page_is_left_in_english(language: str) -> None:
    build_small_force(with_users=False)
    english = visible_text(Client().get("/").content.decode())
    translated = visible_text(client_in(language).get("/").content.decode())
    assert "Neighbourhoods" in english and "Sign in to Beatbook" in english  # the parser sees the page
    left_in_english = (english & translated) - NOT_INTERFACE_TEXT - SAME_AS_ENGLISH.get(language, set())
    assert not left_in_english, f"{language}: {sorted(left_in_english)}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_not_found_page_is_in_the_chosen_language(language: str) -> None:
    response = client_in(language).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert f'<h1 class="govuk-heading-l">{EXPECTED[language]["not_found"]}</h1>' in html
    assert "Page not found" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en-gb", *LANGUAGES])
def test_language_switcher_names_each_language_in_itself(language: str) -> None:
    html = client_in(language).get("/").content.decode()
    options = re.findall(r'<option value="([^"]+)" lang="([^"]+)"( dir="rtl")?( selected)?>([^<]+)</option>', html)
    assert [(code, name) for code, _, _, _, name in options] == ENDONYMS
    assert all(code == lang for code, lang, _, _, _ in options)
    assert [code for code, _, rtl, _, _ in options if rtl] == ["ur"]
    assert [code for code, _, _, selected, _ in options if selected] == [language]


@pytest.mark.django_db
def test_choosing_punjabi_with_the_switcher_translates_the_next_page() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "pa", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    html = client.get("/").content.decode()
    assert '<html lang="pa" dir="ltr"' in html
    assert EXPECTED["pa"]["skip"] in html
    assert "ਭਾਸ਼ਾ ਬਦਲੋ" in html  # the switcher's own button: "Change language"


# --- The catalogues -----------------------------------------------------------------------


def unquote_po(text: str) -> str:
    return str(ast.literal_eval(text))


def read_po(path: Path) -> tuple[dict[Any, str], list[str]]:
    """The translated messages of a .po file, keyed as GNUTranslations keys its catalogue,
    and the msgids of fuzzy entries. Untranslated and fuzzy messages are left out, as msgfmt
    leaves them out of the .mo."""
    messages: dict[Any, str] = {}
    fuzzy: list[str] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = ""
        is_fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                is_fuzzy = True
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith('"'):
                fields[current] += unquote_po(line)
                continue
            current, _, value = line.partition(" ")
            fields[current] = unquote_po(value)
        if "msgid" not in fields:
            continue
        key = fields["msgid"] if "msgctxt" not in fields else f"{fields['msgctxt']}\x04{fields['msgid']}"
        if is_fuzzy:
            fuzzy.append(key)
            continue
        if "msgid_plural" in fields:
            forms = {int(name[7:-1]): value for name, value in fields.items() if name.startswith("msgstr[")}
            if all(forms.values()):
                messages.update({(key, n): value for n, value in forms.items()})
        elif fields["msgstr"]:
            messages[key] = fields["msgstr"]
    return messages, fuzzy


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    """Fails when a .po was edited without running compilemessages, or its .mo is missing.

    This compares what the files say rather than their times, because git sets both times
    to the moment of checkout, in no particular order."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert po.exists(), f"{po} is missing: run makemessages"
    assert mo.exists(), f"{mo} is missing: run compilemessages and commit the .mo"
    messages, fuzzy = read_po(po)
    assert not fuzzy, f"{po} has fuzzy entries (they are not compiled): {fuzzy}"
    with mo.open("rb") as handle:
        compiled = dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
    # msgfmt drops the header's POT-Creation-Date (which every makemessages run rewrites).
    for catalogue in (messages, compiled):
        catalogue[""] = re.sub(r"^POT-Creation-Date: .*\n", "", catalogue.get("", ""), flags=re.MULTILINE)
    assert compiled == messages, f"{mo} is out of step with {po}: run compilemessages and commit the .mo"


def marked_strings(template: Path) -> set[str]:
    """Every string marked for translation in a template, as makemessages would find it."""
    code = templatize(template.read_text(encoding="utf-8"), origin=str(template))
    return {str(ast.literal_eval(literal)) for literal in re.findall(r"gettext\((u'(?:[^'\\]|\\.)*')\)", code)}


def test_public_templates_have_marked_strings() -> None:
    names = {path.name for path in PUBLIC_TEMPLATES}
    assert {"base.html", "404.html", "500.html", "home.html"} <= names
    assert "Skip to main content" in marked_strings(Path(settings.BASE_DIR) / "templates" / "base.html")
    assert "Signed in as %(name)s" in marked_strings(Path(settings.BASE_DIR) / "templates" / "base.html")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_public_visitors_see_is_translated(language: str) -> None:
    """A string added to the shell or a public page without a translation fails here."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    same = SAME_AS_ENGLISH.get(language, set())
    untranslated = sorted(
        f"{template.name}: {msgid}"
        for template in PUBLIC_TEMPLATES
        for msgid in marked_strings(template)
        if msgid not in same and catalogue.gettext(msgid) == msgid
    )
    assert not untranslated, f"{language} lacks:\n" + "\n".join(untranslated)


def test_translations_keep_their_placeholders() -> None:
    for language in LANGUAGES:
        messages, _ = read_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")
        for key, text in messages.items():
            msgid = key[0] if isinstance(key, tuple) else key
            if msgid:
                assert sorted(re.findall(r"%\(\w+\)s", text)) == sorted(re.findall(r"%\(\w+\)s", msgid)), (
                    language,
                    msgid,
                )


# --- In Chromium ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["ur", "cy"])
def test_translated_home_page_is_accessible(browser_context: Any, live_server: Any, language: str) -> None:
    build_small_force(with_users=False)
    context = browser_context()
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page = context.new_page()
    response = page.goto("/")
    assert response is not None and response.status == 200
    direction = "rtl" if language == "ur" else "ltr"
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("html", "dir") == direction
    assert page.eval_on_selector("main", "el => getComputedStyle(el).direction") == direction
    assert page.inner_text("h2.govuk-heading-m >> nth=0") == EXPECTED[language]["heading"]
    assert page.text_content(".govuk-skip-link") == EXPECTED[language]["skip"]
    assert_accessible(page)
