"""Reads of referrals and step-downs, each limited to what the user may see, and the clocks the
queues show (deadlines in the council's working calendar, Settled question 8)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import Agency, AgencyType, LocalAuthority, Role, User
from caf import permissions as perms
from caf import policies as caf_policies
from caf.access_log import access_log_write
from caf.hooks import ChronologyEvent
from caf.models import AccessLog, Caf, Child, LevelChange
from referrals import policies
from referrals.models import Referral, StepDown
from referrals.policies import is_front_door_manager, is_social_care_staff
from thresholds.models import ThresholdModel

REREFERRAL_MONTHS = 12
OPEN_STEP_DOWN = [StepDown.Status.WAITING, StepDown.Status.PICKED_UP]


# Fetching one, with the check and the access log --------------------------------------------------


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


# Clocks -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """A deadline as a queue shows it: colour (a GOV.UK tag) and words, never colour alone."""

    state: str  # "on_time", "due_soon" or "overdue"
    text: str

    @property
    def tag_class(self) -> str:
        return {"on_time": "govuk-tag--green", "due_soon": "govuk-tag--yellow", "overdue": "govuk-tag--red"}[self.state]

    @property
    def label(self) -> str:
        return {"on_time": "On time", "due_soon": "Due soon", "overdue": "Overdue"}[self.state]


def _duration(hours: float) -> str:
    minutes = max(round(hours * 60), 0)
    whole, rest = divmod(minutes, 60)
    parts = []
    if whole:
        parts.append(f"{whole} hour{'s' if whole != 1 else ''}")
    if rest or not whole:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _moment(moment: datetime, zone: object) -> str:
    local = moment.astimezone(zone)  # type: ignore[arg-type]
    return f"{local:%H:%M} on {local:%A %-d %B}"


def decision_clock(referral: Referral, *, now: datetime | None = None) -> Clock | None:
    """Time left to decide, or how late the decision is: in working hours, or on the clock for
    immediate risk. "Due soon" is the last quarter of the council's allowance."""
    if referral.status != Referral.Status.SENT or referral.decision_due_at is None:
        return None
    now = now or timezone.now()
    council = referral.council
    calendar = WorkingCalendar.for_council(council)
    due = referral.decision_due_at
    if referral.is_immediate:
        left, unit = (due - now).total_seconds() / 3600, ""
    else:
        left, unit = calendar.working_hours_between(now, due), "working "
    by = f"Decision due by {_moment(due, calendar.zone)}"
    of_time = " of working time" if unit else ""
    if now >= due:
        return Clock("overdue", f"{by}: overdue by {_duration(-left)}{of_time}")
    soon = left <= council.referral_decision_deadline_working_hours / 4
    return Clock("due_soon" if soon else "on_time", f"{by}: {_duration(left)}{of_time} left")


def pick_up_clock(step_down: StepDown, *, today: date | None = None) -> Clock | None:
    if step_down.status != StepDown.Status.WAITING:
        return None
    today = today or timezone.localdate()
    calendar = WorkingCalendar.for_council(step_down.council)
    due = step_down.pick_up_due_on
    by = f"Pick up by {due:%A %-d %B %Y}"
    if today > due:
        late = calendar.working_days_between(due, today)
        return Clock("overdue", f"{by}: overdue by {late} working day{'s' if late != 1 else ''}")
    left = calendar.working_days_between(today, due)
    if left == 0:
        return Clock("due_soon", f"{by}: due today")
    return Clock("due_soon" if left <= 1 else "on_time", f"{by}: {left} working day{'s' if left != 1 else ''} left")


# Re-referrals -------------------------------------------------------------------------------------


class _MonthsBefore(Func):
    template = "(%(expressions)s - interval '" + str(REREFERRAL_MONTHS) + " months')"
    output_field = DateTimeField()


