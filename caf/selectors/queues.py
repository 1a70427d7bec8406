"""The lists behind the home pages' queues: drafts, CAFs led, TAF memberships, actions due, CAFs to
register or without a lead professional. Each is in its queue's order, most urgent first: the home
page shows the first rows (core.paging.queue_head), the CAF list and the actions list page the rest
(caf.selectors.lists).
"""

from datetime import date

from django.db.models import Exists, Field, Model, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from caf import permissions as perms
from caf import policies
from caf.models import Caf, CafChild, Child, LeadProfessionalAssignment, PlanAction, TeamAroundFamilyMember

# The CAF administrator's chase queues: the CAF active longest without the step first.
LONGEST_WAITING = ("activated_at", "pk")


def with_children(cafs: QuerySet[Caf]) -> QuerySet[Caf]:
    return cafs.select_related("initiating_agency").prefetch_related("children").order_by("-created_at")


def drafts_of(user: User) -> QuerySet[Caf]:
    return with_children(perms.cafs_visible_to(user).filter(status=Caf.Status.DRAFT, initiated_by=user))


def cafs_led_by(user: User) -> QuerySet[Caf]:
    led = LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), user=user, ended_at__isnull=True)
    return with_children(perms.cafs_visible_to(user).filter(Exists(led), status=Caf.Status.ACTIVE))


def tafs_of(user: User) -> QuerySet[Caf]:
    member = TeamAroundFamilyMember.objects.filter(caf=OuterRef("pk"), user=user, left_at__isnull=True)
    return with_children(perms.cafs_visible_to(user).filter(Exists(member), status=Caf.Status.ACTIVE))


def overdue_actions_in_plans_led_by(user: User, *, today: date) -> QuerySet[PlanAction]:
    """Actions past their date in the plans the user leads, whoever owns them (issue 5: "overdue
    actions are listed for the LP")."""
    led = LeadProfessionalAssignment.objects.filter(caf=OuterRef("caf"), user=user, ended_at__isnull=True)
    return (
        PlanAction.objects.filter(
            Exists(led),
            caf__status=Caf.Status.ACTIVE,
            due_on__lt=today,
            status__in=PlanAction.OPEN_STATUSES,
        )
        .select_related("caf", "owner")
        .prefetch_related("caf__children")
        .order_by("due_on", "pk")
    )


def actions_due_for(user: User, *, by: date) -> QuerySet[PlanAction]:
    return (
        PlanAction.objects.filter(
            owner=user,
            caf__status=Caf.Status.ACTIVE,
            due_on__lte=by,
            status__in=PlanAction.OPEN_STATUSES,
            caf__in=perms.cafs_visible_to(user),
        )
        .select_related("caf")
        .order_by("due_on", "pk")
    )


def cafs_to_register(user: User) -> QuerySet[Caf]:
    if not policies.is_caf_administrator(user, user.council_id):
        return Caf.objects.none()
    # From what the administrator may see: every CAF of the council less the family's named exclusions.
    return with_children(
        perms.cafs_visible_to(user).filter(status=Caf.Status.ACTIVE, registered_at__isnull=True)
    ).order_by(*LONGEST_WAITING)


def cafs_without_lead(user: User) -> QuerySet[Caf]:
    if not policies.is_caf_administrator(user, user.council_id):
        return Caf.objects.none()
    current = LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), ended_at__isnull=True)
    return with_children(
        perms.cafs_visible_to(user).filter(status=Caf.Status.ACTIVE).exclude(Exists(current))
    ).order_by(*LONGEST_WAITING)


def caf_possible_duplicates(user: User, caf: Caf) -> QuerySet[Caf]:
    """Other CAFs of the council for any of this CAF's children, for the CAF administrator's check
    at registration that the CAF is not a duplicate."""
    if not policies.is_caf_administrator(user, caf.council_id):
        return Caf.objects.none()
    children = CafChild.objects.filter(caf=caf).values("child_id")
    return with_children(
        perms.cafs_visible_to(user).filter(caf_children__child__in=children).exclude(pk=caf.pk).distinct()
    )


def cafs_with_lead_to_log(user: User) -> QuerySet[Caf]:
    """Active CAFs whose TAF has formed (two or more current members) but with no current lead
    professional: the TAF has to agree one and the CAF administrator log it."""
    if not policies.is_caf_administrator(user, user.council_id):
        return Caf.objects.none()
    current_lead = LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), ended_at__isnull=True)
    # "A second current member exists" (OFFSET 1 LIMIT 1), checked per CAF through the members' caf
    # index, rather than counting every active CAF's members before the first rows can be shown.
    second_member = TeamAroundFamilyMember.objects.filter(caf=OuterRef("pk"), left_at__isnull=True).order_by()[1:2]
    return with_children(
        perms.cafs_visible_to(user)
        .filter(Exists(second_member), status=Caf.Status.ACTIVE)
        .exclude(Exists(current_lead))
    ).order_by(*LONGEST_WAITING)


def queue_children(row: type[Model], *, through: type[Model], through_column: str, row_column: str = "id") -> RawSQL:
    """A queue's row's children as one value, `[[id, "Amy Jones"], ...]` in the children's own order:
    for a home page's queue, instead of a prefetch (a query of its own and a queryset built per row).
    Written as SQL because it is the same on every row and every request: the ORM's subquery took
    longer to compile than PostgreSQL took to run it. `through` holds (row, child) pairs; the row's
    `row_column` matches its `through_column` (a plan action's caf_id matches caf_cafchild.caf_id)."""
    # Only table and column names from the models are put into the text; there are no values (S608).
    sql = (
        "COALESCE((SELECT json_agg(json_build_array(c.id, c.first_name || ' ' || c.last_name)"  # noqa: S608
        " ORDER BY c.last_name, c.first_name, c.id)"
        f' FROM "{through._meta.db_table}" t JOIN "{Child._meta.db_table}" c ON c.id = t.child_id'
        f' WHERE t."{through_column}" = "{row._meta.db_table}"."{row_column}"), \'[]\'::json)'
    )
    return RawSQL(  # noqa: S611 (no values)
        sql,
        (),
        output_field=Field(),  # PostgreSQL json: psycopg hands back the list
    )


def caf_detail_url(caf_id: int) -> str:
    return reverse("caf:caf_detail", args=[caf_id])


def caf_queue_item(caf: Caf, url: str) -> tuple[str, str]:
    """A CAF in a home page queue: the children's names and the CAF's reference, and where to go.
    Expects the CAF's children prefetched (the caf.selectors lists do)."""
    reference = caf.reference or f"number {caf.pk}"
    return (
        f"{caf.children_names} (CAF {reference}, started {timezone.localdate(caf.created_at):%-d %B %Y})",
        url,
    )


def caf_administrators(council_id: int) -> list[User]:
    return list(
        User.objects.filter(agency__council_id=council_id, groups__name=Role.CAF_ADMINISTRATOR.value, is_active=True)
        .distinct()
        .order_by("pk")
    )
