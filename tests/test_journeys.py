"""The journeys of issue 14, from signing in to the result a person would check, in Debian's
Chromium driven by Playwright: every page they visit is checked by axe-core (vendored in
tests/vendor/axe-core, never a CDN) for serious or critical accessibility violations. The school
practitioner's journey runs three ways: with the mouse, by keyboard only (every control reached with
Tab and worked with the keys) and with JavaScript switched off.
"""

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from caf.models import Caf, Child, FamilyExclusion
from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
# What axe must not find. Its "moderate" and "minor" findings are advice, not barriers.
BARRIERS = {"serious", "critical"}


@pytest.fixture(scope="module")
def chromium(django_db_blocker) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        message = "the journeys need Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield browser
        browser.close()
    # As in tests/test_browser.py: end the live server's last idle database session.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
        )


class Person:
    """Works a page as a person does: with the mouse, or by keyboard only (Tab to reach a control,
    then type, Space, the arrow keys or Enter: a control Tab never reaches fails the journey). Every
    page reached is checked by axe, when JavaScript runs."""

    def __init__(self, page: Any, base_url: str, *, keyboard: bool = False, javascript: bool = True) -> None:
        self.page, self.base_url, self.keyboard, self.javascript = page, base_url, keyboard, javascript
        self.barriers: list[str] = []
        self.checked: list[str] = []
        self.visited: list[str] = []

    # Moving about -----------------------------------------------------------------------------

    def open(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")
        self.arrived()

    def arrived(self) -> None:
        self.page.wait_for_load_state("load")
        self.visited.append(self.page.url.removeprefix(self.base_url))
        self.axe()

    def press(self, target: Any) -> None:
        """Follow a link or press a button, then wait for the page it leads to."""
        with self.page.expect_navigation():
            if self.keyboard:
                self.tab_to(target)
                self.page.keyboard.press("Enter")
            else:
                target.click()
        self.arrived()

    def button(self, name: str, *, exact: bool = True) -> None:
        self.press(self.page.get_by_role("button", name=name, exact=exact).first)

    def link(self, name: str) -> None:
        self.press(self.page.get_by_role("link", name=name).first)

    # Answering --------------------------------------------------------------------------------

    def fill(self, target: Any, text: str) -> None:
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.press("Control+A")
            self.page.keyboard.press("Delete")
            self.page.keyboard.type(text)
        else:
            target.fill(text)

    def field(self, label: str, text: str) -> None:
        self.fill(self.page.get_by_label(label, exact=True).first, text)

    def date(self, name: str, day: date) -> None:
        for part, value in enumerate((day.day, day.month, day.year)):
            self.fill(self.page.locator(f'input[name="{name}_{part}"]'), str(value))

    def tick(self, target: Any) -> None:
        """Tick a checkbox, or choose a radio (by keyboard: the arrow keys move within a group)."""
        if not self.keyboard:
            target.check()
            return
        if target.get_attribute("type") == "radio":
            name = target.get_attribute("name")
            self.tab_to(target, group=name)
            for _ in range(20):
                if target.evaluate("input => input === document.activeElement"):
                    break
                self.page.keyboard.press("ArrowDown")
        else:
            self.tab_to(target)
        if not target.is_checked():
            self.page.keyboard.press("Space")
        assert target.is_checked()

    def choose(self, name: str, value: str) -> None:
        self.tick(self.page.locator(f'input[name="{name}"][value="{value}"]'))

    def tab_to(self, target: Any, *, group: str | None = None, most: int = 400) -> None:
        """Press Tab until the target (or, for a radio group, any radio of it) has the focus."""
        handle = target.element_handle()
        for _ in range(most):
            self.page.keyboard.press("Tab")
            if group is not None:
                if self.page.evaluate("name => document.activeElement.name === name", group):
                    return
            elif handle.evaluate("element => element === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {target} on {self.page.url}")

    # Checking ---------------------------------------------------------------------------------

    def axe(self) -> None:
        if not self.javascript:
            return
        self.page.evaluate(AXE)
        found = self.page.evaluate("() => axe.run(document).then(results => results.violations)")
        self.checked.append(self.page.url)
        for violation in found:
            if violation["impact"] in BARRIERS:
                where = [node["target"] for node in violation["nodes"]][:3]
                self.barriers.append(f"{self.page.url}: {violation['id']} ({violation['impact']}) at {where}")

    def shoot(self, name: str) -> None:
        """`make screenshots` keeps the main pages, as the mouse journey shows them, for the README."""
        folder = os.environ.get("SCREENSHOTS")
        if folder and self.javascript:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.set_viewport_size({"width": 1024, "height": 768})
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    def sees(self, text: str) -> None:
        assert text in self.page.inner_text("main"), f"{text!r} not on {self.page.url}"

    def sign_in(self, user: Any) -> None:
        self.open("/sign-in/")
        self.fill(self.page.locator("#id_username"), user.email)
        self.fill(self.page.locator("#id_password"), PASSWORD)
        self.press(self.page.locator("#id_submit"))


@pytest.fixture
def person(chromium, live_server) -> Iterator[Any]:
    """person(keyboard=..., javascript=...) -> a Person in a fresh browser context."""
    contexts = []

    def make(*, keyboard: bool = False, javascript: bool = True) -> Person:
        context = chromium.new_context(java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Person(context.new_page(), live_server.url, keyboard=keyboard, javascript=javascript)

    yield make
    for context in contexts:
        if os.environ.get("JOURNEY_DEBUG"):  # the last page each person saw, to see why a journey stopped
            for page in context.pages:
                Path(os.environ["JOURNEY_DEBUG"]).write_text(page.content())
        context.close()


# 1. The school practitioner: from the threshold guide to a submitted CAF ---------------------------


def school_practitioner_journey(me: Person, *, council_model: Any, health_visiting: Any, police: Any) -> Caf:
    """Threshold guide; find a child (misspelt), record them with a parent; start a CAF; consent
    that leaves the police out; the assessment; the child's level; check answers and submit."""
    me.open(f"/thresholds/check/{council_model.pk}/")
    me.tick(me.page.locator('input[type="checkbox"]').first)

    me.open("/children/find/")
    me.field("First name", "Jaden")
    me.field("Last name", "Smyth")
    me.button("Search")
    me.sees("No possible matches")
    me.shoot("01-find-a-child")
    me.link("Record a new child")
    assert me.page.get_by_label("First name", exact=True).input_value() == "Jaden"  # as typed, in its field
    assert me.page.get_by_label("Last name", exact=True).input_value() == "Smyth"
    me.field("First name", "Jayden")
    me.field("Last name", "Smith")
    me.date("date_of_birth", date(2016, 5, 4))
    me.choose("sex", "male")
    me.fill(me.page.locator('input[name="adult_1_full_name"]'), "Kelly Smith")
    me.fill(me.page.locator('input[name="adult_1_relationship"]'), "Mother")
    me.tick(me.page.locator('input[name="adult_1_parental_responsibility"]'))
    me.shoot("02-record-a-new-child")
    me.button("Record the child")
    me.sees("Kelly Smith")
    child = Child.objects.get(first_name="Jayden", last_name="Smith")

    me.button("Start a CAF", exact=False)
    me.sees("Draft CAF started")
    me.shoot("03-draft-caf-task-list")
    caf = Caf.objects.get(caf_children__child=child)

    me.link("Record consent")
    me.choose("given_by_kind", "parent_or_carer")
    me.field("Their full name", "Kelly Smith")
    me.field("Their relationship to the child", "Mother")
    me.date("given_on", timezone.localdate())
    me.tick(me.page.locator('input[name="method"]').first)
    me.choose("agencies", str(health_visiting.pk))
    me.choose("excluded_agencies", str(police.pk))
    for explained in me.page.locator('input[name="explained"]').all():
        me.tick(explained)
    me.shoot("04-consent")
    me.button("Save consent")

    me.link("Assessment")
    me.fill(me.page.locator("textarea[name^=needs_]").first, "Often late and hungry")
    me.button("Save the assessment")

    me.link("Level of need for Jayden Smith")
    me.tick(me.page.locator('input[name="indicator"]').first)
    me.button("Check the level")
    me.tick(me.page.locator('input[name="level"]').first)
    me.shoot("05-level-of-need")
    me.button("Save the level")

    me.link("Check answers and submit")
    me.sees("Kelly Smith")
    me.shoot("06-check-answers")
    me.button("Submit the assessment")
    me.shoot("07-submitted")
    caf.refresh_from_db()
    return caf


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "way", ["mouse", "keyboard only", "without JavaScript"], ids=["mouse", "keyboard", "no-javascript"]
)
def test_a_school_practitioner_starts_a_caf_that_leaves_out_the_agency_the_family_excluded(
    person, way, school_practitioner, council_model, health_visiting, police
):
    me = person(keyboard=way == "keyboard only", javascript=way != "without JavaScript")
    me.sign_in(school_practitioner)

    caf = school_practitioner_journey(me, council_model=council_model, health_visiting=health_visiting, police=police)

    assert caf.status == Caf.Status.ACTIVE
    assert FamilyExclusion.objects.filter(caf=caf, agency=police).exists()
    assert re.search(r"submitted|active", me.page.inner_text("main"), re.I)
    assert me.barriers == [], "\n".join(me.barriers)
    if me.javascript:
        assert len(me.checked) >= 12


# 5. Another council's practitioner tries journey 1's addresses ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_another_councils_practitioner_is_refused_every_address_of_the_journey(
    person, school_practitioner, other_council_user, council_model, health_visiting, police
):
    me = person()
    me.sign_in(school_practitioner)
    school_practitioner_journey(me, council_model=council_model, health_visiting=health_visiting, police=police)
    records = sorted({path for path in me.visited if re.match(r"/(children|cafs)/\d+/", path)})
    assert len(records) >= 6  # the child's record, the CAF, its consent, assessment, level and answers

    stranger = person()
    stranger.sign_in(other_council_user)
    for path in records:
        response = stranger.page.goto(f"{stranger.base_url}{path}")
        assert response.status in (403, 404), path
        assert "Jayden" not in stranger.page.content(), path
    assert stranger.page.goto(f"{stranger.base_url}/children/find/?first_name=Jayden&last_name=Smith").ok
    assert "Jayden" not in stranger.page.inner_text("main")  # the search stays in the council


