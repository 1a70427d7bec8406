"""`refused(...)`: a service refuses with the words a person sees, and leaves no trace.

    with refused("Enter why the family is lifting it."):
        services.exclusion_lift(user=lead, exclusion=exclusion, asked_by="Kelly Smith", reason=" ")

passes only when the block raises the refusal (`Refused`, or `PermissionDenied` for want of access)
with exactly that message, and every row of the CAF, referral and accounts tables (their
many-to-many tables and the object permissions included) reads the same afterwards as before:
nothing was written, changed or granted, not even half a change rolled back by hand.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from core.errors import Refused

WATCHED_APPS = {"caf", "referrals", "accounts"}


def database_rows() -> dict[str, list[dict]]:
    """Every row of the watched tables, in primary-key order."""
    models = [model for model in apps.get_models(include_auto_created=True) if model._meta.app_label in WATCHED_APPS]
    rows = {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in models}
    rows["auth.Group"] = list(Group.objects.order_by("pk").values())
    return rows


def _changed(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


@contextmanager
def refused(message: str, exception: type[Exception] = Refused) -> Iterator[pytest.ExceptionInfo]:
    before = database_rows()
    with pytest.raises(exception) as raised:
        yield raised
    said = raised.value.messages if isinstance(raised.value, Refused) else [str(raised.value)]
    assert message in said, f"refused with {said!r}, not {message!r}"
    changed = _changed(before, database_rows())
    assert not changed, f"the refusal wrote to {changed}"


def denied(message: str):
    """A refusal for want of access (a 403 on the page), with its message, writing nothing."""
    return refused(message, PermissionDenied)
