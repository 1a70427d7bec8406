"""Who the benchmark measures and which pages each of them opens.

People: up to N active users of each role, chosen deterministically (spread evenly over the role's
users in id order, so a generated county's busy and quiet people both appear). Pages: the ones a
person of that role opens first; a page's address is worked out from what that person may see (the
newest CAF they may open, its first child), so the harness needs no knowledge of the data."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from caf.models import Caf, CafChild
from caf.permissions import cafs_visible_to

ROLES = [
    Role.PRACTITIONER,
    Role.CAF_ADMINISTRATOR,
    Role.SOCIAL_CARE_MANAGER,
    Role.SOCIAL_WORKER,
    Role.COUNCIL_ADMINISTRATOR,
]


@dataclass(frozen=True)
class Page:
    """A page of the service: its name in the report, and how to address it for one person (None
    when there is nothing for them to open, e.g. no CAF they may see)."""

    name: str
    url_for: Callable[["Subject"], str | None]
    # A list, queue or home page (the 50 ms goal) rather than one record's page (the 60 ms goal).
    is_list: bool = True
    # A goal of the page's own instead (the council's figures: 500 ms for a year, issue 16).
    goal_ms: int | None = None
    # In the load run's journeys: not a page people open every few seconds (the figures).
    in_load_run: bool = True
    # Each request as the first after a change (home.ready): "read", the web process holds nothing, so
    # the page reads the queues a worker counted from the table; "counted", the worker has not counted
    # them yet either, so the page counts them itself.
    afresh: str = ""


@dataclass
class Subject:
    """One measured person and the records their pages are about."""

    user: User
    role: Role
    caf_id: int | None
    child_id: int | None
    child_name: tuple[str, str] | None


def people(role: Role, limit: int) -> list[User]:
    """Up to `limit` active users holding `role`, spread evenly over the role's users by id."""
    ids = list(
        User.objects.filter(is_active=True, groups__name=role.value, agency__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    if len(ids) > limit:
        step = len(ids) / limit
        ids = [ids[int(index * step)] for index in range(limit)]
    by_id = User.objects.select_related("agency").in_bulk(ids)
    return [by_id[pk] for pk in ids]


def subject_for(user: User, role: Role) -> Subject:
    """The person with the newest active (else any) CAF they may see that has a child."""
    has_child = Exists(CafChild.objects.filter(caf=OuterRef("pk")))
    visible = cafs_visible_to(user).filter(has_child).order_by("-created_at", "-pk")
    caf = visible.filter(status=Caf.Status.ACTIVE).first() or visible.first()
    link = CafChild.objects.filter(caf=caf).select_related("child").order_by("pk").first() if caf else None
    return Subject(
        user=user,
        role=role,
        caf_id=caf.pk if caf else None,
        child_id=link.child_id if link else None,
        child_name=(link.child.first_name, link.child.last_name) if link else None,
    )


def _fixed(name: str) -> Callable[[Subject], str | None]:
    return lambda subject: reverse(name)


def _caf(subject: Subject) -> str | None:
    return reverse("caf:caf_detail", args=[subject.caf_id]) if subject.caf_id else None


def _child(subject: Subject) -> str | None:
    return reverse("caf:child_detail", args=[subject.child_id]) if subject.child_id else None


def _access_log(subject: Subject) -> str | None:
    return reverse("caf:child_access_log", args=[subject.child_id]) if subject.child_id else None


def _find(subject: Subject) -> str | None:
    if not subject.child_name:
        return None
    first, last = subject.child_name
    return f"{reverse('caf:child_find')}?{urlencode({'first_name': first, 'last_name': last})}"


def _figures_for_a_year(subject: Subject) -> str | None:
    """The council's figures for the last 12 months, to this one (issue 16: "a year of a county's
    figures answers in under half a second")."""
    this_month = timezone.localdate().replace(day=1)
    first = this_month - relativedelta(months=11)
    query = urlencode({"from_month": f"{first:%Y-%m}", "to_month": f"{this_month:%Y-%m}"})
    return f"{reverse('referrals:council_figures')}?{query}"


FIGURES_GOAL_MS = 500

HOME = Page("Home page", _fixed("home"))
# The busiest people's home pages share the council's queues, kept ready (home.ready): after a change a
# worker counts them and each web process reads them once from the table; a page that comes before the
# worker has counted counts them itself. The load run has that mix; these rows are each case alone.
HOME_AFRESH = Page("Home page, the first after a change", _fixed("home"), afresh="read", in_load_run=False)
HOME_COUNTED = Page("Home page, before the worker has counted", _fixed("home"), afresh="counted", in_load_run=False)
CAF_LIST = Page("CAF list", _fixed("caf:caf_list"))
FRONT_DOOR = Page("Front-door queue", _fixed("referrals:front_door"))
PICK_UP = Page("Pick-up queue (step-downs)", _fixed("referrals:pick_up_queue"))
NOTIFICATIONS = Page("Notifications", _fixed("notifications"))
CAF_PAGE = Page("A CAF's page", _caf, is_list=False)
CHILD_PAGE = Page("A child's page (chronology)", _child, is_list=False)
ACCESS_LOG = Page("A child's access log", _access_log, is_list=False)
FIND = Page("Find a child", _find, is_list=False)
FIGURES = Page(
    "The council's figures, a year", _figures_for_a_year, is_list=False, goal_ms=FIGURES_GOAL_MS, in_load_run=False
)

# What each role opens first (config/urls.py and each app's urls).
PAGES_BY_ROLE: dict[Role, list[Page]] = {
    Role.PRACTITIONER: [HOME, CAF_LIST, CAF_PAGE, CHILD_PAGE, FIND, NOTIFICATIONS],
    Role.CAF_ADMINISTRATOR: [
        HOME,
        HOME_AFRESH,
        HOME_COUNTED,
        CAF_LIST,
        PICK_UP,
        CAF_PAGE,
        CHILD_PAGE,
        ACCESS_LOG,
        FIND,
        NOTIFICATIONS,
        FIGURES,
    ],
    Role.SOCIAL_CARE_MANAGER: [
        HOME,
        HOME_AFRESH,
        HOME_COUNTED,
        FRONT_DOOR,
        CAF_LIST,
        CAF_PAGE,
        CHILD_PAGE,
        FIND,
        NOTIFICATIONS,
    ],
    Role.SOCIAL_WORKER: [HOME, CAF_LIST, CAF_PAGE, CHILD_PAGE, FIND, NOTIFICATIONS],
    Role.COUNCIL_ADMINISTRATOR: [HOME, NOTIFICATIONS, FIGURES],
}
