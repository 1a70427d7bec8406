"""Every change to referrals and step-downs. Each service checks who may make it, changes the state
in one transaction, grants access in the same transaction, writes the timeline and records the
notifications (sent once the transaction commits). Reads are in referrals.selectors, "who may" in
referrals.policies and the deadline maths in referrals.deadlines.

- `_common`: the lifecycles as tables (`REFERRAL_MOVES`, `STEP_DOWN_MOVES`) and `_move`, the
  timeline, telling people, the row locks.
- `step_up`: starting a referral (`referral_start`, and `safeguarding_referral_start` for caf's
  override), the immediate-risk call (`front_door_call_record`) and sending it (`referral_send`).
- `front_door`: claiming a referral and the front door's decision (`referral_claim`,
  `referral_decide`).
- `step_down`: social care sending a family down to early help (`step_down_send`).
- `pick_up`: early help picking the family up or recording that they declined (`step_down_pick_up`,
  `step_down_decline`), and completing a step-down when a lead professional is logged
  (`step_downs_complete_for`).
"""

from referrals.services._common import REFERRAL_MOVES, STEP_DOWN_MOVES
from referrals.services.front_door import referral_claim, referral_decide
from referrals.services.pick_up import step_down_decline, step_down_pick_up, step_downs_complete_for
from referrals.services.step_down import STEP_DOWN_FIELDS, step_down_send
from referrals.services.step_up import (
    CONSENT_GIVEN,
    CONSENT_NOT_SOUGHT,
    CONSENT_REFUSED,
    front_door_call_record,
    referral_send,
    referral_send_check,
    referral_start,
    safeguarding_referral_start,
)

__all__ = [
    "CONSENT_GIVEN",
    "CONSENT_NOT_SOUGHT",
    "CONSENT_REFUSED",
    "REFERRAL_MOVES",
    "STEP_DOWN_FIELDS",
    "STEP_DOWN_MOVES",
    "front_door_call_record",
    "referral_claim",
    "referral_decide",
    "referral_send",
    "referral_send_check",
    "referral_start",
    "safeguarding_referral_start",
    "step_down_decline",
    "step_down_pick_up",
    "step_down_send",
    "step_downs_complete_for",
]
