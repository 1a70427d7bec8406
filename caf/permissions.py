"""Who may see a CAF: object permissions (django-guardian, direct foreign-key tables), and the
family's exclusions, a deny that beats every grant.

Granted and revoked only by the services, in the same transaction as the change that calls for
them (Settled question 3): a user grant while the user is the initiator, a current TAF member or
the lead professional; an agency-group grant while their agency is involved (the initiating agency,
or an agency with a current TAF member), and for children's social care while a referral brings the
CAF (referrals/services/access.py). Each row carries its reason and ends when the reason ends
(Settled question 12): `valid_until` is compared with now by every check and list, so closure's
period and a decision's working days end access on time. A CAF administrator sees every CAF of
their council by role, without grants.

The deny (Settled question 10) lives here and only here: `has_caf_permission` and `cafs_visible_to`
both refuse a CAF whose family excluded the user by name, or the user's agency, unless a recorded
exception (caf.models.ExclusionException) covers them. Both read the same rows, so a list and a
page can never disagree. Who may *do* what is caf/policies.py, which starts from these.
"""

from collections.abc import Iterable
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group, Permission
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.drafts import drafts_discard_for
from accounts.models import Agency, Role, User
from caf.models import (
    GRANT_ENDS_SQL,
    Caf,
    CafGroupObjectPermission,
    CafUserObjectPermission,
    ExclusionException,
    FamilyExclusion,
    GrantReason,
    SharingBasis,
)

VIEW = "caf.view_caf"
CHANGE = "caf.change_caf"  # the assessment and the initiator's draft
CHANGE_PLAN = "caf.change_plan"  # the lead professional: plan, TAF, reviews
CLOSE = "caf.close_caf"  # the lead professional


class _CafCondition(Func):
    """A condition on a CAF written as SQL: `{caf}` stands for the CAF's id column of the row being
    filtered (resolved, and relabelled inside subqueries, as any column is), `%s` for `params`."""

    output_field = BooleanField()

    def __init__(self, sql: str, params: tuple[object, ...]) -> None:
        super().__init__(F("pk"))
        self.sql, self.params = sql, params

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        caf_sql, caf_params = compiler.compile(self.get_source_expressions()[0])
        if caf_params:
            raise ValueError("A CAF's id column takes no parameters")
        return f"({self.sql.replace('{caf}', caf_sql)})", self.params


def agency_group(agency: Agency) -> Group:
    """The group that stands for an agency in object permissions; its members are the agency's users."""
    group, _ = Group.objects.get_or_create(name=f"agency:{agency.pk}")
    return group


def agency_group_membership_sync(user: User) -> None:
    """Keep a user in exactly their own agency's group (called when a user is saved)."""
    current = set(user.groups.filter(name__startswith="agency:"))
    wanted = {agency_group(user.agency)} if user.agency_id else set()
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
    if hasattr(user, "_role_names"):
        del user._role_names


def grant_user(user: User, caf: Caf, *permissions: str, reason: str, until: datetime | None = None) -> None:
    """Grant for one reason (GrantReason): a row per permission and reason, open-ended unless
    `until`; granting again renews it."""
    for permission in permissions:
        CafUserObjectPermission.objects.update_or_create(
            user=user,
            permission=_permission(permission),
            content_object=caf,
            reason=reason,
            defaults={"valid_until": until},
        )


def revoke_user(user: User, caf: Caf, *, reason: str | None = None) -> None:
    """End the user's grants for one reason (the others stand), or for every reason."""
    rows = CafUserObjectPermission.objects.filter(user=user, content_object=caf)
    (rows.filter(reason=reason) if reason else rows).delete()
    drafts_tidy(caf)


def grant_agency(agency: Agency, caf: Caf, *, reason: str, until: datetime | None = None) -> None:
    CafGroupObjectPermission.objects.update_or_create(
        group=agency_group(agency),
        permission=_permission(VIEW),
        content_object=caf,
        reason=reason,
        defaults={"valid_until": until},
    )


def revoke_agency(agency: Agency, caf: Caf, *, reason: str | None = None) -> None:
    rows = CafGroupObjectPermission.objects.filter(group__name=f"agency:{agency.pk}", content_object=caf)
    (rows.filter(reason=reason) if reason else rows).delete()
    drafts_tidy(caf)


