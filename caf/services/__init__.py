"""Every change to a child's record, one module per aggregate (a screen or two each). Each service
checks who may make it (caf.policies), changes the state in one transaction, grants or revokes
access in the same transaction, and writes the access log. A refusal is core.errors.Refused (shown
on the form) or PermissionDenied (a 403).

- `children`: recording a child, merging duplicates, the household
- `duplicates`: possible duplicate records, found in the database, merged field by field or dismissed
- `lifecycle`: start (or ask to join), submit (draft to active, `CAF_MOVES`), register, close, reopen
- `consent`: consent, its withdrawal, the safeguarding override
- `exclusions`: the family's exclusions, their exceptions, and ending the access they remove
- `assessment`: strengths and needs, indicators, each child's level with its history
- `team`: the Team Around the Family and the lead professional
- `plan`: the delivery plan's actions
- `reviews`: the next review date and recording a review
- `break_glass`: a safeguarding opening of a child's record, and the manager's review of it
- `step_down`: what referrals asks of caf when social care steps a family down or takes a lead
- `subject_access`: subject access requests, their exports and release decisions
- `_common`: the moves table, refusing, locking, the change log, telling CAF administrators

The names below are the app's services; import them from here (`from caf import services`).
"""

from caf.services.assessment import assessment_save, child_indicators_set, child_level_set
from caf.services.break_glass import break_glass_open, break_glass_review
from caf.services.children import child_create, child_merge, household_record
from caf.services.consent import consent_record, consent_withdraw, safeguarding_override_record
from caf.services.duplicates import possible_duplicate_dismiss, possible_duplicate_merge, possible_duplicates_find
from caf.services.exclusions import exclusion_exception_record, exclusion_lift, exclusion_record
from caf.services.lifecycle import (
    caf_children_add,
    caf_close,
    caf_close_stepped_up,
    caf_register,
    caf_reopen,
    caf_request_to_join,
    caf_start,
    caf_submit,
)
from caf.services.plan import plan_action_add, plan_action_update
from caf.services.reviews import review_date_set, review_record
from caf.services.step_down import caf_start_from_step_down, consent_from_step_down, lead_professional_from_social_care
from caf.services.subject_access import (
    subject_access_decide,
    subject_access_export,
    subject_access_request_start,
)
from caf.services.team import lead_professional_assign, taf_member_add, taf_member_remove

__all__ = [
    "assessment_save",
    "break_glass_open",
    "break_glass_review",
    "caf_children_add",
    "caf_close",
    "caf_close_stepped_up",
    "caf_register",
    "caf_reopen",
    "caf_request_to_join",
    "caf_start",
    "caf_start_from_step_down",
    "caf_submit",
    "child_create",
    "child_indicators_set",
    "child_level_set",
    "child_merge",
    "consent_from_step_down",
    "consent_record",
    "consent_withdraw",
    "exclusion_exception_record",
    "exclusion_lift",
    "exclusion_record",
    "household_record",
    "lead_professional_assign",
    "lead_professional_from_social_care",
    "plan_action_add",
    "plan_action_update",
    "possible_duplicate_dismiss",
    "possible_duplicate_merge",
    "possible_duplicates_find",
    "review_date_set",
    "review_record",
    "safeguarding_override_record",
    "subject_access_decide",
    "subject_access_export",
    "subject_access_request_start",
    "taf_member_add",
    "taf_member_remove",
]
