"""Fetching one CAF or child record with the row-level check and the access log: a refusal is logged
and is a 404 or 403, never a hint that the record exists.
"""

from collections.abc import Collection, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import AgencyType, Role, User
from caf import hooks, policies
from caf import permissions as perms
from caf.access_log import access_log_write
from caf.models import AccessLog, BreakGlass, Caf, CafChild, Child


def caf_get_for_user(user: User, caf_id: int, permission: str = perms.VIEW, *, what: str = "Viewed the CAF") -> Caf:
    """The one way a page gets a CAF: 404 for anyone without the permission (the attempt is
    logged), and every read is logged."""
    caf = (
        Caf.objects.filter(pk=caf_id)
        .select_related("council", "initiating_agency", "initiated_by", "threshold_model")
        .first()
    )
    if caf is None or not perms.has_caf_permission(user, permission, caf):
        refusal_log(user, what, caf=caf, attempted_id=caf_id)
        raise Http404("No CAF matches the given query.")
    access_log_write(user=user, action=AccessLog.Action.VIEW, what=what, caf=caf)
    if permission == perms.VIEW:
        caf.__dict__.setdefault("_may_view", {})[user.pk] = True  # caf.policies.may_view asks no more
    return caf


def child_may_see(user: User, child: Child) -> bool:
    """A child's record: the council's CAF administrators, whoever recorded the child, anyone who
    may see one of the child's CAFs or once could, and children's social care once the child is referred. The
    family's exclusions beat each of these (issue 11): someone excluded from any of the family's
    CAFs does not open the child's record, except the front door deciding a referral (Settled
    question 10a) and their own break-glass while it lasts (10c)."""
    return child.pk in children_may_see_among(user, [child])


def children_may_see_among(user: User, children: Collection[Child]) -> set[int]:
    """Which of these children's records the user may open (the rule of `child_may_see`, the only
    place it is written): a few queries whatever the number of children, so find a child can link
    each result it may (issue 14). Only for social care does a referred child cost a query each."""
    ids = [child.pk for child in children if child.council_id == user.council_id]
    # Another council's child opens only with the person's own break-glass in force (a partner
    # council's emergency duty team the council lists, Settled question 24), below.
    elsewhere = {child.pk for child in children if child.council_id != user.council_id}
    if not user.is_active or user.council_id is None or not (ids or elsewhere):
        return set()
    if not ids:
        return _broke_glass_on(user, children, elsewhere)
    asked = set(ids)
    records = Child.objects.filter(Q(pk__in=ids) | Q(merged_into__in=ids)).values("pk")

    def records_of(child_id: int) -> QuerySet[Child, Any]:
        return Child.objects.filter(Q(pk=child_id) | Q(merged_into=child_id)).values("pk")

    def children_on(cafs: QuerySet[Caf]) -> set[int]:
        rows = CafChild.objects.filter(child__in=records, caf__in=cafs).values_list("child_id", "child__merged_into_id")
        # A row counts for the child asked about: itself, or the record it was merged into.
        return {pk for pair in rows for pk in pair if pk in asked}

    def referred(child_ids: Iterable[int]) -> set[int]:
        return {pk for pk in child_ids if hooks.child_referred(records_of(pk))}

    social_care = user.agency_id is not None and user.agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE
    childs_cafs = Caf.objects.filter(children__in=records)
    excluded = children_on(childs_cafs.filter(perms.excluded_from(user)))
    if policies.is_caf_administrator(user, user.council_id):
        may_see = set(ids)
    else:
        may_see = {child.pk for child in children if child.created_by_id == user.pk}
        may_see |= children_on(perms.cafs_visible_among(user, childs_cafs))
        # A former member, once their read access to a closed CAF has ended, keeps only the child's
        # history: the chronology names the CAF and sends them to the CAF administrator (Settled question 12).
        may_see |= children_on(perms.cafs_once_visible_among(user, childs_cafs))
        # Children's social care sees a child referred to it (the agency is the unit of sharing), to
        # read their chronology and earlier referrals while deciding (referrals answers, caf.hooks).
        if social_care:
            may_see |= referred(asked - may_see - excluded)
    may_see = (may_see & asked) - excluded
    if (asked - may_see) | elsewhere:
        may_see |= _broke_glass_on(user, children, (asked - may_see) | elsewhere)
    if excluded and social_care and user.has_role(Role.SOCIAL_CARE_MANAGER):
        may_see |= referred(excluded)
    return may_see


def _broke_glass_on(user: User, children: Collection[Child], child_ids: set[int]) -> set[int]:
    """Which of these children the person opened with break-glass, still in force: it beats the family's
    deny (Settled question 10c) and opens a child with no CAF; the child's page says until when
    (`break_glass_until`)."""
    opened = dict(
        BreakGlass.objects.filter(user=user, child_id__in=child_ids, ends_at__gt=timezone.now())
        .values_list("child_id")
        .annotate(until=Max("ends_at"))
    )
    for child in children:
        if child.pk in opened:
            child.break_glass_until = opened[child.pk]  # type: ignore[attr-defined]
    return set(opened)


def child_get_for_user(user: User, child_id: int, *, what: str = "Viewed the child's record") -> Child:
    child = Child.objects.filter(pk=child_id).select_related("merged_into").first()
    if child is None or not child_may_see(user, child):
        refusal_log(user, what, child=child, attempted_id=child_id)
        raise Http404("No child matches the given query.")
    access_log_write(user=user, action=AccessLog.Action.VIEW, what=what, child=child)
    return child


def refusal_log(
    user: User, what: str, *, caf: Caf | None = None, child: Child | None = None, attempted_id: int
) -> None:
    """Every refused attempt is logged (Settled question 17): against the record when it exists,
    else with the id asked for, so that someone walking through ids shows in the log."""
    if not user.is_authenticated:
        return
    if caf is not None or child is not None:
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what=f"Refused: {what}", caf=caf, child=child)
    else:
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what=f"Refused: {what}", attempted_id=attempted_id)


def child_get_for_caf_administrator(user: User, child_id: int, *, what: str) -> Child:
    """For the pages only the council's CAF administrators see (access log, merge): 404 for anyone
    who may not see the child, a 403 for anyone else who may (the refusal middleware logs it), each
    attempt logged, without logging a read they were refused."""
    if not policies.is_caf_administrator(user, user.council_id):
        child = Child.objects.filter(pk=child_id).first()
        if child is not None and child_may_see(user, child):
            raise PermissionDenied("Only the council's CAF administrators see this page.")
        refusal_log(user, what, child=child, attempted_id=child_id)
        raise Http404("No child matches the given query.")
    child = child_get_for_user(user, child_id, what=what)
    if child.council_id != user.council_id:
        # A partner council's administrator reading another council's child with break-glass.
        raise PermissionDenied("Only the council's CAF administrators see this page.")
    return child
