"""The request type of every signed-in page: LoginRequiredMiddleware lets no anonymous request reach
a view that does not opt out, so a view's `request.user` is a `User` (for the type checker too)."""

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User  # type: ignore[assignment]
