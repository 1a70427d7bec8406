"""Every change to a child's record. Each service checks who may make it, changes the state in one
transaction, grants or revokes access in the same transaction, and writes the access log.

The CAF's lifecycle is the table `CAF_MOVES`: draft -> active (consent and a submitted assessment)
-> closed; a closed CAF is reopened as a new episode linked to the old one.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Optional

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, Role, User
from accounts.notifications import notifications_cancel
from caf import permissions as perms
from caf.models import (
    AccessLog,
    Adult,
    AssessmentEntry,
    Caf,
    CafChild,
    Child,
    Consent,
    LeadProfessionalAssignment,
    LevelChange,
    PlanAction,
    Review,
    ReviewActionProgress,
    ReviewDateChange,
    TeamAroundFamilyMember,
)
from referrals.models import Referral, TimelineEntry
from thresholds.classifier import Answers, Result, classify
from thresholds.models import Indicator, Level, ThresholdModel
from thresholds.selectors import model_snapshot

CAF_MOVES = {
    # ... or pick up a step-down from social care, which carries the consent and the assessment.
    (Caf.Status.DRAFT, Caf.Status.ACTIVE): "submit the assessment with the family's consent",
    (Caf.Status.ACTIVE, Caf.Status.CLOSED): "close the CAF",
}


class CafError(ValidationError):
    """A refused change, with a message the user can act on."""


def _move(caf: Caf, to: str) -> None:
    if (caf.status, to) not in CAF_MOVES:
        raise CafError(
            f"This CAF is {caf.get_status_display().lower()}, so it cannot become {Caf.Status(to).label.lower()}."
        )
    caf.status = to


def _require(user: User, permission: str, caf: Caf) -> None:
    if not perms.has_caf_permission(user, permission, caf):
        raise PermissionDenied("You do not have access to change this CAF.")


def _require_caf_administrator(user: User, caf: Caf) -> None:
    if not perms.is_caf_administrator_for(user, caf):
        raise PermissionDenied("Only the council's CAF administrators may do this.")


def _locked(caf: Caf) -> Caf:
    return Caf.objects.select_for_update().get(pk=caf.pk)


def access_log_write(
    *, user: User, action: str, what: str, caf: Optional[Caf] = None, child: Optional[Child] = None
) -> AccessLog:
    council_id = caf.council_id if caf else child.council_id if child else user.council_id
    return AccessLog.objects.create(
        council_id=council_id, user=user, agency_id=user.agency_id, caf=caf, child=child, action=action, what=what[:200]
    )


def _log_change(user: User, caf: Caf, what: str) -> None:
    access_log_write(user=user, action=AccessLog.Action.CHANGE, what=what, caf=caf)


# Children -----------------------------------------------------------------------------------------


@transaction.atomic
def child_create(*, user: User, **fields: Any) -> Child:
    if user.council_id is None:
        raise PermissionDenied("Only a council's staff can record a child.")
    fields["postcode"] = fields.get("postcode", "").strip().upper()
    fields["nhs_number"] = fields.get("nhs_number", "").replace(" ", "")
    child = Child(council_id=user.council_id, created_by=user, **fields)
    child.full_clean()
    child.save()
    access_log_write(user=user, action=AccessLog.Action.CHANGE, what="Recorded the child", child=child)
    return child


@transaction.atomic
def child_merge(*, user: User, keep: Child, duplicate: Child) -> Child:
    """A CAF administrator merges a duplicate record into the one to keep. Both stay, with every
    CAF, consent and level of each: the duplicate points at the kept record, and the kept record's
    chronology includes the duplicate's."""
    if not (user.has_role(Role.CAF_ADMINISTRATOR) and user.council_id == keep.council_id == duplicate.council_id):
        raise PermissionDenied("Only the council's CAF administrators may merge records.")
    if keep.pk == duplicate.pk:
        raise CafError("Choose two different records to merge.")
    keep, duplicate = (Child.objects.select_for_update().get(pk=pk) for pk in (keep.pk, duplicate.pk))
    if keep.merged_into_id or duplicate.merged_into_id:
        raise CafError("One of these records has already been merged. Merge into the record it was merged into.")
    duplicate.merged_into = keep
    duplicate.merged_at = timezone.now()
    duplicate.merged_by = user
    duplicate.save(update_fields=["merged_into", "merged_at", "merged_by"])
    Child.objects.filter(merged_into=duplicate).update(merged_into=keep)
    access_log_write(
        user=user, action=AccessLog.Action.CHANGE, what=f"Merged record {duplicate.pk} into this one", child=keep
    )
    return keep


# Starting a CAF -----------------------------------------------------------------------------------


@transaction.atomic
def caf_start(*, user: User, children: list[Child], adults: Iterable[Adult] = ()) -> Caf:
    """A practitioner starts a draft CAF for one child or a whole family, with the council's
    current threshold model. The initiator and their agency can see it from now on."""
    if not user.is_active or user.agency_id is None:
        raise PermissionDenied("Only a council's staff can start a CAF.")
    if not children:
        raise CafError("Choose the child, or the children of the family, the CAF is for.")
    if any(child.council_id != user.council_id or child.merged_into_id for child in children):
        raise CafError("Choose children recorded in your council (not merged records).")
    threshold_model = ThresholdModel.objects.published().filter(council_id=user.council_id).first()
    if threshold_model is None:
        raise CafError("Your council has no published threshold model yet. Ask your council administrator.")
    caf = Caf.objects.create(
        council_id=user.council_id,
        kind=Caf.Kind.FAMILY if len(children) > 1 else Caf.Kind.CHILD,
        initiating_agency_id=user.agency_id,
        initiated_by=user,
        threshold_model=threshold_model,
    )
    for child in children:
        CafChild.objects.create(caf=caf, child=child)
    # The household comes with the children: the adults recorded with any of them.
    caf.adults.set({*adults, *Adult.objects.filter(children__in=children)})
    perms.grant_user(user, caf, perms.VIEW, perms.CHANGE)
    perms.grant_agency(user.agency, caf)
    _log_change(user, caf, "Started a draft CAF")
    return caf


