"""Every read a referrals page, list or job needs, each limited to what the user may see.

- `fetch`: one referral or step-down for a page (the check, 404 and the access log), and the
  refusal subjects for caf.middleware.
- `step_up`, `step_down`: what each page shows, in one call (`referral_page`, `pick_up_page`...).
- `queues`: the front door's queue and the other lists the queues and home pages show.
- `lists`: those lists in full, paged (the referral lists, the pick-up queue).
- `history`: earlier referrals of the same children (the re-referral warning, the front door's
  evidence) and the logging of each showing.
- `clocks`: the decision and pick-up clocks, in the council's working calendar.
- `council`: the front door, social care agencies, social workers and staff of a council, a CAF's
  lead professional now.
- `figures`: the monthly step-down figures.
- `caf_hooks`: what caf asks through caf.hooks (the chronology, a child referred, a CAF's referrals).
"""

from referrals.selectors.caf_hooks import (
    caf_referrals,
    child_referred,
    chronology_events,
    subject_access_documents,
)
from referrals.selectors.clocks import Clock, decision_clock, pick_up_clock
from referrals.selectors.council import (
    current_lead,
    front_door_managers,
    localities_of,
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
    EarlierReferral,
    earlier_outcome,
    earlier_referrals,
    earlier_referrals_log,
    previous_referrals,
    referrals_within_a_year,
)
from referrals.selectors.lists import (
    REFERRAL_QUEUES,
    STEP_DOWN_QUEUES,
    PickUpQueuePage,
    StepDownSection,
    pick_up_queue_page,
    referral_list_page,
)
from referrals.selectors.queues import (
    OPEN_STEP_DOWN,
    front_door_queue,
    referrals_allocated_to,
    referrals_decided_recently,
    referrals_made_by,
    step_down_exclusions_naming,
    step_downs_open_from_social_care,
    step_downs_to_pick_up,
    step_downs_waiting_for_lead,
)
from referrals.selectors.step_down import (
    DeclinePage,
    FiguresPage,
    PickUpPage,
    StepDownNewPage,
    StepDownPage,
    decline_page,
    family_caf_for,
    figures_page,
    latest_levels,
    pick_up_lead_candidates,
    pick_up_page,
    step_down_new_page,
    step_down_page,
)
from referrals.selectors.step_up import (
    DecidePage,
    FrontDoorCallPage,
    FrontDoorPage,
    QueueRow,
    ReferralPage,
    ReferralStartPage,
    decide_page,
    decided_message,
    front_door_call_page,
    front_door_page,
    referral_page,
    referral_start_page,
)

__all__ = [
    "OPEN_STEP_DOWN",
    "REFERRAL_QUEUES",
    "REREFERRAL_MONTHS",
    "STEP_DOWN_QUEUES",
    "Clock",
    "DecidePage",
    "DeclinePage",
    "EarlierReferral",
    "FiguresPage",
    "FrontDoorCallPage",
    "FrontDoorPage",
    "PickUpPage",
    "PickUpQueuePage",
    "QueueRow",
    "ReferralPage",
    "ReferralStartPage",
    "StepDownMonth",
    "StepDownNewPage",
    "StepDownPage",
    "StepDownSection",
    "caf_referrals",
    "child_referred",
    "chronology_events",
    "current_lead",
    "decide_page",
    "decided_message",
    "decision_clock",
    "decline_page",
    "earlier_outcome",
    "earlier_referrals",
    "earlier_referrals_log",
    "family_caf_for",
    "figures_page",
    "front_door_call_page",
    "front_door_managers",
    "front_door_page",
    "front_door_queue",
    "latest_levels",
    "localities_of",
    "pick_up_clock",
    "pick_up_lead_candidates",
    "pick_up_page",
    "pick_up_queue_page",
    "previous_referrals",
    "referral_get_for_user",
    "referral_list_page",
    "referral_may_see",
    "referral_page",
    "referral_start_page",
    "referrals_allocated_to",
    "referrals_decided_recently",
    "referrals_made_by",
    "referrals_within_a_year",
    "refusal_subject",
    "social_care_agencies",
    "social_workers_of",
    "staff_of",
    "step_down_exclusions_naming",
    "step_down_figures",
    "step_down_get_for_user",
    "step_down_may_see",
    "step_down_new_page",
    "step_down_page",
    "step_downs_open_from_social_care",
    "step_downs_to_pick_up",
    "step_downs_waiting_for_lead",
    "subject_access_documents",
]
