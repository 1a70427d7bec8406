"""active screens of the CAF (see caf/urls.py)."""

urlpatterns: list = []
