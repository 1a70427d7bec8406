"""Who may do what with a CAF and a child's record: the one home of every such rule (Settled
question 13). Services refuse through these predicates, views and templates ask them what to show.

Each predicate starts from what the person may see (caf.permissions: the grants, less the family's
exclusions), then asks the person's relation to the CAF *now*: its initiator, a current member of
the Team Around the Family, its current lead professional, a CAF administrator of its council. A
replaced lead professional who stays on the team is a member like any other. Rights follow the
relation, never a grant left over from an earlier one.

What each predicate allows (the README's access table is the same, row by row):
- see the CAF: its initiator, current members and their agencies, the council's CAF
  administrators; never anyone the family excluded (caf.permissions).
- change the assessment, indicators and levels: the initiator of a draft; the lead professional
  of an active CAF.
- record or withdraw consent: the initiator of a draft; the lead professional, a CAF
  administrator, or the initiator until a lead is logged, of an active CAF.
- record or lift an exclusion: as consent, and a CAF administrator after closure too.
- submit, record a safeguarding override: the initiator of a draft.
- manage the team: the lead professional or a CAF administrator; the initiator until a lead is
  logged (active only).
- manage the plan, record reviews: the lead professional; the initiator until a lead is logged.
- update one action: as the plan, and the action's owner while a current member.
- register, log the lead professional: a CAF administrator of the council (active only).
- place or lift a legal hold on a child: a CAF administrator of the child's council.
- record a social care stage a child reached (looked after, adopted...): a social care manager of
  the child's council who may see the child (the page fetches the child with that check).
- close by hand: the lead professional or a CAF administrator, with `CLOSURE_REASONS_BY_HAND`.
- reopen: the last lead professional, a CAF administrator, or the initiator while they still
  see it (closed, not yet reopened).
- refer with the CAF attached: the lead professional; the initiator until a lead is logged.
- record a decision not to share: as an exclusion, on an active or closed CAF; record a share under
  the duty to share (s.16LA): the same, once the council says the duty is in force for them.
- see the managers' list of sharing decisions: CAF administrators, social care managers, the early
  help lead and agency managers, for the CAFs they may see.
- open a child's record with break-glass: staff whose role or agency the council lists (not its CAF
  administrators, who see every record), and staff of another council's agency it lists by name (a
  partner council's emergency duty team); review a use: its reviewer or the early help lead.
"""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from accounts.models import Agency, LocalAuthority, Role, User
from caf import permissions as perms
from caf.models import (
    BreakGlass,
    Caf,
    Child,
    Consent,
    FamilyExclusion,
    LeadProfessionalAssignment,
    PlanAction,
    TeamAroundFamilyMember,
)

# The reasons a person closes a CAF by hand. "Consent withdrawn" comes only from withdrawing consent,
# "stepped up" only from social care's decision (issue 11; Settled question 31).
CLOSURE_REASONS_BY_HAND = (
    Caf.ClosureReason.NEEDS_MET,
    Caf.ClosureReason.MOVED_OUT_OF_AREA,
    Caf.ClosureReason.DISENGAGED,
)


# Who someone is to a CAF --------------------------------------------------------------------------


def refuse_unless(allowed: bool, message: str = "You do not have access to change this CAF.") -> None:
    """A service's or page's refusal when a rule above says no: a 403, logged by caf.middleware."""
    if not allowed:
        raise PermissionDenied(message)


def is_caf_administrator(user: User, council_id: int | None) -> bool:
    """A CAF administrator of this council: the one definition."""
    return bool(user.is_active and council_id is not None and user.council_id == council_id) and user.has_role(
        Role.CAF_ADMINISTRATOR
    )


def is_lead_professional(user: User, caf: Caf) -> bool:
    return caf.lead_professionals.filter(user=user, ended_at__isnull=True).exists()


def has_lead_professional(caf: Caf) -> bool:
    return caf.lead_professionals.filter(ended_at__isnull=True).exists()


def is_current_member(user: User, caf: Caf) -> bool:
    return caf.taf_members.filter(user=user, left_at__isnull=True).exists()


def may_view(user: User, caf: Caf) -> bool:
    """caf.permissions' check, asked once per person for a CAF fetched for one request: a page asks
    several predicates, each of which starts here. Services lock and fetch the CAF afresh."""
    asked = caf.__dict__.setdefault("_may_view", {})
    if user.pk not in asked:
        asked[user.pk] = perms.has_caf_permission(user, perms.VIEW, caf)
    return asked[user.pk]


def _initiator_until_a_lead_is_logged(user: User, caf: Caf) -> bool:
    return caf.initiated_by_id == user.pk and not has_lead_professional(caf) and may_view(user, caf)


def _leads(user: User, caf: Caf) -> bool:
    return is_lead_professional(user, caf) and may_view(user, caf)


