"""Who may see and change a CAF: object permissions (django-guardian, direct foreign-key tables).

Granted and revoked only by caf.services, in the same transaction as the change that calls for
them (DESIGN.md, Settled question 3): a user grant while the user is the initiator, a current TAF
member or the lead professional; an agency-group grant while their agency is involved (the
initiating agency, or an agency with a current TAF member). A CAF administrator sees every CAF of
their council by role, without grants.
"""

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Agency, Role, User
from caf.models import Caf, CafGroupObjectPermission, CafUserObjectPermission

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


def has_caf_permission(user: User, permission: str, caf: Caf) -> bool:
    """One place for every object check: the user's council first, then the CAF administrator's
    role (view only), then the object grants of the user and of their agency's group."""
    if not user.is_active or user.council_id != caf.council_id:
        return False
    if permission == VIEW and is_caf_administrator_for(user, caf):
        return True
    return ObjectPermissionChecker(user).has_perm(permission.split(".", 1)[1], caf)


def cafs_visible_to(user: User) -> QuerySet[Caf]:
    """Every CAF the user may see, filtered in the database: the union of the ids granted to the
    user and to their groups (never guardian's get_objects_for_user on a large table)."""
    if not user.is_active or user.council_id is None:
        return Caf.objects.none()
    in_council = Caf.objects.filter(council_id=user.council_id)
    if user.has_role(Role.CAF_ADMINISTRATOR):
        return in_council
    user_grants = CafUserObjectPermission.objects.filter(user=user, permission__codename="view_caf").values(
        "content_object_id"
    )
    group_grants = CafGroupObjectPermission.objects.filter(group__user=user, permission__codename="view_caf").values(
        "content_object_id"
    )
    return in_council.filter(Q(pk__in=user_grants) | Q(pk__in=group_grants))
