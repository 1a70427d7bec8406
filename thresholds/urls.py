from thresholds.views import guide, manage

app_name = "thresholds"
# Each screen module keeps its own routes beside its views.
urlpatterns = [*guide.urlpatterns, *manage.urlpatterns]