# The record itself --------------------------------------------------------------------------------


def may_change_assessment(user: User, caf: Caf) -> bool:
    """The assessment, the indicators and each child's level: the initiator builds the draft; once
    active, only the lead professional changes it. A closed CAF takes no writes."""
    if caf.status == Caf.Status.DRAFT:
        return caf.initiated_by_id == user.pk and may_view(user, caf)
    if caf.status == Caf.Status.ACTIVE:
        return _leads(user, caf)
    return False


def may_submit(user: User, caf: Caf) -> bool:
    return caf.status == Caf.Status.DRAFT and caf.initiated_by_id == user.pk and may_view(user, caf)


may_record_safeguarding_override = may_submit
# Brothers and sisters join a draft (making it a Family CAF) by the hand that builds it (issue 14).
may_add_children = may_submit


def may_record_consent(user: User, caf: Caf) -> bool:
    """Consent is recorded by whoever holds the record with the family: the initiator of a draft;
    the lead professional or a CAF administrator of an active CAF (and the initiator until a lead
    is logged). A closed CAF takes no new consent: reopen it."""
    if caf.status == Caf.Status.DRAFT:
        return may_submit(user, caf)
    if caf.status == Caf.Status.ACTIVE:
        return (
            _leads(user, caf)
            or _initiator_until_a_lead_is_logged(user, caf)
            or (is_caf_administrator(user, caf.council_id) and may_view(user, caf))
        )
    return False


may_withdraw_consent = may_record_consent


def may_record_exclusion(user: User, caf: Caf) -> bool:
    """The family may tell anyone who holds the record who must not see it, also after closure
    (Settled question 11): on a closed CAF, a CAF administrator records it."""
    if caf.status == Caf.Status.CLOSED:
        return is_caf_administrator(user, caf.council_id) and may_view(user, caf)
    return may_record_consent(user, caf)


may_lift_exclusion = may_record_exclusion


def may_record_sharing_decision(user: User, caf: Caf) -> bool:
    """Record a decision not to share the family's information (who, what, why): whoever records the
    family's exclusions, on an active or closed CAF (a draft is shared with nobody yet)."""
    return caf.status != Caf.Status.DRAFT and may_record_exclusion(user, caf)


def may_share_under_duty(user: User, caf: Caf, today: date) -> bool:
    """Record a share under the duty to share (Children Act 2004 s.16LA): as a decision not to share,
    once the council says the duty is in force for them (Settled question 10d)."""
    return may_record_sharing_decision(user, caf) and caf.council.duty_to_share_in_force(today)


def may_see_sharing_decisions(user: User) -> bool:
    """The managers' list of decisions to share without consent and not to share: the council's CAF
    administrators, social care managers, early help lead and agency managers (each sees the entries
    of CAFs they may see)."""
    if not user.is_active or user.council_id is None:
        return False
    return (
        user.has_role(Role.CAF_ADMINISTRATOR)
        or user.has_role(Role.SOCIAL_CARE_MANAGER)
        or LocalAuthority.objects.filter(pk=user.council_id, early_help_lead=user).exists()
        or Agency.objects.filter(manager=user).exists()
    )


# The team, the plan and reviews -------------------------------------------------------------------


def may_manage_team(user: User, caf: Caf) -> bool:
    """The lead professional manages the TAF; until one is logged, the initiator and the CAF
    administrator may form it."""
    if caf.status != Caf.Status.ACTIVE:
        return False
    return (
        _leads(user, caf)
        or (is_caf_administrator(user, caf.council_id) and may_view(user, caf))
        or _initiator_until_a_lead_is_logged(user, caf)
    )


def may_leave_team(user: User, membership: TeamAroundFamilyMember) -> bool:
    """Anyone may leave a team they are on; the lead professional of an active CAF only once another
    is logged."""
    return membership.user_id == user.pk and membership.left_at is None


def may_manage_plan(user: User, caf: Caf) -> bool:
    """The lead professional manages the plan and records reviews; until one is logged, the
    initiator builds the plan with the family (so the TAF can agree a lead around a plan)."""
    if caf.status != Caf.Status.ACTIVE:
        return False
    return _leads(user, caf) or _initiator_until_a_lead_is_logged(user, caf)


may_record_review = may_manage_plan


def may_update_action(user: User, action: PlanAction) -> bool:
    """The lead professional any action; a current member their own."""
    caf = action.caf
    if caf.status != Caf.Status.ACTIVE:
        return False
    own = action.owner_id == user.pk and is_current_member(user, caf) and may_view(user, caf)
    return own or may_manage_plan(user, caf)


# The CAF administrator's steps --------------------------------------------------------------------


