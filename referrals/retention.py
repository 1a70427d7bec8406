"""What retention (caf.selectors.retention, caf.services.retention) asks of referrals through
caf.hooks: which children reached a social care stage, which still have open work, when a child's
last referral or step-down ended, and
anonymising a family's referrals and step-downs with the rest of its records."""

from typing import Any

from django.db.models import Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from accounts.models import FormDraft, Notification
from caf.services.retention import PLACEHOLDER
from referrals.models import Referral, StepDown

# Every field of a referral or step-down in which a person typed about the family.
REFERRAL_TEXT = (
    "concern",
    "tried",
    "views_of_child",
    "views_of_family",
    "consent_given_by",
    "consent_relationship",
    "override_reason",
    "front_door_spoke_to",
    "front_door_advice",
    "decision_reasons",
    "advice",
)
STEP_DOWN_TEXT = (
    "reason",
    "open_needs",
    "social_worker_summary",
    "consent_given_by",
    "consent_relationship",
    "decline_reason",
)


def social_care_stage_children(stage: str) -> QuerySet[Any]:
    """The children of referrals decided as this stage: the stage a child's records reached."""
    if stage not in Referral.SOCIAL_CARE_DECISIONS:
        raise ValueError(f"Not a social care stage: {stage}")
    return Referral.objects.filter(status=Referral.Status.DECIDED, decision=stage).values("children")


def social_care_open_children() -> QuerySet[Any]:
    """The children of a referral not yet decided (a draft included: someone is writing it) or of a
    step-down not yet picked up or declined: records still in use."""
    referrals = Referral.objects.exclude(status=Referral.Status.DECIDED).values("children")
    step_downs = StepDown.objects.filter(status__in=[StepDown.Status.WAITING, StepDown.Status.PICKED_UP])
    return referrals.union(step_downs.values("children"))


def child_records_ended(child: Any) -> Greatest:
    """The latest moment social care finished with a child (an OuterRef to the child's id): its
    latest referral decision, or step-down picked up with a lead professional or declined; NULL
    when there is none (PostgreSQL's GREATEST ignores NULLs)."""
    decided = Referral.objects.filter(children=child, status=Referral.Status.DECIDED).order_by("-decided_at")
    ended = (
        StepDown.objects.filter(children=child, status__in=[StepDown.Status.COMPLETED, StepDown.Status.DECLINED])
        .annotate(ended=Coalesce("completed_at", "declined_at"))
        .order_by("-ended")
    )
    return Greatest(Subquery(decided.values("decided_at")[:1]), Subquery(ended.values("ended")[:1]))


def children_recorded_together(council_id: int) -> list[tuple[str, int, int]]:
    """Each referral's and step-down's children, as (kind, record id, child id): children named on one
    referral or step-down belong to one family for retention (two queries for the council)."""
    referrals = Referral.children.through.objects.filter(referral__council_id=council_id)
    step_downs = StepDown.children.through.objects.filter(stepdown__council_id=council_id)
    return [
        *(("referral", pk, child) for pk, child in referrals.values_list("referral_id", "child_id")),
        *(("step-down", pk, child) for pk, child in step_downs.values_list("stepdown_id", "child_id")),
    ]


def retention_anonymise(caf_ids: list[int], child_ids: list[int]) -> dict[str, int]:
    """Replace the text of the family's referrals and step-downs (attached to its CAFs or naming its
    children), delete their unsaved forms, and the text of the notifications about them."""
    referrals = Referral.objects.filter(Q(caf__in=caf_ids) | Q(children__in=child_ids)).distinct()
    referral_ids = list(referrals.values_list("pk", flat=True))
    step_downs = StepDown.objects.filter(
        Q(caf__in=caf_ids) | Q(picked_up_caf__in=caf_ids) | Q(children__in=child_ids) | Q(referral__in=referral_ids)
    ).distinct()
    step_down_ids = list(step_downs.values_list("pk", flat=True))
    counts = {"referrals": len(referral_ids), "step_downs": len(step_down_ids)}
    for field in REFERRAL_TEXT:
        Referral.objects.filter(pk__in=referral_ids).exclude(**{field: ""}).update(**{field: PLACEHOLDER})
    for field in STEP_DOWN_TEXT:
        StepDown.objects.filter(pk__in=step_down_ids).exclude(**{field: ""}).update(**{field: PLACEHOLDER})
    drafts = FormDraft.objects.filter(record__in=[f"referral:{pk}" for pk in referral_ids])
    counts["referral_form_drafts"] = drafts.delete()[0]
    keys = Q()
    for pk in referral_ids:
        keys |= Q(subject_key=f"referral:{pk}") | Q(subject_key__startswith=f"referral:{pk}:")
    for pk in step_down_ids:
        keys |= Q(subject_key=f"step-down:{pk}") | Q(subject_key__startswith=f"step-down:{pk}:")
    counts["referral_notifications"] = (
        Notification.objects.filter(keys).update(title=PLACEHOLDER, body=PLACEHOLDER) if keys else 0
    )
    return counts
