from caf.views import (
    active,
    break_glass,
    children,
    consent,
    draft,
    lists,
    retention,
    reviews,
    sharing,
    subject_access,
)

app_name = "caf"
# Each screen module keeps its own routes beside its views:
# children (find, record, merge, access log), draft (start, the overview, assessment, levels, submit),
# consent (consent, exclusions, withdrawal, the override), active (team, lead professional,
# registration, plan, closure, print), lists (the CAF list), reviews, retention (the legal hold),
# break_glass (opening a child's record for safeguarding, and the review of each use), subject_access
# (requests, exports and release decisions), sharing (who reads a CAF and on what basis, shares under
# the duty to share, decisions not to share).
urlpatterns = [
    *children.urlpatterns,
    *draft.urlpatterns,
    *consent.urlpatterns,
    *active.urlpatterns,
    *lists.urlpatterns,
    *reviews.urlpatterns,
    *retention.urlpatterns,
    *break_glass.urlpatterns,
    *subject_access.urlpatterns,
    *sharing.urlpatterns,
]
