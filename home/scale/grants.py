"""The grant rows the services would have left behind (Settled questions 3 and 12, as caf/permissions,
caf/services/lifecycle and team, and referrals/services/access write them):

- a user VIEW and CHANGE row, reason initiator; a VIEW row, reason member, per current member;
  VIEW, CHANGE, CHANGE_PLAN and CLOSE rows, reason lead_professional, for the current LP;
- an agency-group VIEW row, reason agency_involved, for the initiating agency and each agency with a
  current member;
- a VIEW row per children's social care agency, reason referral, on every CAF a referral brings (its
  own, and the earlier referred CAFs of its children) from its sending; the decision ends it, at
  once or after the council's working days (section 17 or 47, own CAF), unless another referral
  still waiting brings the same CAF;
- at closure the change rows go and every view row ends at closure plus the council's months.
"""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from caf.models import CafGroupObjectPermission, CafUserObjectPermission, GrantReason
from home.scale.cases import CafSim, Family, ReferralSim, Simulation
from home.scale.copy import Copier

SOCIAL_CARE_DECISIONS = ("child_in_need", "child_protection")


def _earliest(current: datetime | None, until: datetime) -> datetime:
    return until if current is None or current > until else current


def grants_write(sim: Simulation, copier: Copier) -> None:
    council = sim.county.council
    months = relativedelta(months=council.closed_caf_read_months)
    codes = dict(
        Permission.objects.filter(content_type__app_label="caf", content_type__model="caf").values_list(
            "codename", "pk"
        )
    )
    view, change, change_plan, close = codes["view_caf"], codes["change_caf"], codes["change_plan"], codes["close_caf"]
    groups = sim.county.agency_group
    referral_ends = _referral_grants(sim)

    def user_rows() -> Iterator[tuple]:
        for caf in sim.cafs:
            until = caf.closed + months if caf.closed else None
            yield (caf.initiator, view, caf.id, GrantReason.INITIATOR.value, until)
            if caf.closed is None:
                yield (caf.initiator, change, caf.id, GrantReason.INITIATOR.value, None)
            for member in {m[0] for m in caf.members if m[3] is None}:
                yield (member, view, caf.id, GrantReason.MEMBER.value, until)
            for lead in caf.leads:
                if lead[2] is None:
                    for permission in (view, change, change_plan, close):
                        yield (lead[0], permission, caf.id, GrantReason.LEAD_PROFESSIONAL.value, None)
                elif caf.closed and lead[2] == caf.closed:
                    yield (lead[0], view, caf.id, GrantReason.LEAD_PROFESSIONAL.value, until)

    def group_rows() -> Iterator[tuple]:
        for caf in sim.cafs:
            until = caf.closed + months if caf.closed else None
            for agency in sorted({caf.agency} | {m[1] for m in caf.members if m[3] is None}):
                yield (groups[agency], view, caf.id, GrantReason.AGENCY_INVOLVED.value, until)
            if caf.id in referral_ends:
                for agency in sim.county.social_care_agencies:
                    yield (groups[agency], view, caf.id, GrantReason.REFERRAL.value, referral_ends[caf.id])

    columns = ["permission_id", "content_object_id", "reason", "valid_until"]
    copier.copy(CafUserObjectPermission, ["user_id", *columns], user_rows())
    copier.copy(CafGroupObjectPermission, ["group_id", *columns], group_rows())


def _referral_grants(sim: Simulation) -> dict[int, datetime | None]:
    """Each referred CAF's referral grants' end (None: in force), replaying sendings, decisions and
    closures in time order as referrals/services/access.py and caf's closure apply them."""
    council = sim.county.council
    calendar = WorkingCalendar.for_council(council)
    zone = ZoneInfo(calendar.time_zone)
    months = relativedelta(months=council.closed_caf_read_months)
    ends: dict[int, datetime | None] = {}
    for family in sim.families:
        if not any(r.caf for r in family.referrals):
            continue
        events: list[tuple[datetime, int, CafSim, ReferralSim | None]] = []
        for referral in family.referrals:
            events += [(referral.sent, 0, caf, referral) for caf in _brought(family, referral, referral.sent)]
            if referral.status == "decided":
                brought = _brought(family, referral, referral.decided)
                events += [(referral.decided, 1, caf, referral) for caf in brought]
        events += [(caf.closed, 2, caf, None) for caf in family.cafs if caf.closed]
        events.sort(key=lambda event: (event[0], event[1], event[2].id))
        waiting: dict[int, int] = {}
        for at, kind, caf, cause in events:
            if kind == 0:
                ends[caf.id] = None
                waiting[caf.id] = waiting.get(caf.id, 0) + 1
            elif kind == 1 and cause is not None:
                waiting[caf.id] -= 1
                if waiting[caf.id] > 0:
                    continue
                until = at
                if cause.decision in SOCIAL_CARE_DECISIONS and cause.caf is caf:
                    local = timezone.localtime(at, zone)
                    day = calendar.add_working_days(local.date(), council.social_care_read_working_days)
                    until = local.replace(year=day.year, month=day.month, day=day.day)
                ends[caf.id] = _earliest(ends[caf.id], until)
            elif caf.id in ends:
                ends[caf.id] = _earliest(ends[caf.id], at + months)
    return ends


def _brought(family: Family, referral: ReferralSim, at: datetime) -> list[CafSim]:
    """The referral's CAF and the CAFs of the family's referrals sent by then that share a child."""
    children = set(referral.children)
    cafs = {r.caf.id: r.caf for r in family.referrals if r.caf and r.sent <= at and children & set(r.children)}
    if referral.caf:
        cafs[referral.caf.id] = referral.caf
    return list(cafs.values())
