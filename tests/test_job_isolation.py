"""One bad record never stops a background job (issue 11): the reminder tick and the deadline tick
log a CAF, referral, step-down or council they cannot work out (with its id) and carry on with
every other one, in this council and the others. Each bad record is written with .update(), as
old data or a bug elsewhere could leave it, past the forms' and services' bounds."""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import AgencyType, LocalAuthority, Notification, Role
from caf import services
from caf.models import Caf
from referrals import services as rs
from referrals.models import Referral, StepDown
from referrals.tasks import deadlines_tick
from tests.caf_helpers import active_caf
from tests.factories import AgencyFactory, LocalAuthorityFactory, UserFactory
from thresholds.services import threshold_model_draft_start, threshold_model_publish

Kind = Notification.Kind
YEAR_ONE = datetime(1, 1, 1, tzinfo=UTC)


@pytest.fixture
def broken_council() -> LocalAuthority:
    """A council whose time zone setting names no zone (made first, so the tick meets it first)."""
    broken = LocalAuthorityFactory(name="Broken Borough Council", slug="broken")
    LocalAuthority.objects.filter(pk=broken.pk).update(time_zone="Nowhere/Broken")
    return broken


@pytest.fixture
def southmoor(other_council, other_council_user, reference_model):
    """Southmoor with its own published model, a CAF administrator, social care and its manager."""
    draft = threshold_model_draft_start(user=None, council=other_council, copy_from=reference_model("leicestershire"))
    threshold_model_publish(user=None, threshold_model=draft)
    hub = AgencyFactory(council=other_council, name="Southmoor Early Help", agency_type=AgencyType.EARLY_HELP)
    care = AgencyFactory(
        council=other_council, name="Southmoor Social Care", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE
    )
    return {
        "caf_admin": UserFactory(full_name="Sol Admin", agency=hub, roles=[Role.CAF_ADMINISTRATOR]),
        "manager": UserFactory(full_name="Sam Southmoor", agency=care, roles=[Role.SOCIAL_CARE_MANAGER]),
        "child": services.child_create(
            user=other_council_user, first_name="Noah", last_name="Jones", date_of_birth=date(2017, 2, 3)
        ),
    }


def _errors(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR and record.exc_info]


def _overdue_review(caf: Caf) -> str:
    day = timezone.localdate() - timedelta(days=5)
    Caf.objects.filter(pk=caf.pk).update(next_review_on=day)
    return f"review:{caf.pk}:{day.isoformat()}"


# Reminders --------------------------------------------------------------------------------------


def test_the_reminder_tick_skips_a_caf_whose_review_date_overflows_and_reminds_everyone_else(
    broken_council, active, school_practitioner, caf_admin, other_council_user, southmoor, caplog
):
    from caf.tasks import reminders_tick

    # The bad CAF: no lead professional for a month (so the tick takes it) and a review on the last
    # day Python can count to, whose next working day overflows.
    bad = active
    Caf.objects.filter(pk=bad.pk).update(
        next_review_on=date(9999, 12, 31), activated_at=timezone.now() - timedelta(days=30)
    )
    sister = services.child_create(
        user=school_practitioner, first_name="Amber", last_name="Smith", date_of_birth=date(2019, 1, 9)
    )
    here = _overdue_review(active_caf(school_practitioner, sister))
    there = _overdue_review(active_caf(other_council_user, southmoor["child"]))

    with caplog.at_level(logging.ERROR):
        reminders_tick()

    told = set(Notification.objects.values_list("recipient__full_name", "kind", "subject_key"))
    assert ("Colin Adeyemi", Kind.REVIEW_OVERDUE, here) in told
    assert ("Sol Admin", Kind.REVIEW_OVERDUE, there) in told
    assert not Notification.objects.filter(subject_key__contains=f":{bad.pk}:").exists()
    assert not Notification.objects.filter(subject_key=f"no-lead:{bad.pk}").exists()  # its savepoint rolled back
    logged = [record.getMessage() for record in _errors(caplog)]
    assert f"Reminders: CAF {bad.pk} (council {bad.council_id}) skipped, its reminders failed" in logged
    assert f"Reminders: council {broken_council.pk} skipped, its CAFs could not be listed" in logged
    assert len(logged) == 2

    # The next tick records nothing twice and logs the same two again: they wait to be fixed.
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert reminders_tick() == 0
    assert len(_errors(caplog)) == 2


# Deadlines --------------------------------------------------------------------------------------


def _sent(user, child) -> Referral:
    referral = rs.referral_start(user=user, children=[child])
    return rs.referral_send(
        user=user, referral=referral, concern="Hungry every morning", consent="not_sought", override_reason="Risk"
    )


def _stepped_down(manager, referral) -> StepDown:
    rs.referral_decide(
        user=manager,
        referral=referral,
        decision="step_down",
        reasons="Early help can meet the needs.",
        step_down={
            "open_needs": "School attendance",
            "social_worker_summary": "Mother engaged well.",
            "consent_given_by": "Kelly Smith",
            "consent_relationship": "mother",
            "consent_given_on": timezone.localdate(),
            "consent_method": "verbal",
            "consent_agencies": [],
        },
    )
    return referral.step_downs.get()


def test_the_deadline_tick_skips_a_referral_and_a_step_down_it_cannot_work_out(
    child, school_practitioner, social_care, social_care_manager, caf_admin, other_council_user, southmoor, caplog
):
    overdue = timezone.now() - timedelta(hours=2)
    normal = _sent(school_practitioner, child)
    bad = _sent(school_practitioner, child)
    there = _sent(other_council_user, southmoor["child"])
    Referral.objects.filter(pk__in=[normal.pk, there.pk]).update(decision_due_at=overdue)
    Referral.objects.filter(pk=bad.pk).update(decision_due_at=YEAR_ONE)  # its local time overflows

    waiting = _stepped_down(social_care_manager, _sent(school_practitioner, child))
    bad_step_down = _stepped_down(social_care_manager, _sent(school_practitioner, child))
    late = timezone.localdate() - timedelta(days=3)
    StepDown.objects.filter(pk=waiting.pk).update(pick_up_due_on=late)
    StepDown.objects.filter(pk=bad_step_down.pk).update(pick_up_due_on=late, sent_at=YEAR_ONE)

    with caplog.at_level(logging.ERROR):
        deadlines_tick()

    told = set(Notification.objects.values_list("recipient__full_name", "kind", "subject_key"))
    assert ("Sarah Mitchell", Kind.REFERRAL_OVERDUE, f"referral:{normal.pk}:overdue") in told
    assert ("Sam Southmoor", Kind.REFERRAL_OVERDUE, f"referral:{there.pk}:overdue") in told
    assert ("Colin Adeyemi", Kind.STEP_DOWN_OVERDUE, f"step-down:{waiting.pk}:overdue") in told
    assert not Notification.objects.filter(subject_key__startswith=f"referral:{bad.pk}:").exists()
    assert not Notification.objects.filter(subject_key__startswith=f"step-down:{bad_step_down.pk}:overdue").exists()
    logged = {record.getMessage() for record in _errors(caplog)}
    assert logged == {
        f"Deadlines: referral {bad.pk} skipped, its alert failed",
        f"Deadlines: step-down {bad_step_down.pk} skipped, its chase failed",
    }
