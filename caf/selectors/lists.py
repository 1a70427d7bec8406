"""The full lists behind the home pages' queues: the CAF list (every CAF the user may see, or one
queue of them: `?queue=to-register`) and the list of plan actions (`?queue=due` or `overdue`),
paged in the database without counting every row (core.paging). Each writes one access-log row
for the page shown, with the children it listed (Settled question 17).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from caf import permissions as perms
from caf.access_log import access_log_write
from caf.models import (
    AccessLog,
    Caf,
    CafChild,
    Child,
    LeadProfessionalAssignment,
    PlanAction,
    TeamAroundFamilyMember,
)
from caf.selectors.queues import (
    actions_due_for,
    cafs_led_by,
    cafs_to_register,
    cafs_with_lead_to_log,
    cafs_without_lead,
    drafts_of,
    overdue_actions_in_plans_led_by,
    tafs_of,
)
from caf.selectors.reviews import (
    REVIEWS_UPCOMING_WITHIN_DAYS,
    reviews_due_for,
    reviews_overdue_for,
    reviews_overdue_in_council,
    reviews_upcoming_for,
)
from core.paging import ListPage, QueuePage, list_page

CAF_LIST_PAGE_SIZE = 50
ACTION_LIST_PAGE_SIZE = 50

# The CAF queues of the home pages, by the name the CAF list takes (`/cafs/?queue=<name>`): the
# list's heading and the selector, already limited to what the user may see, in the queue's order.
CAF_QUEUES: dict[str, tuple[str, Callable[[User], QuerySet[Caf]]]] = {
    "drafts": ("Your draft CAFs", drafts_of),
    "led": ("CAFs you lead", cafs_led_by),
    "teams": ("Teams around the family you are on", tafs_of),
    "reviews-upcoming": (f"Your reviews in the next {REVIEWS_UPCOMING_WITHIN_DAYS} days", reviews_upcoming_for),
    "reviews-overdue": ("Your overdue reviews", reviews_overdue_for),
    "reviews-due": ("Your reviews due", reviews_due_for),
    "to-register": ("New CAFs to register", cafs_to_register),
    "without-lead": ("CAFs without a lead professional", cafs_without_lead),
    "lead-to-log": ("Lead professional changes to log", cafs_with_lead_to_log),
    "council-reviews-overdue": ("Overdue reviews in your council", reviews_overdue_in_council),
}


@dataclass(frozen=True)
class CafListFilters:
    """What the CAF list is narrowed by (each empty for "any"), from its filter form: the words of a
    child's name or a CAF's reference, the status, the level of need (its order in the model: any
    child of the CAF at it), the locality of the lead professional's agency (as the figures count
    it, Settled question 22), the lead professional ("me", or "none" yet) and an agency that started
    the CAF or has someone on its team."""

    words: str = ""
    status: str = ""
    level: int | None = None
    locality: int | None = None
    lead: str = ""
    agency: int | None = None

    @property
    def any(self) -> bool:
        return any((self.words, self.status, self.level, self.locality, self.lead, self.agency))


def search_words(words: str) -> list[str]:
    """The words of a list's search box that count: the first four."""
    return words.split()[:4]


def children_named(council_id: int | None, word: str) -> QuerySet[Child, Any]:
    """The ids of the council's children with the word in their first or last name, any case: a
    LIKE on the lower-cased names, which their trigram indexes answer. Every list's name search."""
    return (
        Child.objects.annotate(first=Lower("first_name"), last=Lower("last_name"))
        .filter(council_id=council_id)
        .filter(Q(first__contains=word.lower()) | Q(last__contains=word.lower()))
        .values("pk")
    )


def cafs_referenced(council_id: int | None, word: str) -> QuerySet[Caf]:
    """The council's CAF with this reference (any case), for a list's search box."""
    return Caf.objects.filter(council_id=council_id, reference__iexact=word).order_by()