# Consent ------------------------------------------------------------------------------------------


def current_consent(caf: Caf) -> Optional[Consent]:
    return caf.consents.filter(withdrawn_on__isnull=True).order_by("-recorded_at").first()


@transaction.atomic
def consent_record(
    *,
    user: User,
    caf: Caf,
    agencies: Iterable[Agency],
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
    **fields: Any,
) -> Consent:
    """Record the family's consent: who gave it, how, and which agencies it covers. The initiating
    agency is always covered (it is the one asking); an agency cannot be both covered and excluded."""
    caf = _locked(caf)
    _require(user, perms.CHANGE if caf.status == Caf.Status.DRAFT else perms.CHANGE_PLAN, caf)
    if caf.status == Caf.Status.CLOSED:
        raise CafError("This CAF is closed: reopen it as a new episode to record consent.")
    agencies = set(agencies) | {caf.initiating_agency}
    excluded = set(excluded_agencies)
    if agencies & excluded:
        raise CafError("An agency cannot be both covered by the consent and excluded by the family.")
    if any(agency.council_id != caf.council_id for agency in agencies | excluded):
        raise CafError("Choose agencies of this council.")
    if fields.get("is_young_person") and not fields.get("competence_note", "").strip():
        raise CafError("Say why the young person can give consent for themselves.")
    consent = Consent(caf=caf, recorded_by=user, **fields)
    consent.full_clean()
    consent.save()
    consent.agencies.set(agencies)
    consent.excluded_agencies.set(excluded)
    consent.excluded_people.set(excluded_people)
    _log_change(user, caf, f"Recorded consent given by {consent.given_by}")
    return consent


@transaction.atomic
def consent_withdraw(
    *, user: User, consent: Consent, withdrawn_on: date, reason: str, safeguarding_referral_follows: bool = False
) -> Consent:
    """Withdrawal stops further sharing at once: members from other agencies than the initiator's
    leave the TAF and lose access. The CAF closes as "consent withdrawn" unless a safeguarding
    referral follows, in which case a referral draft is started with the CAF attached as evidence."""
    caf = _locked(consent.caf)
    if not (
        perms.has_caf_permission(user, perms.CHANGE_PLAN, caf)
        or perms.has_caf_permission(user, perms.CHANGE, caf)
        or perms.is_caf_administrator_for(user, caf)
    ):
        raise PermissionDenied("You do not have access to change this CAF.")
    if consent.withdrawn_on is not None:
        raise CafError("This consent has already been withdrawn.")
    if not reason.strip():
        raise CafError("Enter the reason the consent was withdrawn.")
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_reason = reason.strip()
    consent.withdrawal_recorded_by = user
    consent.save(update_fields=["withdrawn_on", "withdrawal_reason", "withdrawal_recorded_by"])
    for membership in caf.taf_members.filter(left_at__isnull=True).exclude(agency=caf.initiating_agency):
        _membership_end(membership, ended_by=user)
    if safeguarding_referral_follows:
        _referral_draft(
            user=user,
            caf=caf,
            reason=f"Consent withdrawn ({consent.withdrawal_reason}); a safeguarding referral follows.",
        )
    elif caf.status == Caf.Status.ACTIVE:
        _close(user=user, caf=caf, reason=Caf.ClosureReason.CONSENT_WITHDRAWN, summary=consent.withdrawal_reason)
    _log_change(user, caf, "Recorded that consent was withdrawn")
    return consent


def _referral_draft(*, user: User, caf: Caf, reason: str) -> Referral:
    referral = Referral.objects.create(
        council_id=caf.council_id,
        caf=caf,
        basis=Referral.Basis.SAFEGUARDING_OVERRIDE,
        override_reason=reason,
        created_by=user,
        referring_agency_id=user.agency_id,
    )
    referral.children.set(caf.children.all())
    TimelineEntry.objects.create(
        referral=referral, by=user, what="Started from the draft CAF: a safeguarding override (no consent sought)"
    )
    return referral


@transaction.atomic
def safeguarding_override_record(*, user: User, caf: Caf, reason: str) -> Referral:
    """Without consent, a CAF cannot go on (it is voluntary). Where seeking consent would increase
    the risk of significant harm, the concern becomes a step-up referral draft, with the draft CAF
    attached as evidence (DESIGN.md, Settled question 2)."""
    caf = _locked(caf)
    _require(user, perms.CHANGE, caf)
    if caf.status != Caf.Status.DRAFT:
        raise CafError("A safeguarding override is recorded on a draft CAF. For an active CAF, refer to social care.")
    if not reason.strip():
        raise CafError("Enter why seeking consent would increase the risk of significant harm.")
    referral = _referral_draft(user=user, caf=caf, reason=reason.strip())
    _log_change(user, caf, "Recorded a safeguarding override: started a referral to children's social care")
    return referral


# Assessment and levels ----------------------------------------------------------------------------


