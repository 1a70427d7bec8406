"""Home queues kept ready (issue 13): a council's CAF administrators share one set of queues, and so do
its front-door managers; counting them for each person was most of the county's slowest pages (a
CAF administrator's home page, seven permission-filtered queues with their counts: about 90 ms).

What a council's queues show is counted once and kept in the database (`KeptQueues`: the queues, their
HTML and the children they name), with the council's `QueuesVersion` it was counted at and when:

- **A change** to what the queues show (a CAF, its children, lead professional or team; a child's
  name; a referral or step-down; a possible duplicate; a person's or agency's name) raises the
  council's version once its transaction commits, and asks a worker to count the queues again
  (`home.tasks.kept_queues_count`), so the people who open them find them counted. It comes from the
  models' signals (`connect`) and from the services' bulk changes (core.signals.queues_changed).
- **A page** reads the council's version with the kept queues' version and time (one query), and
  shows them when they match and are of this day (the CAF administrators': their deadlines and
  overdue reviews are in days) or of this minute (the front door's: a decision's deadline is in hours
  and minutes, and "decided in the last 7 days" moves on its own). Otherwise it counts them itself and
  keeps them for the rest: the worker has not finished yet, the broker is down, or the day has turned.
  Each web process also holds the last set it read, so most pages read only the versions.
- **Within a transaction that has changed them** and not yet committed, the queues are counted for its
  pages and kept only in that process, under the process's own count of changes (`Stamp`): what the
  table holds cannot show a change not yet committed. (Every other request reads the table: a change
  another request has not committed is not theirs to see yet.)
- **Only people whose queues are alike share them**, which home.selectors decides from the apps'
  own rules: the role's policy (`caf.policies.is_caf_administrator`, `referrals.policies.
  is_front_door_manager`), and for a CAF administrator no exclusion in force naming them or their
  agency (`caf.permissions.exclusions_naming`, `referrals.selectors.step_down_exclusions_naming`; the
  family's deny is their only difference). Anyone else gets their own queues counted every time.
- **The access log** still gets one row per page with the children it names (Settled question 17).

Only what the page shows is kept (labels, links, clocks, counts and the children's ids for the log),
one row per council and role, replaced at each count.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar, cast

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from psycopg.types.json import Jsonb

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
from core.enqueue import enqueue_at_once
from home.models import KeptQueues, QueuesVersion
from referrals.models import Referral, StepDown

CAF_ADMINISTRATION = KeptQueues.Kind.CAF_ADMINISTRATION.value
FRONT_DOOR = KeptQueues.Kind.FRONT_DOOR.value

T = TypeVar("T")


@dataclass(frozen=True)
class Stamp:
    """What queues kept only in this process were counted from, while a change it made is uncommitted."""

    version: int  # the council's QueuesVersion: changes committed in any process
    changes: int  # this process's count of the council's changes, raised before they commit
    day: date
    minute: datetime | None  # None: kept for the day


@dataclass(frozen=True)
class Counted:
    """What a section's queues are kept as: plain data (JSON) and their HTML, and the children they
    name. home.selectors makes it from the queues (`dump`) and the queues again from it (`load`)."""

    queues: list[Any]
    html: str


@dataclass(frozen=True)
class _Kept:
    stamp: object  # a Stamp, or the kept row's (version, counted_at)
    built: object  # the section, as home.selectors built or loaded it
    child_ids: frozenset[int]


class _Versions(NamedTuple):
    council: int  # the council's QueuesVersion now
    kept: int | None  # the kept queues' version, None when none are kept
    counted_at: datetime | None


_lock = threading.Lock()
_kept: dict[tuple[str, int], _Kept] = {}
_changes: dict[int, int] = {}  # per council: the changes this process made


def queues_changed(council_id: int | None) -> None:
    """Something a council's home queues show has changed: this process counts them for its pages
    until the change commits; then the council's version is raised and a worker counts them again,
    once for all of a transaction's changes to the council."""
    if council_id is None:
        return
    with _lock:
        _changes[council_id] = _changes.get(council_id, 0) + 1
    db = transaction.get_connection()
    if db.in_atomic_block:  # one step after the commit for the transaction's changes (and savepoint's)
        savepoints = set(db.savepoint_ids)
        if any(registered_in == savepoints for registered_in, _ in _steps_waiting(council_id)):
            return
    # robust: the change has committed; were the raise to fail, the next change's would do, and the
    # person who made the change must not see an error.
    transaction.on_commit(_Committed(council_id), robust=True)


