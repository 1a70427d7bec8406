"""Home queues kept ready (issue 13): a council's CAF administrators share one set of queues, and so do
its front-door managers; counting them for each person was most of the county's slowest pages (a
CAF administrator's home page, seven permission-filtered queues with their counts: about 90 ms).

Each web process keeps, per council and section, the section it last built and what it was built
from (`Stamp`): the council's `QueuesVersion`, this process's own count of changes, the day and the
minute. A page whose stamp matches is shown from what was kept; any difference builds it again.

- **A change** to what the queues show (a CAF, its children, lead professional or team; a child's
  name; a referral or step-down; a possible duplicate) raises this process's count at once and, once
  its transaction commits, the council's version, which every other process reads with the page
  (`queues_changed`, from the models' signals in home.apps and from the services' bulk changes
  through core.signals.queues_changed).
- **The clock**: the front-door queues keep nothing longer than the minute they were built in (a
  decision's deadline is in hours and minutes, and "decided in the last 7 days" moves on its own); the
  CAF administrators' keep for the day (their deadlines and overdue reviews are in days).
- **Only people whose queues are alike share them**, which home.selectors decides from the apps'
  own rules: the role's policy (`caf.policies.is_caf_administrator`, `referrals.policies.
  is_front_door_manager`), and for a CAF administrator no exclusion in force naming them or their
  agency (`caf.permissions.exclusions_naming`, `referrals.selectors.step_down_exclusions_naming`; the
  family's deny is their only difference). Anyone else gets their own queues counted every time.
- **The access log** still gets one row per page with the children it names (Settled question 17).

Only what the page shows is kept (labels, links, clocks, counts and the children's ids for the log),
in the process's memory, at most two sections per council, for at most a day.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar, cast

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from accounts.models import Agency, User
from caf.models import (
    Caf,
    CafChild,
    Child,
    LeadProfessionalAssignment,
    PossibleDuplicate,
    TeamAroundFamilyMember,
)
from core import signals
from home.models import QueuesVersion
from referrals.models import Referral, StepDown

CAF_ADMINISTRATION = "caf_administration"
FRONT_DOOR = "front_door"

T = TypeVar("T")


@dataclass(frozen=True)
class Stamp:
    version: int  # the council's QueuesVersion: changes committed in any process
    changes: int  # this process's count of the council's changes, raised before they commit
    day: date
    minute: datetime | None  # None: kept for the day


@dataclass(frozen=True)
class _Kept:
    stamp: Stamp
    built: object  # the section, as home.selectors built it
    child_ids: frozenset[int]


_lock = threading.Lock()
_kept: dict[tuple[str, int], _Kept] = {}
_changes: dict[int, int] = {}


def queues_changed(council_id: int | None) -> None:
    """Something a council's home queues show has changed: this process builds them again from its next
    page, and once the change commits, so does every other process."""
    if council_id is None:
        return
    with _lock:
        _changes[council_id] = _changes.get(council_id, 0) + 1
    # robust: the change has committed; were the raise to fail, other processes would count the
    # queues again within the minute anyway, and the person who made the change must not see an error.
    transaction.on_commit(partial(version_raise, council_id), robust=True)


def version_raise(council_id: int) -> None:
    """Every process counts the council's queues again from its next page. Run on its own, after the
    change committed: one short statement, never inside the change."""
    table = QueuesVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (council_id, version) VALUES (%s, 1)"  # noqa: S608 (the model's table)
            f" ON CONFLICT (council_id) DO UPDATE SET version = {table}.version + 1",
            [council_id],
        )


def _version(council_id: int) -> int:
    return QueuesVersion.objects.filter(council_id=council_id).values_list("version", flat=True).first() or 0


def ready_section(
    kind: str,
    user: User,
    build: Callable[[set[int]], T],
    *,
    alike: bool,
    by_the_minute: bool,
) -> tuple[T, set[int]]:
    """The section `build` makes for the user (it notes the children it names in the set it is given),
    from what this process kept for the user's council when nothing it shows has changed since, else
    built now and kept. `alike`: whether the user's section is the one every person of the role in the
    council sees, which the caller decides from the apps' own rules (the role's policy, and no
    exclusion naming them: caf.permissions.exclusions_naming); otherwise it is built for them alone,
    never kept or shared. `by_the_minute`: whether what it shows moves with the clock within a day (a
    deadline in hours). Returns the section and the children it names, for the page's access-log row."""
    if not alike or user.council_id is None:  # their own view of the council: never kept, never shared
        shown: set[int] = set()
        return build(shown), shown
    version = _version(user.council_id)
    now = timezone.localtime()
    key = (kind, user.council_id)
    with _lock:
        minute = now.replace(second=0, microsecond=0) if by_the_minute else None
        stamp = Stamp(version, _changes.get(user.council_id, 0), now.date(), minute)
        kept = _kept.get(key)
    if kept is not None and kept.stamp == stamp:
        return cast(T, kept.built), set(kept.child_ids)
    shown = set()
    built = build(shown)  # from the data as it is now: the stamp was read before
    with _lock:
        _kept[key] = _Kept(stamp, built, frozenset(shown))
    return built, shown


