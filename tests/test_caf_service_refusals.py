"""The CAF services refuse, asked directly (issue 12): the wrong person (PermissionDenied, a 403 on the
page), the wrong council, the wrong state and bad input (Refused), each with the words the person
reads, and none of them writes anything (`tests.refusals.refused` compares every row before and after).
The pages put these same messages on their forms; here they are held at the service, where they live."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from caf import services
from caf.models import Caf, Consent, SharingBasis
from tests.caf_helpers import complete, consent
from tests.factories import UserFactory
from tests.refusals import denied, refused

pytestmark = pytest.mark.django_db

GIVEN = {
    "given_by": "Kelly Smith",
    "relationship": "mother",
    "given_on": date(2026, 11, 2),
    "method": "signed_form",
    "explained_storage": True,
    "explained_sharing": True,
}


def record_consent(caf, user, *agencies, **overrides):
    return services.consent_record(user=user, caf=caf, agencies=agencies, **{**GIVEN, **overrides})


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def led(active, caf_admin, school_practitioner, health_visitor):
    """The active CAF with the initiator logged as lead professional and a health visitor on the team."""
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor, role="Health visitor")
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    active.refresh_from_db()
    return active


@pytest.fixture
def closed(active, caf_admin):
    services.caf_close(user=caf_admin, caf=active, reason=Caf.ClosureReason.NEEDS_MET, summary="Attendance is back.")
    active.refresh_from_db()
    return active


def exclude(caf, user, *, agencies=(), people=()):
    return services.exclusion_record(user=user, caf=caf, made_by="Kelly Smith", agencies=agencies, people=people)


# Children's records -------------------------------------------------------------------------------


def test_recording_a_child_or_a_household_is_for_the_councils_own_staff(child, other_council_user):
    service_administrator = UserFactory(agency=None, is_superuser=True)  # sees every council, belongs to none
    with denied("Only a council's staff can record a child."):
        services.child_create(
            user=service_administrator, first_name="Mia", last_name="Jones", date_of_birth=date(2018, 3, 1)
        )
    with denied("Only the council's staff can record a child's household."):
        services.household_record(
            user=other_council_user, child=child, adults=[{"full_name": "Kelly Smith", "relationship": "mother"}]
        )
    with denied("Only the council's staff can ask about a child."):
        services.caf_request_to_join(user=other_council_user, child=child)


def test_merging_needs_a_caf_administrator_of_the_council_and_two_records_not_yet_merged(
    child, school_practitioner, caf_admin, other_council_user
):
    def record(user, first_name):
        return services.child_create(
            user=user, first_name=first_name, last_name="Smith", date_of_birth=date(2016, 5, 4), postcode="NB1 2AB"
        )

    twin, third = record(school_practitioner, "Jaden"), record(school_practitioner, "J")
    elsewhere = record(other_council_user, "Jayden")
    with denied("Only the council's CAF administrators may merge records."):
        services.child_merge(user=school_practitioner, keep=child, duplicate=twin)
    with denied("Only the council's CAF administrators may merge records."):
        services.child_merge(user=caf_admin, keep=child, duplicate=elsewhere)
    with refused("Choose two different records to merge."):
        services.child_merge(user=caf_admin, keep=child, duplicate=child)

    services.child_merge(user=caf_admin, keep=child, duplicate=twin)
    with refused("One of these records has already been merged. Merge into the record it was merged into."):
        services.child_merge(user=caf_admin, keep=third, duplicate=twin)
    twin.refresh_from_db()
    assert twin.merged_into == child


# Starting a CAF -----------------------------------------------------------------------------------


def test_a_caf_starts_for_children_of_the_council_by_its_active_staff(
    school, school_practitioner, caf_admin, child, other_council_user, council_model
):
    gone = UserFactory(agency=school, roles=[Role.PRACTITIONER], is_active=False)
    with denied("Only a council's staff can start a CAF."):
        services.caf_start(user=gone, children=[child])
    with refused("Choose the child, or the children of the family, the CAF is for."):
        services.caf_start(user=school_practitioner, children=[])
    with refused("Choose children recorded in your council (not merged records)."):
        services.caf_start(user=other_council_user, children=[child])

    duplicate = services.child_create(
        user=school_practitioner, first_name="Jaden", last_name="Smith", date_of_birth=date(2016, 5, 4)
    )
    services.child_merge(user=caf_admin, keep=child, duplicate=duplicate)
    duplicate.refresh_from_db()
    with refused("Choose children recorded in your council (not merged records)."):
        services.caf_start(user=school_practitioner, children=[duplicate])


def test_no_caf_starts_before_the_council_publishes_a_threshold_model(school_practitioner, child):
    with refused("Your council has no published threshold model yet. Ask your council administrator."):
        services.caf_start(user=school_practitioner, children=[child])


# Consent and the family's exclusions --------------------------------------------------------------


def test_consent_is_recorded_by_whoever_holds_the_record(draft, school_colleague):
    # The colleague sees the draft through the agency's grant, but the initiator holds it with the family.
    with denied("Only the initiator, the lead professional or a CAF administrator records consent."):
        record_consent(draft, school_colleague)


def test_a_closed_caf_takes_no_new_consent(closed, caf_admin):
    with refused("This CAF is closed: reopen it as a new episode to record consent."):
        record_consent(closed, caf_admin)


def test_consent_names_agencies_and_people_of_the_council_and_never_covers_what_it_excludes(
    draft, school_practitioner, health_visiting, early_help_hub, other_council_school, other_council_user
):
    with refused("An agency cannot be both covered by the consent and excluded by the family."):
        record_consent(draft, school_practitioner, health_visiting, excluded_agencies=[health_visiting])
    with refused("Choose agencies of this council."):
        record_consent(draft, school_practitioner, other_council_school)
    with refused("Choose agencies of this council."):
        record_consent(draft, school_practitioner, excluded_agencies=[other_council_school])
    with refused("Choose people of this council."):
        record_consent(draft, school_practitioner, excluded_people=[other_council_user])
    with refused(
        "The family cannot exclude the council's early help team, which keeps the record: "
        "name the people they do not want to see it instead."
    ):
        record_consent(draft, school_practitioner, excluded_agencies=[early_help_hub])


def test_consent_needs_a_young_persons_reason_a_date_in_range_and_the_cafs_own_children(draft, school_practitioner):
    with refused("Say why the young person can give consent for themselves."):
        record_consent(draft, school_practitioner, given_by="Jayden Smith", is_young_person=True, competence_note=" ")
    with refused("The date consent was given must be on or after 1 January 2000"):
        record_consent(draft, school_practitioner, given_on=date(1999, 12, 31))
    with refused("The date consent was given must be today or in the past"):
        record_consent(draft, school_practitioner, given_on=today() + timedelta(days=1))
    with refused("Choose the children of this CAF the consent is for."):
        record_consent(draft, school_practitioner, children=[])
    brother = services.child_create(
        user=school_practitioner, first_name="Leo", last_name="Smith", date_of_birth=date(2019, 1, 9)
    )
    with refused("Choose the children of this CAF the consent is for."):
        record_consent(draft, school_practitioner, children=[brother])


def test_a_consent_changed_since_the_form_opened_is_not_replaced_twice(draft, school_practitioner, child):
    first = record_consent(draft, school_practitioner)
    record_consent(draft, school_practitioner)  # Kelly's consent again: it replaces her first
    first.refresh_from_db()
    with refused("This consent has changed since you opened the form: start again from the CAF."):
        record_consent(draft, school_practitioner, replaces=first)

    other_caf = services.caf_start(user=school_practitioner, children=[child])
    elsewhere = record_consent(other_caf, school_practitioner)
    with refused("This consent has changed since you opened the form: start again from the CAF."):
        record_consent(draft, school_practitioner, replaces=elsewhere)


def test_a_consent_replaced_while_the_form_was_open_is_not_replaced_again(draft, school_practitioner):
    """Two changes of one consent posted at once: the second is refused, so nobody has two consents in force."""
    first = record_consent(draft, school_practitioner)
    opened = Consent.objects.get(pk=first.pk)  # a second page, opened on Kelly's consent, posts later
    record_consent(draft, school_practitioner, replaces=first)
    with refused("This consent has changed since you opened the form: start again from the CAF."):
        record_consent(draft, school_practitioner, replaces=opened)


def test_consent_cannot_cover_an_agency_the_family_excluded_and_leaves_no_half_record(
    active, school_practitioner, health_visiting
):
    exclude(active, school_practitioner, agencies=[health_visiting])
    consents_before = list(active.consents.values_list("pk", "replaced_at"))
    # Checked once the new consent has taken in the exclusions in force: the consent saved so far,
    # and the replacing of Kelly's earlier one, are undone with the refusal.
    with refused("An agency the family excluded cannot be covered: the family lifts an exclusion first."):
        record_consent(active, school_practitioner, health_visiting)
    assert list(active.consents.values_list("pk", "replaced_at")) == consents_before


def test_an_exclusion_is_recorded_by_the_lead_or_an_administrator_naming_someone_and_who_asked(
    led, school_practitioner, health_visitor, police
):
    with denied("Only the lead professional or a CAF administrator records what the family asked."):
        exclude(led, health_visitor, agencies=[police])
    with refused("Choose the agencies or people the family does not want to see the assessment."):
        exclude(led, school_practitioner)
    with refused("Enter who in the family asked for this."):
        services.exclusion_record(user=school_practitioner, caf=led, made_by="  ", agencies=[police])


def test_only_the_family_member_who_asked_lifts_an_exclusion_and_only_once(
    led, school_practitioner, health_visitor, police
):
    [exclusion] = exclude(led, school_practitioner, agencies=[police])

    def lift(user, asked_by="Kelly Smith", reason="The police officer has moved on"):
        return services.exclusion_lift(user=user, exclusion=exclusion, asked_by=asked_by, reason=reason)

    with denied("Only the lead professional or a CAF administrator records what the family asked."):
        lift(health_visitor)
    with refused("Only Kelly Smith, who asked for it, can lift this exclusion."):
        lift(school_practitioner, asked_by="Dean Smith")
    with refused("Enter why the family is lifting it."):
        lift(school_practitioner, asked_by=" kelly  SMITH ", reason=" ")
    lift(school_practitioner)
    with refused("This exclusion has already been lifted."):
        lift(school_practitioner)


def test_an_exception_to_an_exclusion_needs_a_statutory_basis_and_one_agency_or_person(
    active, social_care_manager, social_care, social_worker
):
    def record(**fields):
        return services.exclusion_exception_record(
            user=social_care_manager, caf=active, reason="Referral 1: section 47", **fields
        )

    for basis in (SharingBasis.CONSENT, "a hunch"):
        with refused("Choose the statutory basis for sharing despite the family's exclusion."):
            record(basis=basis, agency=social_care)
    with refused("Name the agency or the person the exception is for."):
        record(basis=SharingBasis.CHILD_PROTECTION)
    with refused("Name the agency or the person the exception is for."):
        record(basis=SharingBasis.CHILD_PROTECTION, agency=social_care, person=social_worker)
    # Where nothing is excluded there is nothing to except: no record.
    assert record(basis=SharingBasis.CHILD_PROTECTION, agency=social_care) is None
    assert not active.exclusion_exceptions.exists()


def test_withdrawing_consent_is_recorded_once_with_a_reason_and_a_date_after_it_was_given(
    led, school_practitioner, health_visitor, health_visiting
):
    kelly = led.consents.get()

    def withdraw(user, consent, withdrawn_on=None, reason="She no longer wants support"):
        return services.consent_withdraw(
            user=user, consent=consent, withdrawn_on=withdrawn_on or today(), reason=reason
        )

    with denied("Only the initiator, the lead professional or a CAF administrator records this."):
        withdraw(health_visitor, kelly)
    with refused("Enter the reason the consent was withdrawn."):
        withdraw(school_practitioner, kelly, reason="  ")
    with refused("The date consent was withdrawn must be today or in the past"):
        withdraw(school_practitioner, kelly, withdrawn_on=today() + timedelta(days=1))
    with refused("The date consent was withdrawn must be on or after the date it was given."):
        withdraw(school_practitioner, kelly, withdrawn_on=date(2026, 11, 1))

    dean = record_consent(led, school_practitioner, health_visiting, given_by="Dean Smith", relationship="father")
    withdraw(school_practitioner, dean)  # Kelly's consent still covers Jayden: the CAF goes on
    with refused("This consent has already been withdrawn."):
        withdraw(school_practitioner, dean)
    record_consent(led, school_practitioner, health_visiting)  # Kelly again: her first consent is replaced
    with refused("This consent has been updated since: withdraw the newer one."):
        withdraw(school_practitioner, kelly)
    led.refresh_from_db()
    assert led.status == Caf.Status.ACTIVE


def test_a_safeguarding_override_is_the_initiators_with_a_reason(draft, school_practitioner, school_colleague):
    with denied("You do not have access to change this CAF."):
        services.safeguarding_override_record(user=school_colleague, caf=draft, reason="Stepfather is violent")
    with refused("Enter why seeking consent would increase the risk of significant harm."):
        services.safeguarding_override_record(user=school_practitioner, caf=draft, reason=" ")


def test_an_active_caf_takes_no_safeguarding_override(active, school_practitioner):
    with refused("A safeguarding override is recorded on a draft CAF. For an active CAF, refer to social care."):
        services.safeguarding_override_record(user=school_practitioner, caf=active, reason="Stepfather is violent")


# The assessment and levels ------------------------------------------------------------------------


def test_a_closed_caf_takes_no_assessment_indicators_or_levels(closed, school_practitioner):
    caf_child = closed.caf_children.get()
    sub_domain_id = closed.assessment_entries.first().sub_domain_id
    with refused("This CAF is closed."):
        services.assessment_save(user=school_practitioner, caf=closed, entries={sub_domain_id: ("Kind", "Late")})
    with refused("This CAF is closed."):
        services.child_indicators_set(user=school_practitioner, caf_child=caf_child, indicators=[])
    with refused("This CAF is closed."):
        services.child_level_set(
            user=school_practitioner, caf_child=caf_child, level=closed.threshold_model.levels.get(code="3")
        )


def test_only_the_initiator_builds_a_drafts_assessment(draft, school_colleague):
    caf_child = draft.caf_children.get()
    sub_domain_id = draft.threshold_model.indicators.first().sub_domain_id
    with denied("Only the lead professional changes the assessment."):
        services.assessment_save(user=school_colleague, caf=draft, entries={sub_domain_id: ("Kind", "Late")})
    with denied("Only the lead professional changes the assessment."):
        services.child_indicators_set(user=school_colleague, caf_child=caf_child, indicators=[])
    with denied("Only the lead professional changes a level of need."):
        services.child_level_set(
            user=school_colleague, caf_child=caf_child, level=draft.threshold_model.levels.get(code="2")
        )


def test_indicators_and_levels_come_from_the_cafs_own_threshold_model(draft, school_practitioner, reference_models):
    # Leicestershire's published model is the one Northbridge's was copied from: same words, another model.
    source = reference_models["leicestershire"]
    caf_child = draft.caf_children.get()
    with refused("Choose indicators of the threshold model this CAF uses."):
        services.child_indicators_set(
            user=school_practitioner, caf_child=caf_child, indicators=[source.indicators.first()]
        )
    with refused("Choose a level of the threshold model this CAF uses."):
        services.child_level_set(user=school_practitioner, caf_child=caf_child, level=source.levels.get(code="2"))


def test_a_level_other_than_the_suggestion_or_the_last_one_needs_a_reason(draft, school_practitioner):
    complete(draft, school_practitioner)  # the truanting indicator suggests level 2, and 2 is chosen
    caf_child = draft.caf_children.get()
    levels = draft.threshold_model.levels
    assert caf_child.suggested_level == levels.get(code="2")
    with refused("Say why you chose a different level from the one suggested."):
        services.child_level_set(user=school_practitioner, caf_child=caf_child, level=levels.get(code="3"), reason=" ")
    services.child_level_set(
        user=school_practitioner, caf_child=caf_child, level=levels.get(code="3"), reason="Worse than it looks"
    )
    caf_child.refresh_from_db()
    # Back to the suggestion is still a change of level.
    with refused("Say why the level is changing."):
        services.child_level_set(user=school_practitioner, caf_child=caf_child, level=levels.get(code="2"))


def test_only_the_initiator_submits(draft, school_practitioner, school_colleague, health_visiting):
    consent(draft, school_practitioner, health_visiting)
    complete(draft, school_practitioner)
    with denied("Only the initiator submits the assessment."):
        services.caf_submit(user=school_colleague, caf=draft)


# Registration, the team and the lead professional -------------------------------------------------


def test_registering_is_a_caf_administrators_with_a_reference(active, caf_admin, school_practitioner):
    with denied("Only the council's CAF administrators may do this."):
        services.caf_register(user=school_practitioner, caf=active, reference="NB-CAF-0001")
    with refused("Enter the council's reference for this CAF."):
        services.caf_register(user=caf_admin, caf=active, reference="   ")


def test_a_draft_is_not_registered(draft, caf_admin):
    with refused("Only an active CAF is registered."):
        services.caf_register(user=caf_admin, caf=draft, reference="NB-CAF-0001")


def test_a_caf_administrator_the_family_excluded_neither_registers_nor_logs_a_lead(
    active, caf_admin, school_practitioner
):
    exclude(active, school_practitioner, people=[caf_admin])
    with denied("You do not have access to change this CAF."):
        services.caf_register(user=caf_admin, caf=active, reference="NB-CAF-0001")
    with denied("You do not have access to change this CAF."):
        services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)


def test_people_join_the_team_of_an_active_caf(draft, school_practitioner, health_visitor):
    with refused("People join the Team Around the Family of an active CAF."):
        services.taf_member_add(user=school_practitioner, caf=draft, member=health_visitor)


def test_who_joins_the_team_and_who_adds_them(
    led, school_practitioner, health_visitor, police_officer, other_council_user, school_colleague
):
    with denied("Only the lead professional manages the Team Around the Family."):
        services.taf_member_add(user=health_visitor, caf=led, member=school_colleague)
    with refused("The family's consent does not cover Neighbourhood Policing: record consent that covers it first."):
        services.taf_member_add(user=school_practitioner, caf=led, member=police_officer)
    with refused("Choose an active member of staff in this council."):
        services.taf_member_add(user=school_practitioner, caf=led, member=other_council_user)
    with refused(f"{health_visitor} is already in the Team Around the Family."):
        services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)


def test_nobody_new_joins_once_consent_is_withdrawn_with_a_referral_to_follow(
    active, school_practitioner, health_visitor
):
    services.consent_withdraw(
        user=school_practitioner,
        consent=active.consents.get(),
        withdrawn_on=today(),
        reason="Jayden disclosed harm at home",
        safeguarding_referral_follows=True,
    )
    active.refresh_from_db()
    assert active.status == Caf.Status.ACTIVE  # kept open for the referral
    with refused("Consent has been withdrawn: nobody new can join the Team Around the Family."):
        services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor)


def test_the_lead_professionals_membership_does_not_end_until_another_is_logged(
    led, school_practitioner, health_visitor, caf_admin
):
    lead_membership = led.taf_members.get(user=school_practitioner)
    with refused("The lead professional cannot leave until the CAF administrator logs another."):
        services.taf_member_remove(user=school_practitioner, membership=lead_membership)
    with refused("The lead professional cannot leave until the CAF administrator logs another."):
        services.taf_member_remove(user=caf_admin, membership=lead_membership)
    with denied("Only the lead professional manages the Team Around the Family."):
        services.taf_member_remove(user=health_visitor, membership=lead_membership)
    assert led.lead_professionals.get(ended_at__isnull=True).user == school_practitioner


def test_a_member_leaves_once(led, school_practitioner, health_visitor):
    membership = led.taf_members.get(user=health_visitor)
    services.taf_member_remove(user=health_visitor, membership=membership)
    with refused(f"{health_visitor} has already left the Team Around the Family."):
        services.taf_member_remove(user=school_practitioner, membership=membership)


def test_the_lead_professional_is_logged_by_a_caf_administrator_from_the_current_team(
    led, caf_admin, school_practitioner, police_officer
):
    with denied("Only the council's CAF administrators may do this."):
        services.lead_professional_assign(user=school_practitioner, caf=led, lead=school_practitioner)
    with refused(f"{police_officer} must be a current member of the Team Around the Family to be lead professional."):
        services.lead_professional_assign(user=caf_admin, caf=led, lead=police_officer)
    with refused(f"{school_practitioner} is already the lead professional."):
        services.lead_professional_assign(user=caf_admin, caf=led, lead=school_practitioner)


def test_a_draft_has_no_lead_professional(draft, caf_admin, school_practitioner):
    with refused("A lead professional is logged for an active CAF."):
        services.lead_professional_assign(user=caf_admin, caf=draft, lead=school_practitioner)


# Step-up and step-down, as social care and the CAF administrators call them -----------------------


def test_only_the_councils_social_care_managers_allocate_a_social_worker_as_lead(
    active, social_care_manager, social_worker, caf_admin, school_practitioner
):
    with denied("Only the council's social care managers allocate a social worker."):
        services.lead_professional_from_social_care(user=caf_admin, caf=active, social_worker=social_worker)
    with refused("Choose a social worker of this council."):
        services.lead_professional_from_social_care(
            user=social_care_manager, caf=active, social_worker=school_practitioner
        )
    exclude(active, school_practitioner, people=[social_worker])
    with refused(f"The family asked that {social_worker} ({social_worker.agency}) does not see the assessment."):
        services.lead_professional_from_social_care(user=social_care_manager, caf=active, social_worker=social_worker)


def test_a_draft_takes_no_social_worker_as_lead(draft, social_care_manager, social_worker):
    with refused("Only an active CAF takes a lead professional."):
        services.lead_professional_from_social_care(user=social_care_manager, caf=draft, social_worker=social_worker)


def test_only_the_councils_social_care_managers_close_a_caf_as_stepped_up(active, school_practitioner, caf_admin):
    for who in (school_practitioner, caf_admin):
        with denied("Only the council's social care managers decide a step-up."):
            services.caf_close_stepped_up(user=who, caf=active, summary="Section 47")


def test_a_step_down_is_picked_up_by_a_caf_administrator_the_family_did_not_exclude(
    active, caf_admin, school_practitioner, child, early_help_hub
):
    given = {
        "consent": {**GIVEN, "method": "verbal"},
        "consent_agencies": [early_help_hub],
    }
    with denied("Only the council's CAF administrators pick up a step-down."):
        services.consent_from_step_down(user=school_practitioner, caf=active, **given)
    with denied("Only the council's CAF administrators pick up a step-down."):
        services.caf_start_from_step_down(
            user=school_practitioner, children=[child], previous=None, levels={}, level_reason="x", **given
        )
    exclude(active, school_practitioner, people=[caf_admin])
    with denied("The family asked that you do not see their records: ask another CAF administrator."):
        services.consent_from_step_down(user=caf_admin, caf=active, **given)


def test_a_step_down_does_not_reopen_a_caf_already_reopened(closed, caf_admin, child, early_help_hub, council_model):
    services.caf_reopen(user=caf_admin, caf=closed)
    with refused("The family's last CAF has already been reopened: continue that one."):
        services.caf_start_from_step_down(
            user=caf_admin,
            children=[child],
            previous=closed,
            consent={**GIVEN, "method": "verbal"},
            consent_agencies=[early_help_hub],
            levels={child.pk: council_model.levels.get(code="2")},
            level_reason="Stepped down",
        )


# The plan -----------------------------------------------------------------------------------------


def action(caf, **fields):
    return {
        "need": "Jayden is often late for school",
        "action": "Morning routine support",
        "agency": caf.initiating_agency,
        "owner": None,
        "due_on": today() + timedelta(days=14),
        **fields,
    }


def test_the_plan_is_the_lead_professionals(led, health_visitor):
    with denied("Only the lead professional changes the plan."):
        services.plan_action_add(user=health_visitor, caf=led, **action(led))


def test_an_action_goes_to_an_agency_the_consent_covers_and_a_current_member(
    led, school_practitioner, police, school_colleague, other_council_school
):
    def add(**fields):
        return services.plan_action_add(user=school_practitioner, caf=led, **action(led, **fields))

    with refused("The date it will be done by must be within the next 2 years."):
        add(due_on=today() + timedelta(days=3 * 365))
    with refused("The date it will be done by must be within the last 2 years."):
        add(due_on=today() - timedelta(days=3 * 365))
    with refused("Choose an agency of this council."):
        add(agency=other_council_school)
    with refused(f"The family's consent does not cover {police}, or they asked that it does not see the plan."):
        add(agency=police)
    with refused(f"{school_colleague} is not a current member of the team: choose someone who is, or nobody."):
        add(owner=school_colleague)


def test_a_member_who_has_left_the_council_is_given_no_action(led, school_practitioner, health_visitor):
    # Still on the team (nobody has removed them yet), but their account was closed when they left.
    health_visitor.is_active = False
    health_visitor.save(update_fields=["is_active"])
    with refused("Choose an active member of staff in this council."):
        services.plan_action_add(
            user=school_practitioner, caf=led, **action(led, agency=health_visitor.agency, owner=health_visitor)
        )


def test_a_member_updates_only_their_own_action(led, school_practitioner, health_visitor):
    theirs = services.plan_action_add(user=school_practitioner, caf=led, **action(led))
    with denied("You can update only your own actions."):
        services.plan_action_update(user=health_visitor, action=theirs, status="done", outcome="Done")


def test_the_plan_of_a_closed_caf_does_not_change(led, school_practitioner, caf_admin):
    planned = services.plan_action_add(user=school_practitioner, caf=led, **action(led))
    services.caf_close(user=caf_admin, caf=led, reason=Caf.ClosureReason.NEEDS_MET, summary="Attendance is back.")
    led.refresh_from_db()
    with refused("The plan of an active CAF changes; this one is not active."):
        services.plan_action_add(user=school_practitioner, caf=led, **action(led))
    with refused("The plan of a closed CAF does not change."):
        services.plan_action_update(user=school_practitioner, action=planned, status="done", outcome="Done")


# Closing and reopening ----------------------------------------------------------------------------


def test_closing_by_hand_needs_the_lead_or_an_administrator_a_reason_and_a_summary(
    led, school_practitioner, health_visitor
):
    with denied("Only the lead professional or a CAF administrator closes a CAF."):
        services.caf_close(user=health_visitor, caf=led, reason=Caf.ClosureReason.NEEDS_MET, summary="Done")
    # "Consent withdrawn" and "stepped up" come only from their own events.
    for reason in (Caf.ClosureReason.CONSENT_WITHDRAWN, Caf.ClosureReason.STEPPED_UP, "bored"):
        with refused("Choose why the CAF is closing."):
            services.caf_close(user=school_practitioner, caf=led, reason=reason, summary="Done")
    with refused("Summarise the outcome for the family."):
        services.caf_close(user=school_practitioner, caf=led, reason=Caf.ClosureReason.NEEDS_MET, summary="  ")


def test_a_closed_caf_is_reopened_once_by_those_who_held_it(led, caf_admin, health_visitor):
    services.caf_close(user=caf_admin, caf=led, reason=Caf.ClosureReason.NEEDS_MET, summary="Attendance is back.")
    led.refresh_from_db()
    # A team member could see it, but neither led it, started it nor administers CAFs.
    with denied("Only its last lead professional, its initiator or a CAF administrator reopens a CAF."):
        services.caf_reopen(user=health_visitor, caf=led)
    services.caf_reopen(user=caf_admin, caf=led)
    with refused("This CAF has already been reopened."):
        services.caf_reopen(user=caf_admin, caf=led)


def test_an_active_caf_is_not_reopened(active, caf_admin):
    with refused("Only a closed CAF can be reopened."):
        services.caf_reopen(user=caf_admin, caf=active)


# Reviews ------------------------------------------------------------------------------------------


def test_the_review_date_of_an_active_caf_moves_by_its_lead_to_a_new_date_with_a_reason(
    led, school_practitioner, health_visitor
):
    def move(user=school_practitioner, review_on=None, reason="The family is away"):
        return services.review_date_set(
            user=user, caf=led, review_on=review_on or today() + timedelta(days=21), reason=reason
        )

    with denied("Only the lead professional changes the review date."):
        move(health_visitor)
    with refused("The next review date must be today or in the future."):
        move(review_on=today() - timedelta(days=1))
    with refused("The next review date must be within the next 2 years."):
        move(review_on=today() + timedelta(days=3 * 365))
    with refused("Enter why the review date is changing."):
        move(reason=" ")
    with refused(f"The next review is already on {led.next_review_on:%-d %B %Y}."):
        move(review_on=led.next_review_on)


def test_a_draft_has_no_reviews(draft, school_practitioner):
    with refused("Reviews are for an active CAF; this one is not active."):
        services.review_date_set(
            user=school_practitioner, caf=draft, review_on=today() + timedelta(days=7), reason="Soon"
        )
    with refused("Reviews are recorded for an active CAF; this one is not active."):
        services.review_record(user=school_practitioner, caf=draft, held_on=today(), decision="continue")


def review(caf, user, **fields):
    defaults = {"held_on": today(), "decision": "continue", "next_review_on": today() + timedelta(weeks=6)}
    return services.review_record(user=user, caf=caf, **{**defaults, **fields})


def test_a_review_is_held_on_a_real_day_of_the_active_caf_with_a_decision(led, school_practitioner, health_visitor):
    with denied("Only the lead professional records a review."):
        review(led, health_visitor)
    with refused("The review date cannot be in the future: record a review after it is held."):
        review(led, school_practitioner, held_on=today() + timedelta(days=1))
    with refused("The review date must be within the last 2 years."):
        review(led, school_practitioner, held_on=today() - timedelta(days=3 * 365))
    with refused("The review date cannot be before the CAF became active."):
        review(led, school_practitioner, held_on=today() - timedelta(days=1))
    with refused("Choose the decision of the review."):
        review(led, school_practitioner, decision="wait and see")


def test_a_continuing_plan_needs_its_next_review_in_range(led, school_practitioner):
    with refused("Enter the date of the next review."):
        review(led, school_practitioner, next_review_on=None)
    with refused("The next review date must be today or in the future."):
        review(led, school_practitioner, next_review_on=today() - timedelta(days=1))
    with refused("The next review date must be within the next 2 years."):
        review(led, school_practitioner, next_review_on=today() + timedelta(days=3 * 365))


def test_a_review_closes_the_caf_only_with_an_outcome_and_a_reason_closed_by_hand(led, school_practitioner):
    with refused("Summarise the outcome for the family: the CAF closes."):
        review(led, school_practitioner, decision="close", next_review_on=None, outcome=" ")
    with refused("Choose why the CAF is closing."):
        review(
            led,
            school_practitioner,
            decision="close",
            next_review_on=None,
            outcome="Done",
            close_reason=Caf.ClosureReason.CONSENT_WITHDRAWN,
        )


def test_without_a_lead_professional_a_review_does_not_close_the_caf(active, school_practitioner):
    # The initiator records reviews until a lead is logged, but closing is the lead professional's.
    with refused("Only the lead professional closes the CAF: ask the CAF administrator to log one first."):
        review(active, school_practitioner, decision="step_down", next_review_on=None, outcome="Needs met")


def test_a_review_records_the_team_the_open_actions_and_the_levels_of_this_caf(
    led, school_practitioner, police_officer, reference_models
):
    open_action = services.plan_action_add(user=school_practitioner, caf=led, **action(led))
    second = services.plan_action_add(user=school_practitioner, caf=led, **action(led, action="Breakfast club"))
    every = [(open_action, "in_progress", ""), (second, "done", "")]
    with refused("Choose who attended from the current Team Around the Family."):
        review(led, school_practitioner, attendees=[police_officer], progress=every)
    with refused("Record progress only on the open actions of this CAF's plan, once each."):
        review(led, school_practitioner, progress=[*every, (open_action, "done", "")])
    with refused("Record progress on every open action of the plan: the plan has changed, start again."):
        review(led, school_practitioner, progress=every[:1])
    with refused("Choose where each action is now."):
        review(led, school_practitioner, progress=[(open_action, "forgotten", ""), (second, "done", "")])

    caf_child = led.caf_children.select_related("child").get()
    elsewhere = reference_models["leicestershire"].levels.get(code="3")
    with refused("Choose a level of the threshold model this CAF uses, for a child of this CAF."):
        review(led, school_practitioner, progress=every, levels={caf_child: (elsewhere, "Worse")})
    higher = led.threshold_model.levels.get(code="3")
    with refused(f"Say why {caf_child.child}'s level of need is changing."):
        review(led, school_practitioner, progress=every, levels={caf_child: (higher, " ")})