@transaction.atomic
def assessment_save(
    *, user: User, caf: Caf, entries: dict[int, tuple[str, str]], views_of_child: str = "", views_of_family: str = ""
) -> Caf:
    """Strengths and needs per sub-domain (by sub-domain id), and the views of the child and family."""
    caf = _locked(caf)
    _require(user, perms.CHANGE, caf)
    if caf.status == Caf.Status.CLOSED:
        raise CafError("This CAF is closed.")
    for sub_domain_id, (strengths, needs) in entries.items():
        AssessmentEntry.objects.update_or_create(
            caf=caf, sub_domain_id=sub_domain_id, defaults={"strengths": strengths.strip(), "needs": needs.strip()}
        )
    caf.views_of_child = views_of_child.strip()
    caf.views_of_family = views_of_family.strip()
    caf.save(update_fields=["views_of_child", "views_of_family"])
    _log_change(user, caf, "Saved the assessment")
    return caf


@transaction.atomic
def child_indicators_set(
    *, user: User, caf_child: CafChild, indicators: Iterable[Indicator], extra_unmet_needs: int = 0
) -> Result:
    """Record the indicators chosen for one child and the classifier's suggestion (with reasons).
    An immediate-harm result is returned for the page to interrupt with what to do now."""
    caf = _locked(caf_child.caf)
    _require(user, perms.CHANGE, caf)
    indicators = list(indicators)
    if any(indicator.threshold_model_id != caf.threshold_model_id for indicator in indicators):
        raise CafError("Choose indicators of the threshold model this CAF uses.")
    child = caf_child.child
    result = classify(
        model_snapshot(caf.threshold_model),
        Answers(
            indicator_ids=frozenset(indicator.pk for indicator in indicators),
            extra_unmet_needs=extra_unmet_needs,
            age=child.age_on(timezone.localdate()),
            unborn=child.is_unborn,
            send=child.send,
        ),
    )
    caf_child.indicators.set(indicators)
    caf_child.extra_unmet_needs = extra_unmet_needs
    caf_child.suggested_level_id = result.level.id if result.level else None
    caf_child.suggestion_reasons = list(result.reasons)
    caf_child.save(update_fields=["extra_unmet_needs", "suggested_level", "suggestion_reasons"])
    _log_change(user, caf, f"Chose indicators for {child}")
    return result


@transaction.atomic
def child_level_set(*, user: User, caf_child: CafChild, level: Level, reason: str = "") -> LevelChange:
    """Thresholds drive, people decide: the practitioner's chosen level, with a reason when it
    differs from the suggestion. Every change is kept in the child's level history."""
    caf = _locked(caf_child.caf)
    _require(user, perms.CHANGE_PLAN if caf.status == Caf.Status.ACTIVE else perms.CHANGE, caf)
    if caf.status == Caf.Status.CLOSED:
        raise CafError("This CAF is closed.")
    if level.threshold_model_id != caf.threshold_model_id:
        raise CafError("Choose a level of the threshold model this CAF uses.")
    if caf_child.suggested_level_id and level.pk != caf_child.suggested_level_id and not reason.strip():
        raise CafError("Say why you chose a different level from the one suggested.")
    if caf_child.level_id and level.pk != caf_child.level_id and not reason.strip():
        raise CafError("Say why the level is changing.")
    caf_child.level = level
    caf_child.level_reason = reason.strip()
    caf_child.save(update_fields=["level", "level_reason"])
    change = LevelChange.objects.create(
        caf_child=caf_child,
        child=caf_child.child,
        level=level,
        suggested_level_id=caf_child.suggested_level_id,
        reason=reason.strip(),
        changed_by=user,
    )
    _log_change(user, caf, f"Set {caf_child.child}'s level of need to {level.label}")
    return change


# Submitting ---------------------------------------------------------------------------------------


def submit_problems(caf: Caf) -> list[str]:
    problems = []
    if current_consent(caf) is None:
        problems.append("Record the family's consent: a CAF cannot start without it.")
    if not caf.assessment_entries.exclude(strengths="", needs="").exists():
        problems.append("Write the strengths and needs of at least one part of the assessment.")
    for caf_child in caf.caf_children.select_related("child"):
        if caf_child.level_id is None:
            problems.append(f"Choose {caf_child.child}'s level of need.")
    return problems


@transaction.atomic
def caf_submit(*, user: User, caf: Caf) -> Caf:
    """Draft to active: needs current consent, the assessment, and a level for every child. The
    initiator becomes the first member of the Team Around the Family."""
    caf = _locked(caf)
    _require(user, perms.CHANGE, caf)
    if caf.status != Caf.Status.DRAFT:
        _move(caf, Caf.Status.ACTIVE)
    problems = submit_problems(caf)
    if problems:
        raise CafError(problems)
    _move(caf, Caf.Status.ACTIVE)
    now = timezone.now()
    caf.activated_at = caf.assessment_submitted_at = now
    # The TAF forms with the initiator, and with it the first review date (the council's interval).
    caf.next_review_on = timezone.localdate(now) + timedelta(weeks=caf.council.default_review_interval_weeks)
    caf.save(update_fields=["status", "activated_at", "assessment_submitted_at", "next_review_on"])
    TeamAroundFamilyMember.objects.create(
        caf=caf, user=caf.initiated_by, agency=caf.initiating_agency, role="Initiator", added_by=user
    )
    ReviewDateChange.objects.create(caf=caf, review_on=caf.next_review_on, reason="The TAF formed", changed_by=user)
    _log_change(user, caf, "Submitted the assessment: the CAF is active")
    return caf


