"""What each step-up page shows, in one call each: starting a referral, the call to the front door,
the referral itself (the form to send a draft; a sent one's summary, decision, clock and timeline
with what the user may do), the front door's decision form and the front-door queue. Each refuses
anyone who may not see what it shows (a 404 or a 403, logged as the page always has) before it
reads more.
"""

from collections.abc import Collection
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import Agency, AgencyType, User
from caf import policies as caf_policies
from caf import selectors as caf_selectors
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, Child
from core.paging import ListPage, list_page
from referrals import policies
from referrals.models import Referral, StepDown, TimelineEntry
from referrals.selectors.clocks import Clock, decision_clock
from referrals.selectors.council import social_workers_of, staff_of
from referrals.selectors.fetch import referral_get_for_user
from referrals.selectors.history import (
    EarlierReferral,
    earlier_outcome,
    earlier_referrals,
    previous_referrals,
    referrals_within_a_year,
)
from referrals.selectors.queues import front_door_queue

# Starting a referral ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralStartPage:
    caf: Caf | None
    children: QuerySet[Child]
    earlier: list[EarlierReferral]


def referral_start_page(
    user: User, *, caf_id: int | None = None, child_id: int | None = None, found: Collection[int] = ()
) -> ReferralStartPage:
    """From a CAF (`caf_id`: its children, with the CAF attached as evidence, which only its lead
    professional may do) or from a child's record (`child_id`: a referral without a CAF; `found`,
    the children the user's searches found), with the children's earlier referrals."""
    caf: Caf | None = None
    what = "Opened the page to start a referral"
    if caf_id is not None:
        caf = caf_selectors.caf_get_for_user(user, caf_id, what=what)
        if not caf_policies.may_refer_from(user, caf):
            raise PermissionDenied(
                "Only the CAF's lead professional refers with the CAF attached: refer from the child's record."
            )
        children = caf.children.order_by("date_of_birth", "pk")
    elif child_id is not None:
        child = caf_selectors.child_for_new_caf(user, child_id, found=found, what=what)
        children = Child.objects.filter(pk=child.pk)
    else:
        raise Http404("Say which CAF or child the referral is for.")
    earlier = earlier_referrals(user, referrals_within_a_year(list(children), before=timezone.now()))
    return ReferralStartPage(caf=caf, children=children, earlier=earlier)


# Immediate risk: phone first ----------------------------------------------------------------------


@dataclass(frozen=True)
class FrontDoorCallPage:
    referral: Referral
    calendar: WorkingCalendar
    children: list[Child]
    out_of_hours_now: bool


def front_door_call_page(user: User, referral_id: int) -> FrontDoorCallPage:
    """The referrer's page to record the call, with the council's numbers and whether the front
    door is closed now (the emergency duty team answers instead)."""
    referral = referral_get_for_user(
        user, referral_id, what="Opened the immediate-risk call page", require=policies.is_referrer
    )
    calendar = WorkingCalendar.for_council(referral.council)
    local = timezone.now().astimezone(calendar.zone)
    closed = not calendar.is_working_day(local.date()) or not calendar.starts <= local.time() < calendar.ends
    return FrontDoorCallPage(
        referral=referral, calendar=calendar, children=list(referral.children.all()), out_of_hours_now=closed
    )


# The referral -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralPage:
    """A draft: what goes with the form to send it. Sent or decided: what was referred, the decision
    and the timeline, with the front door's actions for its managers."""

    referral: Referral
    children: list[Child]
    earlier: list[EarlierReferral]
    history_note: bool = False
    needs_call: bool = False
    is_referrer: bool = False
    is_social_care: bool = False
    clock: Clock | None = None
    previous: list[EarlierReferral] = field(default_factory=list)
    may_claim: bool = False
    may_decide: bool = False
    may_step_down: bool = False
    step_downs: list[StepDown] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


def referral_page(user: User, referral_id: int) -> ReferralPage:
    referral = referral_get_for_user(user, referral_id)
    children = list(referral.children.order_by("date_of_birth", "pk"))
    if referral.status == Referral.Status.DRAFT:
        return ReferralPage(
            referral=referral,
            children=children,
            earlier=earlier_referrals(
                user, referrals_within_a_year(children, before=timezone.now(), exclude=referral.pk)
            ),
            history_note=True,
            needs_call=referral.is_immediate and referral.front_door_called_at is None,
            is_referrer=policies.is_referrer(user, referral),
        )
    is_social_care = policies.is_social_care_staff(user, referral.council_id)
    may_decide = policies.may_decide(user, referral)
    return ReferralPage(
        referral=referral,
        children=children,
        earlier=earlier_referrals(
            user, referrals_within_a_year(children, before=referral.sent_at, exclude=referral.pk)
        ),
        is_social_care=is_social_care,
        clock=decision_clock(referral) if is_social_care else None,
        previous=earlier_referrals(user, previous_referrals(referral)) if is_social_care else [],
        may_claim=may_decide and referral.claimed_by_id != user.pk,
        may_decide=may_decide,
        may_step_down=is_social_care
        and referral.status == Referral.Status.DECIDED
        and referral.decision in Referral.SOCIAL_CARE_DECISIONS,
        step_downs=list(referral.step_downs.order_by("sent_at")),
        timeline=list(referral.timeline.select_related("by")),
    )


