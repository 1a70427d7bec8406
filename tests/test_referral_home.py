"""The queues are the home pages: the front door's referrals and step-downs, early help's pick-ups,
the referrer's own referrals with their outcomes, the social worker's allocations."""

import re
from datetime import date

import pytest
import time_machine
from django.utils import timezone

from caf import services as caf_services
from referrals import services as rs


def sent(user, child, concern="Bruising"):
    referral = rs.referral_start(user=user, children=[child])
    return rs.referral_send(
        user=user,
        referral=referral,
        concern=concern,
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put the child at risk",
    )


def step_down_for(manager, referral, *agencies):
    rs.referral_decide(
        user=manager,
        referral=referral,
        decision="step_down",
        reasons="Threshold not met",
        step_down={
            "open_needs": "Routines",
            "social_worker_summary": "Mum wants help",
            "consent_given_by": "Kelly Smith",
            "consent_relationship": "mother",
            "consent_given_on": timezone.localdate(),
            "consent_method": "verbal",
            "consent_agencies": list(agencies),
        },
    )
    return referral.step_downs.get()


def section(response, heading: str) -> str:
    page = re.sub(r"\s+", " ", response.content.decode())
    start = page.index(f">{heading}</h3>")
    end = page.find("<h3", start + 1)
    return page[start : end if end > 0 else None]


def child_named(user, first_name):
    return caf_services.child_create(user=user, first_name=first_name, last_name="Home", date_of_birth=date(2016, 1, 1))


def test_the_front_door_home_shows_each_referral_with_its_clock(
    school_practitioner, social_care, social_care_manager, signed_in
):
    with time_machine.travel("2026-11-23 10:00 +00:00", tick=False):
        on_time = sent(school_practitioner, child_named(school_practitioner, "Ava"))
    with time_machine.travel("2026-11-19 10:00 +00:00", tick=False):
        sent(school_practitioner, child_named(school_practitioner, "Ben"))
    with time_machine.travel("2026-11-23 12:00 +00:00", tick=False):
        queue = section(signed_in(social_care_manager).get("/"), "Step-up referrals awaiting a decision")
    assert f'href="/referrals/{on_time.pk}/"' in queue
    assert "Ava Home, from Priya Shah (Oakfield Primary School): not claimed" in queue
    assert "govuk-tag--green" in queue and "On time" in queue
    assert "govuk-tag--red" in queue and "Overdue" in queue


def test_early_help_sees_step_downs_to_pick_up_and_the_referrer_sees_the_outcome(
    school_practitioner, social_care, social_care_manager, caf_admin, early_help_hub, signed_in
):
    child = child_named(school_practitioner, "Cara")
    referral = sent(school_practitioner, child)
    step_down = step_down_for(social_care_manager, referral, early_help_hub)

    pick_ups = section(signed_in(caf_admin).get("/"), "Step-downs from social care to pick up")
    assert f'href="/step-downs/{step_down.pk}/"' in pick_ups
    assert "Cara Home: at the front door" in pick_ups and "On time" in pick_ups

    own = section(signed_in(school_practitioner).get("/"), "Your referrals to children&#x27;s social care")
    assert "Cara Home: sent" in own and "decided: Step down to early help" in own


def test_the_social_worker_sees_the_families_allocated_to_them(
    school_practitioner, social_care, social_care_manager, social_worker, signed_in
):
    referral = sent(school_practitioner, child_named(school_practitioner, "Dan"))
    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision="child_in_need",
        reasons="Assess",
        social_worker=social_worker,
    )
    allocated = section(signed_in(social_worker).get("/"), "Families the front door allocated to you")
    assert "Dan Home: Social care assessment as a Child in Need (section 17)" in allocated


@pytest.mark.parametrize("size", [2, 8])
def test_the_front_door_and_early_help_homes_run_a_fixed_number_of_queries(
    size, school_practitioner, social_care, social_care_manager, caf_admin, signed_in, django_assert_max_num_queries
):
    for number in range(size):
        referral = sent(school_practitioner, child_named(school_practitioner, f"Eve{number}"))
        if number % 2:
            step_down_for(social_care_manager, referral)
    manager, administrator = signed_in(social_care_manager), signed_in(caf_admin)
    # 16: one more than before, the home page's access-log row with the children shown (Settled 17);
    # 17 with the count of break-glass uses waiting for one's review (issue 15).
    with django_assert_max_num_queries(17):
        response = manager.get("/")
    assert section(response, "Step-up referrals awaiting a decision").count("<li>") == size - size // 2
    with django_assert_max_num_queries(21):
        response = administrator.get("/")
    assert section(response, "Step-downs from social care to pick up").count("<li>") == size // 2
