"""What referrals asks of caf when social care steps a family down or takes a lead: picking a step-down up
into a new or an active CAF, with the consent as social care recorded it, and the allocated social
worker as lead professional.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Agency, Role, User
from caf import permissions as perms
from caf import policies
from caf.models import (
    AssessmentEntry,
    Caf,
    Child,
    Consent,
    FamilyExclusion,
    GrantReason,
    LeadProfessionalAssignment,
    TeamAroundFamilyMember,
)
from caf.services._common import locked, log_change
from caf.services.assessment import level_set
from caf.services.consent import consent_replace
from caf.services.exclusions import exclusion_targets_check, exclusions_add
from caf.services.lifecycle import caf_activate, caf_start
from caf.services.team import lead_switch
from core.errors import Refused
from thresholds.models import Level


@transaction.atomic
def lead_professional_from_social_care(*, user: User, caf: Caf, social_worker: User) -> LeadProfessionalAssignment:
    """Settled question 7: when social care takes a referral on and allocates a social worker, the
    social worker joins the Team Around the Family and becomes lead professional; the CAF continues
    as one record, social-work led. The decision is the social care manager's, so the CAF
    administrator is not asked; the referral is the basis for sharing with social care, but never
    with an agency or person the family excluded (Settled question 2)."""
    caf = locked(caf)
    if not (user.has_role(Role.SOCIAL_CARE_MANAGER) and user.council_id == caf.council_id):
        raise PermissionDenied("Only the council's social care managers allocate a social worker.")
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("Only an active CAF takes a lead professional.")
    if not social_worker.has_role(Role.SOCIAL_WORKER) or social_worker.council_id != caf.council_id:
        raise Refused("Choose a social worker of this council.")
    if perms.is_excluded(social_worker, caf):
        raise Refused(f"The family asked that {social_worker} ({social_worker.agency}) does not see the assessment.")
    if not caf.taf_members.filter(user=social_worker, left_at__isnull=True).exists():
        TeamAroundFamilyMember.objects.create(
            caf=caf, user=social_worker, agency=social_worker.agency, role="Allocated social worker", added_by=user
        )
        perms.grant_user(social_worker, caf, perms.VIEW, reason=GrantReason.MEMBER)
        perms.grant_agency(social_worker.agency, caf, reason=GrantReason.AGENCY_INVOLVED)
    if not policies.may_be_lead_professional(social_worker, caf):  # the one rule for who may lead
        raise Refused(f"{social_worker} cannot be lead professional of this CAF.")
    current = caf.lead_professionals.filter(ended_at__isnull=True).first()
    if current and current.user_id == social_worker.pk:
        current.social_work_led = True
        current.save(update_fields=["social_work_led"])
        return current
    assignment = lead_switch(caf=caf, lead=social_worker, by=user, social_work_led=True)
    log_change(user, caf, f"Allocated {social_worker} as social worker: lead professional, support is social-work led")
    return assignment


def consent_from_step_down(
    *,
    user: User,
    caf: Caf,
    consent: dict[str, Any],
    consent_agencies: Iterable[Agency],
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
) -> Consent:
    """The family's consent to early help, given to social care at the step-down, recorded on the
    CAF that picks them up as it was given (Settled question 11): the agencies the family named,
    the exclusions they made (added to those already in force, which stay), and "explained storage
    and sharing" only if social care recorded it. Nothing is merged from an earlier consent and no
    one is removed silently: agencies on the team that the step-down does not name are listed for
    the CAF administrator to check with the family (`agencies_not_named`)."""
    if not policies.is_caf_administrator(user, caf.council_id):
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")
    if perms.is_excluded(user, caf):
        raise PermissionDenied("The family asked that you do not see their records: ask another CAF administrator.")
    excluded_agencies, excluded_people = set(excluded_agencies), set(excluded_people)
    exclusion_targets_check(caf, excluded_agencies, excluded_people)
    replaces = consent_replace(caf, consent.get("given_by", ""), None)
    record = Consent(caf=caf, recorded_by=user, replaces=replaces, **consent)
    record.full_clean()
    record.save()
    record.children.set(caf.children.all())
    record.agencies.set({*consent_agencies, caf.initiating_agency})
    exclusions_add(
        user=user, caf=caf, made_by=record.given_by, agencies=excluded_agencies, people=excluded_people, consent=record
    )
    in_force = FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True)
    record.excluded_agencies.set(in_force.filter(agency__isnull=False).values_list("agency_id", flat=True))
    record.excluded_people.set(in_force.filter(user__isnull=False).values_list("user_id", flat=True))
    log_change(user, caf, f"Recorded consent to early help given by {record.given_by} (from the step-down)")
    return record


@transaction.atomic
def caf_start_from_step_down(
    *,
    user: User,
    children: list[Child],
    previous: Caf | None,
    consent: dict[str, Any],
    consent_agencies: Iterable[Agency],
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
    levels: dict[int, Level],
    level_reason: str,
) -> Caf:
    """An early help coordinator picks up a step-down into a new CAF (a new episode of `previous`
    when the family had one), active at once: the transfer carries the family's consent and social
    care's assessment, so nothing is keyed twice. The household, the assessment and the views come
    across from the previous episode; each child gets the level the coordinator chose (kept in the
    level history with the reason). The coordinator is the first member of the Team Around the Family."""
    if not policies.is_caf_administrator(user, user.council_id):
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")
    if previous is not None and Caf.objects.filter(previous_episode=previous).exists():
        raise Refused("The family's last CAF has already been reopened: continue that one.")
    adults = previous.adults.all() if previous is not None else ()
    caf = caf_start(user=user, children=children, adults=adults)
    caf = locked(caf)
    if previous is not None:
        caf.previous_episode = previous
        caf.views_of_child, caf.views_of_family = previous.views_of_child, previous.views_of_family
        AssessmentEntry.objects.bulk_create(
            AssessmentEntry(caf=caf, sub_domain_id=entry.sub_domain_id, strengths=entry.strengths, needs=entry.needs)
            for entry in previous.assessment_entries.all()
        )
    consent_from_step_down(
        user=user,
        caf=caf,
        consent=consent,
        consent_agencies=consent_agencies,
        excluded_agencies=excluded_agencies,
        excluded_people=excluded_people,
    )
    for caf_child in caf.caf_children.select_related("child"):
        level = levels.get(caf_child.child_id)
        if level is None or level.threshold_model_id != caf.threshold_model_id:
            raise Refused(f"Choose {caf_child.child}'s level of need now, from the council's threshold model.")
        level_set(caf_child, level=level, reason=level_reason, by=user)
    caf_activate(
        caf,
        by=user,
        first_member=user,
        agency=user.agency,
        role="Early help coordinator",
        what="Picked up a step-down from children's social care: the CAF is active",
        also_saved=["previous_episode", "views_of_child", "views_of_family"],
    )
    return caf
