"""Fixtures for the tests in beatbook/core/tests: the browser fixtures live in browser.py."""

from .browser import browser_context, chromium

__all__ = ["browser_context", "chromium"]