@transaction.atomic
def caf_register(*, user: User, caf: Caf, reference: str) -> Caf:
    """The CAF administrator's check of a newly active CAF, giving it the council's reference."""
    caf = _locked(caf)
    _require_caf_administrator(user, caf)
    if caf.status != Caf.Status.ACTIVE:
        raise CafError("Only an active CAF is registered.")
    if not reference.strip():
        raise CafError("Enter the council's reference for this CAF.")
    if Caf.objects.filter(council_id=caf.council_id, reference=reference.strip()).exclude(pk=caf.pk).exists():
        raise CafError("Another CAF already has this reference.")
    caf.reference = reference.strip()
    caf.registered_at = timezone.now()
    caf.registered_by = user
    caf.save(update_fields=["reference", "registered_at", "registered_by"])
    _log_change(user, caf, f"Registered the CAF as {caf.reference}")
    return caf


# Team Around the Family and lead professional ---------------------------------------------------


def _initiator_until_a_lead_is_logged(user: User, caf: Caf) -> bool:
    has_lead = caf.lead_professionals.filter(ended_at__isnull=True).exists()
    return not has_lead and caf.initiated_by_id == user.pk and perms.has_caf_permission(user, perms.VIEW, caf)


def may_manage_team(user: User, caf: Caf) -> bool:
    """The lead professional manages the TAF; until one is logged, the initiator and the CAF
    administrator may form it."""
    if perms.has_caf_permission(user, perms.CHANGE_PLAN, caf) or perms.is_caf_administrator_for(user, caf):
        return True
    return _initiator_until_a_lead_is_logged(user, caf)


def may_manage_plan(user: User, caf: Caf) -> bool:
    """The lead professional manages the plan; until one is logged, the initiator builds it with
    the family (so the TAF can agree a lead professional around a plan)."""
    return perms.has_caf_permission(user, perms.CHANGE_PLAN, caf) or _initiator_until_a_lead_is_logged(user, caf)


@transaction.atomic
def taf_member_add(*, user: User, caf: Caf, member: User, role: str = "") -> TeamAroundFamilyMember:
    caf = _locked(caf)
    if not may_manage_team(user, caf):
        raise PermissionDenied("Only the lead professional manages the Team Around the Family.")
    if caf.status != Caf.Status.ACTIVE:
        raise CafError("People join the Team Around the Family of an active CAF.")
    if member.council_id != caf.council_id or not member.is_active:
        raise CafError("Choose an active member of staff in this council.")
    consent = current_consent(caf)
    if consent is None:
        raise CafError("Consent has been withdrawn: nobody new can join the Team Around the Family.")
    if consent.excluded_people.filter(pk=member.pk).exists():
        raise CafError(f"The family asked that {member} does not see the assessment.")
    if consent.excluded_agencies.filter(pk=member.agency_id).exists():
        raise CafError(f"The family asked that {member.agency} does not see the assessment.")
    if not consent.agencies.filter(pk=member.agency_id).exists():
        raise CafError(f"The family's consent does not cover {member.agency}: record consent that covers it first.")
    if caf.taf_members.filter(user=member, left_at__isnull=True).exists():
        raise CafError(f"{member} is already in the Team Around the Family.")
    membership = TeamAroundFamilyMember.objects.create(
        caf=caf, user=member, agency=member.agency, role=role.strip(), added_by=user
    )
    perms.grant_user(member, caf, perms.VIEW)
    perms.grant_agency(member.agency, caf)
    _log_change(user, caf, f"Added {member} ({member.agency}) to the Team Around the Family")
    return membership


def _membership_end(membership: TeamAroundFamilyMember, *, ended_by: User) -> None:
    caf = membership.caf
    membership.left_at = timezone.now()
    membership.save(update_fields=["left_at"])
    current_lead = caf.lead_professionals.filter(ended_at__isnull=True, user=membership.user).first()
    if current_lead:
        current_lead.ended_at = membership.left_at
        current_lead.save(update_fields=["ended_at"])
        perms.revoke_user(membership.user, caf, perms.CHANGE_PLAN, perms.CLOSE)
    if membership.user_id != caf.initiated_by_id:
        perms.revoke_user(membership.user, caf, perms.VIEW, perms.CHANGE)
    still_involved = (
        membership.agency_id == caf.initiating_agency_id
        or caf.taf_members.filter(agency_id=membership.agency_id, left_at__isnull=True).exists()
    )
    if not still_involved:
        perms.revoke_agency(membership.agency, caf)


@transaction.atomic
def taf_member_remove(*, user: User, membership: TeamAroundFamilyMember) -> TeamAroundFamilyMember:
    """Leaving the TAF removes the person's access, and their agency's once it is no longer involved."""
    caf = _locked(membership.caf)
    if not (may_manage_team(user, caf) or membership.user_id == user.pk):
        raise PermissionDenied("Only the lead professional manages the Team Around the Family.")
    if membership.left_at is not None:
        raise CafError(f"{membership.user} has already left the Team Around the Family.")
    if caf.lead_professionals.filter(ended_at__isnull=True, user_id=membership.user_id).exists() and (
        caf.status == Caf.Status.ACTIVE
    ):
        raise CafError("The lead professional cannot leave until the CAF administrator logs another.")
    _membership_end(membership, ended_by=user)
    _log_change(user, caf, f"{membership.user} left the Team Around the Family")
    return membership


def excluded_by_family(caf: Caf, user: User) -> bool:
    """Whether the family's current consent excludes this person or their agency (Settled question 2:
    they cannot join the team or be granted access)."""
    consent = current_consent(caf)
    if consent is None:
        return False
    return (
        consent.excluded_people.filter(pk=user.pk).exists()
        or consent.excluded_agencies.filter(pk=user.agency_id).exists()
    )


