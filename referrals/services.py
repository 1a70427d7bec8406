"""Writes to referrals. The CAF issue needs only sending a referral (so that children's social care
can see it and the CAF attached); the referrals issue adds decisions, deadlines and step-down."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, AgencyType, User
from caf import permissions as perms
from caf.models import AccessLog
from caf.services import CafError, access_log_write
from referrals.models import Referral


def social_care_agencies(council_id: int) -> list[Agency]:
    return list(Agency.objects.filter(council_id=council_id, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE))


@transaction.atomic
def referral_send(*, user: User, referral: Referral, concern: str) -> Referral:
    """Send a referral to the council's children's social care: from now on its agencies (their
    managers and social workers) see the referral and the CAF attached as evidence."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.created_by_id != user.pk and not (
        referral.caf and perms.has_caf_permission(user, perms.CHANGE, referral.caf)
    ):
        raise PermissionDenied("Only the person who started the referral may send it.")
    if referral.status != Referral.Status.DRAFT:
        raise CafError("This referral has already been sent.")
    if not concern.strip():
        raise CafError("Describe the concern: what you have seen or been told, and when.")
    agencies = social_care_agencies(referral.council_id)
    if not agencies:
        raise CafError("Your council has no children's social care agency recorded: call the front door instead.")
    referral.status = Referral.Status.SENT
    referral.concern = concern.strip()
    referral.sent_at = timezone.now()
    referral.save(update_fields=["status", "concern", "sent_at"])
    if referral.caf_id:
        for agency in agencies:
            perms.grant_agency(agency, referral.caf)
    access_log_write(
        user=user, action=AccessLog.Action.CHANGE, what="Sent a referral to children's social care", caf=referral.caf
    )
    return referral