def cafs_filtered(cafs: QuerySet[Caf], user: User, filters: CafListFilters) -> QuerySet[Caf]:
    """Each filter is one `pk IN (...)` of a table's own index (the children's lower-cased names are
    trigram-indexed for LIKE), never an OR across a join (Engineering facts)."""
    if filters.status in Caf.Status.values:
        cafs = cafs.filter(status=filters.status)
    for word in search_words(filters.words):
        by_name = CafChild.objects.filter(child__in=children_named(user.council_id, word)).order_by().values("caf_id")
        by_reference = cafs_referenced(user.council_id, word).values("pk")
        cafs = cafs.filter(pk__in=by_name.union(by_reference))
    if filters.level is not None:
        cafs = cafs.filter(pk__in=CafChild.objects.filter(level__order=filters.level).values("caf_id"))
    current_leads = LeadProfessionalAssignment.objects.filter(ended_at__isnull=True)
    if filters.locality is not None:
        cafs = cafs.filter(pk__in=current_leads.filter(user__agency__locality_id=filters.locality).values("caf_id"))
    if filters.lead == "me":
        cafs = cafs.filter(pk__in=current_leads.filter(user=user).values("caf_id"))
    elif filters.lead == "none":
        cafs = cafs.filter(status=Caf.Status.ACTIVE).exclude(pk__in=current_leads.values("caf_id"))
    if filters.agency is not None:
        started = Caf.objects.filter(initiating_agency_id=filters.agency).order_by().values("pk")
        on_team = TeamAroundFamilyMember.objects.filter(agency_id=filters.agency, left_at__isnull=True)
        cafs = cafs.filter(pk__in=started.union(on_team.order_by().values("caf_id")))
    return cafs


@dataclass(frozen=True)
class CafListPage:
    page: ListPage[Caf]
    queue: str  # "" for every CAF the user may see
    heading: str


def caf_list_page(user: User, *, page: object, queue: str = "", filters: CafListFilters | None = None) -> CafListPage:
    """The CAF list: every CAF the user may see, newest first, or one home-page queue of them in its
    own order (an unknown queue name: every CAF); filtered (`cafs_filtered`) and paged in the
    database, with each CAF's children and current lead professional."""
    cafs: QuerySet[Caf]
    if queue in CAF_QUEUES:
        heading, selector = CAF_QUEUES[queue]
        cafs = selector(user).prefetch_related(None)
    else:
        queue, heading = "", ""
        cafs = perms.cafs_visible_to(user).order_by("-created_at", "-pk")
    cafs = cafs_filtered(cafs, user, filters or CafListFilters())
    cafs = cafs.select_related("initiating_agency").prefetch_related(
        Prefetch("caf_children", queryset=CafChild.objects.select_related("child", "level").order_by("pk")),
        Prefetch(
            "lead_professionals",
            queryset=LeadProfessionalAssignment.objects.filter(ended_at__isnull=True).select_related("user"),
            to_attr="current_leads",
        ),
    )
    shown: ListPage[Caf] = list_page(cafs, page, size=CAF_LIST_PAGE_SIZE)
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=f"Viewed the list of CAFs{f' ({heading.lower()})' if heading else ''}, page {shown.number}",
        child_ids=[link.child_id for caf in shown.rows for link in caf.caf_children.all()],
    )
    return CafListPage(page=shown, queue=queue, heading=heading)


def _actions_due(user: User) -> QuerySet[PlanAction]:
    return actions_due_for(user, by=timezone.localdate() + timedelta(days=REVIEWS_UPCOMING_WITHIN_DAYS))


def _actions_overdue(user: User) -> QuerySet[PlanAction]:
    return overdue_actions_in_plans_led_by(user, today=timezone.localdate())


# The plan-action queues of the practitioner's home page (`/actions/?queue=<name>`).
ACTION_QUEUES: dict[str, tuple[str, Callable[[User], QuerySet[PlanAction]]]] = {
    "due": (f"Your actions due in the next {REVIEWS_UPCOMING_WITHIN_DAYS} days", _actions_due),
    "overdue": ("Overdue actions in plans you lead", _actions_overdue),
}


def action_list_page(user: User, *, queue: str, page: object) -> QueuePage[PlanAction]:
    """One queue of plan actions, the earliest due first (an unknown queue: 404)."""
    if queue not in ACTION_QUEUES:
        raise Http404("There is no such list of actions.")
    heading, selector = ACTION_QUEUES[queue]
    actions = selector(user).select_related("caf", "owner", "agency").prefetch_related("caf__children")
    shown = list_page(actions, page, size=ACTION_LIST_PAGE_SIZE)
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=f"Viewed the list of actions ({heading.lower()}), page {shown.number}",
        child_ids={child.pk for action in shown.rows for child in action.caf.children.all()},
    )
    return QueuePage(page=shown, queue=queue, heading=heading)
