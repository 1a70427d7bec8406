"""Who a CAF is shared with and on what basis, and the decisions about sharing without consent
(issue 15; Settled questions 1, 10 and 15): the basis of every share read from the records, never
typed twice."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Agency, User
from caf import permissions as perms
from caf import policies
from caf.access_log import access_log_write
from caf.models import (
    AccessLog,
    Caf,
    CafGroupObjectPermission,
    CafUserObjectPermission,
    ExclusionException,
    FamilyExclusion,
    GrantReason,
    SharingBasis,
    SharingDecision,
)
from core.paging import ListPage, list_page

DECISIONS_PER_PAGE = 50

# The basis for sharing behind each reason a grant exists (Settled question 15's words).
BASIS_OF_GRANT = {
    GrantReason.INITIATOR: SharingBasis.CONSENT.label,
    GrantReason.MEMBER: SharingBasis.CONSENT.label,
    GrantReason.LEAD_PROFESSIONAL: SharingBasis.CONSENT.label,
    GrantReason.AGENCY_INVOLVED: SharingBasis.CONSENT.label,
    GrantReason.REFERRAL: "A referral to children's social care (its basis is on the referral)",
    GrantReason.BREAK_GLASS: SharingBasis.BREAK_GLASS.label,
    GrantReason.DUTY_TO_SHARE: SharingBasis.DUTY_TO_SHARE.label,
}


@dataclass
class Share:
    """One agency or person who may read the CAF now, why, and until when."""

    who: str
    reasons: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    ends: list[datetime | None] = field(default_factory=list)
    excluded: bool = False  # the family excluded them and no recorded exception lets them in

    def add(self, reason: str, until: datetime | None) -> None:
        label, basis = GrantReason(reason).label, BASIS_OF_GRANT[GrantReason(reason)]
        if label not in self.reasons:
            self.reasons.append(label)
        if basis not in self.bases:
            self.bases.append(basis)
        self.ends.append(until)

    @property
    def until(self) -> datetime | None:
        """When the last of their grants ends; None while one is open-ended."""
        return None if None in self.ends else max(end for end in self.ends if end is not None)


@dataclass
class CafSharing:
    caf: Caf
    agencies: list[Share]
    people: list[Share]
    consent_covers: list[Agency]
    exceptions: list[ExclusionException]
    decisions: list[SharingDecision]


def caf_sharing(caf: Caf) -> CafSharing:
    """Who reads the CAF now and on what basis (from the grants in force), the agencies the family's
    consent covers, the exceptions to their exclusions in force, and every decision to share without
    consent or not to share. A fixed number of queries."""
    now = timezone.now()
    live = Q(valid_until__isnull=True) | Q(valid_until__gt=now)
    in_force = FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True)
    excluded_agencies = set(in_force.filter(agency__isnull=False).values_list("agency_id", flat=True))
    excluded_people = set(in_force.filter(user__isnull=False).values_list("user_id", flat=True))
    exceptions = list(
        ExclusionException.objects.filter(caf=caf)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .select_related("agency", "user__agency", "recorded_by")
    )
    excepted_agencies = {each.agency_id for each in exceptions if each.agency_id}
    excepted_people = {each.user_id for each in exceptions if each.user_id}

    agency_grants = list(
        CafGroupObjectPermission.objects.filter(live, content_object=caf, group__name__startswith="agency:")
        .values_list("group__name", "reason", "valid_until")
        .order_by("pk")
    )
    names = Agency.objects.in_bulk([int(name.split(":", 1)[1]) for name, _, _ in agency_grants])
    agencies: dict[int, Share] = {}
    for name, reason, until in agency_grants:
        agency_id = int(name.split(":", 1)[1])
        share = agencies.setdefault(
            agency_id,
            Share(
                who=str(names[agency_id]),
                excluded=agency_id in excluded_agencies and agency_id not in excepted_agencies,
            ),
        )
        share.add(reason, until)

    people: dict[int, Share] = {}
    for grant in (
        CafUserObjectPermission.objects.filter(live, content_object=caf, permission__codename="view_caf")
        .select_related("user__agency")
        .order_by("pk")
    ):
        person = grant.user
        share = people.setdefault(
            person.pk,
            Share(
                who=f"{person.full_name} ({person.agency})" if person.agency_id else person.full_name,
                excluded=(person.pk in excluded_people and person.pk not in excepted_people)
                or (person.agency_id in excluded_agencies and person.pk not in excepted_people),
            ),
        )
        share.add(grant.reason, grant.valid_until)

    return CafSharing(
        caf=caf,
        agencies=sorted(agencies.values(), key=lambda share: share.who),
        people=sorted(people.values(), key=lambda share: share.who),
        consent_covers=list(policies.sharing_agencies(caf).order_by("name")),
        exceptions=exceptions,
        decisions=list(caf.sharing_decisions.select_related("agency", "recorded_by__agency")),
    )


def sharing_decisions_for(user: User, *, decision: str = "") -> QuerySet[SharingDecision]:
    """The decisions to share without consent and not to share on the CAFs of the person's council
    they may see, the newest first (the managers' list)."""
    if not policies.may_see_sharing_decisions(user):
        return SharingDecision.objects.none()
    rows = SharingDecision.objects.filter(
        caf__council_id=user.council_id, caf__in=perms.cafs_visible_to(user).values("pk")
    )
    if decision:
        rows = rows.filter(decision=decision)
    return rows.select_related("caf", "agency", "recorded_by__agency").prefetch_related("caf__children")


def sharing_decisions_page(user: User, page: object, *, decision: str = "") -> ListPage[SharingDecision]:
    """One page of the managers' list, logged as one access-log row with the children shown."""
    shown = list_page(sharing_decisions_for(user, decision=decision), page, size=DECISIONS_PER_PAGE)
    children = sorted({child.pk for row in shown.rows for child in row.caf.children.all()})
    access_log_write(
        user=user, action=AccessLog.Action.VIEW, what="Viewed the list of sharing decisions", child_ids=children
    )
    return shown
