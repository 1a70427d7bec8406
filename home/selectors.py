"""The home page: one section per role the user holds, each a few queues of what needs them now.
It composes every app's selectors (Settled question 14: home is the top layer; nothing imports it).
Each list is already limited to what the user may see. A queue shows its first 20 rows, the most
urgent first, and its count (core.paging), with a link to its full, paged list: no home page grows
with the table."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar, cast

from django.db.models import Count, Model, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts.calendar import WorkingCalendar
from accounts.models import Agency, Locality, Role, User
from accounts.selectors import ROLE_CHANGES_DAYS, role_changes_recent
from caf import permissions as perms
from caf import policies as caf_policies
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, CafChild, PlanAction, PossibleDuplicate
from caf.selectors import (
    actions_due_for,
    break_glass_to_review,
    caf_administrators,
    caf_detail_url,
    caf_queue_item,
    cafs_led_by,
    cafs_to_register,
    cafs_with_lead_to_log,
    cafs_without_lead,
    drafts_of,
    overdue_actions_in_plans_led_by,
    possible_duplicates_open,
    queue_children,
    reviews_due_for,
    reviews_overdue_for,
    reviews_overdue_in_council,
    reviews_upcoming_for,
    tafs_of,
)
from core.paging import QUEUE_COUNT_CAP, CappedCount, capped_count, queue_head, view_all_text
from home.items import (
    Item,
    action_due_item,
    allocated_item,
    decided_item,
    front_door_item,
    overdue_action_item,
    own_referral_item,
    possible_duplicate_item,
    review_item,
    role_change_item,
    step_down_item,
)
from home.ready import CAF_ADMINISTRATION, FRONT_DOOR, Counted, count_if_stale, ready_section
from referrals import policies as referral_policies
from referrals import selectors as referral_selectors
from referrals.models import Referral, StepDown
from referrals.selectors import Clock

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class WorkQueue:
    """One list on a home page: what needs this person now, its first QUEUE_LENGTH rows (the most
    urgent first), how many it holds, and the link to all of them when there are more."""

    heading: str
    empty_text: str
    items: list[Any] = field(default_factory=list)
    count: CappedCount | None = None  # None: a short list of its own (the council's settings)
    view_all_url: str = ""
    view_all_text: str = ""


@dataclass(frozen=True)
class HomeSection:
    role: Role | None  # None: the service administrator's section (a superuser, not a council role)
    heading: str
    queues: list[WorkQueue]
    links: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, int]] = field(default_factory=list)
    queues_html: str = ""  # the queues as kept rendered (home.ready), else the page renders them


@dataclass(frozen=True)
class _KeptQueues:
    """A council's queues for one role, and their HTML (home/_queues.html), rendered once when they are
    counted: it names no user, so the council's people of that role are shown the same."""

    queues: list[WorkQueue]
    html: str


def _dumped(kept: _KeptQueues) -> Counted:
    """The queues as home.ready keeps them in the database: plain data, and their HTML."""
    return Counted([_queue_dumped(queue) for queue in kept.queues], kept.html)


def _queue_dumped(queue: WorkQueue) -> dict[str, Any]:
    def item(row: Item) -> list[Any]:
        label, url, *clock = row
        if clock and isinstance(clock[0], Clock):
            return [label, url, {"state": clock[0].state, "text": clock[0].text}]
        return [label, url, None] if clock else [label, url]

    count = None if queue.count is None else [queue.count.found, queue.count.cap]
    return {
        "heading": queue.heading,
        "empty_text": queue.empty_text,
        "items": [item(row) for row in queue.items],
        "count": count,
        "view_all_url": queue.view_all_url,
        "view_all_text": queue.view_all_text,
    }


def _loaded(counted: Counted) -> _KeptQueues:
    def item(row: list[Any]) -> Item:
        if len(row) == 2:
            return row[0], row[1]
        return row[0], row[1], None if row[2] is None else Clock(**row[2])

    queues = [
        WorkQueue(
            queue["heading"],
            queue["empty_text"],
            [item(row) for row in queue["items"]],
            count=None if queue["count"] is None else CappedCount(*queue["count"]),
            view_all_url=queue["view_all_url"],
            view_all_text=queue["view_all_text"],
        )
        for queue in counted.queues
    ]
    return _KeptQueues(queues, mark_safe(counted.html))  # noqa: S308 (home/_queues.html rendered it, escaped)


