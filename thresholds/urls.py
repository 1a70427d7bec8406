from thresholds.views import guide, manage_draft, manage_versions

app_name = "thresholds"
# Each screen module keeps its own routes beside its views.
urlpatterns = [*guide.urlpatterns, *manage_versions.urlpatterns, *manage_draft.urlpatterns]
