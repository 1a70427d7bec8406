"""The Team Around the Family and the plan, as their pages show them."""

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet

from accounts.models import User
from caf import policies
from caf.models import Caf, LeadProfessionalAssignment, PlanAction, TeamAroundFamilyMember


def current_members(caf: Caf) -> QuerySet[TeamAroundFamilyMember]:
    return caf.taf_members.filter(left_at__isnull=True).select_related("user", "agency")


def current_member_users(caf: Caf) -> QuerySet[User]:
    return (
        User.objects.filter(taf_memberships__caf=caf, taf_memberships__left_at__isnull=True)
        .select_related("agency")
        .order_by("full_name")
    )


def current_lead(caf: Caf) -> LeadProfessionalAssignment | None:
    return caf.lead_professionals.filter(ended_at__isnull=True).select_related("user", "user__agency").first()


@dataclass
class Team:
    current_members: list[TeamAroundFamilyMember]
    past_members: list[TeamAroundFamilyMember]
    lead: LeadProfessionalAssignment | None


def team_version(caf: Caf) -> str:
    """Where the team stands, as the team form carries it: how many joined and how many left. Both
    only grow, so someone joining or leaving after the form was drawn changes it, and the form's save
    is a conflict (Settled question 20)."""
    counts = caf.taf_members.aggregate(joined=Count("pk"), left=Count("pk", filter=Q(left_at__isnull=False)))
    return f"{counts['joined']}.{counts['left']}"


def taf_team(caf: Caf) -> Team:
    """The team as its page shows it: current members (by when they joined), those who left (most
    recent first), and the lead professional."""
    members = list(
        caf.taf_members.select_related("user", "agency").order_by(F("left_at").desc(nulls_first=True), "joined_at")
    )
    return Team(
        current_members=[member for member in members if member.left_at is None],
        past_members=[member for member in members if member.left_at is not None],
        lead=current_lead(caf),
    )


def plan_rows(user: User, caf: Caf, *, may_change_plan: bool) -> list[tuple[PlanAction, bool]]:
    """The plan's actions by when they are due, each with whether this user may update it: the lead
    professional (`may_change_plan`, which the page has asked caf.policies) every action, a current
    member of an active CAF their own."""
    is_member = caf.status == Caf.Status.ACTIVE and policies.is_current_member(user, caf)
    actions = caf.actions.select_related("agency", "owner").order_by("due_on", "pk")
    return [(action, may_change_plan or (is_member and action.owner_id == user.pk)) for action in actions]
