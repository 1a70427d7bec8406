"""What a person sees in a real browser (Debian's Chromium driven by Playwright): the threshold
guide's result updates as boxes are ticked, without a page load."""

import os
import shutil

import pytest
from django.db import connection

from accounts.models import Role
from tests.factories import PASSWORD, UserFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        message = "this test needs Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright drives its browser from a thread with its own event loop; Django must allow that.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()
    # The live server answered the browser from request threads that are gone now, and one of their
    # database sessions outlives them (idle after its COMMIT, with no live thread to close it): end
    # it, or dropping the test database at the end of the run is refused.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
        )


@pytest.mark.django_db(transaction=True)
def test_the_threshold_guide_updates_as_boxes_are_ticked(browser, live_server, settings):
    """Also: under the Content Security Policy (no inline scripts or styles) every page's own scripts
    run, the browser reports no violation, and GOV.UK Frontend starts. One test, one browser: a
    second browser test's database connection would be ended by this one's clean-up."""
    from accounts.roles import roles_sync
    from thresholds.services import reference_models_load

    roles_sync()
    models = {model.council.slug: model for model in reference_models_load(only=["rutland"])}
    user = UserFactory(agency__council=models["rutland"].council, roles=[Role.PRACTITIONER, Role.COUNCIL_ADMINISTRATOR])
    page = browser.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/sign-in/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("#id_submit")
    page.goto(f"{live_server.url}/thresholds/check/{models['rutland'].pk}/")

    for text in ["Occasional truanting or non-attendance", "Overcrowding", "Poor self-esteem"]:
        page.get_by_label(text, exact=True).first.check()

    # A selector, not wait_for_function: that evaluates a string, which the Content Security Policy forbids.
    page.get_by_text("3 or more suggest").first.wait_for(timeout=10_000)
    assert "2: Early Help/CAF" in page.inner_text("body")
    assert page.url.startswith(f"{live_server.url}/thresholds/check/")  # no page load needed

    for path in ["/", f"/thresholds/check/{models['rutland'].pk}/", "/admin/", "/admin/accounts/user/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if not path.startswith("/admin/"):  # Django's own pages are not GOV.UK pages
            assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')"), path
    assert refused == []
