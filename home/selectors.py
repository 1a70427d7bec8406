"""The home page: one section per role the user holds, each a few queues of what needs them now.
It composes every app's selectors (Settled question 14: home is the top layer; nothing imports it).
Each list is already limited to what the user may see."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, Locality, Role, RoleChange, User
from accounts.selectors import ROLE_CHANGES_DAYS, role_changes_recent
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, PlanAction
from caf.selectors import (
    actions_due_for,
    caf_detail_url,
    caf_queue_item,
    cafs_led_by,
    cafs_to_register,
    cafs_with_lead_to_log,
    cafs_without_lead,
    drafts_of,
    overdue_actions_in_plans_led_by,
    review_state,
    reviews_overdue_in_council,
    tafs_of,
)
from referrals import selectors as referral_selectors
from referrals.models import Referral, StepDown

T = TypeVar("T")


@dataclass(frozen=True)
class WorkQueue:
    """One list on a home page: what needs this person now."""

    heading: str
    empty_text: str
    items: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class HomeSection:
    role: Role
    heading: str
    queues: list[WorkQueue]
    links: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, int]] = field(default_factory=list)


def _review_item(caf: Caf, *, record: bool) -> tuple[str, str]:
    """A CAF whose review is coming up or overdue: the lead professional goes to record it, the CAF
    administrator (who chases it) to the CAF's reviews."""
    label, url = caf_queue_item(caf, reverse("caf:review_record" if record else "caf:reviews", args=[caf.pk]))
    when = "was due" if caf.next_review_on < timezone.localdate() else "due"
    return f"{label}: review {when} {caf.next_review_on:%-d %B %Y}", url


def _reviews_of(led: list[Caf], state: str) -> list[Caf]:
    """The CAFs a user leads (already fetched) whose review is in `state` (caf.selectors.review_state:
    the rule of reviews_upcoming_for and reviews_overdue_for), soonest first, without another query."""
    return sorted((caf for caf in led if review_state(caf) == state), key=lambda caf: (caf.next_review_on, caf.pk))


def _children(record: Referral | StepDown) -> str:
    # Expects the children prefetched (the referrals.selectors lists do).
    return ", ".join(f"{child.first_name} {child.last_name}" for child in record.children.all())


def _noting(records: Iterable[T], shown: set[int]) -> Iterator[T]:
    """Each record of a queue, unchanged, noting the ids of the children it names in `shown`: the
    home page writes one access-log row with them (Settled question 17). Reads only prefetched
    children (CAFs, referrals and step-downs; a plan action through its CAF)."""
    for record in records:
        holder = record.caf if isinstance(record, PlanAction) else record
        shown.update(child.pk for child in holder.children.all())
        yield record


def _front_door_item(referral: Referral) -> tuple[str, str, object]:
    """A referral in the front-door queue: who it is about and from, what to notice (immediate risk,
    a re-referral, who holds it), and its clock (colour and words)."""
    notes = []
    if referral.is_immediate:
        notes.append("immediate risk")
    if referral.earlier_id:
        notes.append(
            f"re-referral: referred on {timezone.localtime(referral.earlier_sent_at):%-d %B %Y}, "
            f"{referral_selectors.earlier_outcome(referral.earlier_decision)}"
        )
    notes.append(f"claimed by {referral.claimed_by}" if referral.claimed_by else "not claimed")
    label = f"{_children(referral)}, from {referral.created_by} ({referral.referring_agency}): {'; '.join(notes)}"
    return label, reverse("referrals:referral_detail", args=[referral.pk]), referral_selectors.decision_clock(referral)


def _step_down_item(step_down: StepDown, *, url: str = "") -> tuple[str, str, object]:
    label = f"{_children(step_down)}: {step_down.point_phrase} (sent by {step_down.sent_by})"
    if step_down.status == StepDown.Status.PICKED_UP:
        label += f"; picked up by {step_down.picked_up_by}, waiting for a lead professional"
    return (
        label,
        url or reverse("referrals:step_down_detail", args=[step_down.pk]),
        referral_selectors.pick_up_clock(step_down),
    )


def _own_referral_item(referral: Referral) -> tuple[str, str]:
    if referral.status == Referral.Status.DRAFT:
        state = "draft, not sent"
    else:
        sent = f"sent {timezone.localtime(referral.sent_at):%-d %B %Y}"
        decided = f"decided: {referral.get_decision_display()}" if referral.decision else "awaiting a decision"
        state = f"{sent}, {decided}"
    return f"{_children(referral)}: {state}", reverse("referrals:referral_detail", args=[referral.pk])


