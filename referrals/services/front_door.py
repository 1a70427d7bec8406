"""The front door's side of a referral: claiming it, and the decision with its reasons (no further
action, a step-down to early help, or social care's work, which allocates a social worker who may
lead the CAF or closes it as stepped up), with the recorded exceptions to the family's exclusions
that social care's work brings (Settled question 10).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from caf import permissions as perms
from caf import services as caf_services
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, SharingBasis
from core.errors import Refused
from core.forms import children_names
from referrals.models import Referral, StepDown
from referrals.policies import is_front_door_manager, is_social_care_staff
from referrals.selectors import current_lead, social_care_agencies
from referrals.services._common import REFERRAL_MOVES, Kind, _locked_referral, _move, _tell, _timeline
from referrals.services.access import social_care_access_end
from referrals.services.step_down import _step_down_create

Decision = Referral.Decision


def _require_front_door_manager(user: User, referral: Referral) -> None:
    if not is_front_door_manager(user, referral.council_id):
        raise PermissionDenied("Only the council's social care managers decide referrals.")


@transaction.atomic
def referral_claim(*, user: User, referral: Referral) -> Referral:
    """A front-door manager takes a referral to decide it; another may take it over (the timeline
    says from whom)."""
    referral = _locked_referral(referral)
    _require_front_door_manager(user, referral)
    if referral.status != Referral.Status.SENT:
        raise Refused("Only a referral awaiting a decision can be claimed.")
    if referral.claimed_by_id == user.pk:
        raise Refused("You have already claimed this referral.")
    previous = referral.claimed_by
    referral.claimed_by = user
    referral.claimed_at = timezone.now()
    referral.save(update_fields=["claimed_by", "claimed_at"])
    _timeline(
        by=user,
        what=f"Claimed by {user}" + (f", taking it over from {previous}" if previous else ""),
        referral=referral,
    )
    return referral


@transaction.atomic
def referral_decide(
    *,
    user: User,
    referral: Referral,
    decision: str,
    reasons: str,
    advice: str = "",
    social_worker: User | None = None,
    step_down: dict[str, Any] | None = None,
) -> Referral:
    """The front door's decision, with reasons. No further action needs advice to the referrer;
    stepping down sends the family to early help (step-down point 1, `step_down` holds the
    transfer); social care work (section 17 or 47) needs the allocated social worker, who becomes
    the CAF's lead professional when the council chooses so (Settled question 7), or else the CAF
    closes as stepped up. The referrer and the CAF's lead professional are told the outcome."""
    referral = _locked_referral(referral)
    _require_front_door_manager(user, referral)
    if referral.status == Referral.Status.DECIDED:
        raise Refused("This referral has already been decided.")
    if decision not in Decision.values:
        raise Refused("Choose the decision.")
    if not reasons.strip():
        raise Refused("Give the reasons for the decision.")
    if decision == Decision.NO_FURTHER_ACTION and not advice.strip():
        raise Refused("Give your advice to the referrer: what they and the family can do now.")
    if decision in Referral.SOCIAL_CARE_DECISIONS:
        if social_worker is None:
            raise Refused("Choose the social worker allocated to the family.")
        if not (
            social_worker.is_active
            and social_worker.has_role(Role.SOCIAL_WORKER)
            and is_social_care_staff(social_worker, referral.council_id)
        ):
            raise Refused("Choose a social worker of this council's children's social care.")
    elif social_worker is not None:
        raise Refused("A social worker is allocated only when social care takes the referral on.")
    if decision == Decision.STEP_DOWN and step_down is None:
        raise Refused("Say what early help needs to know: the needs still open and the family's consent.")

    _move(referral, Referral.Status.DECIDED, REFERRAL_MOVES)
    now = timezone.now()
    referral.decision = decision
    referral.decision_reasons = reasons.strip()
    referral.advice = advice.strip()
    referral.allocated_social_worker = social_worker
    referral.decided_by = user
    referral.decided_at = now
    if referral.claimed_by_id is None:
        referral.claimed_by, referral.claimed_at = user, now
    referral.save()
    social_care_access_end(referral, decided_at=now)
    _timeline(by=user, what=f"Decided: {referral.get_decision_display()}", referral=referral)
    access_log_write(
        user=user,
        action=AccessLog.Action.CHANGE,
        what=f"Decided a referral: {referral.get_decision_display()}",
        caf=referral.caf,
    )

    caf = referral.caf
    lead = current_lead(caf)
    if decision == Decision.STEP_DOWN:
        _step_down_create(
            user=user,
            point=StepDown.Point.FRONT_DOOR,
            referral=referral,
            caf=caf,
            children=list(referral.children.all()),
            reason=reasons,
            **step_down,
        )
    elif decision in Referral.SOCIAL_CARE_DECISIONS:
        _social_care_takes_on(user=user, referral=referral, social_worker=social_worker)

    names = children_names(referral.children.all())
    outcome = referral.get_decision_display()
    body = f"Children's social care has decided the referral for {names}: {outcome}."
    body += f"\n\nReasons: {referral.decision_reasons}"
    if referral.advice:
        body += f"\n\nAdvice to the referrer: {referral.advice}"
    _tell(
        [referral.created_by, lead],
        kind=Kind.REFERRAL_DECIDED,
        subject_key=f"referral:{referral.pk}",
        title=f"Referral for {names}: {outcome}",
        body=body,
        url=reverse("referrals:referral_detail", args=[referral.pk]),
    )
    return referral


