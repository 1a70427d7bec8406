"""Debian's Chromium driven by Playwright, for the browser tests (tests/test_browser.py and
tests/test_journeys.py): never a downloaded browser. Missing, it skips the tests, or fails them
under CI."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium_launched(*, what: str) -> Iterator[Any]:
    """One browser for a module's tests (the idle database sessions a live server may leave beside
    it are ended once, at the end of the run: tests/conftest.py `roles_once`)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        message = f"{what} need Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright drives its browser from a thread with its own event loop; Django must allow that.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--no-first-run"])
        yield browser
        browser.close()
