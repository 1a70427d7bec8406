"""Every read of referrals and step-downs (being split by page and list; for now all in queues)."""

from referrals.selectors.queues import *  # noqa: F403
