"""Sharing a family's information without their consent, and deciding not to share (issue 15;
Settled questions 1, 10d and 15). The basis of every share is data: consent is the consent records,
the safeguarding override and section 47 are the referral's basis and their exclusion exceptions,
break-glass its own record, and the duty to share for safeguarding and welfare (Children Act 2004
s.16LA) a `SharingDecision` of its own, which grants the agency read access and, where the family
excluded that agency, records exception 10(d) so the deny gives way to it. A decision not to share
is recorded with who asked, what and why. The person's agency manager (else the council's early help
lead) is told of each, through the outbox, without the family's details in the e-mail."""

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, Notification, User
from accounts.notifications import notification_record
from caf import permissions as perms
from caf import policies
from caf.models import Caf, ExclusionException, FamilyExclusion, GrantReason, SharingBasis, SharingDecision
from caf.services._common import locked, log_change, manager_of
from core.errors import Refused

TEXT_MAX = 5000
ASKED_BY_MAX = 200


def _texts(what: str, reason: str, *, what_label: str, reason_label: str) -> tuple[str, str]:
    what, reason = what.strip(), reason.strip()
    errors = {}
    if not what:
        errors["what"] = f"Enter {what_label}"
    elif len(what) > TEXT_MAX:
        errors["what"] = f"{what_label[0].upper()}{what_label[1:]} must be {TEXT_MAX:,} characters or fewer"
    if not reason:
        errors["reason"] = f"Enter {reason_label}"
    elif len(reason) > TEXT_MAX:
        errors["reason"] = f"{reason_label[0].upper()}{reason_label[1:]} must be {TEXT_MAX:,} characters or fewer"
    if errors:
        raise Refused(errors)
    return what, reason


def _agency_check(caf: Caf, agency: Agency) -> None:
    if agency.council_id != caf.council_id:
        raise Refused({"agency": "Choose an agency of this council"})


@transaction.atomic
def duty_to_share_record(*, user: User, caf: Caf, agency: Agency, what: str, reason: str) -> SharingDecision:
    """Share the CAF with an agency under the duty to share (s.16LA): the agency reads it, as a member's
    agency would, until the CAF closes (and for the council's period after, as every grant); on a
    closed CAF, for the council's period from now. Where the family excluded the agency, the share is
    the recorded exception 10(d); a person the family excluded by name stays excluded."""
    caf = locked(caf)
    if not policies.may_record_sharing_decision(user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records a share.")
    if not caf.council.duty_to_share_in_force(timezone.localdate()):
        raise Refused("The duty to share is not in force for this council yet: share only with the family's consent.")
    _agency_check(caf, agency)
    what, reason = _texts(
        what, reason, what_label="what you shared", reason_label="why sharing is needed for the child's welfare"
    )
    decision = SharingDecision.objects.create(
        caf=caf,
        agency=agency,
        decision=SharingDecision.Decision.SHARED,
        basis=SharingBasis.DUTY_TO_SHARE,
        what=what,
        reason=reason,
        recorded_by=user,
    )
    until = None
    if caf.status == Caf.Status.CLOSED:
        until = decision.recorded_at + relativedelta(months=caf.council.closed_caf_read_months)
    perms.grant_agency(agency, caf, reason=GrantReason.DUTY_TO_SHARE, until=until)
    if FamilyExclusion.objects.filter(caf=caf, agency=agency, lifted_at__isnull=True).exists():
        ExclusionException.objects.create(
            caf=caf,
            agency=agency,
            basis=SharingBasis.DUTY_TO_SHARE,
            reason=reason,
            recorded_by=user,
            recorded_at=decision.recorded_at,
            ended_at=until,
        )
    # The log names the share, never what was shared: the access log outlives the anonymised record.
    log_change(user, caf, f"Shared with {agency} under the duty to share (s.16LA)")
    _tell_manager(decision)
    return decision


@transaction.atomic
def decision_not_to_share_record(
    *, user: User, caf: Caf, agency: Agency, why_not: str, asked_by: str, what: str, reason: str
) -> SharingDecision:
    """Record that the family's information was not shared with an agency: who asked, what, why."""
    caf = locked(caf)
    if not policies.may_record_sharing_decision(user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records a decision not to share.")
    _agency_check(caf, agency)
    if why_not not in SharingDecision.WhyNot.values:
        raise Refused({"why_not": "Choose why the information was not shared"})
    asked_by = asked_by.strip()
    if len(asked_by) > ASKED_BY_MAX:
        raise Refused({"asked_by": f"Who asked must be {ASKED_BY_MAX} characters or fewer"})
    what, reason = _texts(what, reason, what_label="what was not shared", reason_label="why it was not shared")
    decision = SharingDecision.objects.create(
        caf=caf,
        agency=agency,
        decision=SharingDecision.Decision.NOT_SHARED,
        why_not=why_not,
        asked_by=asked_by,
        what=what,
        reason=reason,
        recorded_by=user,
    )
    log_change(user, caf, f"Decided not to share with {agency}: {decision.get_why_not_display()}")
    _tell_manager(decision)
    return decision


def _tell_manager(decision: SharingDecision) -> None:
    caf = decision.caf
    manager = manager_of(decision.recorded_by, caf.council)
    if manager is None:
        return
    shared = decision.decision == SharingDecision.Decision.SHARED
    what = "shared a family's information with" if shared else "decided not to share a family's information with"
    notification_record(
        recipient=manager,
        kind=Notification.Kind.SHARING_DECISION,
        subject_key=f"sharing_decision:{decision.pk}",
        title=f"{decision.recorded_by} {what} {decision.agency}",
        body=(
            f"{decision.recorded_by} ({decision.recorded_by.agency}) {what} {decision.agency} "
            f"on CAF {caf.reference or caf.pk}"
            + (" under the duty to share (s.16LA)." if shared else f": {decision.get_why_not_display()}.")
            + " The list of sharing decisions shows what and why."
        ),
        url=reverse("caf:sharing_decisions"),
    )
