"""Placeholder until the two-factor branch lands (replaced by it at merge)."""

from django.http import HttpRequest

VERIFIED_KEY = "two_factor_verified"


def verified(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and request.session.get(VERIFIED_KEY))