def _with_earlier_referral(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate each sent referral with the latest earlier one (sent in the 12 months before it)
    for any of the same children: its id, when it was sent, its status and decision."""
    earlier = (
        Referral.objects.filter(
            children__referrals=OuterRef("pk"),
            status__in=[Referral.Status.SENT, Referral.Status.DECIDED],
            sent_at__lt=OuterRef("sent_at"),
            sent_at__gte=_MonthsBefore(OuterRef("sent_at")),
        )
        .exclude(pk=OuterRef("pk"))
        .order_by("-sent_at", "-pk")
    )
    return referrals.annotate(
        earlier_id=Subquery(earlier.values("pk")[:1]),
        earlier_sent_at=Subquery(earlier.values("sent_at")[:1]),
        earlier_decision=Subquery(earlier.values("decision")[:1]),
    )


def earlier_outcome(decision: str) -> str:
    return Referral.Decision(decision).label if decision else "still awaiting a decision"


def referrals_within_a_year(children: list[Child], *, before: datetime, exclude: int | None = None) -> list[Referral]:
    """Referrals to social care sent in the 12 months before `before` for any of these children
    (their merged records too), newest first: the re-referral warning on the form and the page."""
    records = [child.pk for child in children] + list(
        Child.objects.filter(merged_into__in=children).values_list("pk", flat=True)
    )
    return list(
        Referral.objects.filter(
            children__in=records,
            status__in=[Referral.Status.SENT, Referral.Status.DECIDED],
            sent_at__lt=before,
            sent_at__gte=before - relativedelta(months=REREFERRAL_MONTHS),
        )
        .exclude(pk=exclude)
        # The CAF too: the pages ask referral_may_see of each one, which reads it.
        .select_related("referring_agency", "caf")
        .distinct()
        .order_by("-sent_at", "-pk")
    )


def previous_referrals(referral: Referral) -> QuerySet[Referral]:
    """Every earlier referral of these children, at any time, for the front door's evidence."""
    return (
        Referral.objects.filter(
            children__in=referral.children.all(),
            status__in=[Referral.Status.SENT, Referral.Status.DECIDED],
            sent_at__lt=referral.sent_at or timezone.now(),
        )
        .exclude(pk=referral.pk)
        .select_related("referring_agency", "decided_by")
        .distinct()
        .order_by("-sent_at", "-pk")
    )


# Queues -------------------------------------------------------------------------------------------


def front_door_queue(
    user: User, *, urgency: str = "", locality_id: int | None = None, agency_type: str = ""
) -> QuerySet[Referral]:
    """Referrals awaiting a decision, for the council's front-door managers: immediate risk first,
    then newest first; each with the re-referral annotations. A fixed number of queries."""
    if not is_front_door_manager(user, user.council_id):
        return Referral.objects.none()
    referrals = Referral.objects.filter(council_id=user.council_id, status=Referral.Status.SENT)
    if urgency:
        referrals = referrals.filter(urgency=urgency)
    if locality_id:
        referrals = referrals.filter(referring_agency__locality_id=locality_id)
    if agency_type:
        referrals = referrals.filter(referring_agency__agency_type=agency_type)
    return (
        _with_earlier_referral(referrals)
        .annotate(
            urgency_order=Case(
                When(urgency=Referral.Urgency.IMMEDIATE, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .select_related("council", "referring_agency__locality", "created_by", "claimed_by", "caf")
        .prefetch_related("children")
        .order_by("urgency_order", "-sent_at", "-pk")
    )


def referrals_decided_recently(user: User, *, days: int = 7) -> QuerySet[Referral]:
    if not is_front_door_manager(user, user.council_id):
        return Referral.objects.none()
    return (
        Referral.objects.filter(
            council_id=user.council_id,
            status=Referral.Status.DECIDED,
            decided_at__gte=timezone.now() - timedelta(days=days),
        )
        .select_related("decided_by", "referring_agency")
        .prefetch_related("children")
        .order_by("-decided_at", "-pk")
    )


def referrals_made_by(user: User, *, days: int = 90) -> QuerySet[Referral]:
    """The user's own referrals: drafts, and those sent in the last `days` with their outcome."""
    return (
        Referral.objects.filter(created_by=user, council_id=user.council_id)
        .filter(Q(status=Referral.Status.DRAFT) | Q(sent_at__gte=timezone.now() - timedelta(days=days)))
        .select_related("council")
        .prefetch_related("children")
        .order_by("-created_at", "-pk")
    )


def referrals_allocated_to(user: User) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(
            allocated_social_worker=user,
            council_id=user.council_id,
            decision__in=Referral.SOCIAL_CARE_DECISIONS,
        )
        .exclude(step_downs__point__in=[StepDown.Point.AFTER_ASSESSMENT, StepDown.Point.CHILD_IN_NEED_CLOSURE])
        .prefetch_related("children")
        .order_by("-decided_at", "-pk")
    )


def _step_downs(council_id: int | None, user: User | None = None) -> QuerySet[StepDown]:
    """The council's step-downs; for a user, less those whose CAF the family excluded them from
    (Settled question 16: a named-person exclusion binds a CAF administrator too)."""
    step_downs = StepDown.objects.filter(council_id=council_id)
    if user is not None:
        excluded = Caf.objects.filter(council_id=council_id).filter(perms.excluded_from(user)).values("pk")
        step_downs = (
            step_downs.exclude(caf__in=excluded)
            .exclude(picked_up_caf__in=excluded)
            .exclude(excluded_people=user)
            .exclude(excluded_agencies=user.agency_id)
        )
    return step_downs.select_related(
        "council", "sent_by", "referral", "picked_up_caf", "picked_up_by"
    ).prefetch_related("children")


def step_downs_to_pick_up(user: User) -> QuerySet[StepDown]:
    """The early help pick-up queue: waiting step-downs, the nearest deadline first."""
    if not caf_policies.is_caf_administrator(user, user.council_id):
        return StepDown.objects.none()
    return (
        _step_downs(user.council_id, user).filter(status=StepDown.Status.WAITING).order_by("pick_up_due_on", "sent_at")
    )


def step_downs_waiting_for_lead(user: User) -> QuerySet[StepDown]:
    if not caf_policies.is_caf_administrator(user, user.council_id):
        return StepDown.objects.none()
    return _step_downs(user.council_id, user).filter(status=StepDown.Status.PICKED_UP).order_by("picked_up_at")


def step_downs_open_from_social_care(user: User) -> QuerySet[StepDown]:
    if not is_social_care_staff(user, user.council_id):
        return StepDown.objects.none()
    return _step_downs(user.council_id).filter(status__in=OPEN_STEP_DOWN).order_by("pick_up_due_on", "sent_at")


def social_care_agencies(council_id: int) -> list[Agency]:
    return list(Agency.objects.filter(council_id=council_id, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE))


def front_door_managers(council_id: int) -> list[User]:
    """The social care managers of the council's children's social care: the front door."""
    return list(
        User.objects.filter(
            agency__council_id=council_id,
            agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            groups__name=Role.SOCIAL_CARE_MANAGER.value,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def social_workers_of(council_id: int) -> QuerySet[User]:
    return (
        User.objects.filter(
            agency__council_id=council_id,
            agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            groups__name=Role.SOCIAL_WORKER.value,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "pk")
    )


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


def current_lead(caf: Caf | None) -> User | None:
    """The CAF's lead professional now, if it has one."""
    if caf is None:
        return None
    assignment = caf.lead_professionals.filter(ended_at__isnull=True).select_related("user").first()
    return assignment.user if assignment else None


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


# Figures ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepDownMonth:
    month: date
    front_door: int
    after_assessment: int
    child_in_need_closure: int
    picked_up: int
    declined: int
    waiting: int

    @property
    def total(self) -> int:
        return self.front_door + self.after_assessment + self.child_in_need_closure


def step_down_figures(council: LocalAuthority, *, months: int = 12, today: date | None = None) -> list[StepDownMonth]:
    """Step-down transfers per month by point (Kent's monthly counts, 004), with how many of each
    month's were picked up, declined or are still open: one query, newest month first, every month
    shown even when it had none."""
    today = today or timezone.localdate()
    first = today.replace(day=1) - relativedelta(months=months - 1)
    zone = WorkingCalendar.for_council(council).zone
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    point, status = StepDown.Point, StepDown.Status
    rows = (
        StepDown.objects.filter(council=council, sent_at__gte=start)
        .annotate(month=TruncMonth("sent_at", tzinfo=zone))
        .values("month")
        .annotate(
            front_door=Count("pk", filter=Q(point=point.FRONT_DOOR)),
            after_assessment=Count("pk", filter=Q(point=point.AFTER_ASSESSMENT)),
            child_in_need_closure=Count("pk", filter=Q(point=point.CHILD_IN_NEED_CLOSURE)),
            picked_up=Count("pk", filter=Q(status__in=[status.PICKED_UP, status.COMPLETED])),
            declined=Count("pk", filter=Q(status=status.DECLINED)),
            waiting=Count("pk", filter=Q(status=status.WAITING)),
        )
    )
    by_month = {row["month"].date(): row for row in rows}
    result = []
    for offset in range(months):
        month = first + relativedelta(months=offset)
        row = by_month.get(month, {})
        result.append(
            StepDownMonth(
                month=month,
                **{
                    name: row.get(name, 0)
                    for name in (
                        "front_door",
                        "after_assessment",
                        "child_in_need_closure",
                        "picked_up",
                        "declined",
                        "waiting",
                    )
                },
            )
        )
    return list(reversed(result))


def staff_of(council_id: int) -> QuerySet[User]:
    """The council's active staff, for naming people the family does not want to see their record."""
    return (
        User.objects.filter(agency__council_id=council_id, is_active=True)
        .select_related("agency")
        .order_by("full_name", "pk")
    )


# What caf asks through caf.hooks (registered in ReferralsConfig.ready) -----------------------------


def chronology_events(cafs: dict[int, Caf]) -> Iterator[ChronologyEvent]:
    """A child's chronology, from the CAFs the user may see (by id): the referrals they were
    attached to and the step-downs from or into them. Two queries whatever the history's length."""
    for referral in Referral.objects.filter(caf__in=list(cafs)).select_related("referring_agency"):
        caf = cafs[referral.caf_id]
        started = "Referral to children's social care started"
        if referral.basis:
            started += f" ({referral.get_basis_display().lower()})"
        yield ChronologyEvent(referral.created_at, started, caf)
        if referral.sent_at:
            yield ChronologyEvent(
                referral.sent_at, f"Referral sent to children's social care by {referral.referring_agency}", caf
            )
        if referral.decided_at:
            yield ChronologyEvent(
                referral.decided_at, f"Children's social care decided: {referral.get_decision_display()}", caf
            )
    for step_down in StepDown.objects.filter(Q(caf__in=list(cafs)) | Q(picked_up_caf__in=list(cafs))):
        caf = cafs.get(step_down.picked_up_caf_id) or cafs[step_down.caf_id]
        yield ChronologyEvent(step_down.sent_at, f"Stepped down to early help, {step_down.point_phrase}", caf)
        if step_down.picked_up_at:
            yield ChronologyEvent(step_down.picked_up_at, "Step-down picked up by early help", caf)
        if step_down.declined_at:
            yield ChronologyEvent(step_down.declined_at, "The family declined early help", caf)


def child_referred(records: QuerySet[Any]) -> bool:
    """Whether one of these child records (a child and its merged records) was referred to
    children's social care: a sent referral, decided or not (a draft is not a referral yet)."""
    return Referral.objects.filter(children__in=records).exclude(status=Referral.Status.DRAFT).exists()


def caf_referrals(caf: Caf, safeguarding_override: bool = False) -> QuerySet[Referral]:
    """The referrals a CAF is attached to, newest first; only those started by a safeguarding
    override when asked (the override's pages)."""
    referrals = Referral.objects.filter(caf=caf).order_by("-created_at")
    if safeguarding_override:
        referrals = referrals.filter(basis=Referral.Basis.SAFEGUARDING_OVERRIDE)
    return referrals
