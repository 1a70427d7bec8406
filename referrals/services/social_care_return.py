"""A council's monthly total of referrals to children's social care from its own social care return
(Settled question 22): entered, or corrected, one month at a time by its council or CAF administrator."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import Refused
from referrals import policies
from referrals.models import SocialCareReturnMonth

# A month as far back as the figures go (referrals.selectors.council_figures.LONGEST_PERIOD_MONTHS).
EARLIEST_MONTHS_BACK = 60
# Far above any council's month (Kent's social care receives a few thousand referrals a month): a typing
# slip, not a number to keep.
MOST_REFERRALS_IN_A_MONTH = 99_999


def social_care_return_months(today: date) -> list[date]:
    """The months a total may be entered for, newest first: this month back to the figures' earliest."""
    this_month = today.replace(day=1)
    return [this_month - relativedelta(months=back) for back in range(EARLIEST_MONTHS_BACK)]


def social_care_return_record(*, user: User, month: date, referrals: int) -> SocialCareReturnMonth:
    """Enter or correct the council's total of referrals to children's social care for one month. The
    person must be one who may (a council or CAF administrator of the council); the month must be one the
    figures can show, never a future one; the total a whole number from 0 to 99,999."""
    council_id = user.council_id
    if not policies.may_enter_social_care_return(user, council_id):
        raise PermissionDenied("The council's social care return is entered by its council and CAF administrators.")
    if month not in social_care_return_months(timezone.localdate()):
        raise Refused({"month": "Choose a month from the list: this month or one of the 59 before it"})
    if not 0 <= referrals <= MOST_REFERRALS_IN_A_MONTH:
        raise Refused({"referrals": f"The total must be a whole number from 0 to {MOST_REFERRALS_IN_A_MONTH:,}"})
    with transaction.atomic():
        entered, _ = SocialCareReturnMonth.objects.update_or_create(
            council_id=council_id,
            month=month,
            defaults={"referrals": referrals, "entered_by": user, "entered_at": timezone.now()},
        )
    return entered
