"""Step-up and step-down rules (referrals.services), their deadlines and the deadline job."""

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import AgencyType, Notification, Role
from caf import permissions as perms
from caf import selectors as caf_selectors
from caf import services as caf_services
from caf.models import Caf, SharingBasis
from config.celery import app
from core.errors import Refused
from referrals import selectors
from referrals import services as rs
from referrals.deadlines import deadlines_due
from referrals.models import Referral, StepDown, TimelineEntry
from referrals.tasks import deadlines_tick
from tests import caf_helpers
from tests.caf_helpers import active_caf
from tests.factories import AgencyFactory, UserFactory

LONDON = ZoneInfo("Europe/London")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def consented(user, referral, **extra):
    return rs.referral_send(
        user=user,
        referral=referral,
        concern="Bruising on both arms; Jayden said his stepfather grabbed him.",
        consent=rs.CONSENT_GIVEN,
        consent_given_by="Kelly Smith",
        consent_relationship="mother",
        consent_given_on=timezone.localdate(),
        **extra,
    )


def transfer(*agencies, **extra):
    return {
        "open_needs": "School attendance; mum's low mood",
        "social_worker_summary": "Mum engaged well and wants support",
        "consent_given_by": "Kelly Smith",
        "consent_relationship": "mother",
        "consent_given_on": date(2026, 11, 2),
        "consent_method": "verbal",
        "consent_agencies": list(agencies),
        **extra,
    }


@pytest.fixture
def sent(active, school_practitioner, social_care):
    referral = rs.referral_start(user=school_practitioner, children=list(active.children.all()), caf=active)
    return consented(school_practitioner, referral)


@pytest.fixture
def other_council_manager(other_council):
    agency = AgencyFactory(council=other_council, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
    return UserFactory(agency=agency, roles=[Role.SOCIAL_CARE_MANAGER])


# Deadlines in working hours -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_at", "due_at"),
    [
        ("2026-11-23 10:00", "2026-11-24 10:00"),  # one working day ends at the same time the next day
        ("2026-11-27 15:00", "2026-11-30 15:00"),  # Friday afternoon: the weekend does not count
        ("2026-11-28 11:00", "2026-12-01 09:00"),  # Saturday: the clock starts Monday 09:00, so Tuesday 09:00
        ("2026-12-24 15:00", "2026-12-29 15:00"),  # Christmas Day and the Boxing Day holiday (Monday 28th)
        ("2026-10-23 16:00", "2026-10-26 16:00"),  # across the clock change: still 16:00 on the wall
    ],
)
def test_the_decision_deadline_counts_working_hours(sent_at, due_at, school_practitioner, child, social_care):
    referral = rs.referral_start(user=school_practitioner, children=[child])
    with time_machine.travel(at(sent_at), tick=False):
        consented(school_practitioner, referral)
    referral.refresh_from_db()
    assert referral.decision_due_at == at(due_at)


def test_immediate_risk_is_never_held_to_office_hours(school_practitioner, child, social_care, social_care_manager):
    referral = rs.referral_start(user=school_practitioner, children=[child], immediate_risk=True)
    with time_machine.travel(at("2026-11-28 02:00"), tick=False):  # a Saturday night
        with pytest.raises(Refused, match="phone the front door now"):
            consented(school_practitioner, referral)
        rs.front_door_call_record(
            user=school_practitioner, referral=referral, called_at=at("2026-11-28 01:50"), spoke_to="EDT duty worker"
        )
        consented(school_practitioner, referral)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.decision_due_at == at("2026-11-28 10:00")
    alert = Notification.objects.get(kind=Notification.Kind.REFERRAL_IMMEDIATE)
    assert alert.recipient == social_care_manager and "immediate risk" in alert.body


# Sending -------------------------------------------------------------------------------------------


def test_sending_with_consent_opens_the_caf_to_social_care(sent, active, social_care_manager, social_worker):
    assert sent.status == Referral.Status.SENT and sent.basis == SharingBasis.CONSENT
    assert perms.has_caf_permission(social_care_manager, perms.VIEW, active)
    assert perms.has_caf_permission(social_worker, perms.VIEW, active)
    assert list(sent.timeline.values_list("what", flat=True))[-1].startswith("Sent to children's social care")


