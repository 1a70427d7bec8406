from caf.views import active, children, draft, lists, reviews

app_name = "caf"
# Each screen module keeps its own routes beside its views:
# children (find, record, merge, access log), draft (start, consent, assessment, levels, submit),
# active (team, lead professional, registration, plan, closure, print).
urlpatterns = [*children.urlpatterns, *draft.urlpatterns, *active.urlpatterns, *lists.urlpatterns, *reviews.urlpatterns]
