"""Children's social care's access to the CAFs a referral brings (Settled question 12): granted when
a referral is sent, ended when it is decided. Written as grant rows here and read only by
caf/permissions (Settled question 14).

A referral opens to the council's social care agencies its own CAF and every earlier CAF that was
referred for any of its children, so the front door sees the family's history when the same child
is referred again. The decision ends those grants, unless another referral still waiting for a
decision needs the same CAF: at once after no further action or a step-down; a council-set number
of working days after a Child in Need or child protection decision (LocalAuthority.
social_care_read_working_days). While a social worker leads the CAF, they and their agency hold it
as its team (their own grants), not through the referral.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from caf import permissions as perms
from caf.models import Caf, GrantReason
from referrals.models import Referral
from referrals.selectors import social_care_agencies


def _cafs_referred_with(referral: Referral) -> set[int]:
    """The referral's CAF, and the CAFs of every other referral of any of its children."""
    children = list(referral.children.values_list("pk", flat=True))
    earlier = Referral.objects.filter(
        council_id=referral.council_id, children__in=children, caf__isnull=False, sent_at__isnull=False
    ).values_list("caf_id", flat=True)
    cafs = set(earlier)
    if referral.caf_id:
        cafs.add(referral.caf_id)
    return cafs


def social_care_access_open(referral: Referral) -> None:
    """On sending: the council's social care agencies see the CAFs the referral brings, until it is
    decided. The family's exclusions still stand over these grants (caf/permissions' deny)."""
    cafs = list(Caf.objects.filter(pk__in=_cafs_referred_with(referral)))
    for agency in social_care_agencies(referral.council_id):
        for caf in cafs:
            perms.grant_agency(agency, caf, reason=GrantReason.REFERRAL)


def _still_waiting(referral: Referral, caf_ids: set[int]) -> set[int]:
    """Of these CAFs, those another undecided referral still brings to the front door."""
    waiting = Referral.objects.filter(council_id=referral.council_id, status=Referral.Status.SENT).exclude(
        pk=referral.pk
    )
    needed: set[int] = set()
    for other in waiting.filter(Q(caf_id__in=caf_ids) | Q(children__in=referral.children.all())).distinct():
        needed |= _cafs_referred_with(other)
    return needed & caf_ids


def social_care_access_end(referral: Referral, *, decided_at: datetime) -> None:
    """On deciding: social care's referral grants end, the attached CAF's only after the council's
    working days when social care takes the case on (section 17 or 47)."""
    brought = _cafs_referred_with(referral)
    caf_ids = brought - _still_waiting(referral, brought)
    if not caf_ids:
        return
    if referral.decision in Referral.SOCIAL_CARE_DECISIONS and referral.caf_id in caf_ids:
        council = referral.council
        calendar = WorkingCalendar.for_council(council)
        local = timezone.localtime(decided_at, ZoneInfo(calendar.time_zone))
        day = calendar.add_working_days(local.date(), council.social_care_read_working_days)
        until = local.replace(year=day.year, month=day.month, day=day.day)
        perms.grants_end_by([referral.caf_id], until, reason=GrantReason.REFERRAL)
        caf_ids.discard(referral.caf_id)
    perms.grants_end_by(caf_ids, decided_at, reason=GrantReason.REFERRAL)
