from django.http import Http404

from accounts.models import AgencyType, User
from caf import permissions as perms
from caf.models import AccessLog
from caf.services import access_log_write
from referrals.models import Referral


def referral_may_see(user: User, referral: Referral) -> bool:
    if not user.is_active or user.council_id != referral.council_id:
        return False
    if referral.created_by_id == user.pk:
        return True
    if referral.caf_id and perms.has_caf_permission(user, perms.CHANGE, referral.caf):
        return True
    # Once sent, children's social care (the agency is the unit of sharing) sees it.
    return referral.status == Referral.Status.SENT and user.agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE


def referral_get_for_user(user: User, referral_id: int) -> Referral:
    referral = Referral.objects.filter(pk=referral_id).select_related("caf", "created_by", "council").first()
    if referral is None or not referral_may_see(user, referral):
        if referral is not None and user.is_authenticated:
            access_log_write(
                user=user, action=AccessLog.Action.REFUSED, what="Refused: viewed a referral", caf=referral.caf
            )
        raise Http404("No referral matches the given query.")
    access_log_write(user=user, action=AccessLog.Action.VIEW, what="Viewed a referral", caf=referral.caf)
    return referral
