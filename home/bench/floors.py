"""Each permission-filtered list beside its floor and beside django-guardian, in the same run, on the
same rows and page (Settled question 28).

- The list: the project's own selector, asked for its first page of ids in its own order: the SQL
  the ORM makes of it, timed as SQL (compiled once, then executed), and the same through the ORM
  (building and compiling the queryset each time, as a page does); its count (which the page also
  shows) is timed on its own, through the ORM.
- The floor: one hand-written SQL query returning the same first page of ids, the least any
  implementation has to ask of PostgreSQL.
- guardian: `get_objects_for_user(user, "caf.view_caf", klass=Caf, accept_global_perms=False)` with
  the same filters, order and page: the common practice. For grant-based lists only (a CAF
  administrator's lists come from their role, not from grants). guardian knows nothing of a grant's
  `valid_until`, so it also returns ended grants: its rows can be more than the list's. It is slow
  at county size (seconds a call), so it is measured for the first GUARDIAN_PEOPLE people of a role
  and at most twice each, after its warm-up."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from guardian.shortcuts import get_objects_for_user

from accounts.models import Role, User
from caf import selectors
from caf.models import Caf, LeadProfessionalAssignment, TeamAroundFamilyMember
from caf.permissions import VIEW, cafs_visible_to, excluded_from
from home.bench.measure import percentile

T = TypeVar("T")
_GRANTED = """
    SELECT content_object_id FROM caf_cafuserobjectpermission
     WHERE user_id = %(user)s AND permission_id = %(permission)s
       AND COALESCE(valid_until, 'infinity'::timestamptz) > now()
    UNION
    SELECT g.content_object_id FROM caf_cafgroupobjectpermission g
      JOIN accounts_user_groups ug ON ug.group_id = g.group_id AND ug.user_id = %(user)s
     WHERE g.permission_id = %(permission)s AND COALESCE(g.valid_until, 'infinity'::timestamptz) > now()
"""
_NOT_EXCLUDED = """
    c.id NOT IN (
        SELECT e.caf_id FROM caf_familyexclusion e
         WHERE e.lifted_at IS NULL AND (e.user_id = %(user)s OR e.agency_id = %(agency)s)
           AND NOT EXISTS (
               SELECT 1 FROM caf_exclusionexception x
                WHERE x.caf_id = e.caf_id AND x.ended_at IS NULL
                  AND ((e.user_id IS NOT NULL AND x.user_id = %(user)s)
                       OR (e.agency_id IS NOT NULL AND x.agency_id = %(agency)s))))
"""
_MEMBER = (
    "EXISTS (SELECT 1 FROM caf_teamaroundfamilymember m"
    " WHERE m.caf_id = c.id AND m.user_id = %(user)s AND m.left_at IS NULL)"
)
_LEADS = (
    "EXISTS (SELECT 1 FROM caf_leadprofessionalassignment l"
    " WHERE l.caf_id = c.id AND l.user_id = %(user)s AND l.ended_at IS NULL)"
)
_NO_LEAD = "NOT EXISTS (SELECT 1 FROM caf_leadprofessionalassignment l WHERE l.caf_id = c.id AND l.ended_at IS NULL)"


@dataclass(frozen=True)
class ListSpec:
    """One permission-filtered list: the project's selector, the floor's extra conditions, and the
    same conditions for guardian's queryset."""

    name: str
    roles: tuple[Role, ...]
    selector: Callable[[User], QuerySet[Caf]]
    floor_where: str
    guardian_filter: Callable[[QuerySet[Caf], User], QuerySet[Caf]]
    page_size: int


def _member(user: User) -> Exists:
    return Exists(TeamAroundFamilyMember.objects.filter(caf=OuterRef("pk"), user=user, left_at__isnull=True))


def _leads(user: User) -> Exists:
    return Exists(LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), user=user, ended_at__isnull=True))


