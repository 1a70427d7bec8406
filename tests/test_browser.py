"""What a person sees in a real browser (Debian's Chromium driven by Playwright): the threshold
guide's result updates as boxes are ticked, without a page load."""

import pytest

from accounts.models import Role
from tests.chromium import chromium_launched
from tests.factories import PASSWORD, UserFactory
from tests.sign_in import browser_second_step


@pytest.fixture(scope="module")
def browser():
    """One browser for the module's tests, closed (and its live server's idle sessions ended) once,
    after the last of them: after each, it would end a session the next test's live server holds."""
    with chromium_launched(what="these tests") as launched:
        yield launched


@pytest.mark.django_db(transaction=True)
def test_the_threshold_guide_updates_as_boxes_are_ticked(browser, live_server, settings):
    """Also: under the Content Security Policy (no inline scripts or styles) every page's own scripts
    run, the browser reports no violation, and GOV.UK Frontend starts."""
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
    browser_second_step(page, live_server.url, user)  # a council administrator sets up two-factor sign-in
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


@pytest.mark.django_db(transaction=True)
def test_typing_is_kept_as_it_is_typed_and_the_warning_comes_before_the_session_ends(
    browser, live_server, settings, draft, school_practitioner
):
    """Issue 14: a few seconds after the practitioner stops typing, the assessment's text is their
    draft ("Saved at ..."), without the autosave keeping the session alive; two minutes before the
    session ends a modal dialog says so, with the focus on "Stay signed in", which keeps them
    signed in."""
    from django.contrib.sessions.models import Session

    from accounts.models import FormDraft

    settings.SESSION_COOKIE_AGE = 128  # the warning is due 8 seconds after the page is drawn
    page = browser.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/sign-in/")
    page.fill("#id_username", school_practitioner.email)
    page.fill("#id_password", PASSWORD)
    page.click("#id_submit")
    page.goto(f"{live_server.url}/cafs/{draft.pk}/assessment/")
    session = Session.objects.get()
    signed_in_until = session.expire_date

    needs = page.locator("textarea[name^=needs_]").first
    needs.fill("Sam is often late and hungry")
    page.get_by_text("Saved at").wait_for(timeout=10_000)
    kept = FormDraft.objects.get(user=school_practitioner)
    assert kept.data[needs.get_attribute("name")] == ["Sam is often late and hungry"]
    assert Session.objects.get().expire_date == signed_in_until  # typing is not a request of the person's

    page.locator("#app-timeout-warning[open]").wait_for(timeout=15_000)
    assert "You will be signed out soon" in page.inner_text("#app-timeout-warning")
    assert page.evaluate("document.activeElement.hasAttribute('data-stay')")
    page.get_by_role("button", name="Stay signed in").click()
    page.locator("#app-timeout-warning[open]").wait_for(state="detached", timeout=5_000)
    assert Session.objects.get().expire_date > signed_in_until
    assert refused == []
    page.close()
