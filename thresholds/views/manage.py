"""Council administrators: draft versions, edits, comparison, policy cases and publishing."""

urlpatterns: list = []
