"""The assessment: the strengths and needs, each child's indicators, and each child's level of need with
its history.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from caf import policies
from caf.models import AssessmentEntry, Caf, CafChild, LevelChange, Review
from caf.policies import refuse_unless
from caf.selectors import child_answers
from caf.services._common import locked, log_change
from core.errors import Conflict, Refused
from thresholds.classifier import Result, classify
from thresholds.models import Indicator, Level
from thresholds.selectors import model_snapshot


@transaction.atomic
def assessment_save(
    *,
    user: User,
    caf: Caf,
    entries: dict[int, tuple[str, str]],
    views_of_child: str = "",
    views_of_family: str = "",
    drawn_from: int | None = None,
) -> Caf:
    """Strengths and needs per sub-domain (by sub-domain id), and the views of the child and family.
    `drawn_from`: the assessment's version the form showed; if it has been saved since, the save is
    refused as a Conflict, never written over (issue 14)."""
    caf = locked(caf)
    if caf.status == Caf.Status.CLOSED:
        raise Refused("This CAF is closed.")
    refuse_unless(policies.may_change_assessment(user, caf), "Only the lead professional changes the assessment.")
    if drawn_from is not None and drawn_from != caf.assessment_version:
        raise Conflict(
            "The assessment was saved again after you opened it. What is saved now is beside what you typed:"
            " bring in what you need from it, then save.",
            saved_by=caf.assessment_saved_by,
            saved_at=caf.assessment_saved_at,
        )
    for sub_domain_id, (strengths, needs) in entries.items():
        AssessmentEntry.objects.update_or_create(
            caf=caf, sub_domain_id=sub_domain_id, defaults={"strengths": strengths.strip(), "needs": needs.strip()}
        )
    caf.views_of_child = views_of_child.strip()
    caf.views_of_family = views_of_family.strip()
    caf.assessment_version += 1
    caf.assessment_saved_at, caf.assessment_saved_by = timezone.now(), user
    caf.save(
        update_fields=[
            "views_of_child",
            "views_of_family",
            "assessment_version",
            "assessment_saved_at",
            "assessment_saved_by",
        ]
    )
    log_change(user, caf, "Saved the assessment")
    return caf


@transaction.atomic
def child_indicators_set(
    *, user: User, caf_child: CafChild, indicators: Iterable[Indicator], extra_unmet_needs: int = 0
) -> Result:
    """Record the indicators chosen for one child and the classifier's suggestion (with reasons).
    An immediate-harm result is returned for the page to interrupt with what to do now."""
    caf = locked(caf_child.caf)
    if caf.status == Caf.Status.CLOSED:
        raise Refused("This CAF is closed.")
    refuse_unless(policies.may_change_assessment(user, caf), "Only the lead professional changes the assessment.")
    indicators = list(indicators)
    if any(indicator.threshold_model_id != caf.threshold_model_id for indicator in indicators):
        raise Refused("Choose indicators of the threshold model this CAF uses.")
    child = caf_child.child
    answers = child_answers(
        caf_child,
        indicator_ids=frozenset(indicator.pk for indicator in indicators),
        extra_unmet_needs=extra_unmet_needs,
    )
    result = classify(model_snapshot(caf.threshold_model), answers)
    caf_child.indicators.set(indicators)
    caf_child.extra_unmet_needs = extra_unmet_needs
    caf_child.suggested_level_id = result.level.id if result.level else None
    caf_child.suggestion_reasons = list(result.reasons)
    caf_child.save(update_fields=["extra_unmet_needs", "suggested_level", "suggestion_reasons"])
    log_change(user, caf, f"Chose indicators for {child}")
    return result


def level_set(caf_child: CafChild, *, level: Level, reason: str, by: User, review: Review | None = None) -> LevelChange:
    """A child's level, and its row in the level history: the one way a level changes."""
    caf_child.level = level
    caf_child.level_reason = reason
    caf_child.save(update_fields=["level", "level_reason"])
    return LevelChange.objects.create(
        caf_child=caf_child,
        child=caf_child.child,
        level=level,
        suggested_level_id=caf_child.suggested_level_id,
        reason=reason,
        changed_by=by,
        review=review,
    )


@transaction.atomic
def child_level_set(*, user: User, caf_child: CafChild, level: Level, reason: str = "") -> LevelChange:
    """Thresholds drive, people decide: the practitioner's chosen level, with a reason when it
    differs from the suggestion. Every change is kept in the child's level history."""
    caf = locked(caf_child.caf)
    if caf.status == Caf.Status.CLOSED:
        raise Refused("This CAF is closed.")
    refuse_unless(policies.may_change_assessment(user, caf), "Only the lead professional changes a level of need.")
    if level.threshold_model_id != caf.threshold_model_id:
        raise Refused("Choose a level of the threshold model this CAF uses.")
    if caf_child.suggested_level_id and level.pk != caf_child.suggested_level_id and not reason.strip():
        raise Refused("Say why you chose a different level from the one suggested.")
    if caf_child.level_id and level.pk != caf_child.level_id and not reason.strip():
        raise Refused("Say why the level is changing.")
    change = level_set(caf_child, level=level, reason=reason.strip(), by=user)
    log_change(user, caf, f"Set {caf_child.child}'s level of need to {level.label}")
    return change
