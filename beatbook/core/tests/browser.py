"""Browser tests: Debian's Chromium driven by Playwright, checked with axe-core.

Fixtures (registered for every app by `pytest_plugins` in the root conftest.py):

- `chromium`: one headless Chromium for the session. Skipped with the reason when
  /usr/bin/chromium is absent, but a failure when BROWSER_TESTS=required (CI sets it).
- `browser_context`: a factory for contexts on pytest-django's `live_server`, optionally
  signed in as a user and with JavaScript off. Contexts are closed after the test.

`assert_accessible(page)` injects axe-core from node_modules and fails listing every
WCAG 2.2 A/AA violation with its rule, impact and the elements concerned.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
# No network beyond the live server: no component updates, sync, QUIC or first-run pings.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The pages' CSP allows only same-origin scripts, and it stays on in tests (a page that
# breaks it must fail). So axe is not inlined: the browser fetches it from this same-origin
# address, which the test context answers with the file from node_modules.
AXE_URL_PATH = "/__browser-tests__/axe.min.js"
STYLESHEET = Path(settings.PROJECT_DIR) / "build" / "beatbook.css"


def browser_tests_required() -> bool:
    return os.environ.get("BROWSER_TESTS", "").strip().lower() == "required"


def _unavailable(reason: str) -> None:
    if browser_tests_required():
        pytest.fail(f"BROWSER_TESTS=required but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        _unavailable(f"{AXE_SCRIPT} is missing (npm ci)")
    if not STYLESHEET.exists():
        # Without the stylesheet colour contrast would be checked on unstyled pages.
        _unavailable(f"{STYLESHEET} is missing (npm run build)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def session_cookie(user: Any) -> dict[str, str]:
    """A signed-in session for `user` (two-factor passed for administrators), as a cookie."""
    from beatbook.areas.tests.synthetic import sign_in

    client = sign_in(Client(), user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


@pytest.fixture
def browser_context(chromium: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """`browser_context(user=None, javascript=True, **options)` → a Playwright context."""
    opened: list[Any] = []

    def make(user: Any = None, *, javascript: bool = True, **options: Any) -> Any:
        context = chromium.new_context(
            base_url=live_server.url, java_script_enabled=javascript, locale="en-GB", **options
        )
        context.set_default_timeout(15_000)
        context.route(
            f"{live_server.url}{AXE_URL_PATH}",
            lambda route: route.fulfill(path=str(AXE_SCRIPT), content_type="text/javascript; charset=utf-8"),
        )
        # Chromium reports what the CSP blocked on the console; any such report fails the test.
        context.csp_reports = []
        context.on(
            "console",
            lambda message: (
                context.csp_reports.append(f"{message.text} ({message.location})")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        if user is not None:
            context.add_cookies([{**session_cookie(user), "url": live_server.url}])
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(url=AXE_URL_PATH)
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return list(result["violations"])


def format_violations(violations: list[dict[str, Any]], *, where: str = "") -> str:
    lines = [f"{len(violations)} accessibility violation(s){' on ' + where if where else ''}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v.get('impact') or 'unknown'}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").strip().splitlines()
            lines.append(f"    at {target}: {summary[-1].strip() if summary else ''}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    """Zero axe-core violations of WCAG 2.0, 2.1 and 2.2 A and AA on the current page."""
    violations = axe_violations(page)
    assert not violations, format_violations(violations, where=page.url)
    blocked = getattr(page.context, "csp_reports", [])
    assert not blocked, "the Content-Security-Policy blocked:\n" + "\n".join(blocked)
