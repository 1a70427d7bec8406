from typing import Any

from django.http import HttpRequest

from accounts.email_address import email_normalise


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The e-mail address that django-axes counts failures against, normalised exactly as it is stored
    and looked up (accounts.email_address), so every spelling of one address shares one count."""
    source = credentials if credentials else request.POST
    # Anything may be typed: axes keeps it in a varchar(255), and PostgreSQL refuses NUL in text.
    return email_normalise(source.get("username") or "").replace("\x00", "")[:254]
