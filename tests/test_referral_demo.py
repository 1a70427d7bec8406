"""Issue 6's "done when", through the pages on the demo data: the demo social care manager clears
the front-door queue with decisions and sends a family down to early help; the demo CAF
administrator picks it up into a CAF with a lead professional; and nothing is left without a
decision or a pick-up unnoticed."""

import re

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Agency, Notification, User
from caf.models import Caf
from referrals.deadlines import deadlines_due
from referrals.demo import referrals_demo_load
from referrals.models import Referral, StepDown
from tests.sign_in import signed_in_through_the_pages
from thresholds.models import ThresholdModel

PASSWORD = "demo-caf-password"


def signed_in(email: str) -> Client:
    # The demo's CAF administrator and social care manager set up their second factor at sign-in.
    return signed_in_through_the_pages(Client(), email, PASSWORD)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize(
    "when",
    [
        "2026-11-23 08:30 +00:00",  # a Monday, before the working day
        "2026-11-28 14:00 +00:00",  # a Saturday
        "2027-03-30 08:00 +01:00",  # the Tuesday after the Easter bank holidays
    ],
)
def test_the_demo_fills_both_queues_at_different_ages_once(db, when):
    with time_machine.travel(when, tick=False):
        call_command("load_demo")
        assert referrals_demo_load() is None  # once

        queue = text(signed_in("social.care.manager@demo.example").get("/referrals/"))
        pick_up = text(signed_in("caf.admin@demo.example").get("/step-downs/"))
    assert "4 referrals awaiting a decision" in queue
    for shown in ("Immediate risk", "Re-referral", "On time", "Due soon", "Overdue"):
        assert shown in queue
    for shown in ("Freya Bell", "Harry Price", "Poppy Walsh", "On time", "Due soon", "Overdue", "Isla Demo-Family"):
        assert shown in pick_up
    points = set(StepDown.objects.values_list("point", flat=True))
    assert points == set(StepDown.Point.values)
    assert set(StepDown.objects.values_list("status", flat=True)) == set(StepDown.Status.values)


def test_a_new_manager_clears_the_queue_and_early_help_picks_the_family_up(db):
    call_command("load_demo")
    sam = User.objects.get(email="social.worker@demo.example")
    school = Agency.objects.get(council__slug="northbridge", name="Oakfield Primary School")
    manager = signed_in("social.care.manager@demo.example")
    waiting = list(Referral.objects.filter(status=Referral.Status.SENT).order_by("pk"))
    assert len(waiting) == 4
    decisions = {
        "Tyler": {"decision": "child_protection", "social_worker_child_protection": sam.pk},
        "Aisha": {"decision": "child_in_need", "social_worker_child_in_need": sam.pk},
        "Kai": {"decision": "no_further_action", "advice": "Keep the nursery's daily check-ins going."},
        "Jordan": {
            "decision": "step_down",
            "open_needs": "Jordan's relationship with his dad's partner; somewhere safe after school.",
            "social_worker_summary": "Dad is willing to work with early help; Jordan wants a youth worker.",
            "consent_given_by": "Paul Lee",
            "consent_relationship": "father",
            "consent_given_on_0": str(timezone.localdate().day),
            "consent_given_on_1": str(timezone.localdate().month),
            "consent_given_on_2": str(timezone.localdate().year),
            "consent_method": "verbal",
            "consent_agencies": [school.pk],
        },
    }
    for referral in waiting:
        first_name = referral.children.get().first_name
        page = manager.get(f"/referrals/{referral.pk}/decide/")
        assert page.status_code == 200
        response = manager.post(
            f"/referrals/{referral.pk}/decide/", {"reasons": "Considered with the records.", **decisions[first_name]}
        )
        assert response.status_code == 302, text(response)

    assert "There are no referrals awaiting a decision" in text(manager.get("/referrals/"))
    assert not Referral.objects.filter(status=Referral.Status.SENT).exists()
    jordan = Referral.objects.get(children__first_name="Jordan", status=Referral.Status.DECIDED, decision="step_down")
    step_down = jordan.step_downs.get()
    assert "Jordan Lee" in text(manager.get("/"))  # waiting to be picked up, on the manager's home page

    administrator = signed_in("caf.admin@demo.example")
    assert "Jordan Lee" in text(administrator.get("/"))
    priya = User.objects.get(email="practitioner@demo.example")
    level = ThresholdModel.objects.published().get(council__slug="northbridge").levels.get(code="2")
    response = administrator.post(
        f"/step-downs/{step_down.pk}/pick-up/", {f"level_{jordan.children.get().pk}": level.pk, "lead": priya.pk}
    )
    assert response.status_code == 302, text(response)
    step_down.refresh_from_db()
    assert step_down.status == StepDown.Status.COMPLETED
    caf = step_down.picked_up_caf
    assert caf.status == Caf.Status.ACTIVE
    assert caf.lead_professionals.get(ended_at__isnull=True).user == priya
    assert f'href="/step-downs/{step_down.pk}/"' not in text(administrator.get("/step-downs/"))  # off the queue

    # Nothing unnoticed: every referral is decided, and every step-down still waiting is either
    # within its deadline or has been chased.
    deadlines_due(now=timezone.now())
    assert not Notification.objects.filter(kind__in=["referral_overdue", "referral_still_overdue"]).exists()
    today = timezone.localdate()
    for late in StepDown.objects.filter(status=StepDown.Status.WAITING, pick_up_due_on__lt=today):
        assert Notification.objects.filter(kind="step_down_overdue", subject_key=f"step-down:{late.pk}:overdue")