GUARDIAN_PEOPLE = 5
_GRANT_ROLES = (Role.PRACTITIONER, Role.SOCIAL_CARE_MANAGER, Role.SOCIAL_WORKER)
_ACTIVE = Caf.Status.ACTIVE
LISTS = [
    ListSpec(
        "CAF list",
        (*_GRANT_ROLES, Role.CAF_ADMINISTRATOR),
        # caf.selectors.caf_list_page's rows and order, without its prefetches and its access-log row.
        lambda user: cafs_visible_to(user).order_by("-created_at", "-pk"),
        "TRUE",
        lambda cafs, user: cafs,
        selectors.CAF_LIST_PAGE_SIZE,
    ),
    ListSpec(
        "Home: CAFs you are on the team of",
        (Role.PRACTITIONER, Role.SOCIAL_WORKER),
        selectors.tafs_of,
        f"c.status = 'active' AND {_MEMBER}",
        lambda cafs, user: cafs.filter(_member(user), status=_ACTIVE),
        20,
    ),
    ListSpec(
        "Home: CAFs you lead",
        (Role.PRACTITIONER, Role.SOCIAL_WORKER),
        selectors.cafs_led_by,
        f"c.status = 'active' AND {_LEADS}",
        lambda cafs, user: cafs.filter(_leads(user), status=_ACTIVE),
        20,
    ),
    ListSpec(
        "Home: your drafts",
        (Role.PRACTITIONER,),
        selectors.drafts_of,
        "c.status = 'draft' AND c.initiated_by_id = %(user)s",
        lambda cafs, user: cafs.filter(status=Caf.Status.DRAFT, initiated_by=user),
        20,
    ),
    ListSpec(
        "Home: CAFs to register",
        (Role.CAF_ADMINISTRATOR,),
        selectors.cafs_to_register,
        "c.status = 'active' AND c.registered_at IS NULL",
        lambda cafs, user: cafs.filter(status=_ACTIVE, registered_at__isnull=True),
        20,
    ),
    ListSpec(
        "Home: CAFs without a lead professional",
        (Role.CAF_ADMINISTRATOR,),
        selectors.cafs_without_lead,
        f"c.status = 'active' AND {_NO_LEAD}",
        lambda cafs, user: cafs.filter(status=_ACTIVE).exclude(
            Exists(LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), ended_at__isnull=True))
        ),
        20,
    ),
]


def order_sql(cafs: QuerySet[Caf]) -> str:
    """The list's own order as SQL over `c` (so the floor pages the same rows), read from the
    selector's queryset: its field names, each maybe descending; the newest first if it has none."""
    terms = [term for term in cafs.query.order_by if isinstance(term, str)] or ["-created_at", "-pk"]
    columns = []
    for term in terms:
        name = term.lstrip("-")
        field = Caf._meta.get_field(name) if name != "pk" else Caf._meta.pk
        column = getattr(field, "column", "id")
        columns.append(f"c.{column} {'DESC' if term.startswith('-') else 'ASC'}")
    return ", ".join(columns)


def floor_sql(spec: ListSpec, *, by_role: bool, order: str) -> str:
    """The floor: the first page of ids, in one query."""
    driving = "" if by_role else f"JOIN ({_GRANTED}) granted(id) USING (id)"
    # Built from this module's own constant fragments and the model's column names; values are parameters.
    return (
        f"SELECT c.id FROM caf_caf c {driving}"  # noqa: S608
        f" WHERE c.council_id = %(council)s AND {_NOT_EXCLUDED} AND {spec.floor_where}"
        f" ORDER BY {order} LIMIT %(limit)s"
    )


def _ids(cafs: QuerySet[Caf]) -> QuerySet[Caf, int]:
    return cafs.prefetch_related(None).select_related(None).values_list("pk", flat=True)


