"""What a pick-up starts from: the family's CAF it continues or reopens (`family_caf_for`), who may
be named lead professional, and each child's latest level of need.
"""

from django.db.models import Q, QuerySet

from accounts.models import User
from caf.models import Caf, Child, LevelChange
from referrals.models import StepDown
from thresholds.models import ThresholdModel


def family_caf_for(step_down: StepDown) -> Caf | None:
    """The CAF a pick-up continues or reopens: the one the step-down names, else the newest CAF of
    any of its children (early help may have known the family before social care did); a closed
    CAF already reopened leads to its newest episode."""
    caf = step_down.caf
    if caf is None:
        caf = (
            Caf.objects.filter(council_id=step_down.council_id, children__in=step_down.children.all())
            .exclude(status=Caf.Status.DRAFT)
            .order_by("-created_at", "-pk")
            .first()
        )
    while caf is not None and caf.status == Caf.Status.CLOSED:
        following = Caf.objects.filter(previous_episode=caf).first()
        if following is None:
            break
        caf = following
    if caf is not None and caf.status == Caf.Status.DRAFT:
        return caf.previous_episode
    return caf


def pick_up_lead_candidates(user: User, step_down: StepDown) -> QuerySet[User]:
    """Who the coordinator may name as lead professional at pick-up: active staff of the council in
    an agency the family agreed early help may share with, or in the coordinator's own agency."""
    return (
        User.objects.filter(agency__council_id=step_down.council_id, is_active=True)
        .filter(Q(agency__in=step_down.consent_agencies.all()) | Q(agency_id=user.agency_id))
        .select_related("agency")
        .order_by("agency__name", "full_name")
        .distinct()
    )


def latest_levels(children: list[Child], threshold_model: ThresholdModel) -> dict[int, int]:
    """Each child's latest level of need (by child id), when it is a level of `threshold_model`:
    the pick-up form starts from it."""
    latest = (
        LevelChange.objects.filter(child__in=children)
        .order_by("child_id", "-changed_at", "-pk")
        .distinct("child_id")
        .values("child_id", "level_id", "level__threshold_model_id")
    )
    return {
        row["child_id"]: row["level_id"] for row in latest if row["level__threshold_model_id"] == threshold_model.pk
    }
