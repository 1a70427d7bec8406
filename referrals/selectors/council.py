"""Who and what of the council the referral pages and services choose from or tell: the front door
(its social care managers), its children's social care agencies, social workers and staff, the
localities the queue filters by, and a CAF's lead professional now.
"""

from django.db.models import QuerySet

from accounts.models import Agency, AgencyType, Locality, Role, User
from caf.models import Caf


def social_care_agencies(council_id: int) -> list[Agency]:
    return list(Agency.objects.filter(council_id=council_id, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE))


def front_door_managers(council_id: int) -> list[User]:
    """The social care managers of the council's children's social care: the front door."""
    return list(
        User.objects.filter(
            agency__council_id=council_id,
            agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            groups__name=Role.SOCIAL_CARE_MANAGER.value,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def social_workers_of(council_id: int) -> QuerySet[User]:
    return (
        User.objects.filter(
            agency__council_id=council_id,
            agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            groups__name=Role.SOCIAL_WORKER.value,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "pk")
    )


def staff_of(council_id: int) -> QuerySet[User]:
    """The council's active staff, for naming people the family does not want to see their record."""
    return (
        User.objects.filter(agency__council_id=council_id, is_active=True)
        .select_related("agency")
        .order_by("full_name", "pk")
    )


def localities_of(council_id: int | None) -> QuerySet[Locality]:
    return Locality.objects.filter(council_id=council_id)


def current_lead(caf: Caf | None) -> User | None:
    """The CAF's lead professional now, if it has one."""
    if caf is None:
        return None
    assignment = caf.lead_professionals.filter(ended_at__isnull=True).select_related("user").first()
    return assignment.user if assignment else None
