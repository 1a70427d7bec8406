"""Where a person is signed in: one row per session, so they can see their sessions and end them."""

from django.db import models
from django.utils import timezone

from accounts.models.users import User


class SignInSession(models.Model):
    """A session a person signed in to (Django's own session row holds its expiry). Recorded at
    sign-in, forgotten at sign-out; ended by the person, by a password change (every other one) or
    a password reset (all)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField("Browser", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField("Address", null=True, blank=True)

    class Meta:
        ordering = ["-signed_in_at", "-pk"]
        indexes = [models.Index(fields=["user", "-signed_in_at"], name="sign_in_session_of_user")]

    def __str__(self) -> str:
        return f"{self.user} since {self.signed_in_at:%Y-%m-%d %H:%M}"
