"""Reviews of the plan: the next review date and recording a review."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.notifications import notifications_cancel
from caf import policies
from caf.models import Caf, CafChild, PlanAction, Review, ReviewActionProgress, ReviewDateChange
from caf.models.reviews import REVIEW_PROGRESS_TO_ACTION_STATUS
from caf.policies import refuse_unless
from caf.selectors import review_version
from caf.services._common import locked, log_change
from caf.services.assessment import level_set
from caf.services.lifecycle import close
from caf.services.plan import action_changed, plan_action_create
from core.date_bounds import NEXT_REVIEW, REVIEW_HELD, out_of_bounds
from core.errors import Conflict, Refused
from thresholds.models import Level


def _review_date_move(*, user: User, caf: Caf, review_on: date | None, reason: str) -> None:
    """Cancel the unsent reminders of the old date, then keep the new one (with its history row)."""
    if caf.next_review_on is not None and caf.next_review_on != review_on:
        notifications_cancel(subject_key=caf.review_subject_key(caf.next_review_on))
    caf.next_review_on = review_on
    caf.save(update_fields=["next_review_on"])
    if review_on is not None:
        ReviewDateChange.objects.create(caf=caf, review_on=review_on, reason=reason, changed_by=user)


@transaction.atomic
def review_date_set(*, user: User, caf: Caf, review_on: date, reason: str) -> ReviewDateChange:
    """The lead professional moves the next review, with a reason; the old date's reminders are
    cancelled and every date set is kept."""
    caf = locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("Reviews are for an active CAF; this one is not active.")
    refuse_unless(policies.may_record_review(user, caf), "Only the lead professional changes the review date.")
    if review_on < timezone.localdate():
        raise Refused("The next review date must be today or in the future.")
    if refusal := out_of_bounds(review_on, "The next review date", *NEXT_REVIEW):
        raise Refused(f"{refusal}.")
    if not reason.strip():
        raise Refused("Enter why the review date is changing.")
    if review_on == caf.next_review_on:
        raise Refused(f"The next review is already on {review_on:%-d %B %Y}.")
    _review_date_move(user=user, caf=caf, review_on=review_on, reason=reason.strip())
    log_change(user, caf, f"Moved the next review to {review_on:%-d %B %Y}")
    return caf.review_date_changes.order_by("-pk").first()


def _review_decision_check(
    *,
    user: User,
    caf: Caf,
    held_on: date,
    decision: str,
    next_review_on: date | None,
    close_reason: str,
    outcome: str,
) -> tuple[bool, str]:
    """The review's date and decision; returns whether it closes the CAF, and with which reason."""
    today = timezone.localdate()
    if held_on > today:
        raise Refused("The review date cannot be in the future: record a review after it is held.")
    if refusal := out_of_bounds(held_on, "The review date", *REVIEW_HELD):
        raise Refused(f"{refusal}.")
    if caf.activated_at and held_on < timezone.localdate(caf.activated_at):
        raise Refused("The review date cannot be before the CAF became active.")
    if decision not in Review.Decision.values:
        raise Refused("Choose the decision of the review.")
    closes = decision in (Review.Decision.CLOSE, Review.Decision.STEP_DOWN)
    # Only a continuing plan needs its next review: close and step down end the CAF, step up hands
    # the decision to children's social care (Review's constraint says the same).
    if decision == Review.Decision.CONTINUE and next_review_on is None:
        raise Refused("Enter the date of the next review.")
    if next_review_on is not None and not closes:
        if next_review_on < today:
            raise Refused("The next review date must be today or in the future.")
        if refusal := out_of_bounds(next_review_on, "The next review date", *NEXT_REVIEW):
            raise Refused(f"{refusal}.")
    if not closes:
        return False, ""
    if not policies.is_lead_professional(user, caf):
        raise Refused("Only the lead professional closes the CAF: ask the CAF administrator to log one first.")
    if not outcome.strip():
        raise Refused("Summarise the outcome for the family: the CAF closes.")
    if decision == Review.Decision.STEP_DOWN:
        close_reason = Caf.ClosureReason.NEEDS_MET
    close_reason = close_reason or Caf.ClosureReason.NEEDS_MET
    if close_reason not in policies.CLOSURE_REASONS_BY_HAND:
        raise Refused("Choose why the CAF is closing.")
    return True, close_reason


def _review_progress_check(caf: Caf, progress: list[tuple[PlanAction, str, str]]) -> dict[int, PlanAction]:
    """Progress on every open action of the plan, once each; returns the open actions by id."""
    open_actions = {action.pk: action for action in caf.actions.filter(status__in=PlanAction.OPEN_STATUSES)}
    reviewed = [action.pk for action, _, _ in progress]
    if len(set(reviewed)) != len(reviewed) or any(pk not in open_actions for pk in reviewed):
        raise Refused("Record progress only on the open actions of this CAF's plan, once each.")
    if set(reviewed) != set(open_actions):
        raise Refused("Record progress on every open action of the plan: the plan has changed, start again.")
    if any(status not in REVIEW_PROGRESS_TO_ACTION_STATUS for _, status, _ in progress):
        raise Refused("Choose where each action is now.")
    return open_actions


