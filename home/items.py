"""How one record reads in a home page queue: (label, link) or (label, link, clock). The queue's
query carries what these read (children's names, the people named), so a row costs no query; the
clocks take the council's working calendar, built once per page."""

from typing import Any

from django.urls import reverse
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import RoleChange
from caf.models import Caf, PlanAction, PossibleDuplicate
from caf.selectors import caf_queue_item
from referrals import selectors as referral_selectors
from referrals.models import Referral, StepDown

Item = tuple[str, str] | tuple[str, str, object]


def review_item(caf: Caf, *, record: bool) -> Item:
    """A CAF whose review is coming up or overdue: the lead professional goes to record it, the CAF
    administrator (who chases it) to the CAF's reviews."""
    label, url = caf_queue_item(caf, reverse("caf:review_record" if record else "caf:reviews", args=[caf.pk]))
    due = caf.next_review_on or timezone.localdate()  # the review queues hold only CAFs with a date
    when = "was due" if due < timezone.localdate() else "due"
    return f"{label}: review {when} {due:%-d %B %Y}", url


def children_of(record: Referral | StepDown | PlanAction) -> str:
    """The children a queue's row is about: the names its query carried (caf.selectors.
    queue_children), else the prefetched children (the referrals.selectors lists prefetch them)."""
    carried: list[list[Any]] | None = getattr(record, "queue_children", None)
    if carried is not None:
        return ", ".join(name for _, name in carried)
    if isinstance(record, PlanAction):
        return record.caf.children_names
    return ", ".join(f"{child.first_name} {child.last_name}" for child in record.children.all())


def front_door_item(referral: Referral, calendar: WorkingCalendar) -> Item:
    """A referral in the front-door queue: who it is about and from, what to notice (immediate risk,
    a re-referral, who holds it), and its clock (colour and words)."""
    notes = []
    if referral.is_immediate:
        notes.append("immediate risk")
    # The re-referral annotations of referrals.selectors.front_door_queue, not model fields.
    if getattr(referral, "earlier_id", None):
        earlier_sent_at = getattr(referral, "earlier_sent_at", None)
        earlier_decision = getattr(referral, "earlier_decision", "")
        notes.append(
            f"re-referral: referred on {timezone.localtime(earlier_sent_at):%-d %B %Y}, "
            f"{referral_selectors.earlier_outcome(earlier_decision)}"
        )
    notes.append(f"claimed by {referral.claimed_by}" if referral.claimed_by else "not claimed")
    label = f"{children_of(referral)}, from {referral.created_by} ({referral.referring_agency}): {'; '.join(notes)}"
    clock = referral_selectors.decision_clock(referral, calendar=calendar)
    return label, reverse("referrals:referral_detail", args=[referral.pk]), clock


def step_down_item(step_down: StepDown, calendar: WorkingCalendar, *, url: str = "") -> Item:
    label = f"{children_of(step_down)}: {step_down.point_phrase} (sent by {step_down.sent_by})"
    if step_down.status == StepDown.Status.PICKED_UP:
        label += f"; picked up by {step_down.picked_up_by}, waiting for a lead professional"
    return (
        label,
        url or reverse("referrals:step_down_detail", args=[step_down.pk]),
        referral_selectors.pick_up_clock(step_down, calendar=calendar),
    )


def possible_duplicate_item(pair: PossibleDuplicate) -> Item:
    """Two records that may be the same child (the list selects both children)."""
    return (
        f"{pair.child_a} (record {pair.child_a_id}) and {pair.child_b} (record {pair.child_b_id}): {pair.reasons}",
        reverse("caf:possible_duplicate_merge", args=[pair.pk]),
    )


def own_referral_item(referral: Referral) -> Item:
    if referral.status == Referral.Status.DRAFT:
        state = "draft, not sent"
    else:
        sent = f"sent {timezone.localtime(referral.sent_at):%-d %B %Y}"
        decided = f"decided: {referral.get_decision_display()}" if referral.decision else "awaiting a decision"
        state = f"{sent}, {decided}"
    return f"{children_of(referral)}: {state}", reverse("referrals:referral_detail", args=[referral.pk])


def decided_item(referral: Referral) -> Item:
    return (
        f"{children_of(referral)}: {referral.get_decision_display()} ({referral.decided_by}, "
        f"{timezone.localtime(referral.decided_at):%-d %B %H:%M})",
        reverse("referrals:referral_detail", args=[referral.pk]),
    )


def allocated_item(referral: Referral) -> Item:
    return (
        f"{children_of(referral)}: {referral.get_decision_display()}",
        reverse("referrals:referral_detail", args=[referral.pk]),
    )


def overdue_action_item(action: PlanAction) -> Item:
    return (
        f"{action.action} ({action.owner or 'nobody named'}) for {children_of(action)}, due {action.due_on:%-d %B %Y}",
        reverse("caf:plan_action", args=[action.caf_id, action.pk]),
    )


def action_due_item(action: PlanAction) -> Item:
    return (
        f"{action.action} for {children_of(action)}, due {action.due_on:%-d %B %Y}",
        reverse("caf:plan_action", args=[action.caf_id, action.pk]),
    )


def role_change_item(change: RoleChange) -> Item:
    who = change.changed_by or "The service"
    if change.action == RoleChange.Action.ADDED:
        what = f"{who} gave {change.user} the {change.role} role"
    else:
        what = f"{who} took the {change.role} role from {change.user}"
    return f"{what}, {timezone.localtime(change.changed_at):%-d %B %Y at %H:%M}", reverse(
        "admin:accounts_rolechange_changelist"
    )