def may_register(user: User, caf: Caf) -> bool:
    return caf.status == Caf.Status.ACTIVE and is_caf_administrator(user, caf.council_id) and may_view(user, caf)


may_log_lead_professional = may_register


def may_merge_children(user: User, council_id: int | None) -> bool:
    return is_caf_administrator(user, council_id)


def may_manage_legal_hold(user: User, child: Child) -> bool:
    """Place or lift a legal hold on a child (Settled question 25): a CAF administrator of the
    child's council."""
    return is_caf_administrator(user, child.council_id)


def may_record_social_care_stage(user: User, child: Child) -> bool:
    """Record that a child became looked after, was adopted, or reached Child in Need or child
    protection in another system (Settled question 25: the stage sets how long records are kept): a
    social care manager of the child's council."""
    return bool(user.is_active and user.council_id == child.council_id) and user.has_role(Role.SOCIAL_CARE_MANAGER)


# Closing and reopening ----------------------------------------------------------------------------


def may_close(user: User, caf: Caf) -> bool:
    if caf.status != Caf.Status.ACTIVE:
        return False
    return _leads(user, caf) or (is_caf_administrator(user, caf.council_id) and may_view(user, caf))


def _was_last_lead(user: User, caf: Caf) -> bool:
    last = LeadProfessionalAssignment.objects.filter(caf=caf).order_by("-started_at", "-pk").first()
    return last is not None and last.user_id == user.pk


def is_reopener(user: User, caf: Caf) -> bool:
    """Who reopens a CAF (as a new episode): its last lead professional, a CAF administrator, or its
    initiator while they still have access; never a colleague who merely can view it."""
    if not may_view(user, caf) or user.agency_id is None:
        return False
    return is_caf_administrator(user, caf.council_id) or _was_last_lead(user, caf) or caf.initiated_by_id == user.pk


def may_reopen(user: User, caf: Caf) -> bool:
    """A closed CAF not reopened yet, for one of `is_reopener`'s people."""
    if caf.status != Caf.Status.CLOSED or Caf.objects.filter(previous_episode=caf).exists():
        return False
    return is_reopener(user, caf)


# Step-up from the CAF -----------------------------------------------------------------------------


def may_refer_from(user: User, caf: Caf) -> bool:
    """A referral with the CAF attached as evidence is the lead professional's (the initiator's
    until a lead is logged, or while it is a draft). Anyone else worried refers from the child's
    record, without the CAF."""
    if caf.status == Caf.Status.DRAFT:
        return may_submit(user, caf)
    if caf.status == Caf.Status.ACTIVE:
        return _leads(user, caf) or _initiator_until_a_lead_is_logged(user, caf)
    return False


# Who may be chosen --------------------------------------------------------------------------------


def may_be_lead_professional(member: User, caf: Caf) -> bool:
    """Who may be LP, in one place: a current TAF member whom the family has not excluded (Working
    Together 2023's supervised non-social-worker for Child in Need work will be a council setting
    here)."""
    return is_current_member(member, caf) and not perms.is_excluded(member, caf)


def sharing_agencies(caf: Caf) -> QuerySet[Agency]:
    """The agencies the family's consent lets us share this CAF with (Settled question 11): those
    every current consent covers, less every exclusion in force. Empty without consent."""
    current = list(Consent.objects.current().filter(caf=caf).values_list("pk", flat=True))
    if not current:
        return Agency.objects.none()
    return _covered_by_all(caf, Agency.objects.filter(council_id=caf.council_id), current).exclude(
        pk__in=agencies_excluded(caf)
    )


def sharing_agencies_once_given(
    caf: Caf, *, given_by: str, agencies: QuerySet[Agency], excluded_agencies: QuerySet[Agency]
) -> QuerySet[Agency]:
    """What `sharing_agencies` will be once a consent given by `given_by`, naming `agencies` (the
    CAF's own agency is always named) and excluding `excluded_agencies`, is recorded on the CAF: it
    replaces that person's consent in force, and every other person's still has to cover an agency.
    So a picker can offer only people the recording will let join (a step-down's pick-up)."""
    others = [
        consent.pk for consent in Consent.objects.current().filter(caf=caf) if not same_name(consent.given_by, given_by)
    ]
    named = Agency.objects.filter(council_id=caf.council_id).filter(
        Q(pk__in=agencies.values("pk")) | Q(pk=caf.initiating_agency_id)
    )
    return (
        _covered_by_all(caf, named, others)
        .exclude(pk__in=agencies_excluded(caf))
        .exclude(pk__in=excluded_agencies.values("pk"))
    )


def _covered_by_all(caf: Caf, agencies: QuerySet[Agency], consent_ids: list[int]) -> QuerySet[Agency]:
    for consent_id in consent_ids:
        agencies = agencies.filter(
            pk__in=Consent.agencies.through.objects.filter(consent_id=consent_id).values("agency_id")
        )
    return agencies


