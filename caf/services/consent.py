"""The family's consent: recording it, withdrawing it, and the safeguarding override."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, User
from caf import hooks, policies
from caf.models import Caf, Child, Consent, FamilyExclusion
from caf.policies import refuse_unless
from caf.selectors.consent import consents_version
from caf.services._common import locked, log_change
from caf.services.exclusions import exclusion_targets_check, exclusions_add, sharing_enforce
from caf.services.lifecycle import close
from caf.services.team import membership_end
from core.date_bounds import CONSENT, out_of_bounds
from core.errors import Conflict, Refused


def consent_replace(caf: Caf, given_by: str, replaces: Consent | None) -> Consent | None:
    """Consent is per person: a person's new consent replaces their consent in force (the one the
    form changed, or the one given in the same name); another person's stays in force beside it."""
    if replaces is None:
        replaces = next(
            (each for each in Consent.objects.current().filter(caf=caf) if policies.same_name(each.given_by, given_by)),
            None,
        )
    else:
        # Read again under the CAF's lock: the copy the form opened may since have been replaced.
        replaces = Consent.objects.select_for_update().filter(pk=replaces.pk, caf=caf).first()
        if replaces is None or not replaces.is_current:
            raise Refused("This consent has changed since you opened the form: start again from the CAF.")
    if replaces is not None:
        replaces.replaced_at = timezone.now()
        replaces.save(update_fields=["replaced_at"])
    return replaces


@transaction.atomic
def consent_record(
    *,
    user: User,
    caf: Caf,
    agencies: Iterable[Agency],
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
    children: Iterable[Child] | None = None,
    replaces: Consent | None = None,
    drawn_from: str | None = None,
    **fields: Any,
) -> Consent:
    """Record one person's consent: who gave it, for which children, how, which agencies it covers,
    and who may not see the assessment. Consent is cumulative (Settled question 11): every
    exclusion in force stays (only the family lifting it ends it); the agencies shared with are
    those every consent in force covers. The initiating agency is always covered (it is the one
    asking); an agency cannot be both covered and excluded. A consent that excludes someone, or no
    longer covers an agency, ends their membership and access now. `drawn_from`: where the consents
    stood when the form was drawn (`consents_version`); if one was recorded or withdrawn since, the
    save is refused as a Conflict."""
    caf = locked(caf)
    if caf.status == Caf.Status.CLOSED:
        raise Refused("This CAF is closed: reopen it as a new episode to record consent.")
    if not policies.may_record_consent(user, caf):
        raise PermissionDenied("Only the initiator, the lead professional or a CAF administrator records consent.")
    if drawn_from is not None and drawn_from != consents_version(caf):
        raise Conflict(
            "Someone recorded or withdrew a consent on this CAF after you opened this form. Check the"
            " consents in force now, shown above the form, then save again."
        )
    agencies = set(agencies) | {caf.initiating_agency}
    excluded = set(excluded_agencies)
    people = set(excluded_people)
    if agencies & excluded:
        raise Refused("An agency cannot be both covered by the consent and excluded by the family.")
    if any(agency.council_id != caf.council_id for agency in agencies):
        raise Refused("Choose agencies of this council.")
    exclusion_targets_check(caf, excluded, people)
    if fields.get("is_young_person") and not fields.get("competence_note", "").strip():
        raise Refused("Say why the young person can give consent for themselves.")
    given_on = fields.get("given_on")
    if given_on and (problem := out_of_bounds(given_on, "the date consent was given", *CONSENT)):
        raise Refused(problem)
    caf_children = list(caf.children.all())
    children = caf_children if children is None else list(children)
    if not children or any(child not in caf_children for child in children):
        raise Refused("Choose the children of this CAF the consent is for.")
    replaces = consent_replace(caf, fields.get("given_by", ""), replaces)
    consent = Consent(caf=caf, recorded_by=user, replaces=replaces, **fields)
    consent.full_clean()
    consent.save()
    consent.children.set(children)
    consent.agencies.set(agencies)
    exclusions_add(user=user, caf=caf, made_by=consent.given_by, agencies=excluded, people=people, consent=consent)
    # The consent shows every exclusion in force, carried forward or new, as the family now stands.
    in_force = FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True)
    consent.excluded_agencies.set(in_force.filter(agency__isnull=False).values_list("agency_id", flat=True))
    consent.excluded_people.set(in_force.filter(user__isnull=False).values_list("user_id", flat=True))
    if agencies & set(consent.excluded_agencies.all()):
        raise Refused("An agency the family excluded cannot be covered: the family lifts an exclusion first.")
    log_change(user, caf, f"Recorded consent given by {consent.given_by}")
    sharing_enforce(user=user, caf=caf, why=f"the family's consent given by {consent.given_by}")
    return consent