def drafts_tidy(caf: Caf) -> None:
    """Delete the unsaved forms of this CAF held by people who may no longer see it, in the
    transaction that ended their access (Settled question 20): what they typed is about the family."""
    holders = User.objects.filter(form_drafts__record=caf.record_key).distinct()
    gone = [holder for holder in holders if not has_caf_permission(holder, VIEW, caf)]
    if gone:
        drafts_discard_for(caf.record_key, gone)


def grants_end_by(caf_ids: Iterable[int], until: datetime, *, reason: str | None = None) -> None:
    """Bring the end of the CAFs' open view grants (of one reason, or all) forward to `until`:
    never later than a grant already ends. The grant rows stay, so the chronology can still say
    who once had the CAF (Settled question 12)."""
    caf_ids = list(caf_ids)
    for model in (CafUserObjectPermission, CafGroupObjectPermission):
        rows = model.objects.filter(content_object_id__in=caf_ids).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=until)
        )
        (rows.filter(reason=reason) if reason else rows).update(valid_until=until)


def grants_at_closure(caf: Caf, *, closed_at: datetime) -> None:
    """Closure ends every change right at once; every member's and agency's view (the initiator's
    included) ends after the council's period (LocalAuthority.closed_caf_read_months)."""
    CafUserObjectPermission.objects.filter(content_object=caf).exclude(permission__codename="view_caf").delete()
    drafts_discard_for(caf.record_key)  # nothing on a closed CAF is edited again
    months = caf.council.closed_caf_read_months
    grants_end_by([caf.pk], closed_at + relativedelta(months=months))


def is_caf_administrator_for(user: User, caf: Caf) -> bool:
    return user.is_active and user.council_id == caf.council_id and user.has_role(Role.CAF_ADMINISTRATOR)


def excluded_from(user: User) -> Q:
    """The family's deny for this user, as a condition on a CAF's `pk`: an exclusion in force of
    the user by name, or of their agency, that no recorded exception in force for them (by name) or
    their agency beats (their own break-glass beats both). An anti-join on two small, indexed
    tables, written as SQL (every list and check carries it: the ORM took milliseconds to build and
    compile it as nested subqueries)."""
    now = timezone.now()
    params = (user.pk, now, user.pk, user.agency_id, now, user.agency_id, user.pk, SharingBasis.BREAK_GLASS.value)
    return Q(_CafCondition(_EXCLUDED_SQL, params))


def exclusions_naming(user: User) -> QuerySet[FamilyExclusion]:
    """The family's exclusions in force that name the user or their agency: the only rows
    `excluded_from(user)` can match. None: the deny removes nothing from what the user's grants and
    role give them (a CAF administrator then sees every CAF of the council)."""
    return FamilyExclusion.objects.filter(Q(user=user) | Q(agency_id=user.agency_id), lifted_at__isnull=True)


def excluded_among(users: Iterable[User], caf: Caf) -> set[int]:
    """The ids of those among `users` whom the family's exclusions keep from this CAF: the same rule
    as `excluded_from`, for many people at once (the reminder and deadline jobs), in one query."""
    users = list(users)
    rows = list(FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True).values_list("user_id", "agency_id"))
    if not rows:
        return set()
    exceptions = set(
        ExclusionException.objects.filter(caf=caf)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=timezone.now()))
        .values_list("user_id", "agency_id", "basis")
    )
    excepted = {user_id for user_id, _, _ in exceptions if user_id}
    broke_glass = {user_id for user_id, _, basis in exceptions if user_id and basis == SharingBasis.BREAK_GLASS}
    people = {user_id for user_id, _ in rows if user_id} - excepted
    agencies = {agency_id for _, agency_id in rows if agency_id} - {
        agency_id for _, agency_id, _ in exceptions if agency_id
    }
    return {
        user.pk
        for user in users
        if user.pk in people or (user.agency_id and user.agency_id in agencies and user.pk not in broke_glass)
    }


def is_excluded(user: User, caf: Caf) -> bool:
    """Whether the family's exclusions keep this user from the CAF (see `excluded_from`)."""
    return Caf.objects.filter(pk=caf.pk).filter(excluded_from(user)).exists()


