"""Every change to referrals and step-downs (being split by aggregate; for now all in step_up)."""

from referrals.services.step_up import *  # noqa: F403
