"""Rights follow the role (issue 11): one home for every "who may" rule, asked by services and pages."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from caf import policies, services
from caf.models import Caf
from core.errors import Refused
from referrals import services as rs
from tests.caf_helpers import consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed_over(active, school_practitioner, health_visitor, caf_admin):
    """The initiator led the CAF, then the health visitor took over; the initiator stays on the team."""
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor)
    services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    return active


def test_a_replaced_lead_professional_keeps_member_rights_only(handed_over, school_practitioner, signed_in):
    caf = handed_over
    assert policies.may_view(school_practitioner, caf)
    for may in (
        policies.may_change_assessment,
        policies.may_withdraw_consent,
        policies.may_refer_from,
        policies.may_manage_plan,
        policies.may_close,
    ):
        assert not may(school_practitioner, caf), may.__name__
    sub_domain = caf.assessment_entries.first().sub_domain_id
    with pytest.raises(PermissionDenied):
        services.assessment_save(user=school_practitioner, caf=caf, entries={sub_domain: ("x", "y")})
    with pytest.raises(PermissionDenied):
        services.consent_withdraw(
            user=school_practitioner, consent=caf.consents.first(), withdrawn_on=date(2026, 12, 1), reason="No"
        )
    with pytest.raises(PermissionDenied):
        rs.referral_start(user=school_practitioner, children=list(caf.children.all()), caf=caf)
    client = signed_in(school_practitioner)
    assert client.get(reverse("caf:caf_detail", args=[caf.pk])).status_code == 200
    assert client.get(reverse("caf:assessment", args=[caf.pk])).status_code == 403
    assert client.get(reverse("caf:consent_withdraw", args=[caf.pk, caf.consents.first().pk])).status_code == 403


def test_the_new_lead_professional_has_the_rights(handed_over, health_visitor):
    for may in (policies.may_change_assessment, policies.may_withdraw_consent, policies.may_refer_from):
        assert may(health_visitor, handed_over), may.__name__


def test_the_close_form_offers_only_the_reasons_chosen_by_hand(active, caf_admin, signed_in):
    page = signed_in(caf_admin).get(reverse("caf:caf_close", args=[active.pk])).content.decode()
    assert "Needs met, universal services continue" in page
    assert "Consent withdrawn" not in page and "Stepped up to children" not in page
    for reason in (Caf.ClosureReason.CONSENT_WITHDRAWN, Caf.ClosureReason.STEPPED_UP):
        with pytest.raises(Refused):
            services.caf_close(user=caf_admin, caf=active, reason=reason, summary="x")
    active.refresh_from_db()
    assert active.status == Caf.Status.ACTIVE


@pytest.fixture
def closed(active, caf_admin):
    return services.caf_close(user=caf_admin, caf=active, reason=Caf.ClosureReason.NEEDS_MET, summary="Done")


def test_a_closed_caf_takes_no_writes(closed, school_practitioner, caf_admin, health_visiting):
    caf_child = closed.caf_children.first()
    level = closed.threshold_model.levels.first()
    with pytest.raises(Refused):
        consent(closed, caf_admin, health_visiting)
    with pytest.raises(Refused):
        services.child_indicators_set(user=school_practitioner, caf_child=caf_child, indicators=[])
    with pytest.raises(Refused):
        services.child_level_set(user=school_practitioner, caf_child=caf_child, level=level, reason="x")
    with pytest.raises(Refused):
        services.plan_action_add(
            user=school_practitioner, caf=closed, need="n", action="a", agency=health_visiting, due_on=date(2027, 1, 1)
        )
    assert closed.consents.count() == 1


def test_reopening_is_for_the_lead_the_initiator_or_an_administrator(
    closed, school_colleague, school_practitioner, signed_in
):
    assert policies.may_view(school_colleague, closed)  # the initiating agency's grant
    assert not policies.may_reopen(school_colleague, closed)
    with pytest.raises(PermissionDenied):
        services.caf_reopen(user=school_colleague, caf=closed)
    assert signed_in(school_colleague).post(reverse("caf:caf_reopen", args=[closed.pk])).status_code == 403
    episode = services.caf_reopen(user=school_practitioner, caf=closed)
    assert episode.previous_episode_id == closed.pk


def test_only_the_caf_administrator_of_the_council_registers(active, caf_admin, school_practitioner):
    assert policies.may_register(caf_admin, active)
    assert not policies.may_register(school_practitioner, active)
    with pytest.raises(PermissionDenied):
        services.caf_register(user=school_practitioner, caf=active, reference="NB-1")


def test_a_lead_professional_the_family_excluded_cannot_be_logged(
    active, school_practitioner, caf_admin, health_visitor
):
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor)
    assert policies.may_be_lead_professional(health_visitor, active)
    services.exclusion_record(user=caf_admin, caf=active, made_by="Kelly Smith", people=[health_visitor])
    assert not policies.may_be_lead_professional(health_visitor, active)
    with pytest.raises(Refused):
        services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
