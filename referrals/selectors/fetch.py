"""Fetching one referral or step-down for a page: the check (referrals.policies), a 404 with the
refusal logged for anyone who may not see it, and every read logged against the children's
record (Settled question 17); and, for caf.middleware, the record a refused page was about.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from caf.access_log import access_log_write
from caf.models import AccessLog
from referrals import policies
from referrals.models import Referral, StepDown


def referral_may_see(user: User, referral: Referral) -> bool:
    """referrals.policies.may_view_referral: the one rule."""
    return policies.may_view_referral(user, referral)


def referral_get_for_user(
    user: User,
    referral_id: int,
    *,
    what: str = "Viewed a referral",
    require: Callable[[User, Referral], bool] | None = None,
) -> Referral:
    """The one way a page gets a referral: 404 (logged) for anyone who may not see it; for a page
    that needs more than seeing it (`require`, a referrals.policies predicate), a 403 that the
    refusal middleware logs, and no read logged."""
    referral = (
        Referral.objects.filter(pk=referral_id)
        .select_related(
            "caf", "created_by", "council", "referring_agency", "claimed_by", "decided_by", "allocated_social_worker"
        )
        .first()
    )
    if referral is None or not referral_may_see(user, referral):
        _refused(user, what, referral, attempted_id=referral_id)
        raise Http404("No referral matches the given query.")
    if require is not None and not require(user, referral):
        raise PermissionDenied("This page is not for you.")
    _log(user, AccessLog.Action.VIEW, what, referral)
    return referral


def _log(user: User, action: str, what: str, record: Referral | StepDown) -> None:
    """A read of a referral or step-down is a read of the children's record: one row, against the
    CAF when there is one (its children's ids, of which the record's children are some), else with
    the record's children's ids (Settled question 17)."""
    caf = record.caf
    if caf is not None:
        access_log_write(user=user, action=action, what=what, caf=caf)
        return
    children = list(record.children.all())
    # The child's own column too when there is only one (older readers of the log filter on it).
    only = children[0] if len(children) == 1 else None
    access_log_write(user=user, action=action, what=what, child=only, child_ids=[child.pk for child in children])


def _refused(user: User, what: str, record: Referral | StepDown | None, *, attempted_id: int) -> None:
    """Every refused attempt is logged: against the record's children, or with the id asked for
    when it matched nothing, so that probing shows."""
    if not user.is_authenticated:
        return
    if record is not None:
        _log(user, AccessLog.Action.REFUSED, f"Refused: {what}", record)
    else:
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what=f"Refused: {what}", attempted_id=attempted_id)


def refusal_subject(model: type[Referral] | type[StepDown]) -> Callable[[int], dict[str, Any] | None]:
    """For caf.middleware, which logs every 403: the record a refused referral or step-down page
    was about, named as _log names it (its CAF, else its children), or None when no record has
    the id."""

    def subject(pk: int) -> dict[str, Any] | None:
        record = model.objects.filter(pk=pk).select_related("caf").first()
        if record is None:
            return None
        if record.caf is not None:
            return {"caf": record.caf}
        return {"child_ids": list(record.children.values_list("pk", flat=True))}

    return subject


def step_down_may_see(user: User, step_down: StepDown) -> bool:
    """referrals.policies.may_view_step_down: the one rule."""
    return policies.may_view_step_down(user, step_down)


def step_down_get_for_user(user: User, step_down_id: int, *, what: str = "Viewed a step-down") -> StepDown:
    step_down = (
        StepDown.objects.filter(pk=step_down_id)
        .select_related("council", "caf", "referral", "sent_by", "picked_up_by", "picked_up_caf", "declined_by")
        .first()
    )
    if step_down is None or not step_down_may_see(user, step_down):
        _refused(user, what, step_down, attempted_id=step_down_id)
        raise Http404("No step-down matches the given query.")
    _log(user, AccessLog.Action.VIEW, what, step_down)
    return step_down