@dataclass(frozen=True)
class _Kind:
    """A section kept for the council's people of one role (home.ready): who may share it, how it is
    counted, whether its clocks move within the day, and whom the worker counts it as."""

    alike: Callable[[User], bool]
    queues: Callable[[User, set[int]], list[WorkQueue]]
    by_the_minute: bool
    people: Callable[[int], list[User]]


def _counted(kind: _Kind, user: User) -> Callable[[set[int]], _KeptQueues]:
    def counted(names: set[int]) -> _KeptQueues:
        queues = kind.queues(user, names)
        return _KeptQueues(queues, render_to_string("home/_queues.html", {"queues": queues}))

    return counted


def _kept_queues(kind_name: str, user: User, shown: set[int]) -> _KeptQueues:
    kind = _KINDS[kind_name]
    kept, names = ready_section(
        kind_name,
        user,
        _counted(kind, user),
        _dumped,
        _loaded,
        alike=kind.alike(user),
        by_the_minute=kind.by_the_minute,
    )
    shown.update(names)
    return kept


def kept_queues_count(council_id: int) -> list[str]:
    """For the worker, once a change has committed (home.tasks): count each kept section of the council
    that is out of date, as one of the people it is alike for (none: nobody shares it, nothing is
    kept). Returns the sections it counted."""
    counted = []
    for kind_name, kind in _KINDS.items():
        person = next((user for user in kind.people(council_id) if kind.alike(user)), None)
        if person is not None and count_if_stale(
            kind_name, person, _counted(kind, person), _dumped, by_the_minute=kind.by_the_minute
        ):
            counted.append(kind_name)
    return counted


def _noting(records: Iterable[T], shown: set[int]) -> Iterator[T]:
    """Each record of a queue, unchanged, noting the ids of the children it names in `shown`: the
    home page writes one access-log row with them (Settled question 17). Reads the ids the queue's
    query carried (`queue_children`); a possible duplicate names its own two children."""
    for record in records:
        if isinstance(record, PossibleDuplicate):
            shown.update((record.child_a_id, record.child_b_id))
        else:
            shown.update(child_id for child_id, _ in record.queue_children)  # type: ignore[attr-defined]
        yield record


# Each queue's rows' children (caf.selectors.queue_children): the (row, child) pairs and their columns.
_CHILDREN_OF: dict[type[Model], dict[str, Any]] = {
    Caf: {"through": CafChild, "through_column": "caf_id"},
    PlanAction: {"through": CafChild, "through_column": "caf_id", "row_column": "caf_id"},
    Referral: {"through": Referral.children.through, "through_column": "referral_id"},
    StepDown: {"through": StepDown.children.through, "through_column": "stepdown_id"},
}


class _Queues:
    """Builds one section's queues: each its first rows in its own order with their children's names
    and ids in the same query (caf.selectors.queue_children), and its capped count, a second query
    only when it holds more than it shows (core.paging.queue_head): a home page's cost is its number
    of queues, not their rows."""

    def __init__(self, shown: set[int]) -> None:
        self.shown = shown

    def __call__(
        self,
        heading: str,
        empty_text: str,
        rows: QuerySet[M],
        item: Callable[[M], Item],
        *,
        url: str,
        noun: str,
    ) -> WorkQueue:
        if rows.model in _CHILDREN_OF:
            children = queue_children(rows.model, **_CHILDREN_OF[rows.model])
            rows = cast(QuerySet[M], rows.prefetch_related(None).annotate(queue_children=children))
        head = queue_head(rows)
        return WorkQueue(
            heading,
            empty_text,
            [item(row) for row in _noting(head.rows, self.shown)],
            count=head.count,
            view_all_url=url if head.has_more else "",
            view_all_text=view_all_text(head.count, noun),
        )


def _caf_list(queue: str) -> str:
    return f"{reverse('caf:caf_list')}?queue={queue}"


