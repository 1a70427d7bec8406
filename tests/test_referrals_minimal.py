"""The minimal referral of the CAF issue: an override starts it, sending it opens the CAF to
children's social care (the social care manager's row of the access table)."""

import pytest

from caf import permissions as perms
from caf import services
from caf.models import AccessLog
from referrals.models import Referral


@pytest.fixture
def referral(draft, school_practitioner):
    return services.safeguarding_override_record(
        user=school_practitioner, caf=draft, reason="Disclosure of abuse by the mother's partner"
    )


def test_the_initiator_sends_the_referral_and_social_care_then_sees_the_caf(
    referral, school_practitioner, social_care_manager, social_worker, signed_in
):
    manager = signed_in(social_care_manager)
    assert manager.get(f"/referrals/{referral.pk}/").status_code == 404
    assert not perms.has_caf_permission(social_care_manager, perms.VIEW, referral.caf)

    referrer = signed_in(school_practitioner)
    written = referrer.post(f"/referrals/{referral.pk}/", {"concern": "Jayden said his stepfather hit him on Sunday."})
    assert written.status_code == 302 and written.url == f"/referrals/{referral.pk}/check/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT  # the answers are checked first

    response = referrer.post(f"/referrals/{referral.pk}/check/")

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.sent_at is not None
    page = manager.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert "Jayden said his stepfather hit him on Sunday." in page.content.decode()
    assert perms.has_caf_permission(social_care_manager, perms.VIEW, referral.caf)
    assert perms.has_caf_permission(social_worker, perms.VIEW, referral.caf)  # the agency is the unit of sharing
    assert AccessLog.objects.filter(user=social_care_manager, action="view", what="Viewed a referral").exists()


def test_a_referral_needs_a_concern(referral, school_practitioner, signed_in):
    response = signed_in(school_practitioner).post(f"/referrals/{referral.pk}/", {"concern": ""})
    assert response.status_code == 200
    assert "Describe the concern" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT


def test_a_referral_is_sent_once(referral, school_practitioner, social_care):
    from referrals.services import referral_send

    referral_send(user=school_practitioner, referral=referral, concern="Bruise on arm")
    with pytest.raises(Exception, match="already been sent"):
        referral_send(user=school_practitioner, referral=referral, concern="Again")


@pytest.mark.parametrize("who", ["other_council_user", "police_officer", "caf_admin"])
def test_nobody_else_sees_a_draft_referral(request, who, referral, signed_in, social_care):
    user = request.getfixturevalue(who)
    assert signed_in(user).get(f"/referrals/{referral.pk}/").status_code == 404
    assert AccessLog.objects.filter(user=user, action="refused").exists()