def _practitioner_section(user: User, shown: set[int]) -> HomeSection:
    due_by = timezone.localdate() + timedelta(days=14)
    led = list(_noting(cafs_led_by(user), shown))
    actions = _noting(actions_due_for(user, by=due_by).prefetch_related("caf__children"), shown)
    return HomeSection(
        role=Role.PRACTITIONER,
        heading="Your work with families",
        queues=[
            WorkQueue(
                "Your draft CAFs",
                "You have no draft CAFs.",
                [caf_queue_item(caf, caf_detail_url(caf.pk)) for caf in _noting(drafts_of(user), shown)],
            ),
            WorkQueue(
                "CAFs you lead",
                "You are not lead professional for any family.",
                [caf_queue_item(caf, reverse("caf:plan", args=[caf.pk])) for caf in led],
            ),
            WorkQueue(
                "Teams around the family you are on",
                "You are not on any team around a family.",
                [caf_queue_item(caf, reverse("caf:taf", args=[caf.pk])) for caf in _noting(tafs_of(user), shown)],
            ),
            WorkQueue(
                "Reviews coming up",
                "You have no reviews in the next 14 days.",
                [_review_item(caf, record=True) for caf in _reviews_of(led, "upcoming")],
            ),
            WorkQueue(
                "Reviews overdue",
                "None of your reviews is overdue.",
                [_review_item(caf, record=True) for caf in _reviews_of(led, "overdue")],
            ),
            WorkQueue(
                "Overdue actions in plans you lead",
                "No action in the plans you lead is overdue.",
                [
                    (
                        f"{action.action} ({action.owner or 'nobody named'}) for "
                        f"{action.caf.children_names}, due {action.due_on:%-d %B %Y}",
                        reverse("caf:plan_action", args=[action.caf_id, action.pk]),
                    )
                    for action in _noting(overdue_actions_in_plans_led_by(user, today=timezone.localdate()), shown)
                ],
            ),
            WorkQueue(
                "Your referrals to children's social care",
                "You have no draft referrals and none sent in the last 90 days.",
                [
                    _own_referral_item(referral)
                    for referral in _noting(referral_selectors.referrals_made_by(user), shown)
                ],
            ),
            WorkQueue(
                "Actions due",
                "You have no actions due in the next 14 days.",
                [
                    (
                        f"{action.action} for {action.caf.children_names}, due {action.due_on:%-d %B %Y}",
                        reverse("caf:plan_action", args=[action.caf_id, action.pk]),
                    )
                    for action in actions
                ],
            ),
        ],
    )


def _caf_administrator_section(user: User, shown: set[int]) -> HomeSection:
    return HomeSection(
        role=Role.CAF_ADMINISTRATOR,
        heading="CAF administration",
        queues=[
            WorkQueue(
                "New CAFs to register",
                "There are no new CAFs to register.",
                [
                    caf_queue_item(caf, reverse("caf:caf_register", args=[caf.pk]))
                    for caf in _noting(cafs_to_register(user), shown)
                ],
            ),
            WorkQueue(
                "CAFs without a lead professional",
                "Every active CAF has a lead professional.",
                [
                    caf_queue_item(caf, reverse("caf:lead_professional", args=[caf.pk]))
                    for caf in _noting(cafs_without_lead(user), shown)
                ],
            ),
            WorkQueue(
                "Lead professional changes to log",
                "There are no lead professional changes to log.",
                [
                    caf_queue_item(caf, reverse("caf:lead_professional", args=[caf.pk]))
                    for caf in _noting(cafs_with_lead_to_log(user), shown)
                ],
            ),
            WorkQueue(
                "Reviews overdue",
                "No reviews are overdue.",
                [_review_item(caf, record=False) for caf in _noting(reviews_overdue_in_council(user), shown)],
            ),
            WorkQueue(
                "Step-downs from social care to pick up",
                "No family is waiting to be picked up from children's social care.",
                [
                    _step_down_item(step_down)
                    for step_down in _noting(referral_selectors.step_downs_to_pick_up(user), shown)
                ],
            ),
            WorkQueue(
                "Step-downs waiting for a lead professional",
                "Every step-down picked up has a lead professional.",
                [
                    _step_down_item(step_down, url=reverse("caf:lead_professional", args=[step_down.picked_up_caf_id]))
                    for step_down in _noting(referral_selectors.step_downs_waiting_for_lead(user), shown)
                ],
            ),
        ],
        links=[
            ("The step-down pick-up queue", "referrals:pick_up_queue"),
            ("Step-downs per month, by transfer point", "referrals:step_down_figures"),
        ],
    )