# 6. Two people at once: the second save is a conflict shown side by side ---------------------------


@pytest.mark.django_db(transaction=True)
def test_two_people_updating_one_action_the_second_sees_both_versions_and_keeps_their_text(
    person, active, caf_admin, school_practitioner, health_visitor
):
    from datetime import timedelta

    from caf import services

    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor)
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    action = services.plan_action_add(
        user=school_practitioner,
        caf=active,
        need="Often late",
        action="Morning routine support",
        agency=health_visitor.agency,
        owner=health_visitor,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    lead, owner = person(), person(keyboard=True)
    lead.sign_in(school_practitioner)
    owner.sign_in(health_visitor)
    address = f"/cafs/{active.pk}/plan/{action.pk}/"
    lead.open(address)
    owner.open(address)

    lead.choose("status", "in_progress")
    lead.field("What has happened (optional)", "Seen twice at home")
    lead.button("Save the update")
    owner.choose("status", "done")
    owner.field("What has happened (optional)", "Routine in place")
    owner.button("Save the update")

    owner.sees("Someone saved this action after you opened it")
    owner.shoot("08-edit-conflict")
    conflict = owner.page.inner_text("#conflict")
    assert "Seen twice at home" in conflict and "Routine in place" in conflict
    assert owner.page.get_by_label("What has happened (optional)").input_value() == "Routine in place"
    owner.field("What has happened (optional)", "Seen twice at home; routine in place")
    owner.button("Save the update")
    owner.sees("The action is updated.")
    owner.sees("Seen twice at home; routine in place")
    assert lead.barriers == owner.barriers == []


def test_the_accessibility_check_finds_a_barrier_when_there_is_one(chromium):
    """The check above is only as good as its ability to fail: an image with no text alternative
    and an unlabelled field are barriers axe reports."""
    page = chromium.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><img src="x.png"><input></main></body></html>'
    )
    me = Person(page, "")
    me.axe()
    page.close()
    assert any("image-alt (critical)" in barrier for barrier in me.barriers)
    assert any("label (critical)" in barrier for barrier in me.barriers)