def may_be_lead_professional(member: User, caf: Caf) -> bool:
    """Who may be LP, in one place: a current TAF member (Working Together 2023's supervised
    non-social-worker for Child in Need work will be a council setting here)."""
    return caf.taf_members.filter(user=member, left_at__isnull=True).exists()


@transaction.atomic
def lead_professional_assign(*, user: User, caf: Caf, lead: User) -> LeadProfessionalAssignment:
    """The CAF administrator logs the lead professional the TAF agreed. Exactly one is current;
    the history is kept."""
    caf = _locked(caf)
    _require_caf_administrator(user, caf)
    if caf.status != Caf.Status.ACTIVE:
        raise CafError("A lead professional is logged for an active CAF.")
    if not may_be_lead_professional(lead, caf):
        raise CafError(f"{lead} must be a current member of the Team Around the Family to be lead professional.")
    current = caf.lead_professionals.filter(ended_at__isnull=True).first()
    if current and current.user_id == lead.pk:
        raise CafError(f"{lead} is already the lead professional.")
    now = timezone.now()
    if current:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        perms.revoke_user(current.user, caf, perms.CHANGE_PLAN, perms.CLOSE)
    assignment = LeadProfessionalAssignment.objects.create(
        caf=caf,
        user=lead,
        started_at=now,
        logged_by=user,
        social_work_led=lead.has_role(Role.SOCIAL_WORKER),
    )
    perms.grant_user(lead, caf, perms.VIEW, perms.CHANGE, perms.CHANGE_PLAN, perms.CLOSE)
    _log_change(user, caf, f"Logged {lead} as lead professional")
    _step_downs_complete(user=user, caf=caf, assignment=assignment)
    return assignment


def _step_downs_complete(*, user: User, caf: Caf, assignment: LeadProfessionalAssignment) -> None:
    # A step-down picked up into this CAF is closed once early help has a lead professional
    # (referrals.services owns the rule; imported here because referrals.services imports this module).
    from referrals.services import step_downs_complete_for

    step_downs_complete_for(user=user, caf=caf, assignment=assignment)


# Step-up and step-down (called by referrals.services) --------------------------------------------


@transaction.atomic
def lead_professional_from_social_care(*, user: User, caf: Caf, social_worker: User) -> LeadProfessionalAssignment:
    """Settled question 7: when social care takes a referral on and allocates a social worker, the
    social worker joins the Team Around the Family and becomes lead professional; the CAF continues
    as one record, social-work led. The decision is the social care manager's, so the CAF
    administrator is not asked; the referral is the basis for sharing with social care, but never
    with an agency or person the family excluded (Settled question 2)."""
    caf = _locked(caf)
    if not (user.has_role(Role.SOCIAL_CARE_MANAGER) and user.council_id == caf.council_id):
        raise PermissionDenied("Only the council's social care managers allocate a social worker.")
    if caf.status != Caf.Status.ACTIVE:
        raise CafError("Only an active CAF takes a lead professional.")
    if not social_worker.has_role(Role.SOCIAL_WORKER) or social_worker.council_id != caf.council_id:
        raise CafError("Choose a social worker of this council.")
    if excluded_by_family(caf, social_worker):
        raise CafError(f"The family asked that {social_worker} ({social_worker.agency}) does not see the assessment.")
    if not caf.taf_members.filter(user=social_worker, left_at__isnull=True).exists():
        TeamAroundFamilyMember.objects.create(
            caf=caf, user=social_worker, agency=social_worker.agency, role="Allocated social worker", added_by=user
        )
        perms.grant_agency(social_worker.agency, caf)
    if not may_be_lead_professional(social_worker, caf):  # the one rule for who may lead
        raise CafError(f"{social_worker} cannot be lead professional of this CAF.")
    now = timezone.now()
    current = caf.lead_professionals.filter(ended_at__isnull=True).first()
    if current and current.user_id == social_worker.pk:
        current.social_work_led = True
        current.save(update_fields=["social_work_led"])
        return current
    if current:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        perms.revoke_user(current.user, caf, perms.CHANGE_PLAN, perms.CLOSE)
    assignment = LeadProfessionalAssignment.objects.create(
        caf=caf, user=social_worker, started_at=now, logged_by=user, social_work_led=True
    )
    perms.grant_user(social_worker, caf, perms.VIEW, perms.CHANGE, perms.CHANGE_PLAN, perms.CLOSE)
    _log_change(user, caf, f"Allocated {social_worker} as social worker: lead professional, support is social-work led")
    return assignment


@transaction.atomic
def caf_close_stepped_up(*, user: User, caf: Caf, summary: str) -> Caf:
    """For a council whose social care cases live in another system (LocalAuthority.social_worker_leads_caf
    cleared): the CAF closes as stepped up to children's social care when social care takes it on."""
    caf = _locked(caf)
    if not (user.has_role(Role.SOCIAL_CARE_MANAGER) and user.council_id == caf.council_id):
        raise PermissionDenied("Only the council's social care managers decide a step-up.")
    _close(user=user, caf=caf, reason=Caf.ClosureReason.STEPPED_UP, summary=summary)
    _log_change(user, caf, "Closed the CAF: stepped up to children's social care")
    return caf