def _social_care_manager_section(user: User, shown: set[int]) -> HomeSection:
    return HomeSection(
        role=Role.SOCIAL_CARE_MANAGER,
        heading="Children's social care decisions",
        queues=[
            WorkQueue(
                "Step-up referrals awaiting a decision",
                "There are no referrals awaiting a decision.",
                [_front_door_item(referral) for referral in _noting(referral_selectors.front_door_queue(user), shown)],
            ),
            WorkQueue(
                "Step-downs waiting to be picked up by early help",
                "Every step-down has been picked up.",
                [
                    _step_down_item(step_down)
                    for step_down in _noting(referral_selectors.step_downs_open_from_social_care(user), shown)
                ],
            ),
            WorkQueue(
                "Decided in the last 7 days",
                "No referral has been decided in the last 7 days.",
                [
                    (
                        f"{_children(referral)}: {referral.get_decision_display()} ({referral.decided_by}, "
                        f"{timezone.localtime(referral.decided_at):%-d %B %H:%M})",
                        reverse("referrals:referral_detail", args=[referral.pk]),
                    )
                    for referral in _noting(referral_selectors.referrals_decided_recently(user), shown)
                ],
            ),
        ],
        links=[
            ("The front-door queue, with filters", "referrals:front_door"),
            ("Step-downs per month, by transfer point", "referrals:step_down_figures"),
        ],
    )


def _social_worker_section(user: User, shown: set[int]) -> HomeSection:
    led = list(_noting(cafs_led_by(user), shown))
    return HomeSection(
        role=Role.SOCIAL_WORKER,
        heading="Your social-work-led cases",
        queues=[
            WorkQueue(
                "Families you are lead professional for",
                "You are not lead professional for any family.",
                [caf_queue_item(caf, reverse("caf:plan", args=[caf.pk])) for caf in led],
            ),
            WorkQueue(
                "Families the front door allocated to you",
                "The front door has not allocated a family to you.",
                [
                    (
                        f"{_children(referral)}: {referral.get_decision_display()}",
                        reverse("referrals:referral_detail", args=[referral.pk]),
                    )
                    for referral in _noting(referral_selectors.referrals_allocated_to(user), shown)
                ],
            ),
            WorkQueue(
                "Reviews due",
                "You have no reviews due.",
                [
                    _review_item(caf, record=True)
                    for caf in [*_reviews_of(led, "overdue"), *_reviews_of(led, "upcoming")]
                ],
            ),
        ],
    )


def _role_change_item(change: RoleChange) -> tuple[str, str]:
    who = change.changed_by or "The service"
    if change.action == RoleChange.Action.ADDED:
        what = f"{who} gave {change.user} the {change.role} role"
    else:
        what = f"{who} took the {change.role} role from {change.user}"
    return f"{what}, {timezone.localtime(change.changed_at):%-d %B %Y at %H:%M}", reverse(
        "admin:accounts_rolechange_changelist"
    )


def _council_administrator_section(user: User) -> HomeSection:
    council_id = user.council_id
    council = user.council
    missing = [
        label
        for label, value in [
            ("child population (for rates per 10,000 children)", council.child_population),
            ("front door phone number (shown to staff who need to refer a child today)", council.front_door_phone),
        ]
        if not value
    ]
    users = User.objects.for_council(council_id).aggregate(active=Count("pk", filter=Q(is_active=True)))
    return HomeSection(
        role=Role.COUNCIL_ADMINISTRATOR,
        heading="Your council's set-up",
        queues=[
            WorkQueue(
                "Settings to complete", "Your council's settings are complete.", [(label, "") for label in missing]
            ),
            WorkQueue(
                f"Roles given and taken away in the last {ROLE_CHANGES_DAYS} days",
                f"No roles have changed in the last {ROLE_CHANGES_DAYS} days.",
                [_role_change_item(change) for change in role_changes_recent(user)],
            ),
        ],
        figures=[
            ("Localities", Locality.objects.for_council(council_id).count()),
            ("Agencies", Agency.objects.for_council(council_id).count()),
            ("Active users", users["active"]),
        ],
        links=[
            ("Council settings and working calendar", "admin:accounts_localauthority_changelist"),
            ("Localities", "admin:accounts_locality_changelist"),
            ("Agencies", "admin:accounts_agency_changelist"),
            ("Users and their roles", "admin:accounts_user_changelist"),
            ("Every role change", "admin:accounts_rolechange_changelist"),
            ("Threshold model: versions, drafts and publishing", "thresholds:manage"),
        ],
    )


_SECTION_BUILDERS: dict[Role, Callable[[User, set[int]], HomeSection]] = {
    Role.PRACTITIONER: _practitioner_section,
    Role.CAF_ADMINISTRATOR: _caf_administrator_section,
    Role.SOCIAL_CARE_MANAGER: _social_care_manager_section,
    Role.SOCIAL_WORKER: _social_worker_section,
    Role.COUNCIL_ADMINISTRATOR: lambda user, shown: _council_administrator_section(user),  # names no child
}


def home_sections_for(user: User) -> list[HomeSection]:
    """The home page shows one section per role the user holds, in the order of DESIGN.md. Showing
    children's names is logged: one access-log row for the page, with their ids."""
    shown: set[int] = set()
    sections = [build(user, shown) for role, build in _SECTION_BUILDERS.items() if user.has_role(role)]
    if shown:
        access_log_write(user=user, action=AccessLog.Action.VIEW, what="Viewed the home page", child_ids=shown)
    return sections
