from caf.views import active, children, consent, draft, lists, reviews, subject_access

app_name = "caf"
# Each screen module keeps its own routes beside its views:
# children (find, record, merge, access log), draft (start, the overview, assessment, levels, submit),
# consent (consent, exclusions, withdrawal, the override), active (team, lead professional,
# registration, plan, closure, print), lists (the CAF list), reviews, subject_access (requests,
# exports and release decisions).
urlpatterns = [
    *children.urlpatterns,
    *draft.urlpatterns,
    *consent.urlpatterns,
    *active.urlpatterns,
    *lists.urlpatterns,
    *reviews.urlpatterns,
    *subject_access.urlpatterns,
]