def _steps_waiting(council_id: int) -> list[tuple[set[int], "_Committed"]]:
    """The steps this connection's open transaction holds for after its commit for the council, with
    the savepoints each was registered in (Django's `run_on_commit`: savepoint ids, callback, robust;
    a savepoint rolled back takes its own, and a rollback all of them)."""
    db = transaction.get_connection()
    if not db.in_atomic_block:
        return []
    return [
        (registered_in, step)
        for registered_in, step, _ in db.run_on_commit
        if isinstance(step, _Committed) and step.council_id == council_id and not step.done
    ]


class _Committed:
    """After a transaction that changed what a council's queues show has committed: raise the council's
    version and ask a worker to count them."""

    def __init__(self, council_id: int) -> None:
        self.council_id = council_id
        self.done = False  # run (a test's captured callbacks stay in Django's list once run)
        self.__qualname__ = "home.ready._Committed"  # Django names a failed robust callback by it

    def __call__(self) -> None:
        self.done = True
        version_raise(self.council_id)
        from home.tasks import kept_queues_count  # the task reads home.selectors, which reads this module

        enqueue_at_once(
            kept_queues_count, self.council_id, what="counting the home queues; the next home page counts them"
        )


def version_raise(council_id: int) -> None:
    """The kept queues are out of date from now: one short statement, run after the change committed,
    never inside it (no change waits on another council-wide row)."""
    table = QueuesVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (council_id, version) VALUES (%s, 1)"  # noqa: S608 (the model's table)
            f" ON CONFLICT (council_id) DO UPDATE SET version = {table}.version + 1",
            [council_id],
        )


def _versions(kind: str, council_id: int) -> _Versions:
    """The council's version and the kept queues' version and time, in one statement."""
    versions, kept = QueuesVersion._meta.db_table, KeptQueues._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE((SELECT version FROM {versions} WHERE council_id = %s), 0),"  # noqa: S608 (the models' tables)
            f" kept.version, kept.counted_at FROM (SELECT 1) one"
            f" LEFT JOIN {kept} kept ON kept.council_id = %s AND kept.kind = %s",
            [council_id, council_id, kind],
        )
        return _Versions(*cursor.fetchone())


def _fresh(versions: _Versions, now: datetime, *, by_the_minute: bool) -> bool:
    if versions.kept != versions.council or versions.counted_at is None:
        return False
    counted = timezone.localtime(versions.counted_at)
    if by_the_minute:
        return counted.replace(second=0, microsecond=0) == now.replace(second=0, microsecond=0)
    return counted.date() == now.date()


def _store(kind: str, council_id: int, version: int, counted_at: datetime, counted: Counted, shown: set[int]) -> None:
    """Keep what was counted, unless a count begun later has been kept already (one statement)."""
    table = KeptQueues._meta.db_table
    values: list[Any] = [council_id, kind, version, counted_at, Jsonb(counted.queues), counted.html, sorted(shown)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (council_id, kind, version, counted_at, queues, html, child_ids)"  # noqa: S608 (the model's table)
            " VALUES (%s, %s, %s, %s, %s, %s, %s::bigint[])"
            " ON CONFLICT (council_id, kind) DO UPDATE SET version = EXCLUDED.version,"
            " counted_at = EXCLUDED.counted_at, queues = EXCLUDED.queues, html = EXCLUDED.html,"
            f" child_ids = EXCLUDED.child_ids WHERE {table}.counted_at < EXCLUDED.counted_at",
            values,
        )