def _caf_item(url_name: str) -> Callable[[Caf], Item]:
    return lambda caf: caf_queue_item(caf, reverse(url_name, args=[caf.pk]))


def _practitioner_section(user: User, shown: set[int]) -> HomeSection:
    queue = _Queues(shown)
    today = timezone.localdate()
    actions = reverse("caf:action_list")
    return HomeSection(
        role=Role.PRACTITIONER,
        heading="Your work with families",
        queues=[
            queue(
                "Your draft CAFs",
                "You have no draft CAFs.",
                drafts_of(user),
                lambda caf: caf_queue_item(caf, caf_detail_url(caf.pk)),
                url=_caf_list("drafts"),
                noun="draft CAFs",
            ),
            queue(
                "CAFs you lead",
                "You are not lead professional for any family.",
                cafs_led_by(user),
                _caf_item("caf:plan"),
                url=_caf_list("led"),
                noun="CAFs you lead",
            ),
            queue(
                "Teams around the family you are on",
                "You are not on any team around a family.",
                tafs_of(user),
                _caf_item("caf:taf"),
                url=_caf_list("teams"),
                noun="teams you are on",
            ),
            queue(
                "Reviews coming up",
                "You have no reviews in the next 14 days.",
                reviews_upcoming_for(user),
                partial(review_item, record=True),
                url=_caf_list("reviews-upcoming"),
                noun="reviews coming up",
            ),
            queue(
                "Reviews overdue",
                "None of your reviews is overdue.",
                reviews_overdue_for(user),
                partial(review_item, record=True),
                url=_caf_list("reviews-overdue"),
                noun="overdue reviews",
            ),
            queue(
                "Overdue actions in plans you lead",
                "No action in the plans you lead is overdue.",
                overdue_actions_in_plans_led_by(user, today=today),
                overdue_action_item,
                url=f"{actions}?queue=overdue",
                noun="overdue actions",
            ),
            queue(
                "Your referrals to children's social care",
                "You have no draft referrals and none sent in the last 90 days.",
                referral_selectors.referrals_made_by(user),
                own_referral_item,
                url=f"{reverse('referrals:referral_list')}?queue=made",
                noun="your referrals",
            ),
            queue(
                "Actions due",
                "You have no actions due in the next 14 days.",
                actions_due_for(user, by=today + timedelta(days=14)),
                action_due_item,
                url=f"{actions}?queue=due",
                noun="actions due",
            ),
        ],
    )


COUNCILS_COMPARED_LINK = (
    "The councils compared: CAFs per 10,000 children and who starts them",
    "referrals:councils_compared",
)


def _councils_compared_link(user: User) -> list[tuple[str, str]]:
    """The comparison across councils, for those it is open to (referrals.policies): a council's
    figures' people once their council agreed to share."""
    return [COUNCILS_COMPARED_LINK] if referral_policies.may_compare_councils(user) else []


def _service_administrator_section(user: User) -> HomeSection:
    """A service administrator (a superuser) holds no council role: their section links to what only
    they see across the instance."""
    return HomeSection(
        role=None,
        heading="Across the service's councils",
        queues=[],
        links=[COUNCILS_COMPARED_LINK, ("Councils and their settings", "admin:accounts_localauthority_changelist")],
    )


def _caf_administrator_section(user: User, shown: set[int]) -> HomeSection:
    """The council's CAF administration queues, kept ready for the council's CAF administrators
    (home.ready: one person's are another's unless an exclusion names them)."""
    kept = _kept_queues(CAF_ADMINISTRATION, user, shown)
    return HomeSection(
        role=Role.CAF_ADMINISTRATOR,
        heading="CAF administration",
        queues=kept.queues,
        queues_html=kept.html,
        links=[
            ("Possible duplicate records", "caf:possible_duplicates"),
            ("Subject access requests", "caf:subject_access_requests"),
            ("Sharing decisions: shares without consent and decisions not to share", "caf:sharing_decisions"),
            ("The step-down pick-up queue", "referrals:pick_up_queue"),
            ("The council's figures: CAFs, referrals, step-downs, reviews", "referrals:council_figures"),
            *_councils_compared_link(user),
            ("Step-downs per month, by transfer point", "referrals:step_down_figures"),
        ],
    )