# The permission rules as SQL: every list and check carries them, and the ORM spent more time building
# and compiling them as nested querysets than PostgreSQL spent running them. CafCondition puts the
# row's CAF id where {caf} stands. The grant tables are django-guardian's direct foreign-key tables
# with this project's reason and end (caf.models.Grant); a permission is named by app and codename.
# Only table names from the models are put into the text; every value is a query parameter (S608).
_USER_GRANTS = CafUserObjectPermission._meta.db_table
_AGENCY_GRANTS = CafGroupObjectPermission._meta.db_table
_USER_GROUPS = User.groups.through._meta.db_table
_PERMISSION_SQL = (
    "(SELECT p.id FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id"
    " WHERE ct.app_label = %s AND p.codename = %s)"
)
# A grant is in force until its end, or for ever without one: written as the expression the grant
# tables' "live" indexes hold (caf.models.Grant), so a person's grants in force are one range of the
# index, not every grant they ever held (a social care team's decade of ended referral grants).
# An ended break-glass leaves no history behind it: the person does not keep the child's record as a
# former member does (a constant of the code, not a value from anyone, in the text).
_IN_FORCE_SQL = {
    True: f"{GRANT_ENDS_SQL.format(valid_until='g.valid_until')} > %s",
    False: f"{GRANT_ENDS_SQL.format(valid_until='g.valid_until')} <= %s"
    f" AND g.reason <> '{GrantReason.BREAK_GLASS.value}'",
}
_GRANTS_BY_USER_SQL = (
    f"SELECT g.content_object_id FROM {_USER_GRANTS} g"  # noqa: S608
    f" WHERE g.user_id = %s AND g.permission_id = {_PERMISSION_SQL} AND {{in_force}}"
)
_GRANTS_BY_AGENCY_SQL = (
    f"SELECT g.content_object_id FROM {_AGENCY_GRANTS} g JOIN {_USER_GROUPS} ug ON ug.group_id = g.group_id"  # noqa: S608
    f" WHERE ug.user_id = %s AND g.permission_id = {_PERMISSION_SQL} AND {{in_force}}"
)
_GRANTED_IDS_SQL = {
    live: f"{_GRANTS_BY_USER_SQL} UNION {_GRANTS_BY_AGENCY_SQL}".format(in_force=_IN_FORCE_SQL[live])
    for live in (True, False)
}
_GRANTED_HERE_SQL = {
    live: (
        f"EXISTS ({_GRANTS_BY_USER_SQL} AND g.content_object_id = {{{{caf}}}})"
        f" OR EXISTS ({_GRANTS_BY_AGENCY_SQL} AND g.content_object_id = {{{{caf}}}})"
    ).format(in_force=_IN_FORCE_SQL[live])
    for live in (True, False)
}
# An exception is in force until its end, or for ever without one (break-glass sets its end when it is
# recorded, so it ends on time without a job). A person's break-glass beats their agency's exclusion too.
_EXCEPTION_IN_FORCE_SQL = "x.caf_id = e.caf_id AND COALESCE(x.ended_at, 'infinity'::timestamptz) > %s"
_EXCLUDED_SQL = (
    f"EXISTS (SELECT 1 FROM {FamilyExclusion._meta.db_table} e"  # noqa: S608
    " WHERE e.caf_id = {caf} AND e.lifted_at IS NULL AND ("
    f"(e.user_id = %s AND NOT EXISTS (SELECT 1 FROM {ExclusionException._meta.db_table} x"
    f" WHERE {_EXCEPTION_IN_FORCE_SQL} AND x.user_id = %s))"
    f" OR (e.agency_id = %s AND NOT EXISTS (SELECT 1 FROM {ExclusionException._meta.db_table} x"
    f" WHERE {_EXCEPTION_IN_FORCE_SQL} AND (x.agency_id = %s OR (x.user_id = %s AND x.basis = %s))))))"
)


def _permission(permission: str) -> Permission:
    app_label, codename = permission.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def granted_ids(user: User, permission: str = VIEW, *, live: bool = True) -> RawSQL:
    """The ids of the CAFs granted to the user or to their agency's group, in force now (or, with
    live=False, ended): one UNION of two index lookups that drives a list (`pk__in=`), never an OR
    of two subqueries (that plans as a scan of every CAF; README, "County scale")."""
    return RawSQL(_GRANTED_IDS_SQL[live], _grant_params(user, permission))  # noqa: S611 (parameters only)