def _review_level_changes(caf: Caf, levels: dict[CafChild, tuple[Level, str]]) -> list[tuple[CafChild, Level, str]]:
    """The children whose level the review changes, each with its reason."""
    changes = []
    for caf_child, (level, reason) in levels.items():
        if caf_child.caf_id != caf.pk or level.threshold_model_id != caf.threshold_model_id:
            raise Refused("Choose a level of the threshold model this CAF uses, for a child of this CAF.")
        if caf_child.level_id != level.pk:
            if not reason.strip():
                raise Refused(f"Say why {caf_child.child}'s level of need is changing.")
            changes.append((caf_child, level, reason.strip()))
    return changes


def _review_progress_record(
    review: Review, progress: list[tuple[PlanAction, str, str]], open_actions: dict[int, PlanAction]
) -> None:
    rows = []
    for reviewed, status, note in progress:
        action = open_actions[reviewed.pk]
        action.status = REVIEW_PROGRESS_TO_ACTION_STATUS[status]
        action_changed(action, by=review.recorded_by)
        update_fields = ["status", "version", "updated_by", "updated_at"]
        if note.strip():
            action.outcome = note.strip()
            update_fields.append("outcome")
        action.save(update_fields=update_fields)
        rows.append(ReviewActionProgress(review=review, action=action, status=status, note=note.strip()))
    ReviewActionProgress.objects.bulk_create(rows)


def _review_conflict(caf: Caf) -> Conflict:
    """Names whoever changed the review's starting point last: a review recorded, or an action updated."""
    latest_review = caf.reviews.select_related("recorded_by").order_by("-recorded_at", "-pk").first()
    latest_update = (
        caf.actions.filter(updated_at__isnull=False).select_related("updated_by").order_by("-updated_at").first()
    )
    saved_by, saved_at = None, None
    if latest_review is not None:
        saved_by, saved_at = latest_review.recorded_by, latest_review.recorded_at
    updated_at = latest_update.updated_at if latest_update is not None else None
    if latest_update is not None and updated_at is not None and (saved_at is None or updated_at > saved_at):
        saved_by, saved_at = latest_update.updated_by, latest_update.updated_at
    return Conflict(
        "The review or the plan changed after you opened this form. Where they stand now is beside what you"
        " typed: check it, then record the review.",
        saved_by=saved_by,
        saved_at=saved_at,
    )


@transaction.atomic
def review_record(
    *,
    user: User,
    caf: Caf,
    held_on: date,
    attendees: Iterable[User] = (),
    family_attendees: str = "",
    summary: str = "",
    progress: Iterable[tuple[PlanAction, str, str]] = (),
    new_actions: Iterable[dict[str, Any]] = (),
    levels: dict[CafChild, tuple[Level, str]] | None = None,
    decision: str,
    next_review_on: date | None = None,
    close_reason: str = "",
    outcome: str = "",
    drawn_from: str | None = None,
) -> Review:
    """The lead professional records a Team Around the Family review: progress on every open action
    of the plan (the form starts from it), new actions, each child's level after the review (kept in
    the level history), and the decision. Continuing sets the next review date; closing (or stepping
    down to universal services, closed as "needs met, universal services continue": Settled
    question 6) closes the CAF; stepping up leaves it active for the referral to social care.
    `drawn_from`: where reviews and plan stood when the form was drawn (`review_version`); if a review
    was recorded or the plan changed since, recording is refused as a Conflict."""
    caf = locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("Reviews are recorded for an active CAF; this one is not active.")
    refuse_unless(policies.may_record_review(user, caf), "Only the lead professional records a review.")
    if drawn_from is not None and drawn_from != review_version(caf):
        raise _review_conflict(caf)
    closes, close_reason = _review_decision_check(
        user=user,
        caf=caf,
        held_on=held_on,
        decision=decision,
        next_review_on=next_review_on,
        close_reason=close_reason,
        outcome=outcome,
    )
    current_members = set(caf.taf_members.filter(left_at__isnull=True).values_list("user_id", flat=True))
    attendees = list(attendees)
    if any(attendee.pk not in current_members for attendee in attendees):
        raise Refused("Choose who attended from the current Team Around the Family.")
    progress = list(progress)
    open_actions = _review_progress_check(caf, progress)
    level_changes = _review_level_changes(caf, levels or {})

    review = Review(
        caf=caf,
        held_on=held_on,
        due_on=caf.next_review_on,
        family_attendees=family_attendees.strip(),
        summary=summary.strip(),
        decision=decision,
        next_review_on=None if closes else next_review_on,
        recorded_by=user,
    )
    review.full_clean()
    review.save()
    review.attendees.set(attendees)
    _review_progress_record(review, progress, open_actions)
    for fields in new_actions:
        plan_action_create(user=user, caf=caf, **fields)
    for caf_child, level, reason in level_changes:
        level_set(caf_child, level=level, reason=reason, by=user, review=review)

    held = f"{held_on:%-d %B %Y}"
    if closes:
        _review_date_move(user=user, caf=caf, review_on=None, reason="")
        summary_text = outcome.strip()
        if decision == Review.Decision.STEP_DOWN:
            summary_text = (
                f"Stepped down at the review of {held}: needs met, universal services continue. {summary_text}"
            )
        close(user=user, caf=caf, reason=close_reason, summary=summary_text)
        log_change(user, caf, f"Recorded the review of {held} and closed the CAF: {caf.get_closure_reason_display()}")
    else:
        _review_date_move(user=user, caf=caf, review_on=next_review_on, reason=f"After the review of {held}")
        log_change(user, caf, f"Recorded the review of {held}: {review.get_decision_display()}")
    return review