def _caf_administrator_queues(user: User, shown: set[int]) -> list[WorkQueue]:
    queue = _Queues(shown)
    calendar = WorkingCalendar.for_council(user.council)
    pick_up = reverse("referrals:pick_up_queue")
    return [
        queue(
            "New CAFs to register",
            "There are no new CAFs to register.",
            cafs_to_register(user),
            _caf_item("caf:caf_register"),
            url=_caf_list("to-register"),
            noun="CAFs to register",
        ),
        queue(
            "CAFs without a lead professional",
            "Every active CAF has a lead professional.",
            cafs_without_lead(user),
            _caf_item("caf:lead_professional"),
            url=_caf_list("without-lead"),
            noun="CAFs without a lead professional",
        ),
        queue(
            "Lead professional changes to log",
            "There are no lead professional changes to log.",
            cafs_with_lead_to_log(user),
            _caf_item("caf:lead_professional"),
            url=_caf_list("lead-to-log"),
            noun="lead professional changes to log",
        ),
        queue(
            "Reviews overdue",
            "No reviews are overdue.",
            reviews_overdue_in_council(user),
            partial(review_item, record=False),
            url=_caf_list("council-reviews-overdue"),
            noun="overdue reviews",
        ),
        queue(
            "Step-downs from social care to pick up",
            "No family is waiting to be picked up from children's social care.",
            referral_selectors.step_downs_to_pick_up(user),
            lambda step_down: step_down_item(step_down, calendar),
            url=f"{pick_up}?queue=waiting",
            noun="step-downs to pick up",
        ),
        queue(
            "Step-downs waiting for a lead professional",
            "Every step-down picked up has a lead professional.",
            referral_selectors.step_downs_waiting_for_lead(user),
            lambda step_down: step_down_item(
                step_down, calendar, url=reverse("caf:lead_professional", args=[step_down.picked_up_caf_id])
            ),
            url=f"{pick_up}?queue=waiting-for-lead",
            noun="step-downs waiting for a lead professional",
        ),
        queue(
            "Possible duplicate records",
            "There are no possible duplicate records to check.",
            possible_duplicates_open(user),
            possible_duplicate_item,
            url=reverse("caf:possible_duplicates"),
            noun="possible duplicate records",
        ),
    ]


def _social_care_manager_section(user: User, shown: set[int]) -> HomeSection:
    """The council's front-door queues, kept ready for its front-door managers (home.ready: the
    queues apply no exclusion, so every manager's are the same)."""
    kept = _kept_queues(FRONT_DOOR, user, shown)
    return HomeSection(
        role=Role.SOCIAL_CARE_MANAGER,
        heading="Children's social care decisions",
        queues=kept.queues,
        queues_html=kept.html,
        links=[
            ("The front-door queue, with filters", "referrals:front_door"),
            ("Sharing decisions: shares without consent and decisions not to share", "caf:sharing_decisions"),
            ("The council's figures: CAFs, referrals, step-downs, reviews", "referrals:council_figures"),
            *_councils_compared_link(user),
            ("Step-downs per month, by transfer point", "referrals:step_down_figures"),
        ],
    )


def _social_care_manager_queues(user: User, shown: set[int]) -> list[WorkQueue]:
    queue = _Queues(shown)
    calendar = WorkingCalendar.for_council(user.council)
    return [
        queue(
            "Step-up referrals awaiting a decision",
            "There are no referrals awaiting a decision.",
            referral_selectors.front_door_queue(user),
            lambda referral: front_door_item(referral, calendar),
            url=reverse("referrals:front_door"),
            noun="referrals awaiting a decision",
        ),
        queue(
            "Step-downs waiting to be picked up by early help",
            "Every step-down has been picked up.",
            referral_selectors.step_downs_open_from_social_care(user),
            lambda step_down: step_down_item(step_down, calendar),
            url=f"{reverse('referrals:pick_up_queue')}?queue=open",
            noun="step-downs waiting for early help",
        ),
        queue(
            "Decided in the last 7 days",
            "No referral has been decided in the last 7 days.",
            referral_selectors.referrals_decided_recently(user),
            decided_item,
            url=f"{reverse('referrals:referral_list')}?queue=decided",
            noun="referrals decided in the last 7 days",
        ),
    ]


