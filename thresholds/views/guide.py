"""The threshold guide: "Check the threshold" for every signed-in user."""

urlpatterns: list = []