def forget_all() -> None:
    """Drop what this process kept (the tests' fixture between tests, and the benchmark's first visit)."""
    with _lock:
        _kept.clear()


# What the kept queues show, and how to find the council of a change to it -------------------------


def _council_of(instance: Model) -> int | None:
    council_id: int | None = getattr(instance, "council_id", None)
    if council_id is not None or not isinstance(
        instance, CafChild | LeadProfessionalAssignment | TeamAroundFamilyMember
    ):
        return council_id
    if type(instance).caf.is_cached(instance):  # the services pass the CAF they changed: no query
        return instance.caf.council_id
    return Caf.objects.filter(pk=instance.caf_id).values_list("council_id", flat=True).first()


def _saved_or_deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loading fixtures: nothing is shown yet
        return
    fields = kwargs.get("update_fields")
    if fields and set(fields) <= UNSHOWN.get(sender, set()):  # the assessment's text and levels, typed often
        return
    queues_changed(_council_of(instance))


def _children_changed(sender: type[Model], instance: Model, action: str, **kwargs: object) -> None:
    # A referral's or step-down's children, from either side: both the row and a child have a council.
    if action in ("post_add", "post_remove", "post_clear"):
        queues_changed(getattr(instance, "council_id", None))


def _sent(sender: object, council_id: int | None = None, **kwargs: object) -> None:
    queues_changed(council_id)


# The models whose rows the kept queues list, label or count, and the people and agencies they name.
SHOWN: tuple[type[Model], ...] = (
    User,
    Agency,
    Caf,
    CafChild,
    Child,
    LeadProfessionalAssignment,
    TeamAroundFamilyMember,
    Referral,
    StepDown,
    PossibleDuplicate,
)


# Fields of those rows that no kept queue reads: a save of only these changes nothing the queues show.
# They are what a practitioner saves most (the assessment as it is written, each child's level).
UNSHOWN: dict[type[Model], set[str]] = {
    Caf: {
        "views_of_child",
        "views_of_family",
        "assessment_version",
        "assessment_saved_at",
        "assessment_saved_by",
        "assessment_submitted_at",
    },
    CafChild: {"extra_unmet_needs", "suggested_level", "suggestion_reasons", "level", "level_reason"},
    User: {"last_login", "password", "email", "is_staff"},  # every sign-in saves last_login
}


def connect() -> None:
    """From HomeConfig.ready(): every save and delete of what the queues show, the referrals' and
    step-downs' children, and the services' bulk changes (core.signals.queues_changed)."""
    for model in SHOWN:
        post_save.connect(_saved_or_deleted, sender=model, dispatch_uid=f"home-ready-save-{model.__name__}")
        post_delete.connect(_saved_or_deleted, sender=model, dispatch_uid=f"home-ready-delete-{model.__name__}")
    for through in (Referral.children.through, StepDown.children.through):
        m2m_changed.connect(_children_changed, sender=through, dispatch_uid=f"home-ready-m2m-{through.__name__}")
    signals.queues_changed.connect(_sent, dispatch_uid="home-ready-bulk")
