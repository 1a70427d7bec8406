"""Debian's Chromium driven by Playwright, for the browser tests (tests/test_browser.py and
tests/test_journeys.py): never a downloaded browser. Missing, the test setup installs it with apt
(as .ci/run does); only where it cannot (not root, no apt) are the tests skipped, and under CI they
fail."""

import os
import shutil
import subprocess
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


def _chromium_installed() -> str | None:
    """Install Debian's chromium when it is missing and this machine can (root, with apt), as
    .ci/run does; the path of the browser, or None."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        if subprocess.run(command, capture_output=True, timeout=900).returncode != 0:
            return None
    return shutil.which("chromium")


@contextmanager
def chromium_launched(*, what: str) -> Iterator[Any]:
    """One browser for a module's tests (the idle database sessions a live server may leave beside
    it are ended once, at the end of the run: tests/conftest.py `roles_once`)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    browser_path = CHROMIUM if os.path.exists(CHROMIUM) else _chromium_installed()
    if browser_path is None:
        # Only where the browser cannot be installed here (not root, or no apt): said, never silent,
        # and under CI a failure.
        message = f"{what} need Debian's chromium, which could not be installed here (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright drives its browser from a thread with its own event loop; Django must allow that.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=[*ARGS, "--no-first-run"])
        yield browser
        browser.close()
