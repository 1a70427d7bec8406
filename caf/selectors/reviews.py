"""Reviews: upcoming and overdue, the review figures, a CAF's reviews and date changes."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Agency, LocalAuthority, User
from caf import permissions as perms
from caf import policies
from caf.models import Caf, CafChild, PlanAction, Review, ReviewActionProgress, ReviewDateChange
from caf.models.reviews import REVIEW_PROGRESS_TO_ACTION_STATUS
from caf.selectors.queues import cafs_led_by, with_children
from thresholds.models import Level

REVIEWS_UPCOMING_WITHIN_DAYS = 14


def review_state(caf: Caf, *, within_days: int = REVIEWS_UPCOMING_WITHIN_DAYS) -> str | None:
    """ "overdue" when an active CAF's next review date has passed, "upcoming" when it falls between
    today and `within_days` ahead, else None. The same rule as the querysets below, for a list of
    CAFs already fetched (the home page splits the CAFs a user leads without another query)."""
    today = timezone.localdate()
    if caf.status != Caf.Status.ACTIVE or caf.next_review_on is None:
        return None
    if caf.next_review_on < today:
        return "overdue"
    return "upcoming" if caf.next_review_on <= today + timedelta(days=within_days) else None


def reviews_upcoming_for(user: User, *, within_days: int = REVIEWS_UPCOMING_WITHIN_DAYS) -> QuerySet[Caf]:
    """Active CAFs the user leads whose next review falls between today and `within_days` ahead."""
    today = timezone.localdate()
    return (
        cafs_led_by(user)
        .filter(next_review_on__gte=today, next_review_on__lte=today + timedelta(days=within_days))
        .order_by("next_review_on", "pk")
    )


def reviews_overdue_for(user: User) -> QuerySet[Caf]:
    """Active CAFs the user leads whose next review date has passed without a review."""
    return cafs_led_by(user).filter(next_review_on__lt=timezone.localdate()).order_by("next_review_on", "pk")


def reviews_due_for(user: User, *, within_days: int = REVIEWS_UPCOMING_WITHIN_DAYS) -> QuerySet[Caf]:
    """Overdue and upcoming together (the social worker's one queue): the earliest date first, so
    the overdue ones lead."""
    return (
        cafs_led_by(user)
        .filter(next_review_on__lte=timezone.localdate() + timedelta(days=within_days))
        .order_by("next_review_on", "pk")
    )


def reviews_overdue_in_council(user: User) -> QuerySet[Caf]:
    """For the council's CAF administrators, who chase them: every active CAF of the council whose
    review is overdue, led or not."""
    if not policies.is_caf_administrator(user, user.council_id):
        return Caf.objects.none()
    return with_children(
        perms.cafs_visible_to(user).filter(status=Caf.Status.ACTIVE, next_review_on__lt=timezone.localdate())
    ).order_by("next_review_on", "pk")


@dataclass(frozen=True)
class ReviewFigures:
    held: int
    on_time: int
    late: int
    overdue_today: int


def review_figures(council: LocalAuthority, start: date, end: date) -> ReviewFigures:
    """The figures councils report: reviews held in the period (inclusive) on time (held on or before
    the date they were due) and late, and active CAFs whose review is overdue today. Counted in the
    database; a review with no due date (none was set) counts as held only."""
    counts = Review.objects.filter(caf__council=council, held_on__gte=start, held_on__lte=end).aggregate(
        held=Count("pk"),
        on_time=Count("pk", filter=Q(due_on__isnull=False, held_on__lte=F("due_on"))),
        late=Count("pk", filter=Q(due_on__isnull=False, held_on__gt=F("due_on"))),
    )
    overdue = Caf.objects.filter(
        council=council, status=Caf.Status.ACTIVE, next_review_on__lt=timezone.localdate()
    ).count()
    return ReviewFigures(held=counts["held"], on_time=counts["on_time"], late=counts["late"], overdue_today=overdue)


def caf_reviews(caf: Caf) -> QuerySet[Review]:
    """A CAF's reviews, newest first, with who attended, progress per action and level changes:
    a fixed number of queries whatever their number."""
    return caf.reviews.select_related("recorded_by").prefetch_related(
        "attendees", "progress__action", "level_changes__level", "level_changes__child"
    )


def caf_review_date_changes(caf: Caf) -> QuerySet[ReviewDateChange]:
    return caf.review_date_changes.select_related("changed_by").order_by("-changed_at", "-pk")


@dataclass
class ReviewFormChoices:
    """What the review form offers: the plan's open actions, the team's current members, the agencies
    new actions may go to (only those the family's consent covers, caf.policies), the children with
    their levels, and the levels of the CAF's threshold model."""

    actions: list[PlanAction]
    members: list[User]
    agencies: list[Agency]
    caf_children: list[CafChild]
    levels: list[Level]


def review_form_choices(caf: Caf) -> ReviewFormChoices:
    return ReviewFormChoices(
        actions=list(
            caf.actions.filter(status__in=PlanAction.OPEN_STATUSES)
            .select_related("agency", "owner")
            .order_by("due_on", "pk")
        ),
        members=list(
            User.objects.filter(taf_memberships__caf=caf, taf_memberships__left_at__isnull=True)
            .select_related("agency")
            .order_by("full_name", "pk")
        ),
        agencies=list(policies.sharing_agencies(caf).order_by("name", "pk")),
        caf_children=list(caf.caf_children.select_related("child", "level", "suggested_level").order_by("pk")),
        levels=list(caf.threshold_model.levels.order_by("order", "pk")),
    )


def review_version(caf: Caf) -> str:
    """Where the review form starts from, as it carries it: the reviews recorded, the plan's actions
    and the changes to them (all only grow). A review recorded, or an action added or updated, after
    the form was drawn changes it, and recording the review is a conflict (Settled question 20)."""

    def per_caf(queryset: QuerySet[Any], total: Count | Sum) -> Coalesce:
        rows = queryset.filter(caf=OuterRef("pk")).order_by().values("caf").annotate(total=total).values("total")
        return Coalesce(Subquery(rows), 0)

    reviews, actions, changes = (
        Caf.objects.filter(pk=caf.pk)
        .annotate(
            reviews_recorded=per_caf(Review.objects.all(), Count("pk")),
            actions_added=per_caf(PlanAction.objects.all(), Count("pk")),
            action_changes=per_caf(PlanAction.objects.all(), Sum("version")),
        )
        .values_list("reviews_recorded", "actions_added", "action_changes")
        .get()
    )  # one query: the form's page counts its queries
    return f"{reviews}.{actions}.{changes}"


def review_conflict_rows(
    caf: Caf, progress: list[tuple[PlanAction, str, str]], summary: str
) -> list[tuple[str, str, str]]:
    """What a conflicting review shows side by side: the latest review recorded (its decision and
    summary, beside the summary typed) and, for each action the person recorded progress on, where
    it stands now beside what they typed, where the two differ."""
    rows = []
    latest = caf.reviews.order_by("-recorded_at", "-pk").first()
    if latest is not None:
        rows.append(
            (
                f"The latest review recorded ({latest.held_on:%-d %B %Y}), and your summary",
                f"{latest.get_decision_display()}. {latest.summary}".strip(),
                summary.strip(),
            )
        )
    saved = {action.pk: action for action in caf.actions.filter(pk__in=[action.pk for action, _, _ in progress])}
    labels = dict(ReviewActionProgress.Status.choices)
    for typed_action, status, note in progress:
        action = saved[typed_action.pk]
        now = f"{action.get_status_display()}. {action.outcome}".strip()
        typed = f"{labels.get(status, status)}. {note.strip()}".strip()
        if action.status != REVIEW_PROGRESS_TO_ACTION_STATUS.get(status) or (
            note.strip() and note.strip() != action.outcome
        ):
            rows.append((f"Action: {action.action}", now, typed))
    return rows