def _social_worker_section(user: User, shown: set[int]) -> HomeSection:
    queue = _Queues(shown)
    return HomeSection(
        role=Role.SOCIAL_WORKER,
        heading="Your social-work-led cases",
        queues=[
            queue(
                "Families you are lead professional for",
                "You are not lead professional for any family.",
                cafs_led_by(user),
                _caf_item("caf:plan"),
                url=_caf_list("led"),
                noun="families you lead",
            ),
            queue(
                "Families the front door allocated to you",
                "The front door has not allocated a family to you.",
                referral_selectors.referrals_allocated_to(user),
                allocated_item,
                url=f"{reverse('referrals:referral_list')}?queue=allocated",
                noun="families allocated to you",
            ),
            queue(
                "Reviews due",
                "You have no reviews due.",
                reviews_due_for(user),
                partial(review_item, record=True),
                url=_caf_list("reviews-due"),
                noun="reviews due",
            ),
        ],
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
                [role_change_item(change) for change in role_changes_recent(user)],
            ),
        ],
        figures=[
            ("Localities", Locality.objects.for_council(council_id).count()),
            ("Agencies", Agency.objects.for_council(council_id).count()),
            ("Active users", users["active"]),
        ],
        links=[
            ("The council's figures: CAFs, referrals, step-downs, reviews", "referrals:council_figures"),
            *_councils_compared_link(user),
            ("The council's social care return: referrals each month", "referrals:social_care_return"),
            ("Council settings and working calendar", "admin:accounts_localauthority_changelist"),
            ("Localities", "admin:accounts_locality_changelist"),
            ("Agencies", "admin:accounts_agency_changelist"),
            ("Users and their roles", "admin:accounts_user_changelist"),
            ("Every role change", "admin:accounts_rolechange_changelist"),
            ("Threshold model: versions, drafts and publishing", "thresholds:manage"),
        ],
    )


def _caf_administrators_alike(user: User) -> bool:
    """A council's CAF administrators see every CAF of it, less what an exclusion naming them keeps
    from them (Settled question 16): alike unless one does (one query)."""
    named = (
        perms.exclusions_naming(user)
        .values("pk")
        .union(referral_selectors.step_down_exclusions_naming(user).values("pk"))
    )
    return caf_policies.is_caf_administrator(user, user.council_id) and not named.exists()


def _front_door_managers_alike(user: User) -> bool:
    """The front-door queues apply no exclusion: alike for the council's front-door managers, whom the
    referrals policy names (a manager's role given outside children's social care sees none of them)."""
    return referral_policies.is_front_door_manager(user, user.council_id)


# The sections kept ready. The CAF administrators' deadlines and overdue reviews are in days: kept for
# the day. A front-door decision's deadline is in hours and minutes: kept for the minute.
_KINDS: dict[str, _Kind] = {
    CAF_ADMINISTRATION: _Kind(_caf_administrators_alike, _caf_administrator_queues, False, caf_administrators),
    FRONT_DOOR: _Kind(
        _front_door_managers_alike, _social_care_manager_queues, True, referral_selectors.front_door_managers
    ),
}


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
    if user.is_superuser:
        sections.append(_service_administrator_section(user))
    if shown:
        access_log_write(user=user, action=AccessLog.Action.VIEW, what="Viewed the home page", child_ids=shown)
    return sections


def break_glass_reviews_waiting(user: User) -> CappedCount | None:
    """How many uses of break-glass wait for this person's review (an agency manager's, the early help
    lead's, or a CAF administrator's where nobody was given it; a partner council's manager's too), with
    the queues' cap ("more than 100"); None when there are none. One query, whatever their number; it
    names no child, so the page's access-log row is unchanged."""
    if user.council_id is None:
        return None
    count = capped_count(break_glass_to_review(user), cap=QUEUE_COUNT_CAP)
    return count if count.found else None