@transaction.atomic
def consent_withdraw(
    *, user: User, consent: Consent, withdrawn_on: date, reason: str, safeguarding_referral_follows: bool = False
) -> Consent:
    """Withdrawal stops further sharing at once: members from other agencies than the initiator's
    leave the TAF and lose access. Without a consent in force for every child, the CAF closes as
    "consent withdrawn" unless a safeguarding referral follows, in which case a referral draft is
    started with the CAF attached as evidence."""
    caf = locked(consent.caf)
    if not policies.may_withdraw_consent(user, caf):
        raise PermissionDenied("Only the initiator, the lead professional or a CAF administrator records this.")
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_on is not None:
        raise Refused("This consent has already been withdrawn.")
    if consent.replaced_at is not None:
        raise Refused("This consent has been updated since: withdraw the newer one.")
    if not reason.strip():
        raise Refused("Enter the reason the consent was withdrawn.")
    if problem := out_of_bounds(withdrawn_on, "the date consent was withdrawn", *CONSENT):
        raise Refused(problem)
    if withdrawn_on < consent.given_on:
        raise Refused("The date consent was withdrawn must be on or after the date it was given.")
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_reason = reason.strip()
    consent.withdrawal_recorded_by = user
    consent.full_clean()
    consent.save(update_fields=["withdrawn_on", "withdrawal_reason", "withdrawal_recorded_by"])
    covered = set(
        Consent.children.through.objects.filter(consent__in=Consent.objects.current().filter(caf=caf)).values_list(
            "child_id", flat=True
        )
    )
    uncovered = caf.caf_children.exclude(child_id__in=covered).exists()
    if uncovered or safeguarding_referral_follows:
        for membership in caf.taf_members.filter(left_at__isnull=True).exclude(agency=caf.initiating_agency):
            membership_end(membership, ended_by=user)
    else:
        sharing_enforce(user=user, caf=caf, why=f"consent given by {consent.given_by} was withdrawn")
    if safeguarding_referral_follows:
        _referral_draft(
            user=user,
            caf=caf,
            reason=f"Consent withdrawn ({consent.withdrawal_reason}); a safeguarding referral follows.",
        )
    elif caf.status == Caf.Status.ACTIVE and uncovered:
        close(user=user, caf=caf, reason=Caf.ClosureReason.CONSENT_WITHDRAWN, summary=consent.withdrawal_reason)
    log_change(user, caf, "Recorded that consent was withdrawn")
    return consent


def _referral_draft(*, user: User, caf: Caf, reason: str) -> Any:
    # Only referrals creates referrals and their timeline (Settled question 14): it registers
    # referrals.services.safeguarding_referral_start, run here inside this service's transaction.
    return hooks.referral_draft_from_caf(user=user, caf=caf, reason=reason)


@transaction.atomic
def safeguarding_override_record(*, user: User, caf: Caf, reason: str) -> Any:
    """Without consent, a CAF cannot go on (it is voluntary). Where seeking consent would increase
    the risk of significant harm, the concern becomes a step-up referral draft, with the draft CAF
    attached as evidence (DESIGN.md, Settled question 2)."""
    caf = locked(caf)
    if caf.status != Caf.Status.DRAFT:
        raise Refused("A safeguarding override is recorded on a draft CAF. For an active CAF, refer to social care.")
    refuse_unless(policies.may_record_safeguarding_override(user, caf))
    if not reason.strip():
        raise Refused("Enter why seeking consent would increase the risk of significant harm.")
    referral = _referral_draft(user=user, caf=caf, reason=reason.strip())
    log_change(user, caf, "Recorded a safeguarding override: started a referral to children's social care")
    return referral