def consent_from_step_down(
    *, user: User, caf: Caf, consent: dict[str, Any], consent_agencies: Iterable[Agency]
) -> Consent:
    """The family's consent to early help, given to social care at the step-down, recorded on the
    CAF that picks them up: it covers the agencies the family named (and those an earlier consent
    covered); whatever the family excluded before stays excluded."""
    if not user.has_role(Role.CAF_ADMINISTRATOR) or user.council_id != caf.council_id:
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")
    earlier = current_consent(caf)
    agencies = {*consent_agencies, caf.initiating_agency}
    excluded_agencies, excluded_people = set(), set()
    if earlier is not None:
        agencies |= set(earlier.agencies.all())
        excluded_agencies = set(earlier.excluded_agencies.all())
        excluded_people = set(earlier.excluded_people.all())
    record = Consent(caf=caf, recorded_by=user, explained_storage=True, explained_sharing=True, **consent)
    record.full_clean()
    record.save()
    record.agencies.set(agencies - excluded_agencies)
    record.excluded_agencies.set(excluded_agencies)
    record.excluded_people.set(excluded_people)
    _log_change(user, caf, f"Recorded consent to early help given by {record.given_by} (from the step-down)")
    return record


@transaction.atomic
def caf_start_from_step_down(
    *,
    user: User,
    children: list[Child],
    previous: Optional[Caf],
    consent: dict[str, Any],
    consent_agencies: Iterable[Agency],
    levels: dict[int, Level],
    level_reason: str,
) -> Caf:
    """An early help coordinator picks up a step-down into a new CAF (a new episode of `previous`
    when the family had one), active at once: the transfer carries the family's consent and social
    care's assessment, so nothing is keyed twice. The household, the assessment and the views come
    across from the previous episode; each child gets the level the coordinator chose (kept in the
    level history with the reason). The coordinator is the first member of the Team Around the Family."""
    if not user.has_role(Role.CAF_ADMINISTRATOR):
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")
    if previous is not None and Caf.objects.filter(previous_episode=previous).exists():
        raise CafError("The family's last CAF has already been reopened: continue that one.")
    adults = previous.adults.all() if previous is not None else ()
    caf = caf_start(user=user, children=children, adults=adults)
    caf = _locked(caf)
    if previous is not None:
        caf.previous_episode = previous
        caf.views_of_child, caf.views_of_family = previous.views_of_child, previous.views_of_family
        AssessmentEntry.objects.bulk_create(
            AssessmentEntry(caf=caf, sub_domain_id=entry.sub_domain_id, strengths=entry.strengths, needs=entry.needs)
            for entry in previous.assessment_entries.all()
        )
    consent_from_step_down(user=user, caf=caf, consent=consent, consent_agencies=consent_agencies)
    for caf_child in caf.caf_children.select_related("child"):
        level = levels.get(caf_child.child_id)
        if level is None or level.threshold_model_id != caf.threshold_model_id:
            raise CafError(f"Choose {caf_child.child}'s level of need now, from the council's threshold model.")
        caf_child.level = level
        caf_child.level_reason = level_reason
        caf_child.save(update_fields=["level", "level_reason"])
        LevelChange.objects.create(
            caf_child=caf_child, child=caf_child.child, level=level, reason=level_reason, changed_by=user
        )
    now = timezone.now()
    _move(caf, Caf.Status.ACTIVE)
    caf.activated_at = caf.assessment_submitted_at = now
    caf.next_review_on = timezone.localdate(now) + timedelta(weeks=caf.council.default_review_interval_weeks)
    caf.save(
        update_fields=[
            "status",
            "activated_at",
            "assessment_submitted_at",
            "next_review_on",
            "previous_episode",
            "views_of_child",
            "views_of_family",
        ]
    )
    TeamAroundFamilyMember.objects.create(
        caf=caf, user=user, agency=user.agency, role="Early help coordinator", added_by=user
    )
    ReviewDateChange.objects.create(caf=caf, review_on=caf.next_review_on, reason="The TAF formed", changed_by=user)
    _log_change(user, caf, "Picked up a step-down from children's social care: the CAF is active")
    return caf


# The plan -----------------------------------------------------------------------------------------


@transaction.atomic
def plan_action_add(*, user: User, caf: Caf, **fields: Any) -> PlanAction:
    caf = _locked(caf)
    if not may_manage_plan(user, caf):
        raise PermissionDenied("Only the lead professional changes the plan.")
    if caf.status != Caf.Status.ACTIVE:
        raise CafError("The plan of an active CAF changes; this one is not active.")
    action = PlanAction(caf=caf, created_by=user, **fields)
    if action.agency.council_id != caf.council_id:
        raise CafError("Choose an agency of this council.")
    action.full_clean()
    action.save()
    _log_change(user, caf, "Added an action to the plan")
    return action


@transaction.atomic
def plan_action_update(*, user: User, action: PlanAction, status: str, outcome: str = "") -> PlanAction:
    """The lead professional changes any action; a TAF member their own."""
    caf = _locked(action.caf)
    own = action.owner_id == user.pk and caf.taf_members.filter(user=user, left_at__isnull=True).exists()
    if not (own or may_manage_plan(user, caf)):
        raise PermissionDenied("You can update only your own actions.")
    if caf.status != Caf.Status.ACTIVE:
        raise CafError("The plan of a closed CAF does not change.")
    action.status = status
    action.outcome = outcome.strip()
    action.full_clean()
    action.save(update_fields=["status", "outcome"])
    _log_change(user, caf, "Updated an action of the plan")
    return action


# Closing and reopening ----------------------------------------------------------------------------


def _close(*, user: User, caf: Caf, reason: str, summary: str) -> None:
    _move(caf, Caf.Status.CLOSED)
    caf.closed_at = timezone.now()
    caf.closed_by = user
    caf.closure_reason = reason
    caf.outcome_summary = summary.strip()
    caf.save(update_fields=["status", "closed_at", "closed_by", "closure_reason", "outcome_summary"])
    caf.lead_professionals.filter(ended_at__isnull=True).update(ended_at=caf.closed_at)