def _social_care_takes_on(*, user: User, referral: Referral, social_worker: User) -> None:
    caf = referral.caf
    names = children_names(referral.children.all())
    _tell(
        [social_worker],
        kind=Kind.SOCIAL_WORKER_ALLOCATED,
        subject_key=f"referral:{referral.pk}",
        title=f"You are allocated to {names}",
        body=f"{user} has allocated you as social worker for {names}: {referral.get_decision_display()}.",
        url=reverse("referrals:referral_detail", args=[referral.pk]),
    )
    _timeline(by=user, what=f"Allocated {social_worker} as social worker", referral=referral)
    if caf is None:
        return
    _exceptions_for_social_care_work(user=user, referral=referral, social_worker=social_worker)
    if caf.status != Caf.Status.ACTIVE:
        _timeline(
            by=user,
            what=f"The CAF attached is {caf.get_status_display().lower()}: it is kept as evidence",
            referral=referral,
        )
        return
    if referral.council.social_worker_leads_caf and perms.is_excluded(social_worker, caf):
        _timeline(
            by=user,
            what=(
                f"The family excluded {social_worker} ({social_worker.agency}) from the CAF: the CAF keeps its "
                "lead professional and the social worker's work is recorded on this referral"
            ),
            referral=referral,
        )
    elif referral.council.social_worker_leads_caf:
        caf_services.lead_professional_from_social_care(user=user, caf=caf, social_worker=social_worker)
        _timeline(
            by=user,
            what=f"{social_worker} became the CAF's lead professional: support is social-work led",
            referral=referral,
        )
    else:
        caf_services.caf_close_stepped_up(
            user=user, caf=caf, summary=f"Stepped up: {referral.get_decision_display()}. {referral.decision_reasons}"
        )
        _timeline(by=user, what="The CAF closed as stepped up to children's social care", referral=referral)


def _exceptions_for_social_care_work(*, user: User, referral: Referral, social_worker: User) -> None:
    """Settled question 10: a section 47 enquiry takes the CAF to children's social care whatever the
    family excluded, and the allocated social worker of a referral sent under a safeguarding
    override sees it; each such share is a recorded exception, with its basis, in the timeline."""
    caf = referral.caf
    shares: list[dict[str, Any]] = []
    if referral.decision == Decision.CHILD_PROTECTION:
        shares.extend(
            {"agency": agency, "basis": SharingBasis.CHILD_PROTECTION}
            for agency in social_care_agencies(referral.council_id)
        )
    if referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE:
        shares.append({"person": social_worker, "basis": SharingBasis.SAFEGUARDING_OVERRIDE})
    for share in shares:
        exception = caf_services.exclusion_exception_record(
            user=user, caf=caf, reason=f"Referral {referral.pk}: {referral.get_decision_display()}", **share
        )
        if exception is not None:
            _timeline(
                by=user,
                what=(
                    f"The CAF is shared with {share.get('agency') or share.get('person')} although the family "
                    f"excluded them: {exception.get_basis_display().lower()}"
                ),
                referral=referral,
            )
