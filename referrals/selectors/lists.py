"""The full lists behind the home pages' referral and step-down queues, paged in the database without
counting every row (core.paging), each with one access-log row for the page shown, with the
children it listed (Settled question 17):

- `/referrals/list/?queue=made|allocated|decided`: a referrer's own referrals, a social worker's
  allocations, the front door's recent decisions (each only the user's own, or none);
- `/step-downs/`: the CAF administrators' pick-up queue (the first rows of both its lists), one
  of its lists in full (`?queue=waiting|waiting-for-lead`), and children's social care's open
  step-downs (`?queue=open`).

The front-door queue (`/referrals/`) is `step_up.front_door_page`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import User
from caf import policies as caf_policies
from caf.access_log import access_log_write
from caf.models import AccessLog
from core.paging import CappedCount, ListPage, QueuePage, list_page, queue_head, view_all_text
from referrals import policies
from referrals.models import Referral, StepDown
from referrals.selectors.clocks import Clock, pick_up_clock
from referrals.selectors.queues import (
    referrals_allocated_to,
    referrals_decided_recently,
    referrals_made_by,
    step_downs_open_from_social_care,
    step_downs_searched,
    step_downs_to_pick_up,
    step_downs_waiting_for_lead,
)

LIST_PAGE_SIZE = 50

# Referral queues of the home pages, by the name the list takes: its heading and its selector.
REFERRAL_QUEUES: dict[str, tuple[str, Callable[[User], QuerySet[Referral]]]] = {
    "made": ("Your referrals to children's social care", referrals_made_by),
    "allocated": ("Families the front door allocated to you", referrals_allocated_to),
    "decided": ("Referrals decided in the last 7 days", referrals_decided_recently),
}


def referral_list_page(user: User, *, queue: str, page: object) -> QueuePage[Referral]:
    """One referral queue in full (an unknown queue: 404). Each selector shows only the user's own
    rows (their referrals, their allocations) or, for the front door's decisions, none to anyone else."""
    if queue not in REFERRAL_QUEUES:
        raise Http404("There is no such list of referrals.")
    heading, selector = REFERRAL_QUEUES[queue]
    shown = list_page(selector(user).select_related("decided_by"), page, size=LIST_PAGE_SIZE)
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=f"Viewed the list of referrals ({heading.lower()}), page {shown.number}",
        child_ids={child.pk for referral in shown.rows for child in referral.children.all()},
    )
    return QueuePage(page=shown, queue=queue, heading=heading)


# Step-downs -----------------------------------------------------------------------------------------

_FOR_CAF_ADMINISTRATORS = "caf_administrators"
_FOR_SOCIAL_CARE = "social_care"

# Step-down queues by name: heading, selector, and who has the list.
STEP_DOWN_QUEUES: dict[str, tuple[str, Callable[[User], QuerySet[StepDown]], str]] = {
    "waiting": ("Waiting to be picked up", step_downs_to_pick_up, _FOR_CAF_ADMINISTRATORS),
    "waiting-for-lead": (
        "Picked up, waiting for a lead professional",
        step_downs_waiting_for_lead,
        _FOR_CAF_ADMINISTRATORS,
    ),
    "open": ("Step-downs waiting to be picked up by early help", step_downs_open_from_social_care, _FOR_SOCIAL_CARE),
}


@dataclass(frozen=True)
class StepDownSection:
    """One list of the queue page: its rows with their pick-up clocks, its count, and either its
    first rows (`page` None: the page links to the rest) or one page of it in full."""

    queue: str
    heading: str
    rows: list[tuple[StepDown, Clock | None]]
    count: CappedCount
    page: ListPage[StepDown] | None = None

    @property
    def has_more(self) -> bool:
        return self.page is None and self.count.found > len(self.rows)

    @property
    def view_all(self) -> str:
        return view_all_text(self.count, f"step-downs {self.heading.lower()}")


@dataclass(frozen=True)
class PickUpQueuePage:
    sections: list[StepDownSection]
    full: bool  # one list in full, paged
    words: str = ""  # what the list was searched for
    point: str = ""  # the transfer point it keeps, if any


def _may_have(user: User, who: str) -> bool:
    if who == _FOR_CAF_ADMINISTRATORS:
        return caf_policies.is_caf_administrator(user, user.council_id)
    return policies.is_social_care_staff(user, user.council_id)


def pick_up_queue_page(
    user: User, *, queue: str = "", page: object = None, words: str = "", point: str = ""
) -> PickUpQueuePage:
    """Without `queue`, the CAF administrators' queue: the first rows of step-downs to pick up
    (nearest deadline first, with their clocks) and of those waiting for a lead professional, each
    with its count; with `queue`, that list in full, paged; `words` searches both by a child's name
    or a CAF's reference (`step_downs_searched`), `point` keeps one transfer point. Anyone without
    the list: 404, the
    attempt logged. The council's working calendar is built once for every row's clock."""
    names = [queue] if queue else ["waiting", "waiting-for-lead"]
    if any(name not in STEP_DOWN_QUEUES or not _may_have(user, STEP_DOWN_QUEUES[name][2]) for name in names):
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what="Refused: the pick-up queue")
        raise Http404("This list of step-downs is not yours.")
    calendar = WorkingCalendar.for_council(user.council)
    today = timezone.localdate()
    sections = []
    for name in names:
        heading, selector, _ = STEP_DOWN_QUEUES[name]
        step_downs = step_downs_searched(selector(user), user.council_id, words)
        if point in StepDown.Point.values:
            step_downs = step_downs.filter(point=point)
        if queue:
            shown = list_page(step_downs, page, size=LIST_PAGE_SIZE)
            rows, count, full_page = shown.rows, shown.count, shown
        else:
            head = queue_head(step_downs)
            rows, count, full_page = head.rows, head.count, None
        clocked = [(step_down, pick_up_clock(step_down, today=today, calendar=calendar)) for step_down in rows]
        sections.append(StepDownSection(queue=name, heading=heading, rows=clocked, count=count, page=full_page))
    what = "Viewed the step-down pick-up queue"
    if sections[0].page is not None:
        what += f" ({queue}), page {sections[0].page.number}"
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=what,
        child_ids={
            child.pk for section in sections for step_down, _ in section.rows for child in step_down.children.all()
        },
    )
    return PickUpQueuePage(sections=sections, full=bool(queue), words=words, point=point)
