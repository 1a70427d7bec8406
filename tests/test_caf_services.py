"""The CAF's rules, through its services: lifecycle, consent, TAF, lead professional and access."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Role
from caf import permissions as perms
from caf import services
from caf.models import AccessLog, Caf, Child, LeadProfessionalAssignment, LevelChange, SharingBasis
from referrals.models import Referral
from tests.caf_helpers import complete, consent
from tests.factories import AgencyFactory, UserFactory

# Lifecycle ----------------------------------------------------------------------------------------


def test_a_caf_cannot_leave_draft_without_consent(draft, school_practitioner):
    complete(draft, school_practitioner)
    with pytest.raises(ValidationError) as refused:
        services.caf_submit(user=school_practitioner, caf=draft)
    assert "Record the family's consent: a CAF cannot start without it." in refused.value.messages
    draft.refresh_from_db()
    assert draft.status == Caf.Status.DRAFT
    assert not draft.taf_members.exists()


def test_a_caf_cannot_leave_draft_without_the_assessment_and_a_level(draft, school_practitioner):
    consent(draft, school_practitioner)
    with pytest.raises(ValidationError) as refused:
        services.caf_submit(user=school_practitioner, caf=draft)
    assert "Choose Jayden Smith's level of need." in refused.value.messages
    assert "Write the strengths and needs of at least one part of the assessment." in refused.value.messages


def test_submitting_makes_the_caf_active_with_the_initiator_in_the_taf(active, school_practitioner):
    assert active.status == Caf.Status.ACTIVE
    assert active.activated_at is not None
    assert list(active.taf_members.values_list("user", flat=True)) == [school_practitioner.pk]


def test_an_active_caf_cannot_be_submitted_again_and_a_draft_cannot_be_closed(
    active, draft, school_practitioner, caf_admin
):
    with pytest.raises(ValidationError, match="This CAF is active, so it cannot become active"):
        services.caf_submit(user=school_practitioner, caf=active)
    other = services.caf_start(user=school_practitioner, children=[draft.children.get()])
    with pytest.raises(ValidationError, match="This CAF is draft, so it cannot become closed"):
        services.caf_close(user=caf_admin, caf=other, reason="needs_met", summary="Done")


def test_closing_and_reopening_makes_a_linked_new_episode(active, caf_admin, school_practitioner):
    services.caf_close(
        user=caf_admin, caf=active, reason=Caf.ClosureReason.NEEDS_MET, summary="Attendance is back to 96%."
    )
    active.refresh_from_db()
    assert (active.status, active.closure_reason, active.closed_by) == ("closed", "needs_met", caf_admin)
    with pytest.raises(ValidationError, match="This CAF is closed, so it cannot become closed"):
        services.caf_close(user=caf_admin, caf=active, reason="needs_met", summary="Again")
    episode = services.caf_reopen(user=school_practitioner, caf=active)
    assert episode.status == Caf.Status.DRAFT
    assert episode.previous_episode == active
    assert list(episode.children.all()) == list(active.children.all())


# Consent ------------------------------------------------------------------------------------------


def test_withdrawal_closes_the_caf_and_removes_other_agencies(
    active, school_practitioner, health_visitor, health_colleague, caf_admin
):
    services.taf_member_add(user=caf_admin, caf=active, member=health_visitor, role="Health visitor")
    assert perms.has_caf_permission(health_colleague, perms.VIEW, active)

    services.consent_withdraw(
        user=school_practitioner,
        consent=active.consents.get(),
        withdrawn_on=date(2026, 11, 20),
        reason="Mother no longer wants support",
    )

    active.refresh_from_db()
    assert active.status == Caf.Status.CLOSED
    assert active.closure_reason == Caf.ClosureReason.CONSENT_WITHDRAWN
    assert not perms.has_caf_permission(health_visitor, perms.VIEW, active)
    assert not perms.has_caf_permission(health_colleague, perms.VIEW, active)
    assert perms.has_caf_permission(school_practitioner, perms.VIEW, active)
    assert active.consents.get().withdrawal_reason == "Mother no longer wants support"  # recorded, not deleted


def test_withdrawal_followed_by_a_safeguarding_referral_keeps_the_caf_as_evidence(active, school_practitioner):
    services.consent_withdraw(
        user=school_practitioner,
        consent=active.consents.get(),
        withdrawn_on=date(2026, 11, 20),
        reason="Father refuses",
        safeguarding_referral_follows=True,
    )
    active.refresh_from_db()
    assert active.status == Caf.Status.ACTIVE
    referral = Referral.objects.get(caf=active)
    assert referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE


def test_after_withdrawal_nobody_new_joins(active, school_practitioner, caf_admin, health_visitor):
    consent_row = active.consents.get()
    services.consent_withdraw(
        user=school_practitioner,
        consent=consent_row,
        withdrawn_on=date(2026, 11, 20),
        reason="No",
        safeguarding_referral_follows=True,
    )
    with pytest.raises(ValidationError, match="Consent has been withdrawn"):
        services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)


def test_a_safeguarding_override_turns_a_draft_into_a_referral_draft(draft, school_practitioner):
    referral = services.safeguarding_override_record(
        user=school_practitioner, caf=draft, reason="Disclosure of abuse by the mother's partner"
    )
    assert referral.status == Referral.Status.DRAFT
    assert referral.caf == draft
    assert list(referral.children.all()) == list(draft.children.all())
    draft.refresh_from_db()
    assert draft.status == Caf.Status.DRAFT  # never active without consent


def test_an_override_needs_a_reason(draft, school_practitioner):
    with pytest.raises(ValidationError, match="increase the risk"):
        services.safeguarding_override_record(user=school_practitioner, caf=draft, reason=" ")
    assert not Referral.objects.exists()


def test_an_override_is_for_a_draft_caf(active, school_practitioner):
    with pytest.raises(ValidationError, match="draft CAF"):
        services.safeguarding_override_record(user=school_practitioner, caf=active, reason="Risk")
    assert not Referral.objects.exists()


def test_a_young_persons_own_consent_needs_a_competence_note(draft, school_practitioner):
    with pytest.raises(ValidationError, match="Say why the young person"):
        services.consent_record(
            user=school_practitioner,
            caf=draft,
            agencies=[],
            given_by="Jayden",
            relationship="the young person",
            is_young_person=True,
            given_on=date(2026, 11, 2),
            method="verbal",
        )


# Team Around the Family ---------------------------------------------------------------------------


def test_an_agency_outside_the_consent_cannot_join(active, caf_admin, police_officer):
    with pytest.raises(ValidationError, match="does not cover Neighbourhood Policing"):
        services.taf_member_add(user=caf_admin, caf=active, member=police_officer)
    assert not active.taf_members.filter(user=police_officer).exists()
    assert not perms.has_caf_permission(police_officer, perms.VIEW, active)


def test_an_agency_or_person_the_family_excluded_cannot_join(
    draft, school_practitioner, caf_admin, police, police_officer, health_visiting, health_visitor
):
    consent(draft, school_practitioner, health_visiting, excluded_agencies=[police], excluded_people=[health_visitor])
    complete(draft, school_practitioner)
    services.caf_submit(user=school_practitioner, caf=draft)
    with pytest.raises(ValidationError, match="asked that Neighbourhood Policing does not see"):
        services.taf_member_add(user=caf_admin, caf=draft, member=police_officer)
    with pytest.raises(ValidationError, match="asked that Hannah Okoro does not see"):
        services.taf_member_add(user=caf_admin, caf=draft, member=health_visitor)


def test_leaving_the_taf_removes_access_and_the_agencys_once_not_involved(
    active, caf_admin, health_visitor, health_colleague
):
    membership = services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    assert perms.has_caf_permission(health_colleague, perms.VIEW, active)
    services.taf_member_remove(user=caf_admin, membership=membership)
    assert not perms.has_caf_permission(health_visitor, perms.VIEW, active)
    assert not perms.has_caf_permission(health_colleague, perms.VIEW, active)
    assert active.taf_members.get(user=health_visitor).left_at is not None  # history kept


# Lead professional --------------------------------------------------------------------------------


def test_the_caf_administrator_logs_one_lead_professional_at_a_time(
    active, caf_admin, school_practitioner, health_visitor
):
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor)
    services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    history = list(active.lead_professionals.order_by("started_at").values_list("user", "ended_at"))
    assert [user for user, _ in history] == [school_practitioner.pk, health_visitor.pk]
    assert history[0][1] is not None and history[1][1] is None
    assert perms.has_caf_permission(health_visitor, perms.CHANGE_PLAN, active)
    assert not perms.has_caf_permission(school_practitioner, perms.CHANGE_PLAN, active)


def test_the_database_refuses_two_current_lead_professionals(active, caf_admin, school_practitioner, health_visitor):
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadProfessionalAssignment.objects.create(caf=active, user=health_visitor, logged_by=caf_admin)


def test_only_a_taf_member_can_be_lead_and_only_the_caf_administrator_logs_it(
    active, caf_admin, school_practitioner, health_visitor
):
    with pytest.raises(ValidationError, match="must be a current member"):
        services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    with pytest.raises(PermissionDenied):
        services.lead_professional_assign(user=school_practitioner, caf=active, lead=school_practitioner)
    assert not active.lead_professionals.exists()


# Levels -------------------------------------------------------------------------------------------


def test_a_level_other_than_the_suggestion_needs_a_reason_and_history_is_kept(draft, school_practitioner):
    caf_child = draft.caf_children.get()
    services.child_indicators_set(
        user=school_practitioner,
        caf_child=caf_child,
        indicators=draft.threshold_model.indicators.filter(text="Overcrowding"),
    )
    caf_child.refresh_from_db()
    assert caf_child.suggested_level.code == "2"
    targeted = draft.threshold_model.levels.get(code="3")
    with pytest.raises(ValidationError, match="Say why you chose a different level"):
        services.child_level_set(user=school_practitioner, caf_child=caf_child, level=targeted)
    services.child_level_set(
        user=school_practitioner, caf_child=caf_child, level=targeted, reason="Domestic abuse disclosed at the visit"
    )
    change = LevelChange.objects.get(child=caf_child.child)
    assert (change.level, change.suggested_level.code, change.changed_by) == (targeted, "2", school_practitioner)


# Access -------------------------------------------------------------------------------------------

WHO_SEES = {
    "initiator": True,
    "school_colleague": True,  # the initiating agency is involved
    "health_visitor": True,  # a TAF member
    "health_colleague": True,  # their agency has a current TAF member
    "caf_admin": True,  # every CAF of the council
    "police_officer": False,
    "social_care_manager": False,  # only referrals sent to them (referrals issue)
    "other_council_user": False,
}


@pytest.mark.parametrize(("who", "sees"), WHO_SEES.items())
def test_who_sees_an_active_caf(request, who, sees, active, caf_admin, health_visitor):
    services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    user = request.getfixturevalue("school_practitioner" if who == "initiator" else who)
    assert perms.has_caf_permission(user, perms.VIEW, active) is sees
    assert perms.cafs_visible_to(user).filter(pk=active.pk).exists() is sees


def test_a_superuser_does_not_see_childrens_records(active):
    from accounts.models import User

    superuser = User.objects.create_superuser("ops@example.org", "a-long-password-for-ops")
    assert not perms.has_caf_permission(superuser, perms.VIEW, active)
    assert not perms.cafs_visible_to(superuser).exists()


def test_every_change_is_in_the_access_log(active, school_practitioner):
    logged = list(AccessLog.objects.filter(caf=active).values_list("what", flat=True))
    assert "Started a draft CAF" in logged
    assert "Recorded consent given by Kelly Smith" in logged
    assert "Submitted the assessment: the CAF is active" in logged
    assert AccessLog.objects.filter(child__isnull=False, what="Recorded the child").exists()
    assert set(AccessLog.objects.values_list("agency", flat=True)) == {school_practitioner.agency_id}


# Children -----------------------------------------------------------------------------------------


def test_an_invalid_nhs_number_is_refused(school_practitioner):
    with pytest.raises(ValidationError, match="not a valid NHS number"):
        services.child_create(
            user=school_practitioner,
            first_name="A",
            last_name="B",
            date_of_birth=date(2015, 1, 1),
            nhs_number="943 476 5918",
        )
    child = services.child_create(
        user=school_practitioner,
        first_name="A",
        last_name="B",
        date_of_birth=date(2015, 1, 1),
        nhs_number="943 476 5919",
    )
    assert child.nhs_number == "9434765919"
    assert Child.objects.count() == 1


def test_merging_keeps_both_records(child, school_practitioner, caf_admin, council_model):
    duplicate = services.child_create(
        user=school_practitioner, first_name="Jaden", last_name="Smith", date_of_birth=date(2016, 5, 4)
    )
    caf_on_duplicate = services.caf_start(user=school_practitioner, children=[duplicate])
    with pytest.raises(PermissionDenied):
        services.child_merge(user=school_practitioner, keep=child, duplicate=duplicate)
    services.child_merge(user=caf_admin, keep=child, duplicate=duplicate)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == child
    assert Child.objects.count() == 2
    assert list(caf_on_duplicate.children.all()) == [duplicate]


# Finding children and the chronology --------------------------------------------------------------


def test_find_before_create_tolerates_spelling_sound_and_name_order(child, school_practitioner, caf_admin):
    from caf.selectors import children_find

    for first, last in [("Jaden", "Smith"), ("Jayden", "Smyth"), ("Smith", "Jayden"), ("jayden", "SMITH")]:
        found = children_find(school_practitioner, first_name=first, last_name=last)
        assert [match.child for match in found] == [child], (first, last)
    assert children_find(school_practitioner, first_name="Olivia", last_name="Brown") == []
    # A date of birth alone never matches (issue 11: a search must not list every child born on a day).
    by_birth_date = children_find(school_practitioner, first_name="J", last_name="S", date_of_birth=date(2016, 5, 4))
    assert by_birth_date == []
    assert AccessLog.objects.filter(what__startswith="Searched for a child", user=school_practitioner).count() == 6


def test_find_before_create_stays_in_the_council(child, other_council_user):
    from caf.selectors import children_find

    assert children_find(other_council_user, first_name="Jayden", last_name="Smith") == []


def test_the_chronology_tells_the_childs_story_from_the_records(active, caf_admin, school_practitioner, health_visitor):
    from caf.selectors import child_chronology

    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor)
    events = [event.what for event in child_chronology(school_practitioner, active.children.get())]
    assert events[0] == "CAF started by Priya Shah (Oakfield Primary School)"
    assert "Consent given by Kelly Smith (mother)" in events
    assert "Level of need set to 2: Early Help by Priya Shah" in events
    assert "Assessment submitted: the CAF became active" in events
    assert "Priya Shah became lead professional" in events
    assert events[-1] == "Hannah Okoro (Health Visiting North) joined the TAF"
    # Someone who cannot see the CAF sees none of it.
    assert child_chronology(health_visitor, active.children.get()) != []
    outsider = UserFactory(agency=AgencyFactory(council=active.council), roles=[Role.PRACTITIONER])
    assert child_chronology(outsider, active.children.get()) == []


def test_reading_a_caf_is_logged_and_a_refusal_too(active, school_practitioner, other_council_user):
    from django.http import Http404

    from caf.selectors import caf_get_for_user

    caf_get_for_user(school_practitioner, active.pk)
    assert AccessLog.objects.filter(user=school_practitioner, caf=active, action="view").exists()
    with pytest.raises(Http404):
        caf_get_for_user(other_council_user, active.pk)
    assert AccessLog.objects.filter(user=other_council_user, caf=active, action="refused").exists()


def test_the_initiator_builds_the_plan_until_a_lead_professional_is_logged(
    active, school_practitioner, health_visitor, caf_admin
):
    action = services.plan_action_add(
        user=school_practitioner,
        caf=active,
        need="Attendance",
        action="Morning club",
        agency=school_practitioner.agency,
        due_on=date(2027, 1, 10),
    )
    assert action.created_by == school_practitioner
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor)
    services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    with pytest.raises(PermissionDenied):
        services.plan_action_add(
            user=school_practitioner,
            caf=active,
            need="Sleep",
            action="Routine",
            agency=school_practitioner.agency,
            due_on=date(2027, 1, 10),
        )
    assert active.actions.count() == 1
