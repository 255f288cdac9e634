"""The browser fixtures (Chromium + axe-core) shared with beatbook/core/tests."""

from beatbook.core.tests.browser import browser_context, chromium

__all__ = ["browser_context", "chromium"]
