"""Who may see a CAF: object permissions (django-guardian, direct foreign-key tables), and the
family's exclusions, a deny that beats every grant.

Granted and revoked only by the services, in the same transaction as the change that calls for
them (DESIGN.md, Settled question 3): a user grant while the user is the initiator, a current TAF
member or the lead professional; an agency-group grant while their agency is involved (the
initiating agency, or an agency with a current TAF member). A CAF administrator sees every CAF of
their council by role, without grants.

The deny (Settled question 10) lives here and only here: `has_caf_permission` and `cafs_visible_to`
both refuse a CAF whose family excluded the user by name, or the user's agency, unless a recorded
exception (caf.models.ExclusionException) covers them. Both read the same rows, so a list and a
page can never disagree. Who may *do* what is caf/policies.py, which starts from these.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Agency, Role, User
from caf.models import Caf, CafGroupObjectPermission, CafUserObjectPermission, ExclusionException, FamilyExclusion

VIEW = "caf.view_caf"
CHANGE = "caf.change_caf"  # the assessment and the initiator's draft
CHANGE_PLAN = "caf.change_plan"  # the lead professional: plan, TAF, reviews
CLOSE = "caf.close_caf"  # the lead professional


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


def grant_user(user: User, caf: Caf, *permissions: str) -> None:
    for permission in permissions:
        assign_perm(permission, user, caf)


def revoke_user(user: User, caf: Caf, *permissions: str) -> None:
    for permission in permissions:
        remove_perm(permission, user, caf)


def grant_agency(agency: Agency, caf: Caf) -> None:
    assign_perm(VIEW, agency_group(agency), caf)


def revoke_agency(agency: Agency, caf: Caf) -> None:
    remove_perm(VIEW, agency_group(agency), caf)


def is_caf_administrator_for(user: User, caf: Caf) -> bool:
    return user.is_active and user.council_id == caf.council_id and user.has_role(Role.CAF_ADMINISTRATOR)


def excluded_from(user: User) -> Q:
    """The family's deny for this user, as an expression over a CAF's `pk`: an exclusion in force
    of the user by name, or of their agency, that no recorded exception for them (by name) or their
    agency beats. An anti-join on two small, indexed tables."""
    caf = OuterRef("pk")
    # The exceptions are read against each exclusion row's own CAF (the nearest outer query).
    person_excepted = ExclusionException.objects.filter(caf=OuterRef("caf_id"), user=user, ended_at__isnull=True)
    agency_excepted = ExclusionException.objects.filter(
        caf=OuterRef("caf_id"), agency_id=user.agency_id, ended_at__isnull=True
    )
    by_name = FamilyExclusion.objects.filter(caf=caf, user=user, lifted_at__isnull=True).exclude(
        Exists(person_excepted)
    )
    if user.agency_id is None:
        return Q(Exists(by_name))
    by_agency = FamilyExclusion.objects.filter(caf=caf, agency_id=user.agency_id, lifted_at__isnull=True).exclude(
        Exists(agency_excepted)
    )
    return Q(Exists(by_name)) | Q(Exists(by_agency))


def excluded_among(users: Iterable[User], caf: Caf) -> set[int]:
    """The ids of those among `users` whom the family's exclusions keep from this CAF: the same rule
    as `excluded_from`, for many people at once (the reminder and deadline jobs), in one query."""
    users = list(users)
    rows = list(FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True).values_list("user_id", "agency_id"))
    if not rows:
        return set()
    exceptions = set(
        ExclusionException.objects.filter(caf=caf, ended_at__isnull=True).values_list("user_id", "agency_id")
    )
    people = {user_id for user_id, _ in rows if user_id} - {user_id for user_id, _ in exceptions if user_id}
    agencies = {agency_id for _, agency_id in rows if agency_id} - {
        agency_id for _, agency_id in exceptions if agency_id
    }
    return {user.pk for user in users if user.pk in people or (user.agency_id and user.agency_id in agencies)}


def is_excluded(user: User, caf: Caf) -> bool:
    """Whether the family's exclusions keep this user from the CAF (see `excluded_from`)."""
    return Caf.objects.filter(pk=caf.pk).filter(excluded_from(user)).exists()


def has_caf_permission(user: User, permission: str, caf: Caf) -> bool:
    """One place for every object check: the user's council first, then the family's deny, then the
    CAF administrator's role (view only), then the object grants of the user and of their agency."""
    if not user.is_active or user.council_id != caf.council_id:
        return False
    if is_excluded(user, caf):
        return False
    if permission == VIEW and is_caf_administrator_for(user, caf):
        return True
    return ObjectPermissionChecker(user).has_perm(permission.split(".", 1)[1], caf)


def cafs_visible_to(user: User) -> QuerySet[Caf]:
    """Every CAF the user may see, filtered in the database: the union of the ids granted to the
    user and to their groups (never guardian's get_objects_for_user on a large table)."""
    if not user.is_active or user.council_id is None:
        return Caf.objects.none()
    in_council = Caf.objects.filter(council_id=user.council_id).exclude(excluded_from(user))
    if user.has_role(Role.CAF_ADMINISTRATOR):
        return in_council
    user_grants = CafUserObjectPermission.objects.filter(user=user, permission__codename="view_caf").values(
        "content_object_id"
    )
    group_grants = CafGroupObjectPermission.objects.filter(group__user=user, permission__codename="view_caf").values(
        "content_object_id"
    )
    return in_council.filter(Q(pk__in=user_grants) | Q(pk__in=group_grants))
