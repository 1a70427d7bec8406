"""The Team Around the Family and the lead professional."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from caf import hooks, policies
from caf import permissions as perms
from caf.models import Caf, GrantReason, LeadProfessionalAssignment, TeamAroundFamilyMember
from caf.policies import refuse_unless
from caf.selectors import current_consent
from caf.selectors.team import team_version
from caf.services._common import locked, log_change
from core.errors import Conflict, Refused


@transaction.atomic
def taf_member_add(
    *, user: User, caf: Caf, member: User, role: str = "", drawn_from: str | None = None
) -> TeamAroundFamilyMember:
    """`drawn_from`: where the team stood when the form was drawn (`team_version`); if someone joined
    or left since, the addition is refused as a Conflict, to be made again knowing the team now."""
    caf = locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("People join the Team Around the Family of an active CAF.")
    refuse_unless(policies.may_manage_team(user, caf), "Only the lead professional manages the Team Around the Family.")
    if drawn_from is not None and drawn_from != team_version(caf):
        raise Conflict(
            "Someone joined or left the team after you opened this page. Check the team as it is now,"
            " below, then add them again if they are still needed."
        )
    if current_consent(caf) is None:
        raise Refused("Consent has been withdrawn: nobody new can join the Team Around the Family.")
    refusal = policies.why_may_not_join(member, caf)
    if refusal:
        raise Refused(refusal)
    if caf.taf_members.filter(user=member, left_at__isnull=True).exists():
        raise Refused(f"{member} is already in the Team Around the Family.")
    membership = TeamAroundFamilyMember.objects.create(
        caf=caf, user=member, agency=member.agency, role=role.strip(), added_by=user
    )
    perms.grant_user(member, caf, perms.VIEW, reason=GrantReason.MEMBER)
    perms.grant_agency(member.agency, caf, reason=GrantReason.AGENCY_INVOLVED)
    log_change(user, caf, f"Added {member} ({member.agency}) to the Team Around the Family")
    return membership


def membership_end(membership: TeamAroundFamilyMember, *, ended_by: User) -> None:
    caf = membership.caf
    membership.left_at = timezone.now()
    membership.save(update_fields=["left_at"])
    current_lead = caf.lead_professionals.filter(ended_at__isnull=True, user=membership.user).first()
    if current_lead:
        current_lead.ended_at = membership.left_at
        current_lead.save(update_fields=["ended_at"])
        perms.revoke_user(membership.user, caf, reason=GrantReason.LEAD_PROFESSIONAL)
    # The initiator keeps their own grant (GrantReason.INITIATOR) after leaving.
    perms.revoke_user(membership.user, caf, reason=GrantReason.MEMBER)
    still_involved = (
        membership.agency_id == caf.initiating_agency_id
        or caf.taf_members.filter(agency_id=membership.agency_id, left_at__isnull=True).exists()
    )
    if not still_involved:
        perms.revoke_agency(membership.agency, caf, reason=GrantReason.AGENCY_INVOLVED)


@transaction.atomic
def taf_member_remove(*, user: User, membership: TeamAroundFamilyMember) -> TeamAroundFamilyMember:
    """Leaving the TAF removes the person's access, and their agency's once it is no longer involved."""
    caf = locked(membership.caf)
    refuse_unless(
        policies.may_manage_team(user, caf) or policies.may_leave_team(user, membership),
        "Only the lead professional manages the Team Around the Family.",
    )
    if membership.left_at is not None:
        raise Refused(f"{membership.user} has already left the Team Around the Family.")
    if caf.lead_professionals.filter(ended_at__isnull=True, user_id=membership.user_id).exists() and (
        caf.status == Caf.Status.ACTIVE
    ):
        raise Refused("The lead professional cannot leave until the CAF administrator logs another.")
    membership_end(membership, ended_by=user)
    log_change(user, caf, f"{membership.user} left the Team Around the Family")
    return membership


@transaction.atomic
def lead_professional_assign(*, user: User, caf: Caf, lead: User) -> LeadProfessionalAssignment:
    """The CAF administrator logs the lead professional the TAF agreed. Exactly one is current;
    the history is kept."""
    caf = locked(caf)
    refuse_unless(
        policies.is_caf_administrator(user, caf.council_id), "Only the council's CAF administrators may do this."
    )
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("A lead professional is logged for an active CAF.")
    refuse_unless(policies.may_log_lead_professional(user, caf))
    if not policies.may_be_lead_professional(lead, caf):
        raise Refused(f"{lead} must be a current member of the Team Around the Family to be lead professional.")
    current = caf.lead_professionals.filter(ended_at__isnull=True).first()
    if current and current.user_id == lead.pk:
        raise Refused(f"{lead} is already the lead professional.")
    assignment = lead_switch(caf=caf, lead=lead, by=user, social_work_led=lead.has_role(Role.SOCIAL_WORKER))
    log_change(user, caf, f"Logged {lead} as lead professional")
    _step_downs_complete(user=user, caf=caf, assignment=assignment)
    return assignment


def lead_switch(*, caf: Caf, lead: User, by: User, social_work_led: bool) -> LeadProfessionalAssignment:
    """End the current lead professional's assignment (they stay on the team with a member's rights
    only) and start the new one's: the one way the lead changes."""
    now = timezone.now()
    current = caf.lead_professionals.filter(ended_at__isnull=True).select_related("user").first()
    if current:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        perms.revoke_user(current.user, caf, reason=GrantReason.LEAD_PROFESSIONAL)
    assignment = LeadProfessionalAssignment.objects.create(
        caf=caf, user=lead, started_at=now, logged_by=by, social_work_led=social_work_led
    )
    perms.grant_user(
        lead, caf, perms.VIEW, perms.CHANGE, perms.CHANGE_PLAN, perms.CLOSE, reason=GrantReason.LEAD_PROFESSIONAL
    )
    return assignment


def _step_downs_complete(*, user: User, caf: Caf, assignment: LeadProfessionalAssignment) -> None:
    # A step-down picked up into this CAF is closed once early help has a lead professional:
    # referrals owns that rule and hears of the new lead through caf.hooks (in this transaction).
    hooks.lead_professional_logged(user=user, caf=caf, assignment=assignment)
