"""Every read a CAF page, list or job needs, already limited to what the user may see; one module per
area.

- `records`: one CAF or child record, fetched with the check and the access log
- `caf`: one CAF's pages (the overview, check your answers, the classifier's inputs)
- `team`: the Team Around the Family and the plan's rows
- `consent`: the consent in force and the consent form's choices
- `children`: the children's screens, and find before create
- `access_log`: a child's or a CAF's access log, a page at a time by key
- `chronology`: a child's chronology
- `queues`: the lists behind the home pages' queues
- `lists`: the full, paged lists behind them (the CAF list, the actions list)
- `reviews`: upcoming and overdue reviews, the review figures, the review form's choices

Import them from here (`from caf import selectors`).
"""

from caf.selectors.access_log import (
    AccessLogKey,
    AccessLogPage,
    access_log_for_caf,
    access_log_for_child,
    access_log_page,
)
from caf.selectors.caf import (
    CafAnswers,
    CafOverview,
    Task,
    caf_answers,
    caf_children_by_name,
    caf_children_with_levels,
    caf_consents,
    caf_overview,
    child_answers,
    child_suggestion,
    submit_problems,
)
from caf.selectors.children import (
    Household,
    OpenCaf,
    PossibleMatch,
    child_cafs,
    child_for_new_caf,
    child_household,
    child_known_elsewhere,
    child_level_history,
    children_find,
    children_open_cafs,
    sibling_candidates_for,
)
from caf.selectors.chronology import child_chronology
from caf.selectors.consent import (
    ConsentChoices,
    agencies_not_named,
    consent_choices,
    consent_initial,
    consents_version,
    current_consent,
)
from caf.selectors.lists import (
    ACTION_LIST_PAGE_SIZE,
    ACTION_QUEUES,
    CAF_LIST_PAGE_SIZE,
    CAF_QUEUES,
    CafListPage,
    action_list_page,
    caf_list_page,
)
from caf.selectors.queues import (
    actions_due_for,
    caf_administrators,
    caf_detail_url,
    caf_possible_duplicates,
    caf_queue_item,
    cafs_led_by,
    cafs_to_register,
    cafs_with_lead_to_log,
    cafs_without_lead,
    drafts_of,
    overdue_actions_in_plans_led_by,
    tafs_of,
)
from caf.selectors.records import caf_get_for_user, child_get_for_caf_administrator, child_get_for_user, child_may_see
from caf.selectors.reviews import (
    REVIEWS_UPCOMING_WITHIN_DAYS,
    ReviewFigures,
    ReviewFormChoices,
    caf_review_date_changes,
    caf_reviews,
    review_conflict_rows,
    review_figures,
    review_form_choices,
    review_state,
    review_version,
    reviews_due_for,
    reviews_overdue_for,
    reviews_overdue_in_council,
    reviews_upcoming_for,
)
from caf.selectors.team import (
    Team,
    current_lead,
    current_member_users,
    current_members,
    plan_rows,
    taf_team,
    team_version,
)

__all__ = [
    "ACTION_LIST_PAGE_SIZE",
    "ACTION_QUEUES",
    "CAF_LIST_PAGE_SIZE",
    "CAF_QUEUES",
    "REVIEWS_UPCOMING_WITHIN_DAYS",
    "AccessLogKey",
    "AccessLogPage",
    "CafAnswers",
    "CafListPage",
    "CafOverview",
    "ConsentChoices",
    "Household",
    "OpenCaf",
    "PossibleMatch",
    "ReviewFigures",
    "ReviewFormChoices",
    "Task",
    "Team",
    "access_log_for_caf",
    "access_log_for_child",
    "access_log_page",
    "action_list_page",
    "actions_due_for",
    "agencies_not_named",
    "caf_administrators",
    "caf_answers",
    "caf_children_by_name",
    "caf_children_with_levels",
    "caf_consents",
    "caf_detail_url",
    "caf_get_for_user",
    "caf_list_page",
    "caf_overview",
    "caf_possible_duplicates",
    "caf_queue_item",
    "caf_review_date_changes",
    "caf_reviews",
    "cafs_led_by",
    "cafs_to_register",
    "cafs_with_lead_to_log",
    "cafs_without_lead",
    "child_answers",
    "child_cafs",
    "child_chronology",
    "child_for_new_caf",
    "child_get_for_caf_administrator",
    "child_get_for_user",
    "child_household",
    "child_known_elsewhere",
    "child_level_history",
    "child_may_see",
    "child_suggestion",
    "children_find",
    "children_open_cafs",
    "consent_choices",
    "consent_initial",
    "consents_version",
    "current_consent",
    "current_lead",
    "current_member_users",
    "current_members",
    "drafts_of",
    "overdue_actions_in_plans_led_by",
    "plan_rows",
    "review_conflict_rows",
    "review_figures",
    "review_form_choices",
    "review_state",
    "review_version",
    "reviews_due_for",
    "reviews_overdue_for",
    "reviews_overdue_in_council",
    "reviews_upcoming_for",
    "sibling_candidates_for",
    "submit_problems",
    "taf_team",
    "tafs_of",
    "team_version",
]
