"""Making a referral to children's social care: starting it (from a CAF or a child's record, or
from caf's safeguarding override through caf.hooks), the call to the front door when a child is at
immediate risk, and sending it on the family's consent or the safeguarding override, which grants
children's social care the CAF it carries.
"""

from copy import copy
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, User
from caf import policies as caf_policies
from caf import services as caf_services
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, Child, FamilyExclusion, SharingBasis
from core.date_bounds import CONSENT, out_of_bounds
from core.errors import Refused
from core.forms import children_names
from referrals import policies
from referrals.deadlines import decision_due_at
from referrals.models import Referral, TimelineEntry
from referrals.selectors import front_door_managers, social_care_agencies
from referrals.services._common import REFERRAL_MOVES, Kind, _locked_referral, _move, _tell, _timeline
from referrals.services.access import social_care_access_open


def _require_referrer(user: User, referral: Referral) -> None:
    if not policies.is_referrer(user, referral):
        raise PermissionDenied("Only the person who started the referral may change or send it.")


@transaction.atomic
def referral_start(
    *, user: User, children: list[Child], caf: Caf | None = None, immediate_risk: bool = False
) -> Referral:
    """A practitioner or lead professional starts a referral for a child or several children of a
    family, with their CAF attached as evidence when there is one (a referral can also be made
    without a CAF, for any child of the council, as a CAF can be started for one)."""
    if not user.is_active or user.agency_id is None:
        raise PermissionDenied("Only a council's staff can refer a child to children's social care.")
    if not children:
        raise Refused("Choose the child, or the children, you are referring.")
    if any(child.council_id != user.council_id or child.merged_into_id for child in children):
        raise Refused("Choose children recorded in your council (not merged records).")
    if caf is not None:
        if not caf_policies.may_refer_from(user, caf):
            raise PermissionDenied(
                "Only the CAF's lead professional refers with the CAF attached: refer from the child's record."
            )
        caf_children = set(caf.children.values_list("pk", flat=True))
        if any(child.pk not in caf_children for child in children):
            raise Refused("Choose children of this CAF, or refer the others separately.")
    referral = Referral.objects.create(
        council_id=user.council_id,
        caf=caf,
        referring_agency_id=user.agency_id,
        urgency=Referral.Urgency.IMMEDIATE if immediate_risk else Referral.Urgency.STANDARD,
        created_by=user,
    )
    referral.children.set(children)
    what = "Started the referral" + (": a child is at immediate risk" if immediate_risk else "")
    _timeline(by=user, what=what, referral=referral)
    access_log_write(
        user=user, action=AccessLog.Action.CHANGE, what="Started a referral to children's social care", caf=caf
    )
    return referral