def _granted_here(user: User, permission: str = VIEW, *, live: bool = True) -> Q:
    """A grant of the user or their agency on the CAF of the row being filtered, in force now (or,
    with live=False, ended): an index lookup per CAF, for a check of one or a few CAFs where
    `granted_ids`' UNION would read every grant the person holds."""
    return Q(_CafCondition(_GRANTED_HERE_SQL[live], _grant_params(user, permission)))


_BROKE_GLASS_HERE_SQL = (
    f"EXISTS (SELECT 1 FROM {_USER_GRANTS} g WHERE g.user_id = %s AND g.permission_id = {_PERMISSION_SQL}"  # noqa: S608
    f" AND g.reason = %s AND {_IN_FORCE_SQL[True]} AND g.content_object_id = {{caf}})"
)


def _broke_glass_here(user: User) -> Q:
    """The person's own break-glass grant in force on the CAF of the row being filtered: the only way
    anyone reads another council's CAF (a partner council's emergency duty team, Settled question 24)."""
    app_label, codename = VIEW.split(".", 1)
    params = (user.pk, app_label, codename, GrantReason.BREAK_GLASS.value, timezone.now())
    return Q(_CafCondition(_BROKE_GLASS_HERE_SQL, params))


def _grant_params(user: User, permission: str) -> tuple[object, ...]:
    """The parameters of the grant SQL below, in their order: for the user's grants, then the agency's."""
    app_label, codename = permission.split(".", 1)
    one = (user.pk, app_label, codename, timezone.now())
    return one + one


def has_caf_permission(user: User, permission: str, caf: Caf) -> bool:
    """One place for every object check: the user's council first, then the family's deny, then the
    CAF administrator's role (view only), then the grants of the user and of their agency that are
    in force now. One query. Another council's CAF only through the person's own break-glass in
    force on it (a partner council's emergency duty team, Settled question 24): to read, nothing more."""
    if not user.is_active or user.council_id is None:
        return False
    if user.council_id != caf.council_id:
        return permission == VIEW and Caf.objects.filter(pk=caf.pk).filter(_broke_glass_here(user)).exists()
    this_caf = Caf.objects.filter(pk=caf.pk).exclude(excluded_from(user))
    if permission == VIEW and is_caf_administrator_for(user, caf):
        return this_caf.exists()
    return this_caf.filter(_granted_here(user, permission)).exists()


def cafs_visible_to(user: User) -> QuerySet[Caf]:
    """Every CAF the user may see, filtered in the database: driven by the ids granted to the user
    and to their agency (never guardian's get_objects_for_user on a large table). For a list."""
    if not user.is_active or user.council_id is None:
        return Caf.objects.none()
    in_council = Caf.objects.filter(council_id=user.council_id).exclude(excluded_from(user))
    if user.has_role(Role.CAF_ADMINISTRATOR):
        return in_council
    return in_council.filter(pk__in=granted_ids(user))


def cafs_visible_among(user: User, cafs: QuerySet[Caf]) -> QuerySet[Caf]:
    """Of a few CAFs (a child's), those the user may see now: the same rule as `cafs_visible_to`,
    checked CAF by CAF, so it costs what the child's CAFs cost, not what the person's grants do."""
    if not user.is_active or user.council_id is None:
        return Caf.objects.none()
    in_council = cafs.filter(council_id=user.council_id).exclude(excluded_from(user))
    if not user.has_role(Role.CAF_ADMINISTRATOR):
        in_council = in_council.filter(_granted_here(user))
    # A partner council's emergency duty team reads another council's CAFs of the child only under
    # its own break-glass in force (Settled question 24); the family's deny is beaten by it (10c).
    elsewhere = cafs.exclude(council_id=user.council_id).filter(_broke_glass_here(user))
    # One `pk IN (A UNION B)`, never `A OR B`: the OR across councils hid each branch's size from the
    # planner, and find a child at county size went from 70 ms to over a second.
    return Caf.objects.filter(pk__in=in_council.values("pk").union(elsewhere.values("pk")))


def cafs_once_visible_among(user: User, cafs: QuerySet[Caf]) -> QuerySet[Caf]:
    """Of a few CAFs (a child's), those whose grants to the user or their agency have all ended (a
    closed CAF past the council's period, a decided referral): the chronology names them, and
    nothing more."""
    if not user.is_active or user.council_id is None:
        return Caf.objects.none()
    return (
        cafs.filter(council_id=user.council_id)
        .filter(_granted_here(user, live=False))
        .exclude(_granted_here(user))
        .exclude(excluded_from(user))
    )