def ready_section(
    kind: str,
    user: User,
    build: Callable[[set[int]], T],
    dump: Callable[[T], Counted],
    load: Callable[[Counted], T],
    *,
    alike: bool,
    by_the_minute: bool,
) -> tuple[T, set[int]]:
    """The section `build` makes for the user (it notes the children it names in the set it is given),
    from the council's kept queues when nothing they show has changed since, else counted now and kept.
    `alike`: whether the user's section is the one every person of the role in the council sees, which
    the caller decides from the apps' own rules (the role's policy, and no exclusion naming them:
    caf.permissions.exclusions_naming); otherwise it is built for them alone, never kept or shared.
    `by_the_minute`: whether what it shows moves with the clock within a day (a deadline in hours).
    `dump` and `load` turn the section into what is kept and back. Returns the section and the children
    it names, for the page's access-log row."""
    if not alike or user.council_id is None:  # their own view of the council: never kept, never shared
        shown: set[int] = set()
        return build(shown), shown
    council_id = user.council_id
    now = timezone.localtime()
    versions = _versions(kind, council_id)
    key = (kind, council_id)
    with _lock:
        changes = _changes.get(council_id, 0)
        kept = _kept.get(key)
    if _steps_waiting(council_id):  # this transaction changed them and has not committed: never the table
        minute = now.replace(second=0, microsecond=0) if by_the_minute else None
        return _in_process(key, Stamp(versions.council, changes, now.date(), minute), build, kept)
    if _fresh(versions, now, by_the_minute=by_the_minute):
        if kept is not None and kept.stamp == (versions.kept, versions.counted_at):
            return cast(T, kept.built), set(kept.child_ids)
        row = KeptQueues.objects.filter(council_id=council_id, kind=kind).first()
        if row is not None and row.version == versions.council:
            built = load(Counted(row.queues, row.html))
            with _lock:
                _kept[key] = _Kept((row.version, row.counted_at), built, frozenset(row.child_ids))
            return built, set(row.child_ids)
    shown = set()
    built = build(shown)  # from the data as it is now: the version was read before
    _store(kind, council_id, versions.council, now, dump(built), shown)
    with _lock:
        _kept[key] = _Kept((versions.council, now), built, frozenset(shown))
    return built, shown


def _in_process(
    key: tuple[str, int], stamp: Stamp, build: Callable[[set[int]], T], kept: _Kept | None
) -> tuple[T, set[int]]:
    if kept is not None and kept.stamp == stamp:
        return cast(T, kept.built), set(kept.child_ids)
    shown: set[int] = set()
    built = build(shown)
    with _lock:
        _kept[key] = _Kept(stamp, built, frozenset(shown))
    return built, shown


def count_if_stale(
    kind: str,
    user: User,
    build: Callable[[set[int]], T],
    dump: Callable[[T], Counted],
    *,
    by_the_minute: bool,
) -> bool:
    """For the worker (home.tasks): count the council's queues of this kind as `user` sees them (one
    whom they are alike for) and keep them, unless what is kept is already up to date. Returns whether
    it counted."""
    council_id = cast(int, user.council_id)
    now = timezone.localtime()
    versions = _versions(kind, council_id)
    if _fresh(versions, now, by_the_minute=by_the_minute):
        return False
    shown: set[int] = set()
    _store(kind, council_id, versions.council, now, dump(build(shown)), shown)
    return True


def forget_all() -> None:
    """Drop what this process holds (the tests' fixture between tests, and the benchmark's first visit);
    what the table keeps stays."""
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
    # A bulk change may take names out of the records (the nightly anonymisation): what was kept of the
    # council goes in the same transaction, so no name outlives it in the table.
    if council_id is not None:
        KeptQueues.objects.filter(council_id=council_id).delete()
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
