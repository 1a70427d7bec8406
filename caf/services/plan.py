"""The delivery plan: adding an action and recording its progress."""

from typing import Any

from django.db import transaction

from accounts.models import User
from caf import policies
from caf.models import Caf, PlanAction
from caf.policies import refuse_unless
from caf.services._common import locked, log_change
from core.date_bounds import ACTION_DUE, out_of_bounds
from core.errors import Refused


def plan_action_create(*, user: User, caf: Caf, **fields: Any) -> PlanAction:
    """One action of the plan, given only to an agency the family's consent covers and, if named,
    to a current member of the team the family has not excluded (issue 11)."""
    due_on = fields.get("due_on")
    if due_on and (refusal := out_of_bounds(due_on, "The date it will be done by", *ACTION_DUE)):
        raise Refused(f"{refusal}.")
    action = PlanAction(caf=caf, created_by=user, **fields)
    if action.agency.council_id != caf.council_id:
        raise Refused("Choose an agency of this council.")
    if not policies.sharing_agencies(caf).filter(pk=action.agency_id).exists():
        raise Refused(
            f"The family's consent does not cover {action.agency}, or they asked that it does not see the plan."
        )
    owner = action.owner
    if owner is not None:
        if not policies.is_current_member(owner, caf):
            raise Refused(f"{owner} is not a current member of the team: choose someone who is, or nobody.")
        refusal = policies.why_may_not_join(owner, caf)
        if refusal:
            raise Refused(refusal)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def plan_action_add(*, user: User, caf: Caf, **fields: Any) -> PlanAction:
    caf = locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("The plan of an active CAF changes; this one is not active.")
    refuse_unless(policies.may_manage_plan(user, caf), "Only the lead professional changes the plan.")
    action = plan_action_create(user=user, caf=caf, **fields)
    log_change(user, caf, "Added an action to the plan")
    return action


@transaction.atomic
def plan_action_update(*, user: User, action: PlanAction, status: str, outcome: str = "") -> PlanAction:
    """The lead professional changes any action; a TAF member their own."""
    caf = locked(action.caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("The plan of a closed CAF does not change.")
    action.caf = caf
    refuse_unless(policies.may_update_action(user, action), "You can update only your own actions.")
    action.status = status
    action.outcome = outcome.strip()
    action.full_clean()
    action.save(update_fields=["status", "outcome"])
    log_change(user, caf, "Updated an action of the plan")
    return action
