"""The step-up and step-down services refuse, asked directly (issue 12): the wrong person or council
(PermissionDenied, a 403 on the page), the wrong state and bad input (Refused), each with the words
the person reads, and none of them writes anything: no referral, decision, step-down, timeline entry,
grant or notification (`tests.refusals.refused` compares every row before and after)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import AgencyType, Role
from caf import services as caf_services
from caf.models import Caf
from referrals import services as rs
from referrals.models import Referral, StepDown
from tests.caf_helpers import active_caf
from tests.factories import AgencyFactory, UserFactory
from tests.refusals import denied, refused

pytestmark = pytest.mark.django_db

CONSENT = {
    "consent": rs.CONSENT_GIVEN,
    "consent_given_by": "Kelly Smith",
    "consent_relationship": "mother",
    "consent_given_on": date(2026, 11, 2),
}


def send(user, referral, **overrides):
    fields = {"concern": "Bruising on both arms; Jayden said his stepfather grabbed him.", **CONSENT}
    return rs.referral_send(user=user, referral=referral, **{**fields, **overrides})


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


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def started(school_practitioner, child, social_care):
    return rs.referral_start(user=school_practitioner, children=[child])


@pytest.fixture
def sent(started, school_practitioner):
    return send(school_practitioner, started)


@pytest.fixture
def taken_on(sent, social_care_manager, social_worker):
    return rs.referral_decide(
        user=social_care_manager, referral=sent, decision="child_in_need", reasons="Assess", social_worker=social_worker
    )


@pytest.fixture
def other_council_social_care(other_council):
    return AgencyFactory(council=other_council, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)


@pytest.fixture
def other_council_manager(other_council_social_care):
    return UserFactory(agency=other_council_social_care, roles=[Role.SOCIAL_CARE_MANAGER])


@pytest.fixture
def other_council_social_worker(other_council_social_care):
    return UserFactory(agency=other_council_social_care, roles=[Role.SOCIAL_WORKER])


# Starting and sending -----------------------------------------------------------------------------


def test_a_referral_is_started_by_the_councils_staff_for_its_children(school_practitioner, child, other_council_user):
    service_administrator = UserFactory(agency=None, is_superuser=True)  # sees every council, belongs to none
    with denied("Only a council's staff can refer a child to children's social care."):
        rs.referral_start(user=service_administrator, children=[child])
    with refused("Choose the child, or the children, you are referring."):
        rs.referral_start(user=school_practitioner, children=[])
    with refused("Choose children recorded in your council (not merged records)."):
        rs.referral_start(user=other_council_user, children=[child])


def test_a_referral_carries_the_caf_only_from_its_lead_and_only_for_its_children(
    active, school_practitioner, school_colleague, child
):
    # The colleague sees the CAF through the school's grant; referring with it is the lead's (here the initiator's).
    with denied("Only the CAF's lead professional refers with the CAF attached: refer from the child's record."):
        rs.referral_start(user=school_colleague, children=[child], caf=active)
    sister = caf_services.child_create(
        user=school_practitioner, first_name="Ava", last_name="Smith", date_of_birth=date(2014, 2, 2)
    )
    with refused("Choose children of this CAF, or refer the others separately."):
        rs.referral_start(user=school_practitioner, children=[child, sister], caf=active)


def test_the_front_door_call_is_the_referrers_made_within_the_last_day(started, school_practitioner, school_colleague):
    def call(user=school_practitioner, called_at=None, spoke_to="Duty manager Lee"):
        return rs.front_door_call_record(
            user=user, referral=started, called_at=called_at or timezone.now(), spoke_to=spoke_to
        )

    with denied("Only the person who started the referral may change or send it."):
        call(school_colleague)
    with refused("Enter who you spoke to at the front door."):
        call(spoke_to="  ")
    with refused("The time of the call cannot be in the future."):
        call(called_at=timezone.now() + timedelta(minutes=30))
    with refused("The time of the call must be within the last day: record the call when you make it."):
        call(called_at=timezone.now() - timedelta(days=2))


def test_a_sent_referral_takes_no_call_and_is_not_sent_again(sent, school_practitioner):
    with refused("This referral has already been sent."):
        rs.front_door_call_record(
            user=school_practitioner, referral=sent, called_at=timezone.now(), spoke_to="Duty manager Lee"
        )
    with refused("This referral has already been sent."):
        send(school_practitioner, sent)


def test_a_referral_is_sent_by_its_referrer_with_the_concern_and_who_agreed_when(
    started, school_practitioner, school_colleague
):
    with denied("Only the person who started the referral may send it."):
        send(school_colleague, started)
    with refused("Describe the concern: what you have seen or been told, and when."):
        send(school_practitioner, started, concern=" ")
    for missing in ("consent_given_by", "consent_relationship"):
        with refused("Say who agreed to the referral, their relationship to the child and when."):
            send(school_practitioner, started, **{missing: " "})
    with refused("Say who agreed to the referral, their relationship to the child and when."):
        send(school_practitioner, started, consent_given_on=None)
    with refused("The date consent was given cannot be in the future."):
        send(school_practitioner, started, consent_given_on=today() + timedelta(days=1))
    with refused("The date consent was given must be on or after 1 January 2000."):
        send(school_practitioner, started, consent_given_on=date(1999, 12, 31))


def test_a_council_without_childrens_social_care_recorded_is_told_to_phone(school_practitioner, child):
    referral = rs.referral_start(user=school_practitioner, children=[child])
    with refused("Your council has no children's social care agency recorded: phone the front door instead."):
        send(school_practitioner, referral)


# The front door -----------------------------------------------------------------------------------


def test_only_the_councils_front_door_claims_a_sent_referral_once(
    started, school_practitioner, social_care_manager, other_council_manager, social_worker
):
    for who in (school_practitioner, social_worker, other_council_manager):
        with denied("Only the council's social care managers decide referrals."):
            rs.referral_claim(user=who, referral=started)
    with refused("Only a referral awaiting a decision can be claimed."):
        rs.referral_claim(user=social_care_manager, referral=started)
    send(school_practitioner, started)
    rs.referral_claim(user=social_care_manager, referral=started)
    with refused("You have already claimed this referral."):
        rs.referral_claim(user=social_care_manager, referral=started)


def test_a_decision_is_the_front_doors_with_reasons_and_advice_once(
    sent, social_care_manager, school_practitioner, other_council_manager
):
    def decide(user=social_care_manager, decision=Referral.Decision.NO_FURTHER_ACTION, **fields):
        fields = {"reasons": "No evidence of harm", "advice": "Start a CAF", **fields}
        return rs.referral_decide(user=user, referral=sent, decision=decision, **fields)

    for who in (school_practitioner, other_council_manager):
        with denied("Only the council's social care managers decide referrals."):
            decide(who)
    with refused("Choose the decision."):
        decide(decision="wait and see")
    with refused("Give the reasons for the decision."):
        decide(reasons=" ")
    with refused("Give your advice to the referrer: what they and the family can do now."):
        decide(advice=" ")
    decide()
    with refused("This referral has already been decided."):
        decide()


def test_social_care_work_needs_an_active_social_worker_of_the_council_and_only_it_does(
    sent, social_care_manager, social_worker, school_practitioner, social_care, other_council_social_worker
):
    def decide(decision=Referral.Decision.CHILD_IN_NEED, **fields):
        return rs.referral_decide(
            user=social_care_manager, referral=sent, decision=decision, reasons="Assess the family", **fields
        )

    with refused("Choose the social worker allocated to the family."):
        decide()
    gone = UserFactory(agency=social_care, roles=[Role.SOCIAL_WORKER], is_active=False)
    for not_ours in (school_practitioner, gone, other_council_social_worker, social_care_manager):
        with refused("Choose a social worker of this council's children's social care."):
            decide(social_worker=not_ours)
    with refused("A social worker is allocated only when social care takes the referral on."):
        decide(Referral.Decision.NO_FURTHER_ACTION, advice="Start a CAF", social_worker=social_worker)
    with refused("Say what early help needs to know: the needs still open and the family's consent."):
        decide(Referral.Decision.STEP_DOWN)


def test_a_step_down_at_the_front_door_is_refused_whole_when_its_transfer_is_wrong(
    sent, social_care_manager, early_help_hub, health_visiting, other_council_school, other_council_user
):
    def step_down(*agencies, **extra):
        return rs.referral_decide(
            user=social_care_manager,
            referral=sent,
            decision=Referral.Decision.STEP_DOWN,
            reasons="Threshold not met",
            step_down=transfer(*agencies, **extra),
        )

    with refused(
        "Early help needs the reason, the needs still open, the social worker's summary and the family's "
        "consent to early help (who gave it, their relationship to the child, when and how)."
    ):
        step_down(early_help_hub, open_needs="")
    with refused("The date consent was given cannot be in the future."):
        step_down(early_help_hub, consent_given_on=today() + timedelta(days=1))
    with refused("The date consent was given must be on or after 1 January 2000."):
        step_down(early_help_hub, consent_given_on=date(1999, 12, 31))
    with refused("Choose agencies of this council."):
        step_down(other_council_school)
    with refused("Choose agencies of this council."):
        step_down(early_help_hub, excluded_agencies=[other_council_school])
    with refused("Choose people of this council."):
        step_down(early_help_hub, excluded_people=[other_council_user])
    with refused("An agency cannot be both agreed by the family and excluded by them."):
        step_down(early_help_hub, health_visiting, excluded_agencies=[health_visiting])
    with refused(
        "The family cannot exclude the council's early help team, which picks them up: "
        "name the people they do not want to see it instead."
    ):
        step_down(excluded_agencies=[early_help_hub])
    sent.refresh_from_db()
    assert sent.status == Referral.Status.SENT  # the decision went with the step-down


# Step-down after social care's work --------------------------------------------------------------


def test_a_step_down_comes_from_social_care_work_of_the_users_own_council(
    taken_on, social_worker, other_council_social_worker, active
):
    def step_down(user=social_worker, **where):
        return rs.step_down_send(
            user=user, point=StepDown.Point.AFTER_ASSESSMENT, reason="Threshold not met", **where, **transfer()
        )

    with denied("This referral is not your council's."):
        step_down(other_council_social_worker, referral=taken_on)
    with denied("This CAF is not your council's."):
        step_down(other_council_social_worker, caf=active)
    with refused("Only a social-work-led CAF steps down from here."):
        step_down(caf=active)
    with refused("Step down from the referral or the CAF that social care is working on."):
        step_down()


def test_a_referral_not_taken_on_does_not_step_down_after_social_care_work(
    sent, social_worker, school_practitioner, caf_admin
):
    for who in (school_practitioner, caf_admin):
        with denied("Only children's social care steps a family down."):
            rs.step_down_send(user=who, point="after_assessment", referral=sent, reason="x", **transfer())
    with refused("Only a referral that social care took on (section 17 or 47) steps down after its work."):
        rs.step_down_send(user=social_worker, point="after_assessment", referral=sent, reason="x", **transfer())


def test_a_step_down_names_children_of_the_family(taken_on, social_worker, school_practitioner):
    cousin = caf_services.child_create(
        user=school_practitioner, first_name="Noah", last_name="Brown", date_of_birth=date(2015, 7, 7)
    )

    def step_down(children):
        return rs.step_down_send(
            user=social_worker,
            point=StepDown.Point.AFTER_ASSESSMENT,
            referral=taken_on,
            children=children,
            reason="Threshold not met",
            **transfer(),
        )

    with refused("Choose children of this family."):
        step_down([cousin])
    with refused("Choose the children early help is to pick up."):
        step_down([])


def test_a_family_is_stepped_down_once_at_each_point_of_a_referral(taken_on, social_worker, caf_admin):
    def step_down():
        return rs.step_down_send(
            user=social_worker,
            point=StepDown.Point.AFTER_ASSESSMENT,
            referral=taken_on,
            reason="Threshold not met",
            **transfer(),
        )

    rs.step_down_decline(user=caf_admin, step_down=step_down(), reason="Managing on their own now")
    with refused("This family has already been stepped down at this point."):
        step_down()


# Picking up ---------------------------------------------------------------------------------------


@pytest.fixture
def waiting(sent, social_care_manager):
    return rs.referral_decide(
        user=social_care_manager,
        referral=sent,
        decision=Referral.Decision.STEP_DOWN,
        reasons="Threshold not met",
        step_down=transfer(),
    ).step_downs.get()


def test_a_step_down_is_picked_up_or_declined_by_a_caf_administrator_only(
    waiting, social_care_manager, social_worker, school_practitioner
):
    for who in (social_care_manager, social_worker, school_practitioner):
        with denied("Only the council's CAF administrators pick up a step-down."):
            rs.step_down_pick_up(user=who, step_down=waiting)
        with denied("Only the council's CAF administrators pick up a step-down."):
            rs.step_down_decline(user=who, step_down=waiting, reason="They said no")


def test_a_caf_administrator_the_family_named_to_social_care_does_not_pick_up(
    sent, social_care_manager, caf_admin, early_help_hub
):
    rs.referral_decide(
        user=social_care_manager,
        referral=sent,
        decision=Referral.Decision.STEP_DOWN,
        reasons="Threshold not met",
        step_down=transfer(early_help_hub, excluded_people=[caf_admin]),
    )
    with denied("Only the council's CAF administrators pick up a step-down."):
        rs.step_down_pick_up(user=caf_admin, step_down=sent.step_downs.get())


def test_a_step_down_is_picked_up_once_and_not_declined_after(waiting, caf_admin, child, council_model):
    rs.step_down_pick_up(user=caf_admin, step_down=waiting, levels={child.pk: council_model.levels.get(code="2")})
    with refused("This step-down has already been picked up or declined."):
        rs.step_down_pick_up(user=caf_admin, step_down=waiting, levels={child.pk: council_model.levels.get(code="2")})
    with refused("This is picked up: waiting for a lead professional, so it cannot become declined by the family."):
        rs.step_down_decline(user=caf_admin, step_down=waiting, reason="They changed their minds")


def test_a_pick_up_without_each_childs_level_leaves_no_half_reopened_caf(
    school_practitioner, child, social_care, social_care_manager, caf_admin, early_help_hub, council_model
):
    old = active_caf(school_practitioner, child, early_help_hub)
    caf_services.caf_close(user=caf_admin, caf=old, reason="needs_met", summary="Went well")
    referral = send(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
    rs.referral_decide(
        user=social_care_manager, referral=referral, decision="step_down", reasons="r", step_down=transfer()
    )
    step_down = referral.step_downs.get()
    # The new episode is started (and the consent recorded on it) before the levels are checked:
    # the refusal takes all of it back, and the closed CAF can still be reopened.
    with refused(f"Choose {child}'s level of need now, from the council's threshold model."):
        rs.step_down_pick_up(user=caf_admin, step_down=step_down)
    assert not Caf.objects.filter(previous_episode=old).exists()


def test_a_pick_up_does_not_start_another_episode_beside_a_reopened_draft(
    school_practitioner, child, social_care, social_care_manager, caf_admin, early_help_hub, council_model
):
    old = active_caf(school_practitioner, child, early_help_hub)
    caf_services.caf_close(user=caf_admin, caf=old, reason="needs_met", summary="Went well")
    reopened = caf_services.caf_reopen(user=school_practitioner, caf=old)  # a draft, not yet submitted
    referral = send(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
    rs.referral_decide(
        user=social_care_manager, referral=referral, decision="step_down", reasons="r", step_down=transfer()
    )
    with refused("The family's last CAF has already been reopened: continue that one."):
        rs.step_down_pick_up(
            user=caf_admin, step_down=referral.step_downs.get(), levels={child.pk: council_model.levels.get(code="2")}
        )
    assert list(Caf.objects.filter(previous_episode=old)) == [reopened]


def test_social_care_taking_on_a_referral_leaves_a_caf_closed_since_as_evidence(
    active, school_practitioner, caf_admin, social_care, social_care_manager, social_worker
):
    referral = send(
        school_practitioner,
        rs.referral_start(user=school_practitioner, children=list(active.children.all()), caf=active),
    )
    caf_services.caf_close(user=caf_admin, caf=active, reason="needs_met", summary="Went well")
    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision="child_in_need",
        reasons="Assess",
        social_worker=social_worker,
    )
    active.refresh_from_db()
    assert active.status == Caf.Status.CLOSED and active.closure_reason == "needs_met"
    assert not active.lead_professionals.filter(user=social_worker).exists()
    assert referral.timeline.filter(what="The CAF attached is closed: it is kept as evidence").exists()
