"""The Team Around the Family and the plan, as their pages show them."""

from dataclasses import dataclass
from typing import Any

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


PEOPLE_SHOWN = 25


@dataclass
class PeopleFound:
    """The team's person picker: who matched the search (at most PEOPLE_SHOWN), whether more did,
    and the agencies to narrow it by."""

    people: list[User]
    more: bool
    agencies: list[Any]
    searched: bool


def people_to_add(caf: Caf, *, words: str = "", agency_id: int | None = None) -> PeopleFound:
    """Search the people who may join the team (caf.policies.people_who_may_join: the consent's
    agencies, not excluded, not already members) by name, agency or job title: every word must
    match one of them. Nothing is listed before a search: a county has 10,000 staff (issue 14)."""
    may_join = policies.people_who_may_join(caf)
    agencies = list(policies.sharing_agencies(caf).order_by("name", "pk"))
    terms = words.split()[:6]
    if not terms and agency_id is None:
        return PeopleFound([], False, agencies, searched=False)
    found = may_join
    for term in terms:
        found = found.filter(
            Q(full_name__icontains=term) | Q(job_title__icontains=term) | Q(agency__name__icontains=term)
        )
    if agency_id is not None:
        found = found.filter(agency_id=agency_id)
    people = list(found[: PEOPLE_SHOWN + 1])
    return PeopleFound(people[:PEOPLE_SHOWN], len(people) > PEOPLE_SHOWN, agencies, searched=True)


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