@transaction.atomic
def safeguarding_referral_start(*, user: User, caf: Caf, reason: str) -> Referral:
    """A safeguarding concern without consent is a step-up referral, not a CAF (Settled question 2):
    a referral draft without consent, saying why, with the CAF and its children attached as
    evidence. caf's safeguarding override and "consent withdrawn, a safeguarding referral follows"
    call it through caf.hooks, inside their own transaction and after their own checks."""
    referral = Referral.objects.create(
        council_id=caf.council_id,
        caf=caf,
        basis=SharingBasis.SAFEGUARDING_OVERRIDE,
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
def front_door_call_record(
    *, user: User, referral: Referral, called_at: datetime, spoke_to: str, advice: str = ""
) -> Referral:
    """Immediate risk: the referrer has phoned the front door (or the emergency duty team) first;
    this records the call before the written referral."""
    referral = _locked_referral(referral)
    _require_referrer(user, referral)
    if referral.status != Referral.Status.DRAFT:
        raise Refused("This referral has already been sent.")
    if not spoke_to.strip():
        raise Refused("Enter who you spoke to at the front door.")
    if called_at > timezone.now() + timedelta(minutes=5):
        raise Refused("The time of the call cannot be in the future.")
    if called_at < timezone.now() - timedelta(days=1):
        raise Refused("The time of the call must be within the last day: record the call when you make it.")
    referral.urgency = Referral.Urgency.IMMEDIATE
    referral.front_door_called_at = called_at
    referral.front_door_spoke_to = spoke_to.strip()
    referral.front_door_advice = advice.strip()
    referral.save(update_fields=["urgency", "front_door_called_at", "front_door_spoke_to", "front_door_advice"])
    _timeline(
        by=user,
        what=(
            f"Phoned the front door at {timezone.localtime(called_at):%H:%M on %-d %B} "
            f"and spoke to {referral.front_door_spoke_to}"
        ),
        referral=referral,
    )
    return referral


CONSENT_GIVEN = "given"
CONSENT_NOT_SOUGHT = "not_sought"  # seeking it would increase the risk of significant harm
CONSENT_REFUSED = "refused"


def _referral_basis_set(
    referral: Referral,
    *,
    consent: str | None,
    consent_given_by: str,
    consent_relationship: str,
    consent_given_on: date | None,
    override_reason: str,
) -> None:
    """The basis for sending: the family's consent (who, relationship, when), or the safeguarding
    override (why seeking consent would increase the risk); a refusal stops the referral."""
    if consent is None:
        # A referral started from a safeguarding override already says why consent was not sought.
        consent = CONSENT_NOT_SOUGHT if referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE else None
    if consent == CONSENT_GIVEN:
        if not (consent_given_by.strip() and consent_relationship.strip() and consent_given_on):
            raise Refused("Say who agreed to the referral, their relationship to the child and when.")
        if consent_given_on > timezone.localdate():
            raise Refused("The date consent was given cannot be in the future.")
        if refusal := out_of_bounds(consent_given_on, "The date consent was given", *CONSENT):
            raise Refused(f"{refusal}.")
        referral.basis = SharingBasis.CONSENT
        referral.override_reason = ""
    elif consent == CONSENT_NOT_SOUGHT:
        reason = override_reason.strip() or referral.override_reason
        if not reason:
            raise Refused("Say why seeking consent would increase the risk of significant harm.")
        referral.basis = SharingBasis.SAFEGUARDING_OVERRIDE
        referral.override_reason = reason
    elif consent == CONSENT_REFUSED:
        raise Refused(
            "Without the family's consent, a referral goes only when seeking consent would increase the risk of "
            "significant harm. If that is so, choose that answer and say why; if not, talk to the family again, "
            "or phone the front door for advice."
        )
    else:
        raise Refused("Say whether the family agrees to the referral.")


def _referral_send_refusals(
    user: User,
    referral: Referral,
    *,
    concern: str,
    consent: str | None,
    consent_given_by: str,
    consent_relationship: str,
    consent_given_on: date | None,
    override_reason: str,
) -> list[Agency]:
    """Everything that stops a referral being sent (raised), setting its basis on `referral`; the
    agencies of children's social care it goes to."""
    if referral.status != Referral.Status.DRAFT:
        raise Refused("This referral has already been sent.")
    if not policies.may_send_referral(user, referral):
        raise PermissionDenied("Only the person who started the referral may send it.")
    if not concern.strip():
        raise Refused("Describe the concern: what you have seen or been told, and when.")
    _referral_basis_set(
        referral,
        consent=consent,
        consent_given_by=consent_given_by,
        consent_relationship=consent_relationship,
        consent_given_on=consent_given_on,
        override_reason=override_reason,
    )
    if referral.urgency == Referral.Urgency.IMMEDIATE and referral.front_door_called_at is None:
        raise Refused("A child is at immediate risk: phone the front door now, then record the call.")
    agencies = social_care_agencies(referral.council_id)
    if not agencies:
        raise Refused("Your council has no children's social care agency recorded: phone the front door instead.")
    return agencies


def referral_send_check(
    *,
    user: User,
    referral: Referral,
    concern: str,
    consent: str | None = None,
    consent_given_by: str = "",
    consent_relationship: str = "",
    consent_given_on: date | None = None,
    override_reason: str = "",
    **others: object,
) -> None:
    """What referral_send would refuse now, raised without sending or writing anything: the form's
    page asks before showing the answers to check (issue 14), so that a refusal is met on the form.
    referral_send asks again, under the referral's lock, when the referral is sent."""
    _referral_send_refusals(
        user,
        copy(referral),
        concern=concern,
        consent=consent,
        consent_given_by=consent_given_by,
        consent_relationship=consent_relationship,
        consent_given_on=consent_given_on,
        override_reason=override_reason,
    )


@transaction.atomic
def referral_send(
    *,
    user: User,
    referral: Referral,
    concern: str,
    tried: str = "",
    views_of_child: str = "",
    views_of_family: str = "",
    family_informed: bool | None = None,
    consent: str | None = None,
    consent_given_by: str = "",
    consent_relationship: str = "",
    consent_given_on: date | None = None,
    override_reason: str = "",
) -> Referral:
    """Send the referral to the council's children's social care. Consent is sought unless seeking
    it would increase the risk of significant harm (002 App. B): then the referral goes without it,
    saying why, and nothing else in the form may hold it up. Without either, it does not go.
    From sending, children's social care sees the referral and the CAF attached (in this
    transaction), and the decision clock starts."""
    referral = _locked_referral(referral)
    agencies = _referral_send_refusals(
        user,
        referral,
        concern=concern,
        consent=consent,
        consent_given_by=consent_given_by,
        consent_relationship=consent_relationship,
        consent_given_on=consent_given_on,
        override_reason=override_reason,
    )

    _move(referral, Referral.Status.SENT, REFERRAL_MOVES)
    now = timezone.now()
    referral.concern = concern.strip()
    referral.tried = tried.strip()
    referral.views_of_child = views_of_child.strip()
    referral.views_of_family = views_of_family.strip()
    referral.family_informed = family_informed
    if referral.basis == SharingBasis.CONSENT:
        referral.consent_given_by = consent_given_by.strip()
        referral.consent_relationship = consent_relationship.strip()
        referral.consent_given_on = consent_given_on
    referral.sent_at = now
    referral.decision_due_at = decision_due_at(referral, now)
    referral.save()
    social_care_access_open(referral)
    if referral.caf_id:
        _caf_to_social_care(user=user, referral=referral, agencies=agencies)
    _timeline(by=user, what=f"Sent to children's social care ({referral.basis_label.lower()})", referral=referral)
    access_log_write(
        user=user, action=AccessLog.Action.CHANGE, what="Sent a referral to children's social care", caf=referral.caf
    )
    if referral.is_immediate:
        names = children_names(referral.children.all())
        _tell(
            front_door_managers(referral.council_id),
            kind=Kind.REFERRAL_IMMEDIATE,
            subject_key=f"referral:{referral.pk}",
            title=f"Immediate risk: referral for {names}",
            body=(
                f"{user} ({referral.referring_agency}) has sent a referral for {names}: a child is at immediate risk. "
                f"They phoned the front door at {timezone.localtime(referral.front_door_called_at):%H:%M} and spoke "
                f"to {referral.front_door_spoke_to}."
            ),
            url=reverse("referrals:referral_detail", args=[referral.pk]),
        )
    return referral


def _caf_to_social_care(*, user: User, referral: Referral, agencies: list[Agency]) -> None:
    """Children's social care is granted the CAF the referral carries (services/access.py). The
    family's exclusions stand over the grant (Settled question 10a) unless the referral went under a
    safeguarding override, a recorded exception; either way the timeline says what was shared and why."""
    caf = referral.caf
    excluded = set(
        FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True, agency__in=agencies).values_list(
            "agency_id", flat=True
        )
    )
    for agency in agencies:
        if agency.pk not in excluded:
            continue
        if referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE:
            caf_services.exclusion_exception_record(
                user=user,
                caf=caf,
                agency=agency,
                basis=SharingBasis.SAFEGUARDING_OVERRIDE,
                reason=f"Referral {referral.pk}: {referral.override_reason}",
            )
            _timeline(
                by=user,
                what=(
                    f"The CAF is shared with {agency} although the family excluded it: sent under a safeguarding "
                    "override (risk of significant harm)"
                ),
                referral=referral,
            )
        else:
            _timeline(
                by=user,
                what=f"The CAF is not shared with {agency}: the family excluded it from the assessment",
                referral=referral,
            )
