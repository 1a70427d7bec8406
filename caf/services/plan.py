"""The delivery plan: adding an action and recording its progress."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from caf import policies
from caf.models import Caf, PlanAction
from caf.policies import refuse_unless
from caf.services._common import locked, log_change
from core.date_bounds import ACTION_DUE, out_of_bounds
from core.errors import Conflict, Refused


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
def plan_action_update(
    *, user: User, action: PlanAction, status: str, outcome: str = "", drawn_from: int | None = None
) -> PlanAction:
    """The lead professional changes any action; a TAF member their own. `drawn_from`: the action's
    version the form showed; if someone (an update, or a review) changed it since, the update is
    refused as a Conflict, never written over (Settled question 20: one action, so updates of other
    actions never clash)."""
    caf = locked(action.caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("The plan of a closed CAF does not change.")
    # Read again under the CAF's lock: every change of the plan takes it, so this is where it stands.
    action = PlanAction.objects.select_related("agency", "owner", "updated_by").get(pk=action.pk)
    action.caf = caf
    refuse_unless(policies.may_update_action(user, action), "You can update only your own actions.")
    if drawn_from is not None and drawn_from != action.version:
        raise Conflict(
            "This action was updated after you opened it. What is saved now is beside what you typed:"
            " bring in what you need from it, then save.",
            saved_by=action.updated_by,
            saved_at=action.updated_at,
        )
    action.status = status
    action.outcome = outcome.strip()
    action_changed(action, by=user)
    action.full_clean()
    action.save(update_fields=["status", "outcome", "version", "updated_by", "updated_at"])
    log_change(user, caf, "Updated an action of the plan")
    return action


def action_changed(action: PlanAction, *, by: User) -> None:
    """Stamps a change of where the action is (the caller saves it with its other fields)."""
    action.version += 1
    action.updated_by, action.updated_at = by, timezone.now()