# The front door's decision ------------------------------------------------------------------------


@dataclass(frozen=True)
class DecidePage:
    referral: Referral
    children: list[Child]
    social_workers: QuerySet[User]
    agencies: QuerySet[Agency]
    people: QuerySet[User]


def decide_page(user: User, referral_id: int) -> DecidePage:
    """The decision form's choices: the council's social workers, the agencies early help may share
    with (all but children's social care) and the staff the family may exclude."""
    referral = referral_get_for_user(user, referral_id, what="Opened a referral to decide it")
    if not policies.is_front_door_manager(user, referral.council_id):
        raise PermissionDenied("Only the council's social care managers decide referrals.")
    return DecidePage(
        referral=referral,
        children=list(referral.children.all()),
        social_workers=social_workers_of(referral.council_id),
        agencies=Agency.objects.filter(council_id=referral.council_id)
        .exclude(agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
        .order_by("name"),
        people=staff_of(referral.council_id),
    )


def decided_message(referral: Referral) -> str:
    """What happened, in the words the front door needs to hear, read from the state afterwards."""
    names = ", ".join(f"{child.first_name} {child.last_name}" for child in referral.children.all())
    message = f"Decision recorded for {names}: {referral.get_decision_display()}."
    if referral.decision == Referral.Decision.STEP_DOWN:
        step_down = referral.step_downs.first()
        if step_down is not None:
            message += f" Early help has been asked to pick the family up by {step_down.pick_up_due_on:%-d %B %Y}."
    elif referral.decision in Referral.SOCIAL_CARE_DECISIONS:
        worker = referral.allocated_social_worker
        caf = referral.caf
        lead = caf.lead_professionals.filter(ended_at__isnull=True).first() if caf else None
        if lead is not None and lead.user_id == worker.pk:
            message += f" {worker.full_name} is now the lead professional: support is social-work led."
        elif caf is not None and caf.status == Caf.Status.CLOSED:
            message += f" {worker.full_name} is allocated. The CAF has closed as stepped up to children's social care."
        else:
            message += f" {worker.full_name} is allocated as social worker."
    message += f" {referral.created_by.full_name} has been told the outcome."
    return message


# The front-door queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    referral: Referral
    clock: Clock | None
    earlier_outcome: str


FRONT_DOOR_PAGE_SIZE = 50


@dataclass(frozen=True)
class FrontDoorPage:
    rows: list[QueueRow]
    page: ListPage[Referral]


def front_door_page(
    user: User,
    *,
    urgency: str = "",
    locality_id: int | None = None,
    agency_type: str = "",
    words: str = "",
    page: object = None,
) -> FrontDoorPage:
    """Referrals awaiting a decision, for the council's front-door managers (anyone else: 404, the
    attempt logged), one page at a time (core.paging): a fixed number of queries whatever the number
    of rows, the council's working calendar built once for every row's clock, and one access-log
    row for the page shown, with the children it listed (Settled question 17)."""
    if not policies.is_front_door_manager(user, user.council_id):
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what="Refused: the front-door queue")
        raise Http404("The front-door queue is for the council's social care managers.")
    now = timezone.now()
    calendar = WorkingCalendar.for_council(user.council)
    referrals = front_door_queue(user, urgency=urgency, locality_id=locality_id, agency_type=agency_type, words=words)
    shown = list_page(referrals, page, size=FRONT_DOOR_PAGE_SIZE)
    rows = [
        QueueRow(
            referral=referral,
            clock=decision_clock(referral, now=now, calendar=calendar),
            earlier_outcome=earlier_outcome(referral.earlier_decision) if referral.earlier_id else "",
        )
        for referral in shown.rows
    ]
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what="Viewed the front-door queue" + (f", page {shown.number}" if shown.number > 1 else ""),
        child_ids=[child.pk for row in rows for child in row.referral.children.all()],
    )
    return FrontDoorPage(rows=rows, page=shown)
