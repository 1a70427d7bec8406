"""Early help's side of a step-down: the CAF administrators pick the family up into a CAF (the
family's active one continues, a closed one reopens as a new episode, or a new one starts), or
record that the family declined; a step-down picked up completes once an early help lead
professional is logged (caf.hooks.lead_professional_logged, registered in ReferralsConfig.ready).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, User
from caf import policies as caf_policies
from caf import selectors as caf_selectors
from caf import services as caf_services
from caf.models import Caf, LeadProfessionalAssignment
from core.errors import Refused
from core.forms import children_names
from referrals import policies
from referrals.models import StepDown
from referrals.selectors import current_lead, family_caf_for
from referrals.services._common import STEP_DOWN_MOVES, Kind, _locked_step_down, _move, _tell, _timeline
from thresholds.models import Level


def _require_caf_administrator(user: User, step_down: StepDown) -> None:
    if not (
        caf_policies.is_caf_administrator(user, step_down.council_id) and policies.may_view_step_down(user, step_down)
    ):
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")


@transaction.atomic
def step_down_pick_up(
    *, user: User, step_down: StepDown, levels: dict[int, Level] | None = None, lead: User | None = None
) -> StepDown:
    """An early help coordinator picks the family up: the family's CAF continues if it is active,
    a closed one is reopened as a new episode with its history, or a new CAF starts; the children,
    household, assessment and needs come across. With a lead professional chosen (who joins the
    team), the step-down closes now; without, it waits until the CAF administrator logs one."""
    step_down = _locked_step_down(step_down)
    _require_caf_administrator(user, step_down)
    if step_down.status != StepDown.Status.WAITING:
        raise Refused("This step-down has already been picked up or declined.")
    children = list(step_down.children.filter(merged_into__isnull=True))
    family_caf = family_caf_for(step_down)
    # The family's consent exactly as social care recorded it (Settled question 11).
    given = {
        "consent": {
            "given_by": step_down.consent_given_by,
            "relationship": step_down.consent_relationship,
            "given_on": step_down.consent_given_on,
            "method": step_down.consent_method,
            "explained_storage": step_down.explained_storage,
            "explained_sharing": step_down.explained_sharing,
        },
        "consent_agencies": list(step_down.consent_agencies.all()),
        "excluded_agencies": list(step_down.excluded_agencies.all()),
        "excluded_people": list(step_down.excluded_people.all()),
    }
    to_check: list[Agency] = []
    if family_caf is not None and family_caf.status == Caf.Status.ACTIVE:
        caf = family_caf
        recorded = caf_services.consent_from_step_down(user=user, caf=caf, **given)
        to_check = caf_selectors.agencies_not_named(caf, recorded)
        how = "continued the family's active CAF"
    else:
        caf = caf_services.caf_start_from_step_down(
            user=user,
            children=children,
            previous=family_caf,
            **given,
            levels=levels or {},
            level_reason=f"Stepped down from children's social care: {step_down.point_phrase}",
        )
        how = "reopened the family's CAF as a new episode" if family_caf is not None else "started a CAF"
    now = timezone.now()
    step_down.picked_up_by, step_down.picked_up_at, step_down.picked_up_caf = user, now, caf
    _move(step_down, StepDown.Status.PICKED_UP, STEP_DOWN_MOVES)
    step_down.save()
    _timeline(by=user, what=f"Picked up by {user}, who {how}", step_down=step_down)
    if to_check:
        _timeline(
            by=user,
            what=(
                "Check with the family: the step-down's consent does not name "
                + ", ".join(agency.name for agency in to_check)
                + ", on the team now"
            ),
            step_down=step_down,
        )
    if lead is not None and current_lead(caf) != lead:
        if not caf.taf_members.filter(user=lead, left_at__isnull=True).exists():
            caf_services.taf_member_add(user=user, caf=caf, member=lead, role="Lead professional")
        caf_services.lead_professional_assign(user=user, caf=caf, lead=lead)
    # An early help lead professional in place (just logged, or leading the CAF that continues)
    # closes the step-down now.
    assignment = caf.lead_professionals.filter(ended_at__isnull=True, social_work_led=False).first()
    if assignment is not None:
        step_downs_complete_for(user=user, caf=caf, assignment=assignment)
    step_down.refresh_from_db()
    names = children_names(children)
    _tell(
        [step_down.sent_by],
        kind=Kind.STEP_DOWN_PICKED_UP,
        subject_key=f"step-down:{step_down.pk}",
        title=f"Early help has picked up {names}",
        body=f"{user} has picked up the step-down of {names}: they {how}.",
        url=reverse("referrals:step_down_detail", args=[step_down.pk]),
    )
    return step_down


def step_downs_complete_for(*, user: User, caf: Caf, assignment: LeadProfessionalAssignment) -> list[StepDown]:
    """Called when a lead professional is logged: a step-down picked up into this CAF closes once it
    has a lead professional in early help (not the social worker it came from)."""
    if assignment.social_work_led:
        return []
    completed = []
    for step_down in StepDown.objects.select_for_update().filter(picked_up_caf=caf, status=StepDown.Status.PICKED_UP):
        _move(step_down, StepDown.Status.COMPLETED, STEP_DOWN_MOVES)
        step_down.completed_at = assignment.started_at
        step_down.save(update_fields=["status", "completed_at"])
        _timeline(
            by=user, what=f"{assignment.user} became lead professional: the step-down is complete", step_down=step_down
        )
        completed.append(step_down)
    return completed


@transaction.atomic
def step_down_decline(*, user: User, step_down: StepDown, reason: str) -> StepDown:
    """Early help is voluntary: a family may decline it. Recorded with the reason, and counted."""
    step_down = _locked_step_down(step_down)
    _require_caf_administrator(user, step_down)
    if not reason.strip():
        raise Refused("Say why the family declined early help, in their words if you can.")
    _move(step_down, StepDown.Status.DECLINED, STEP_DOWN_MOVES)
    step_down.declined_by, step_down.declined_at, step_down.decline_reason = user, timezone.now(), reason.strip()
    step_down.save(update_fields=["status", "declined_by", "declined_at", "decline_reason"])
    _timeline(by=user, what=f"The family declined early help: {step_down.decline_reason}", step_down=step_down)
    return step_down
