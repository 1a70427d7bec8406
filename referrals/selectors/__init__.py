"""Every read a referrals page, list or job needs, each limited to what the user may see.

- `fetch`: one referral or step-down for a page (the check, 404 and the access log), and the
  refusal subjects for caf.middleware.
- `step_down`: what a pick-up starts from (the family's CAF, lead professional candidates, levels).
- `queues`: the front door's queue and the other lists the queues and home pages show.
- `history`: earlier referrals of the same children (the re-referral warning, the front door's
  evidence).
- `clocks`: the decision and pick-up clocks, in the council's working calendar.
- `council`: the front door, social care agencies, social workers and staff of a council, a CAF's
  lead professional now.
- `figures`: the monthly step-down figures.
- `caf_hooks`: what caf asks through caf.hooks (the chronology, a child referred, a CAF's referrals).
"""

from referrals.selectors.caf_hooks import caf_referrals, child_referred, chronology_events
from referrals.selectors.clocks import Clock, decision_clock, pick_up_clock
from referrals.selectors.council import (
    current_lead,
    front_door_managers,
    social_care_agencies,
    social_workers_of,
    staff_of,
)
from referrals.selectors.fetch import (
    referral_get_for_user,
    referral_may_see,
    refusal_subject,
    step_down_get_for_user,
    step_down_may_see,
)
from referrals.selectors.figures import StepDownMonth, step_down_figures
from referrals.selectors.history import (
    REREFERRAL_MONTHS,
    earlier_outcome,
    previous_referrals,
    referrals_within_a_year,
)
from referrals.selectors.queues import (
    OPEN_STEP_DOWN,
    front_door_queue,
    referrals_allocated_to,
    referrals_decided_recently,
    referrals_made_by,
    step_downs_open_from_social_care,
    step_downs_to_pick_up,
    step_downs_waiting_for_lead,
)
from referrals.selectors.step_down import (
    family_caf_for,
    latest_levels,
    pick_up_lead_candidates,
)

__all__ = [
    "OPEN_STEP_DOWN",
    "REREFERRAL_MONTHS",
    "Clock",
    "StepDownMonth",
    "caf_referrals",
    "child_referred",
    "chronology_events",
    "current_lead",
    "decision_clock",
    "earlier_outcome",
    "family_caf_for",
    "front_door_managers",
    "front_door_queue",
    "latest_levels",
    "pick_up_clock",
    "pick_up_lead_candidates",
    "previous_referrals",
    "referral_get_for_user",
    "referral_may_see",
    "referrals_allocated_to",
    "referrals_decided_recently",
    "referrals_made_by",
    "referrals_within_a_year",
    "refusal_subject",
    "social_care_agencies",
    "social_workers_of",
    "staff_of",
    "step_down_figures",
    "step_down_get_for_user",
    "step_down_may_see",
    "step_downs_open_from_social_care",
    "step_downs_to_pick_up",
    "step_downs_waiting_for_lead",
]