def agencies_excluded(caf: Caf) -> QuerySet[FamilyExclusion, Any]:
    """The ids (`agency_id`) of the agencies the family excluded, in force on this CAF."""
    return FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True, agency__isnull=False).values("agency_id")


def same_name(a: str, b: str) -> bool:
    """Whether two names, as typed, are the same person's (spacing and case aside): consent is per person."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def why_may_not_join(member: User, caf: Caf) -> str | None:
    """Why this person may not join the team, plan or access of this CAF, or None if they may: the
    family excluded them or their agency, or the consent does not cover their agency."""
    if member.council_id != caf.council_id or not member.is_active:
        return "Choose an active member of staff in this council."
    if FamilyExclusion.objects.filter(caf=caf, user=member, lifted_at__isnull=True).exists():
        return f"The family asked that {member} does not see the assessment."
    if FamilyExclusion.objects.filter(caf=caf, agency_id=member.agency_id, lifted_at__isnull=True).exists():
        return f"The family asked that {member.agency} does not see the assessment."
    if not sharing_agencies(caf).filter(pk=member.agency_id).exists():
        return f"The family's consent does not cover {member.agency}: record consent that covers it first."
    return None


def people_excluded(caf: Caf) -> QuerySet[FamilyExclusion, Any]:
    """The ids (`user_id`) of the people the family excluded by name, in force on this CAF."""
    return FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True, user__isnull=False).values("user_id")


def people_who_may_join(caf: Caf) -> QuerySet[User]:
    """The person picker for the team and the plan: active staff of the council whose agency the
    consent covers, whom the family has not excluded, and who are not already on the team."""
    members = caf.taf_members.filter(left_at__isnull=True).values("user_id")
    return (
        User.objects.filter(is_active=True, agency__in=sharing_agencies(caf))
        .exclude(pk__in=people_excluded(caf))
        .exclude(pk__in=members)
        .select_related("agency")
        .order_by("full_name", "pk")
    )


# Break-glass (issue 15; Settled question 24) ---------------------------------------------------------


def may_break_glass(user: User, council: LocalAuthority) -> bool:
    """Who may open a child's record of this council with break-glass: its staff whose role or agency
    the council lists, never a CAF administrator (they see every record of their council already);
    and the staff of another council's agency that it lists by name (a partner council's emergency
    duty team, which often covers several councils: Settled question 24). Roles are the council's own
    staff's only: a role never opens another council's records."""
    if not user.is_active or user.agency_id is None or user.council_id is None:
        return False
    if user.council_id != council.pk:
        return council.break_glass_agencies.filter(pk=user.agency_id).exists()
    if is_caf_administrator(user, council.pk):
        return False
    if user.role_names & set(council.break_glass_roles):
        return True
    return council.break_glass_agencies.filter(pk=user.agency_id).exists()


def break_glass_partner_councils(user: User) -> QuerySet[LocalAuthority]:
    """The other councils that list the person's agency for break-glass (their council's emergency
    duty team covers them): the councils whose children they may find and open that way."""
    if not user.is_active or user.agency_id is None or user.council_id is None:
        return LocalAuthority.objects.none()
    return LocalAuthority.objects.filter(break_glass_agencies=user.agency_id).exclude(pk=user.council_id)


def may_review_break_glass_uses(user: User) -> bool:
    """Whether the person is one of those who review uses of break-glass in their council (even with
    none waiting): its early help lead, its CAF administrators, and agency managers."""
    if not user.is_active or user.council_id is None:
        return False
    return (
        is_caf_administrator(user, user.council_id)
        or LocalAuthority.objects.filter(pk=user.council_id, early_help_lead=user).exists()
        or Agency.objects.filter(manager=user).exists()
    )


def may_review_break_glass(user: User, use: BreakGlass) -> bool:
    """A use is reviewed by the person it was given to (the agency manager, else the early help lead,
    else the CAF administrators), or the council's early help lead; never by whoever used it."""
    if not user.is_active or user.pk == use.user_id:
        return False
    # A partner council's manager reviews their own team's use in the listing council (Settled
    # question 24); anyone else reviews only in their own council.
    if user.council_id != use.council_id and not (use.reviewer_id is not None and user.pk == use.reviewer_id):
        return False
    # A person the family excluded from the child's CAFs does not read the use either (Settled question 16).
    if Caf.objects.filter(children=use.child_id).filter(perms.excluded_from(user)).exists():
        return False
    if use.reviewer_id is not None:
        return user.pk == use.reviewer_id or user.pk == use.council.early_help_lead_id
    return user.pk == use.council.early_help_lead_id or is_caf_administrator(user, use.council_id)