def test_without_consent_the_referral_does_not_go(school_practitioner, child, social_care, social_care_manager):
    referral = rs.referral_start(user=school_practitioner, children=[child])
    with pytest.raises(Refused, match="seeking consent would increase the risk"):
        rs.referral_send(user=school_practitioner, referral=referral, concern="Worried", consent=rs.CONSENT_REFUSED)
    with pytest.raises(Refused, match="whether the family agrees"):
        rs.referral_send(user=school_practitioner, referral=referral, concern="Worried")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT
    assert list(selectors.front_door_queue(social_care_manager)) == []


def test_the_override_needs_only_its_reason(school_practitioner, child, social_care):
    referral = rs.referral_start(user=school_practitioner, children=[child])
    with pytest.raises(Refused, match="Say why seeking consent"):
        rs.referral_send(user=school_practitioner, referral=referral, concern="x", consent=rs.CONSENT_NOT_SOUGHT)
    rs.referral_send(
        user=school_practitioner,
        referral=referral,
        concern="Jayden said he is scared to go home",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Telling his stepfather would put Jayden at risk tonight",
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE
    assert referral.tried == "" and referral.family_informed is None  # nothing else held it up


def test_only_the_referrer_sends_and_children_must_be_the_councils(
    school_practitioner, school_colleague, child, other_council_user, social_care
):
    referral = rs.referral_start(user=school_practitioner, children=[child])
    with pytest.raises(PermissionDenied):
        consented(school_colleague, referral)
    with pytest.raises(Refused, match="recorded in your council"):
        rs.referral_start(user=other_council_user, children=[child])


# Re-referrals --------------------------------------------------------------------------------------


def test_a_re_referral_within_twelve_months_is_flagged_with_the_earlier_outcome(
    school_practitioner, child, social_care, social_care_manager
):
    with time_machine.travel(at("2026-01-12 10:00"), tick=False):
        first = consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
        rs.referral_decide(
            user=social_care_manager,
            referral=first,
            decision=Referral.Decision.NO_FURTHER_ACTION,
            reasons="No evidence of harm",
            advice="Start a CAF",
        )
    with time_machine.travel(at("2026-11-23 10:00"), tick=False):
        again = consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
        [queued] = selectors.front_door_queue(social_care_manager)
        warnings = selectors.referrals_within_a_year([child], before=again.sent_at, exclude=again.pk)
    assert queued.earlier_id == first.pk
    assert selectors.earlier_outcome(queued.earlier_decision) == "No further action, with advice to the referrer"
    assert warnings == [first]


def test_a_referral_more_than_twelve_months_ago_is_not_a_re_referral(
    school_practitioner, child, social_care, social_care_manager
):
    with time_machine.travel(at("2025-11-20 10:00"), tick=False):
        consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
    with time_machine.travel(at("2026-11-23 10:00"), tick=False):
        again = consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
        [queued] = [r for r in selectors.front_door_queue(social_care_manager) if r.pk == again.pk]
        assert selectors.referrals_within_a_year([child], before=again.sent_at, exclude=again.pk) == []
    assert queued.earlier_id is None


# Decisions ------------------------------------------------------------------------------------------


def test_no_further_action_needs_advice_and_tells_the_referrer_and_the_lead(
    sent, active, school_practitioner, caf_admin, health_visitor, social_care_manager
):
    caf_services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    caf_services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    with pytest.raises(Refused, match="advice to the referrer"):
        rs.referral_decide(user=social_care_manager, referral=sent, decision="no_further_action", reasons="Below")
    rs.referral_decide(
        user=social_care_manager, referral=sent, decision="no_further_action", reasons="Below", advice="Keep the CAF"
    )
    told = Notification.objects.filter(kind=Notification.Kind.REFERRAL_DECIDED)
    assert sorted(told.values_list("recipient__full_name", flat=True)) == ["Hannah Okoro", "Priya Shah"]
    assert "Keep the CAF" in told.first().body
    active.refresh_from_db()
    assert active.status == Caf.Status.ACTIVE


def test_child_in_need_makes_the_social_worker_lead_professional(sent, active, social_care_manager, social_worker):
    with pytest.raises(Refused, match="Choose the social worker"):
        rs.referral_decide(user=social_care_manager, referral=sent, decision="child_in_need", reasons="Assess")
    rs.referral_decide(
        user=social_care_manager, referral=sent, decision="child_in_need", reasons="Assess", social_worker=social_worker
    )
    lead = active.lead_professionals.get(ended_at__isnull=True)
    assert lead.user == social_worker and lead.social_work_led
    assert perms.has_caf_permission(social_worker, perms.CHANGE_PLAN, active)
    assert active.taf_members.filter(user=social_worker, left_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=social_worker, kind="social_worker_allocated").exists()


def test_where_social_care_lives_elsewhere_the_caf_closes_as_stepped_up(
    sent, active, council, social_care_manager, social_worker
):
    council.social_worker_leads_caf = False
    council.save()
    rs.referral_decide(
        user=social_care_manager, referral=sent, decision="child_protection", reasons="S47", social_worker=social_worker
    )
    active.refresh_from_db()
    assert active.status == Caf.Status.CLOSED and active.closure_reason == Caf.ClosureReason.STEPPED_UP
    assert not active.lead_professionals.filter(user=social_worker).exists()


def test_step_down_at_the_front_door_sends_the_family_to_early_help(
    sent, social_care_manager, early_help_hub, caf_admin
):
    with time_machine.travel(at("2026-11-27 11:00"), tick=False):  # a Friday
        rs.referral_decide(
            user=social_care_manager,
            referral=sent,
            decision="step_down",
            reasons="Threshold not met",
            step_down=transfer(early_help_hub),
        )
    step_down = sent.step_downs.get()
    assert step_down.point == StepDown.Point.FRONT_DOOR and step_down.status == StepDown.Status.WAITING
    assert step_down.pick_up_due_on == date(2026, 12, 4)  # five working days
    assert Notification.objects.filter(recipient=caf_admin, kind="step_down_sent").exists()


def test_only_the_councils_front_door_decides_and_only_once(
    sent, social_worker, school_practitioner, other_council_manager, social_care_manager
):
    for who in (social_worker, school_practitioner, other_council_manager):
        with pytest.raises(PermissionDenied):
            rs.referral_decide(user=who, referral=sent, decision="step_down", reasons="x", step_down={})
    rs.referral_decide(user=social_care_manager, referral=sent, decision="no_further_action", reasons="r", advice="a")
    with pytest.raises(Refused, match="already been decided"):
        rs.referral_decide(
            user=social_care_manager, referral=sent, decision="no_further_action", reasons="r", advice="a"
        )


def test_a_practitioner_sees_only_their_own_referrals_outcome(sent, school_practitioner, school_colleague):
    assert selectors.referral_may_see(school_practitioner, sent)
    assert not selectors.referral_may_see(school_colleague, sent)


def test_another_councils_manager_sees_nothing(sent, other_council_manager):
    assert not selectors.referral_may_see(other_council_manager, sent)
    assert list(selectors.front_door_queue(other_council_manager)) == []


# Step-down and pick-up -------------------------------------------------------------------------------


@pytest.fixture
def taken_on(sent, social_care_manager, social_worker):
    return rs.referral_decide(
        user=social_care_manager, referral=sent, decision="child_in_need", reasons="Assess", social_worker=social_worker
    )


def test_step_down_after_assessment_and_pick_up_continues_the_social_work_led_caf(
    taken_on, active, social_worker, caf_admin, early_help_hub, health_visitor
):
    step_down = rs.step_down_send(
        user=social_worker,
        point=StepDown.Point.AFTER_ASSESSMENT,
        referral=taken_on,
        reason="Not met",
        **transfer(early_help_hub),
    )
    with pytest.raises(Refused, match="already have a step-down"):
        rs.step_down_send(
            user=social_worker, point="child_in_need_closure", referral=taken_on, reason="x", **transfer()
        )
    picked = rs.step_down_pick_up(user=caf_admin, step_down=step_down)
    assert picked.picked_up_caf == active
    consent = caf_selectors.current_consent(active)  # the family's consent to early help, from the transfer
    assert consent.given_by == "Kelly Smith" and consent.agencies.filter(pk=early_help_hub.pk).exists()
    # Recorded as given (Settled question 11): the agencies of her earlier consent are not merged in.
    assert not consent.agencies.filter(pk=health_visitor.agency_id).exists()
    assert consent.replaces is not None  # her consent, updated: one in force per person
    assert picked.status == StepDown.Status.PICKED_UP  # the social worker still leads: not yet early help's

    # The CAF administrator checks with the family, who agree to health visiting again.
    agencies = [early_help_hub, health_visitor.agency]
    caf_helpers.consent(active, caf_admin, *agencies)
    caf_services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    caf_services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    picked.refresh_from_db()
    assert picked.status == StepDown.Status.COMPLETED and picked.completed_at is not None
    assert "the step-down is complete" in picked.timeline.last().what


def test_step_down_at_child_in_need_closure_from_a_social_work_led_caf(taken_on, active, social_worker, early_help_hub):
    step_down = rs.step_down_send(
        user=social_worker,
        point=StepDown.Point.CHILD_IN_NEED_CLOSURE,
        caf=active,
        reason="Plan complete",
        **transfer(early_help_hub),
    )
    assert step_down.caf == active and list(step_down.children.all()) == list(active.children.all())


def test_step_down_is_social_cares_and_needs_consent(
    sent, taken_on, school_practitioner, caf_admin, social_worker, early_help_hub
):
    for who in (school_practitioner, caf_admin):
        with pytest.raises(PermissionDenied):
            rs.step_down_send(
                user=who, point="after_assessment", referral=taken_on, reason="x", **transfer(early_help_hub)
            )
    with pytest.raises(Refused, match="consent to early help"):
        rs.step_down_send(
            user=social_worker,
            point="after_assessment",
            referral=taken_on,
            reason="x",
            **transfer(early_help_hub, consent_given_by=""),
        )
    with pytest.raises(Refused, match="Choose when"):
        rs.step_down_send(user=social_worker, point="front_door", referral=taken_on, reason="x", **transfer())
    assert not StepDown.objects.exists()


def test_pick_up_starts_a_new_caf_when_the_family_had_none(
    school_practitioner, child, social_care, social_care_manager, caf_admin, early_help_hub, council_model
):
    referral = consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
    rs.referral_decide(
        user=social_care_manager, referral=referral, decision="step_down", reasons="r", step_down=transfer()
    )
    step_down = referral.step_downs.get()
    with pytest.raises(Refused, match="level of need"):
        rs.step_down_pick_up(user=caf_admin, step_down=step_down)
    level = council_model.levels.get(code="2")
    with pytest.raises(PermissionDenied):
        rs.step_down_pick_up(user=social_care_manager, step_down=step_down, levels={child.pk: level})

    picked = rs.step_down_pick_up(user=caf_admin, step_down=step_down, levels={child.pk: level})

    caf = picked.picked_up_caf
    assert caf.status == Caf.Status.ACTIVE and list(caf.children.all()) == [child]
    assert caf.consents.get().given_by == "Kelly Smith"
    assert caf.caf_children.get().level == level
    assert child.level_changes.get().reason.startswith("Stepped down from children's social care")
    assert picked.status == StepDown.Status.PICKED_UP  # closes only with a lead professional


def test_pick_up_reopens_a_closed_caf_with_its_history_and_completes_with_a_lead(
    school_practitioner, child, social_care, social_care_manager, caf_admin, early_help_hub, school, council_model
):
    old = active_caf(school_practitioner, child, early_help_hub)
    caf_services.household_record(
        user=school_practitioner, child=child, adults=[{"full_name": "Kelly Smith", "relationship": "mother"}]
    )
    old.adults.set(child.household_adults.all())
    caf_services.caf_close(user=caf_admin, caf=old, reason="needs_met", summary="Went well")
    referral = consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
    rs.referral_decide(
        user=social_care_manager, referral=referral, decision="step_down", reasons="r", step_down=transfer(school)
    )
    step_down = referral.step_downs.get()

    picked = rs.step_down_pick_up(
        user=caf_admin,
        step_down=step_down,
        levels={child.pk: council_model.levels.get(code="2")},
        lead=school_practitioner,
    )

    caf = picked.picked_up_caf
    assert caf.previous_episode == old
    assert [entry.needs for entry in caf.assessment_entries.all()] == [e.needs for e in old.assessment_entries.all()]
    assert [adult.full_name for adult in caf.adults.all()] == ["Kelly Smith"]
    assert caf.lead_professionals.get(ended_at__isnull=True).user == school_practitioner
    assert picked.status == StepDown.Status.COMPLETED
    assert Notification.objects.filter(recipient=social_care_manager, kind="step_down_picked_up").exists()


def test_a_family_may_decline_early_help(sent, social_care_manager, caf_admin):
    rs.referral_decide(user=social_care_manager, referral=sent, decision="step_down", reasons="r", step_down=transfer())
    step_down = sent.step_downs.get()
    with pytest.raises(Refused, match="Say why"):
        rs.step_down_decline(user=caf_admin, step_down=step_down, reason=" ")
    rs.step_down_decline(user=caf_admin, step_down=step_down, reason="Managing now")
    step_down.refresh_from_db()
    assert step_down.status == StepDown.Status.DECLINED
    with pytest.raises(Refused):
        rs.step_down_pick_up(user=caf_admin, step_down=step_down)
    assert selectors.step_down_figures(step_down.council)[0].declined == 1


# The deadline job -------------------------------------------------------------------------------------


def test_an_overdue_referral_alerts_the_front_door_once_per_threshold(
    school_practitioner, child, social_care, social_care_manager
):
    with time_machine.travel(at("2026-11-23 10:00"), tick=False):
        referral = consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
    assert deadlines_due(now=at("2026-11-24 09:59")) == 0
    assert deadlines_due(now=at("2026-11-24 10:01")) == 1
    assert deadlines_due(now=at("2026-11-24 16:00")) == 0  # once
    assert deadlines_due(now=at("2026-11-25 10:01")) == 1  # still undecided a further working day later
    assert deadlines_due(now=at("2026-11-26 10:01")) == 0
    kinds = Notification.objects.filter(recipient=social_care_manager).values_list("kind", flat=True)
    assert sorted(kinds) == ["referral_overdue", "referral_still_overdue"]
    assert referral.timeline.filter(what__startswith="Decision deadline passed").count() == 1


def test_a_decided_referral_is_never_alerted(sent, social_care_manager):
    rs.referral_decide(user=social_care_manager, referral=sent, decision="no_further_action", reasons="r", advice="a")
    assert deadlines_due(now=sent.decision_due_at + timedelta(days=3)) == 0


def test_an_unpicked_step_down_is_chased_once(sent, social_care_manager, caf_admin, council):
    with time_machine.travel(at("2026-11-23 10:00"), tick=False):
        rs.referral_decide(
            user=social_care_manager, referral=sent, decision="step_down", reasons="r", step_down=transfer()
        )
    step_down = sent.step_downs.get()
    assert step_down.pick_up_due_on == date(2026, 11, 30)
    assert deadlines_due(now=at("2026-11-30 16:00")) == 0  # due today, not yet late
    assert deadlines_due(now=at("2026-12-01 08:00")) == 1
    assert deadlines_due(now=at("2026-12-02 08:00")) == 0
    chase = Notification.objects.get(kind="step_down_overdue")
    assert chase.recipient == caf_admin
    assert TimelineEntry.objects.filter(step_down=step_down, what__startswith="Not picked up in time").count() == 1


def test_the_deadline_tick_is_on_beat():
    entry = app.conf.beat_schedule["deadlines-tick"]
    assert entry["task"] == deadlines_tick.name == "referrals.tasks.deadlines_tick"
    assert entry["schedule"] == 5 * 60


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_alerts_the_front_door_about_an_overdue_referral(
    redis_url, school_practitioner, child, social_care, social_care_manager
):
    with time_machine.travel(at("2026-11-16 10:00"), tick=False):
        referral = consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
    previous = app.conf.broker_url
    app.conf.broker_url = redis_url
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            with transaction.atomic():
                deadlines_tick.delay()  # past both thresholds: two alerts, each sent once
            deadline = time.monotonic() + 30
            while len(mail.outbox) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        app.conf.broker_url = previous
    assert sorted(message.to[0] for message in mail.outbox) == [social_care_manager.email] * 2
    assert deadlines_tick.apply().get() == 0  # again: nothing new
    assert Notification.objects.filter(recipient=social_care_manager, sent_at__isnull=False).count() == 2
    assert referral.timeline.filter(what__startswith="Decision deadline passed").count() == 1


def test_the_childs_chronology_shows_the_step_up_and_the_step_down(
    taken_on, active, social_worker, caf_admin, early_help_hub, school_practitioner
):
    from caf.selectors import child_chronology

    rs.step_down_send(
        user=social_worker, point="after_assessment", referral=taken_on, reason="Not met", **transfer(early_help_hub)
    )
    events = [event.what for event in child_chronology(school_practitioner, active.children.get())]
    assert "Referral sent to children's social care by Oakfield Primary School" in events
    assert "Children's social care decided: Social care assessment as a Child in Need (section 17)" in events
    assert "Stepped down to early help, after a social care assessment that found the threshold not met" in events


# The family's exclusions stand (Settled question 2) ---------------------------------------------------


@pytest.fixture
def excluding_social_care(school_practitioner, child, social_care, council_model):
    """An active CAF whose family excluded children's social care from the assessment."""
    from tests.caf_helpers import complete, consent

    caf = caf_services.caf_start(user=school_practitioner, children=[child])
    consent(caf, school_practitioner, excluded_agencies=[social_care])
    complete(caf, school_practitioner)
    return caf_services.caf_submit(user=school_practitioner, caf=caf)


def test_with_consent_an_excluded_agency_is_not_shown_the_caf(
    excluding_social_care, school_practitioner, social_care_manager
):
    referral = rs.referral_start(
        user=school_practitioner, children=list(excluding_social_care.children.all()), caf=excluding_social_care
    )
    referral = consented(school_practitioner, referral)
    assert selectors.referral_may_see(social_care_manager, referral)  # the referral itself goes
    assert not perms.has_caf_permission(social_care_manager, perms.VIEW, excluding_social_care)
    assert referral.timeline.filter(what__contains="the family excluded it").exists()


def test_a_safeguarding_override_shares_the_caf_as_evidence(
    excluding_social_care, school_practitioner, social_care_manager
):
    referral = rs.referral_start(
        user=school_practitioner, children=list(excluding_social_care.children.all()), caf=excluding_social_care
    )
    rs.referral_send(
        user=school_practitioner,
        referral=referral,
        concern="Disclosure of abuse",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put the child at risk of significant harm",
    )
    assert perms.has_caf_permission(social_care_manager, perms.VIEW, excluding_social_care)


def test_an_excluded_social_worker_does_not_become_lead_professional(
    excluding_social_care, school_practitioner, social_care_manager, social_worker
):
    referral = consented(
        school_practitioner,
        rs.referral_start(
            user=school_practitioner, children=list(excluding_social_care.children.all()), caf=excluding_social_care
        ),
    )
    rs.referral_decide(
        user=social_care_manager, referral=referral, decision="child_in_need", reasons="r", social_worker=social_worker
    )
    assert not excluding_social_care.lead_professionals.filter(user=social_worker).exists()
    assert not excluding_social_care.taf_members.filter(user=social_worker).exists()
    assert not perms.has_caf_permission(social_worker, perms.VIEW, excluding_social_care)
    assert referral.timeline.filter(what__startswith="The family excluded Sam Whitfield").exists()
    with pytest.raises(Refused, match="does not see the assessment"):
        caf_services.lead_professional_from_social_care(
            user=social_care_manager, caf=excluding_social_care, social_worker=social_worker
        )
