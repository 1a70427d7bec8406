"""The family's exclusions are a deny that beats every grant (issue 11; Settled questions 10 and 11):
through the pages, the lists and the services, with the recorded exceptions only."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import AgencyType, Notification, Role
from caf import permissions as perms
from caf import policies, services
from caf.models import Caf, ExclusionException, FamilyExclusion, PlanAction, TeamAroundFamilyMember
from core.errors import Refused
from referrals import selectors
from referrals import services as rs
from referrals.models import Referral, StepDown, TimelineEntry
from tests.caf_helpers import consent
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


def caf_pages(caf) -> list[str]:
    """Every page that shows something of one CAF."""
    return [
        reverse("caf:caf_detail", args=[caf.pk]),
        reverse("caf:assessment", args=[caf.pk]),
        reverse("caf:taf", args=[caf.pk]),
        reverse("caf:plan", args=[caf.pk]),
        reverse("caf:reviews", args=[caf.pk]),
        reverse("caf:caf_print", args=[caf.pk]),
    ]


def exclude(caf, lead, *, agencies=(), people=(), by="Kelly Smith"):
    return services.exclusion_record(user=lead, caf=caf, made_by=by, agencies=agencies, people=people)


@pytest.fixture
def with_health(active, school_practitioner, health_visitor):
    """The active CAF with a health visitor on the team (their colleague is not)."""
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor, role="Health visitor")
    return active


# A named person ------------------------------------------------------------------------------------


def test_an_excluded_person_reads_nothing_even_when_their_agency_is_involved(
    with_health, school_practitioner, health_colleague, health_visitor, signed_in, child
):
    caf = with_health
    assert perms.has_caf_permission(health_colleague, perms.VIEW, caf)  # through the agency's grant
    exclude(caf, school_practitioner, people=[health_colleague])

    client = signed_in(health_colleague)
    for url in caf_pages(caf):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("caf:caf_list")).content.decode().count(f"/cafs/{caf.pk}/") == 0
    record = client.get(reverse("caf:child_detail", args=[child.pk]))
    assert record.status_code == 404 or "Jayden" not in record.content.decode()
    assert not perms.cafs_visible_to(health_colleague).filter(pk=caf.pk).exists()
    # The colleague who is on the team still sees it: the deny names a person.
    assert signed_in(health_visitor).get(reverse("caf:caf_detail", args=[caf.pk])).status_code == 200


def test_the_deny_holds_for_the_initiating_agencys_colleague(active, school_practitioner, school_colleague):
    assert perms.has_caf_permission(school_colleague, perms.VIEW, active)
    exclude(active, school_practitioner, people=[school_colleague])
    assert not perms.has_caf_permission(school_colleague, perms.VIEW, active)
    assert not perms.cafs_visible_to(school_colleague).filter(pk=active.pk).exists()


def test_a_named_caf_administrator_is_bound_too(active, school_practitioner, caf_admin, signed_in):
    exclude(active, school_practitioner, people=[caf_admin])
    assert signed_in(caf_admin).get(reverse("caf:caf_detail", args=[active.pk])).status_code == 404
    assert not perms.cafs_visible_to(caf_admin).filter(pk=active.pk).exists()


def test_the_early_help_team_cannot_be_excluded_as_an_agency(active, school_practitioner, early_help_hub):
    with pytest.raises(Refused, match="name the people"):
        exclude(active, school_practitioner, agencies=[early_help_hub])
    assert not FamilyExclusion.objects.exists()


# An agency ----------------------------------------------------------------------------------------


def test_excluding_an_agency_ends_its_memberships_and_grants_now(with_health, school_practitioner, health_visitor):
    caf = with_health
    exclude(caf, school_practitioner, agencies=[health_visitor.agency])
    membership = TeamAroundFamilyMember.objects.get(caf=caf, user=health_visitor)
    assert membership.left_at is not None
    assert not perms.has_caf_permission(health_visitor, perms.VIEW, caf)
    assert not caf.cafgroupobjectpermission_set.filter(group__name=f"agency:{health_visitor.agency_id}").exists()
    with pytest.raises(Refused, match="asked that Health Visiting North"):
        services.taf_member_add(user=school_practitioner, caf=caf, member=health_visitor)


def test_excluding_the_lead_professional_sends_the_caf_back_to_needs_a_lead(
    with_health, school_practitioner, health_visitor, caf_admin
):
    caf = with_health
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=health_visitor)
    exclude(caf, caf_admin, people=[health_visitor])
    assert not policies.has_lead_professional(caf)
    assert not policies.may_manage_plan(health_visitor, caf)
    told = Notification.objects.get(recipient=caf_admin, kind=Notification.Kind.NO_LEAD_PROFESSIONAL)
    assert "needs a lead professional" in told.title


# Consent is cumulative ----------------------------------------------------------------------------


def test_a_new_consent_carries_every_exclusion_forward(with_health, school_practitioner, health_visiting, police):
    caf = with_health
    consent(caf, school_practitioner, health_visiting, excluded_agencies=[police])
    later = consent(caf, school_practitioner, health_visiting)  # the form left the exclusions blank
    assert list(later.excluded_agencies.all()) == [police]
    assert FamilyExclusion.objects.filter(caf=caf, agency=police, lifted_at__isnull=True).count() == 1


def test_a_consent_that_no_longer_covers_an_agency_ends_its_membership(
    with_health, school_practitioner, health_visitor
):
    caf = with_health
    consent(caf, school_practitioner)  # covers only the school now
    assert TeamAroundFamilyMember.objects.get(caf=caf, user=health_visitor).left_at is not None
    assert not perms.has_caf_permission(health_visitor, perms.VIEW, caf)


def test_consent_takes_several_excluded_people(active, school_practitioner, health_visitor, health_colleague):
    recorded = consent(active, school_practitioner, excluded_people=[health_visitor, health_colleague])
    assert set(recorded.excluded_people.all()) == {health_visitor, health_colleague}
    assert not policies.people_who_may_join(active).filter(pk__in=[health_visitor.pk, health_colleague.pk]).exists()


def test_only_the_person_who_made_it_lifts_an_exclusion(with_health, school_practitioner, health_colleague):
    active = with_health
    (exclusion,) = exclude(active, school_practitioner, people=[health_colleague], by="Kelly Smith")
    with pytest.raises(Refused, match="Only Kelly Smith"):
        services.exclusion_lift(user=school_practitioner, exclusion=exclusion, asked_by="Dean Smith", reason="He says")
    assert not perms.has_caf_permission(health_colleague, perms.VIEW, active)
    services.exclusion_lift(
        user=school_practitioner, exclusion=exclusion, asked_by=" kelly  smith", reason="Trusts her"
    )
    exclusion.refresh_from_db()
    assert exclusion.lifted_by == school_practitioner and "Trusts her" in exclusion.lift_reason
    assert perms.has_caf_permission(health_colleague, perms.VIEW, active)  # the agency's grant counts again


def test_the_lift_page_records_who_asked(active, school_practitioner, health_colleague, signed_in):
    (exclusion,) = exclude(active, school_practitioner, people=[health_colleague])
    client = signed_in(school_practitioner)
    url = reverse("caf:exclusion_lift", args=[active.pk, exclusion.pk])
    refused = client.post(url, {"asked_by": "Someone Else", "reason": "x"})
    assert refused.status_code == 200 and "Only Kelly Smith" in refused.content.decode()
    assert client.post(url, {"asked_by": "Kelly Smith", "reason": "She changed her mind"}).status_code == 302
    assert FamilyExclusion.objects.get(pk=exclusion.pk).lifted_at is not None


def test_the_consent_form_shows_the_exclusions_in_force_and_prefills_the_person(
    active, school_practitioner, police, signed_in
):
    consent(active, school_practitioner, excluded_agencies=[police])
    page = signed_in(school_practitioner).get(reverse("caf:consent_record", args=[active.pk])).content.decode()
    assert 'id="exclusions-in-force"' in page and "Neighbourhood Policing, asked by Kelly Smith" in page
    assert 'value="Kelly Smith"' in page  # the consenting person, never the agencies covered
    assert "checked" not in page.split('name="agencies"')[1].split(">")[0]


def test_change_from_check_your_answers_opens_the_draft_consent_as_recorded(
    draft, school_practitioner, health_visiting, signed_in
):
    recorded = consent(draft, school_practitioner, health_visiting)
    client = signed_in(school_practitioner)
    page = client.get(reverse("caf:consent_record", args=[draft.pk]) + f"?change={recorded.pk}").content.decode()
    assert f'value="{health_visiting.pk}" checked' in page.replace("\n", " ") or (
        f'value="{health_visiting.pk}"' in page and "checked" in page
    )
    assert "as recorded" in page


# The family's other CAFs --------------------------------------------------------------------------


def test_an_exclusion_follows_the_family_into_a_reopened_episode(
    active, school_practitioner, health_colleague, caf_admin
):
    exclude(active, school_practitioner, people=[health_colleague])
    services.caf_close(user=caf_admin, caf=active, reason=Caf.ClosureReason.NEEDS_MET, summary="Going well")
    episode = services.caf_reopen(user=caf_admin, caf=active)
    assert FamilyExclusion.objects.filter(caf=episode, user=health_colleague, lifted_at__isnull=True).exists()
    assert not perms.has_caf_permission(health_colleague, perms.VIEW, episode)


def test_an_excluded_person_cannot_start_another_caf_for_the_child(active, school_practitioner, health_visitor, child):
    exclude(active, school_practitioner, people=[health_visitor])
    with pytest.raises(Refused, match="contact the CAF administrator"):
        services.caf_start(user=health_visitor, children=[child])


def test_exclusions_may_be_recorded_on_a_closed_caf_by_the_caf_administrator(
    active, school_practitioner, caf_admin, health_colleague
):
    services.caf_close(user=caf_admin, caf=active, reason=Caf.ClosureReason.NEEDS_MET, summary="Done")
    with pytest.raises(PermissionDenied):
        exclude(active, school_practitioner, people=[health_colleague])
    exclude(active, caf_admin, people=[health_colleague])
    assert not perms.has_caf_permission(health_colleague, perms.VIEW, active)


# The plan and the pickers -------------------------------------------------------------------------


def test_a_plan_action_cannot_go_to_an_excluded_or_uncovered_agency(
    with_health, school_practitioner, police, health_visitor, health_visiting
):
    caf = with_health
    fields = {"need": "Attendance", "action": "Visit", "due_on": date(2027, 1, 10)}
    with pytest.raises(Refused, match="does not cover Neighbourhood Policing"):
        services.plan_action_add(user=school_practitioner, caf=caf, agency=police, **fields)
    services.plan_action_add(user=school_practitioner, caf=caf, agency=health_visiting, owner=health_visitor, **fields)
    exclude(caf, school_practitioner, agencies=[health_visiting])
    with pytest.raises(Refused):
        services.plan_action_add(user=school_practitioner, caf=caf, agency=health_visiting, **fields)
    assert PlanAction.objects.filter(caf=caf).count() == 1


def test_the_team_picker_lists_only_people_who_may_join(
    with_health, school_practitioner, health_visitor, health_colleague, police_officer, school_colleague, signed_in
):
    exclude(with_health, school_practitioner, people=[health_colleague])
    client = signed_in(school_practitioner)

    def found(**search) -> str:
        page = client.get(reverse("caf:taf", args=[with_health.pk]), search).content.decode()
        return page[page.index("</form>", page.index('id="people-search"')) :]  # after the search box

    assert "Sam Teacher" not in found()  # nobody is listed before a search: a county has 10,000 staff
    assert "Sam Teacher" in found(who="teacher")  # the school: covered
    assert "Sam Teacher" in found(agency=school_colleague.agency_id)
    assert "Harriet Colleague" not in found(who="Harriet")  # excluded
    assert "Pat Officer" not in found(who="Pat Officer")  # police: not covered by the consent
    assert "Hannah Okoro" not in found(who="Okoro")  # already a member
    assert 'id="no-people"' in found(who="Okoro")


# Referrals and step-downs -------------------------------------------------------------------------


def _send(caf, referrer, **extra):
    referral = rs.referral_start(user=referrer, children=list(caf.children.all()), caf=caf)
    defaults = {
        "consent": rs.CONSENT_GIVEN,
        "consent_given_by": "Kelly Smith",
        "consent_relationship": "mother",
        "consent_given_on": date(2026, 12, 1),
    }
    return rs.referral_send(user=referrer, referral=referral, concern="Bruising", **{**defaults, **extra})


def test_with_consent_excluded_social_care_sees_the_referral_text_but_not_the_caf(
    active, school_practitioner, social_care, social_care_manager, social_worker, signed_in
):
    exclude(active, school_practitioner, agencies=[social_care])
    referral = _send(active, school_practitioner)
    manager = signed_in(social_care_manager)
    assert manager.get(reverse("referrals:referral_detail", args=[referral.pk])).status_code == 200
    assert manager.get(reverse("caf:caf_detail", args=[active.pk])).status_code == 404
    assert signed_in(social_worker).get(reverse("referrals:referral_detail", args=[referral.pk])).status_code == 404
    assert TimelineEntry.objects.filter(referral=referral, what__contains="not shared").exists()


def test_under_a_safeguarding_override_social_care_sees_the_caf_and_the_timeline_says_why(
    active, school_practitioner, social_care, social_care_manager
):
    exclude(active, school_practitioner, agencies=[social_care])
    referral = _send(active, school_practitioner, consent=rs.CONSENT_NOT_SOUGHT, override_reason="Risk of harm")
    assert perms.has_caf_permission(social_care_manager, perms.VIEW, active)
    exception = ExclusionException.objects.get(caf=active, agency=social_care)
    assert exception.basis == "safeguarding_override"
    assert TimelineEntry.objects.filter(referral=referral, what__contains="safeguarding override").exists()


def test_a_section_47_decision_takes_the_caf_to_social_care(
    active, school_practitioner, social_care, social_care_manager, social_worker
):
    exclude(active, school_practitioner, agencies=[social_care])
    referral = _send(active, school_practitioner)
    assert not perms.has_caf_permission(social_worker, perms.VIEW, active)
    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision=Referral.Decision.CHILD_PROTECTION,
        reasons="Strategy discussion today",
        social_worker=social_worker,
    )
    assert perms.has_caf_permission(social_worker, perms.VIEW, active)
    assert ExclusionException.objects.filter(caf=active, agency=social_care, basis="child_protection").exists()


def test_the_allocated_social_worker_of_social_work_led_support_is_not_removed(
    active, school_practitioner, social_care, social_care_manager, social_worker
):
    referral = _send(active, school_practitioner)
    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision=Referral.Decision.CHILD_IN_NEED,
        reasons="Assessment",
        social_worker=social_worker,
    )
    assert policies.is_lead_professional(social_worker, active)
    exclude(active, social_worker, people=[social_worker])
    assert policies.is_lead_professional(social_worker, active)
    assert perms.has_caf_permission(social_worker, perms.VIEW, active)
    assert ExclusionException.objects.filter(caf=active, user=social_worker, basis="social_work_led").exists()


def test_a_step_down_is_hidden_from_a_caf_administrator_the_family_named(
    active, school_practitioner, social_care, social_care_manager, social_worker, caf_admin, signed_in
):
    referral = _send(active, school_practitioner)
    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision=Referral.Decision.CHILD_IN_NEED,
        reasons="Assessment",
        social_worker=social_worker,
    )
    step_down = rs.step_down_send(
        user=social_worker,
        point=StepDown.Point.CHILD_IN_NEED_CLOSURE,
        referral=referral,
        reason="Needs met by early help",
        open_needs="Attendance",
        social_worker_summary="Going well",
        consent_given_by="Kelly Smith",
        consent_relationship="mother",
        consent_given_on=date(2026, 12, 1),
        consent_method="verbal",
        excluded_people=[caf_admin],
    )
    # What the family told social care binds at once, before the pick-up records it on the CAF.
    assert signed_in(caf_admin).get(reverse("referrals:step_down_detail", args=[step_down.pk])).status_code == 404
    assert step_down not in selectors.step_downs_to_pick_up(caf_admin)


def _stepped_down(manager, referral, agency, *, excluded, given_by="Kelly Smith", explained_storage=True) -> StepDown:
    """The front door steps the family down, with consent (given by `given_by`) to share with
    `agency` and not with the person `excluded`."""
    rs.referral_decide(
        user=manager,
        referral=referral,
        decision=Referral.Decision.STEP_DOWN,
        reasons="Threshold not met",
        step_down={
            "open_needs": "Attendance",
            "social_worker_summary": "Mum wants help",
            "consent_given_by": given_by,
            "consent_relationship": "mother",
            "consent_given_on": date(2026, 12, 1),
            "consent_method": "verbal",
            "consent_agencies": [agency],
            "excluded_agencies": [],
            "excluded_people": [excluded],
            "explained_storage": explained_storage,
            "explained_sharing": True,
        },
    )
    return StepDown.objects.get(referral=referral)


def test_a_pick_up_into_an_existing_caf_records_the_consent_as_given(
    with_health, school_practitioner, social_care, social_care_manager, police, caf_admin, health_visiting
):
    caf = with_health
    referral = _send(caf, school_practitioner)
    second_admin = UserFactory(agency=caf_admin.agency, roles=[Role.CAF_ADMINISTRATOR])
    step_down = _stepped_down(social_care_manager, referral, police, excluded=caf_admin, explained_storage=False)
    rs.step_down_pick_up(user=second_admin, step_down=step_down)
    recorded = caf.consents.order_by("-recorded_at", "-pk").first()
    assert set(recorded.agencies.all()) == {police, caf.initiating_agency}
    assert (recorded.explained_storage, recorded.explained_sharing) == (False, True)
    assert list(recorded.excluded_people.all()) == [caf_admin]
    assert not perms.has_caf_permission(caf_admin, perms.VIEW, caf)
    # Nothing removed silently: the health visitor is still on the team, listed to check with the family.
    assert caf.taf_members.filter(agency=health_visiting, left_at__isnull=True).exists()
    assert TimelineEntry.objects.filter(step_down=step_down, what__contains="Health Visiting North").exists()


def test_the_pick_up_offers_as_lead_only_people_the_continuing_caf_will_take(
    with_health, school_practitioner, social_care_manager, police, caf_admin, health_visitor
):
    """No dead end: the step-down's consent (given by the mother again, naming the police, not
    health) replaces hers on the CAF, so the picker offers the police and the CAF's own school,
    not health nor the coordinator's own agency, and nobody the family excluded; a choice it offers
    goes through."""
    caf = with_health
    referral = _send(caf, school_practitioner)
    officer = UserFactory(agency=police, roles=[Role.PRACTITIONER], full_name="Sam Officer")
    excluded_officer = UserFactory(agency=police, roles=[Role.PRACTITIONER], full_name="Pat Officer")
    coordinator = UserFactory(agency=caf_admin.agency, roles=[Role.CAF_ADMINISTRATOR])
    step_down = _stepped_down(social_care_manager, referral, police, given_by="kelly  smith", excluded=excluded_officer)

    offered = set(selectors.pick_up_lead_candidates(coordinator, step_down))

    assert {officer, school_practitioner} <= offered
    assert not offered & {excluded_officer, health_visitor, coordinator, caf_admin}
    rs.step_down_pick_up(user=coordinator, step_down=step_down, lead=officer)
    assert policies.is_lead_professional(officer, caf)


def test_the_front_door_sees_an_excluded_agencys_referral_text(
    active, school_practitioner, social_care, social_care_manager
):
    exclude(active, school_practitioner, agencies=[social_care])
    referral = _send(active, school_practitioner)
    from referrals import policies as referral_policies

    assert referral_policies.may_view_referral(social_care_manager, referral)


def test_an_excluded_referrer_loses_the_referral_made_from_the_caf(
    with_health, school_practitioner, health_visitor, caf_admin, signed_in
):
    caf = with_health
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=health_visitor)
    referral = rs.referral_start(user=health_visitor, children=list(caf.children.all()), caf=caf)
    exclude(caf, caf_admin, people=[health_visitor])
    assert signed_in(health_visitor).get(reverse("referrals:referral_detail", args=[referral.pk])).status_code == 404


def test_other_councils_agencies_cannot_be_excluded(active, school_practitioner, other_council_school):
    with pytest.raises(Refused, match="this council"):
        exclude(active, school_practitioner, agencies=[other_council_school])


def test_social_care_agency_type_is_excludable(active, school_practitioner):
    agency = AgencyFactory(council=active.council, agency_type=AgencyType.YOUTH_SERVICE)
    exclude(active, school_practitioner, agencies=[agency])
    assert FamilyExclusion.objects.filter(caf=active, agency=agency).exists()


def test_with_every_caf_administrator_excluded_the_early_help_lead_is_told(
    with_health, health_visitor, caf_admin, council
):
    lead = UserFactory(agency=caf_admin.agency, full_name="Erin Lead", roles=[Role.PRACTITIONER])
    council.early_help_lead = lead
    council.save(update_fields=["early_help_lead"])
    caf = with_health
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=health_visitor)
    exclude(caf, health_visitor, people=[caf_admin])  # the family names the only CAF administrator
    exclude(caf, health_visitor, people=[health_visitor])  # and then the lead professional
    assert not Notification.objects.filter(recipient=caf_admin, kind=Notification.Kind.NO_LEAD_PROFESSIONAL).exists()
    told = Notification.objects.get(recipient=lead, kind=Notification.Kind.NO_LEAD_PROFESSIONAL)
    assert "needs a lead professional" in told.title
