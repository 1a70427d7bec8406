from typing import Any, Optional

from django.http import HttpRequest


def lockout_username(request: HttpRequest, credentials: Optional[dict[str, Any]]) -> str:
    """The e-mail address that django-axes counts failures against, in lower case as it is stored,
    so that "Priya@School" and "priya@school" share one count."""
    source = credentials if credentials else request.POST
    return (source.get("username") or "").strip().lower()