@transaction.atomic
def caf_close(*, user: User, caf: Caf, reason: str, summary: str) -> Caf:
    caf = _locked(caf)
    if not (perms.has_caf_permission(user, perms.CLOSE, caf) or perms.is_caf_administrator_for(user, caf)):
        raise PermissionDenied("Only the lead professional or a CAF administrator closes a CAF.")
    if reason not in Caf.ClosureReason.values:
        raise CafError("Choose why the CAF is closing.")
    if not summary.strip():
        raise CafError("Summarise the outcome for the family.")
    _close(user=user, caf=caf, reason=reason, summary=summary)
    _log_change(user, caf, f"Closed the CAF: {caf.get_closure_reason_display()}")
    return caf


@transaction.atomic
def caf_reopen(*, user: User, caf: Caf) -> Caf:
    """A CAF reopened after closure is a new episode, linked to the old one, with the same children."""
    caf = _locked(caf)
    if not perms.has_caf_permission(user, perms.VIEW, caf):
        raise PermissionDenied("You do not have access to this CAF.")
    if caf.status != Caf.Status.CLOSED:
        raise CafError("Only a closed CAF can be reopened.")
    if Caf.objects.filter(previous_episode=caf).exists():
        raise CafError("This CAF has already been reopened.")
    episode = caf_start(
        user=user, children=list(caf.children.filter(merged_into__isnull=True)), adults=caf.adults.all()
    )
    episode.previous_episode = caf
    episode.save(update_fields=["previous_episode"])
    return episode


# The household ------------------------------------------------------------------------------------


@transaction.atomic
def household_record(*, user: User, child: Child, adults: Iterable[dict[str, Any]]) -> list[Adult]:
    """Record the adults of a child's household (name, relationship, parental responsibility,
    phone), in the user's council, logged against the child's record. They are offered to the
    CAF when it starts (Caf.adults)."""
    if user.council_id is None or user.council_id != child.council_id:
        raise PermissionDenied("Only the council's staff can record a child's household.")
    recorded = []
    for fields in adults:
        adult = Adult(council_id=child.council_id, **fields)
        adult.full_clean()
        adult.save()
        adult.children.add(child)
        recorded.append(adult)
    if recorded:
        names = ", ".join(adult.full_name for adult in recorded)
        access_log_write(
            user=user, action=AccessLog.Action.CHANGE, what=f"Recorded the household: {names}", child=child
        )
    return recorded


# Reviews ------------------------------------------------------------------------------------------

# Imported here, not in the header, so that this section merges cleanly with the header's owner.

# What a review records about each open action, and the plan status it leaves the action in.
REVIEW_PROGRESS_TO_ACTION_STATUS = {
    "done": PlanAction.Status.DONE,
    "in_progress": PlanAction.Status.IN_PROGRESS,
    "not_started": PlanAction.Status.NOT_STARTED,
    "no_longer_needed": PlanAction.Status.STOPPED,
}
OPEN_ACTION_STATUSES = (PlanAction.Status.NOT_STARTED, PlanAction.Status.IN_PROGRESS)


def review_reminder_key(caf: Caf, review_on: date) -> str:
    """The subject of a review date's reminders: the reminder jobs record under this key."""
    return f"review:{caf.pk}:{review_on.isoformat()}"


def _review_date_move(*, user: User, caf: Caf, review_on: Optional[date], reason: str) -> None:
    """Cancel the unsent reminders of the old date, then keep the new one (with its history row)."""
    if caf.next_review_on is not None and caf.next_review_on != review_on:
        notifications_cancel(subject_key=review_reminder_key(caf, caf.next_review_on))
    caf.next_review_on = review_on
    caf.save(update_fields=["next_review_on"])
    if review_on is not None:
        ReviewDateChange.objects.create(caf=caf, review_on=review_on, reason=reason, changed_by=user)


@transaction.atomic
def review_date_set(*, user: User, caf: Caf, review_on: date, reason: str) -> ReviewDateChange:
    """The lead professional moves the next review, with a reason; the old date's reminders are
    cancelled and every date set is kept."""
    caf = _locked(caf)
    if not may_manage_plan(user, caf):
        raise PermissionDenied("Only the lead professional changes the review date.")
    if caf.status != Caf.Status.ACTIVE:
        raise CafError("Reviews are for an active CAF; this one is not active.")
    if review_on < timezone.localdate():
        raise CafError("The next review date must be today or in the future.")
    if not reason.strip():
        raise CafError("Enter why the review date is changing.")
    if review_on == caf.next_review_on:
        raise CafError(f"The next review is already on {review_on:%-d %B %Y}.")
    _review_date_move(user=user, caf=caf, review_on=review_on, reason=reason.strip())
    _log_change(user, caf, f"Moved the next review to {review_on:%-d %B %Y}")
    return caf.review_date_changes.order_by("-pk").first()