def _timed(run: Callable[..., T], *args: object, repeat: int) -> tuple[list[float], T]:
    result = run(*args)  # warm-up
    times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run(*args)
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def _floor(sql: str, params: dict[str, int | None]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _selector_page(spec: ListSpec, user: User) -> list[int]:
    return list(_ids(spec.selector(user))[: spec.page_size])


def _selector_sql(sql: str, params: tuple[Any, ...]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _selector_count(spec: ListSpec, user: User) -> int:
    return _ids(spec.selector(user)).count()


def _guardian_page(spec: ListSpec, user: User) -> list[int]:
    return list(_ids(_guardian(spec, user))[: spec.page_size])


def compare_list(spec: ListSpec, role: Role, users: list[User], *, repeat: int) -> dict[str, object]:
    """The list, its floor and (for grant-based roles) guardian, for each user, `repeat` times each."""
    by_role = role == Role.CAF_ADMINISTRATOR
    permission_id = Permission.objects.get(content_type__app_label="caf", codename=VIEW.split(".")[1]).pk
    sql = floor_sql(spec, by_role=by_role, order=order_sql(spec.selector(users[0]))) if users else ""
    samples: dict[str, list[float]] = {"list": [], "orm": [], "count": [], "floor": [], "guardian": []}
    same_rows, guardian_same, sizes = 0, 0, []
    for user in users:
        params = {"user": user.pk, "agency": user.agency_id, "council": user.council_id}
        params |= {"permission": permission_id, "limit": spec.page_size}
        orm_times, list_ids = _timed(_selector_page, spec, user, repeat=repeat)
        page_sql, page_params = _ids(spec.selector(user))[: spec.page_size].query.sql_with_params()
        list_times, sql_ids = _timed(_selector_sql, page_sql, page_params, repeat=repeat)
        samples["orm"] += orm_times
        count_times, count = _timed(_selector_count, spec, user, repeat=repeat)
        floor_times, floor_ids = _timed(_floor, sql, params, repeat=repeat)
        samples["list"] += list_times
        samples["count"] += count_times
        samples["floor"] += floor_times
        sizes.append(count)
        same_rows += list_ids == floor_ids == sql_ids
        if not by_role and users.index(user) < GUARDIAN_PEOPLE:
            guardian_times, guardian_ids = _timed(_guardian_page, spec, user, repeat=min(repeat, 2))
            samples["guardian"] += guardian_times
            guardian_same += guardian_ids == list_ids
    return _summary(spec, role, users, samples, same_rows, guardian_same, sizes, by_role, sql)


def _guardian(spec: ListSpec, user: User) -> QuerySet[Caf]:
    cafs = get_objects_for_user(user, VIEW, klass=Caf, accept_global_perms=False)
    cafs = cafs.filter(council_id=user.council_id).exclude(excluded_from(user))
    return spec.guardian_filter(cafs, user).order_by("-created_at", "-pk")


def _summary(
    spec: ListSpec,
    role: Role,
    users: list[User],
    samples: dict[str, list[float]],
    same_rows: int,
    guardian_same: int,
    sizes: list[int],
    by_role: bool,
    sql: str,
) -> dict[str, object]:
    def median(name: str) -> float | None:
        return round(statistics.median(samples[name]), 2) if samples[name] else None

    figures = {name: median(name) for name in samples}
    list_ms, floor_ms, guardian_ms, orm_ms = figures["list"], figures["floor"], figures["guardian"], figures["orm"]
    return {
        "list": spec.name,
        "role": role.value,
        "people": len(users),
        "rows_median": statistics.median(sizes) if sizes else 0,
        "rows_max": max(sizes, default=0),
        "list_ms": list_ms,
        "list_p95_ms": round(percentile(samples["list"], 95), 2) if samples["list"] else None,
        "orm_ms": figures["orm"],
        "count_ms": figures["count"],
        "floor_ms": floor_ms,
        "list_per_floor": round(list_ms / floor_ms, 2) if list_ms and floor_ms else None,
        "guardian_ms": guardian_ms,
        # Like with like: both through the ORM (guardian's queryset is built and compiled each time too).
        "guardian_per_list": round(guardian_ms / orm_ms, 2) if guardian_ms and orm_ms else None,
        "same_rows_as_floor": f"{same_rows}/{len(users)}",
        "guardian_same_rows": None if by_role else f"{guardian_same}/{min(len(users), GUARDIAN_PEOPLE)}",
        "floor_sql": " ".join(sql.split()),
    }