@transaction.atomic
def review_record(
    *,
    user: User,
    caf: Caf,
    held_on: date,
    attendees: Iterable[User] = (),
    family_attendees: str = "",
    summary: str = "",
    progress: Iterable[tuple[PlanAction, str, str]] = (),
    new_actions: Iterable[dict[str, Any]] = (),
    levels: Optional[dict[CafChild, tuple[Level, str]]] = None,
    decision: str,
    next_review_on: Optional[date] = None,
    close_reason: str = "",
    outcome: str = "",
) -> Review:
    """The lead professional records a Team Around the Family review: progress on every open action
    of the plan (the form starts from it), new actions, each child's level after the review (kept in
    the level history), and the decision. Continuing sets the next review date; closing (or stepping
    down to universal services, closed as "needs met, universal services continue": Settled
    question 6) closes the CAF; stepping up leaves it active for the referral to social care."""
    caf = _locked(caf)
    if not may_manage_plan(user, caf):
        raise PermissionDenied("Only the lead professional records a review.")
    if caf.status != Caf.Status.ACTIVE:
        raise CafError("Reviews are recorded for an active CAF; this one is not active.")
    today = timezone.localdate()
    if held_on > today:
        raise CafError("The review date cannot be in the future: record a review after it is held.")
    if caf.activated_at and held_on < timezone.localdate(caf.activated_at):
        raise CafError("The review date cannot be before the CAF became active.")
    if decision not in Review.Decision.values:
        raise CafError("Choose the decision of the review.")
    closes = decision in (Review.Decision.CLOSE, Review.Decision.STEP_DOWN)
    # Only a continuing plan needs its next review: close and step down end the CAF, step up hands
    # the decision to children's social care (Review's constraint says the same).
    if decision == Review.Decision.CONTINUE and next_review_on is None:
        raise CafError("Enter the date of the next review.")
    if next_review_on is not None and not closes and next_review_on < today:
        raise CafError("The next review date must be today or in the future.")
    if closes:
        if not perms.has_caf_permission(user, perms.CLOSE, caf):
            raise CafError("Only the lead professional closes the CAF: ask the CAF administrator to log one first.")
        if not outcome.strip():
            raise CafError("Summarise the outcome for the family: the CAF closes.")
        if decision == Review.Decision.STEP_DOWN:
            close_reason = Caf.ClosureReason.NEEDS_MET
        close_reason = close_reason or Caf.ClosureReason.NEEDS_MET
        if close_reason not in Caf.ClosureReason.values or close_reason == Caf.ClosureReason.STEPPED_UP:
            raise CafError("Choose why the CAF is closing.")

    current_members = set(caf.taf_members.filter(left_at__isnull=True).values_list("user_id", flat=True))
    attendees = list(attendees)
    if any(attendee.pk not in current_members for attendee in attendees):
        raise CafError("Choose who attended from the current Team Around the Family.")

    open_actions = {action.pk: action for action in caf.actions.filter(status__in=OPEN_ACTION_STATUSES)}
    progress = list(progress)
    reviewed = [action.pk for action, _, _ in progress]
    if len(set(reviewed)) != len(reviewed) or any(pk not in open_actions for pk in reviewed):
        raise CafError("Record progress only on the open actions of this CAF's plan, once each.")
    if set(reviewed) != set(open_actions):
        raise CafError("Record progress on every open action of the plan: the plan has changed, start again.")
    if any(status not in REVIEW_PROGRESS_TO_ACTION_STATUS for _, status, _ in progress):
        raise CafError("Choose where each action is now.")

    levels = levels or {}
    level_changes = []
    for caf_child, (level, reason) in levels.items():
        if caf_child.caf_id != caf.pk or level.threshold_model_id != caf.threshold_model_id:
            raise CafError("Choose a level of the threshold model this CAF uses, for a child of this CAF.")
        if caf_child.level_id != level.pk:
            if not reason.strip():
                raise CafError(f"Say why {caf_child.child}'s level of need is changing.")
            level_changes.append((caf_child, level, reason.strip()))

    due_on = caf.next_review_on
    review = Review(
        caf=caf,
        held_on=held_on,
        due_on=due_on,
        family_attendees=family_attendees.strip(),
        summary=summary.strip(),
        decision=decision,
        next_review_on=None if closes else next_review_on,
        recorded_by=user,
    )
    review.full_clean()
    review.save()
    review.attendees.set(attendees)

    rows = []
    for action, status, note in progress:
        action = open_actions[action.pk]
        action.status = REVIEW_PROGRESS_TO_ACTION_STATUS[status]
        update_fields = ["status"]
        if note.strip():
            action.outcome = note.strip()
            update_fields.append("outcome")
        action.save(update_fields=update_fields)
        rows.append(ReviewActionProgress(review=review, action=action, status=status, note=note.strip()))
    ReviewActionProgress.objects.bulk_create(rows)

    for fields in new_actions:
        owner = fields.get("owner")
        if owner is not None and owner.pk not in current_members:
            raise CafError(f"{owner} is not a current member of the team: choose someone who is, or nobody.")
        action = PlanAction(caf=caf, created_by=user, **fields)
        if action.agency.council_id != caf.council_id:
            raise CafError("Choose an agency of this council.")
        action.full_clean()
        action.save()

    for caf_child, level, reason in level_changes:
        caf_child.level = level
        caf_child.level_reason = reason
        caf_child.save(update_fields=["level", "level_reason"])
        LevelChange.objects.create(
            caf_child=caf_child,
            child=caf_child.child,
            level=level,
            suggested_level_id=caf_child.suggested_level_id,
            reason=reason,
            changed_by=user,
            review=review,
        )

    held = f"{held_on:%-d %B %Y}"
    if closes:
        _review_date_move(user=user, caf=caf, review_on=None, reason="")
        summary_text = outcome.strip()
        if decision == Review.Decision.STEP_DOWN:
            summary_text = (
                f"Stepped down at the review of {held}: needs met, universal services continue. {summary_text}"
            )
        _close(user=user, caf=caf, reason=close_reason, summary=summary_text)
        _log_change(user, caf, f"Recorded the review of {held} and closed the CAF: {caf.get_closure_reason_display()}")
    else:
        _review_date_move(user=user, caf=caf, review_on=next_review_on, reason=f"After the review of {held}")
        _log_change(user, caf, f"Recorded the review of {held}: {review.get_decision_display()}")
    return review
