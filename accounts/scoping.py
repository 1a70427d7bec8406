"""Council scoping: the one pattern every app uses so that nobody sees another council's records.

A model whose rows belong to a council gives its manager a `CouncilScopedQuerySet` and names the
path to its council in `council_lookup` (for example "council", "agency__council" or, for a CAF,
"council"). Views fetch through `for_user()` or `get_for_user_or_404()`, never through the plain
manager, so a record of another council is simply not found (404), and lists never include one.
"""

from typing import Any, TypeVar

from django.db import models
from django.http import Http404

_Model = TypeVar("_Model", bound=models.Model)


class CouncilScopedQuerySet(models.QuerySet[_Model]):
    council_lookup: str = "council"

    def for_council(self, council_id: int | None) -> "CouncilScopedQuerySet[_Model]":
        if council_id is None:
            return self.none()
        return self.filter(**{self._council_id_lookup(): council_id})

    def for_user(self, user: Any) -> "CouncilScopedQuerySet[_Model]":
        """Rows of the user's own council; every row for a service administrator (superuser)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.for_council(user.council_id)

    def _council_id_lookup(self) -> str:
        return "pk" if self.council_lookup == "pk" else f"{self.council_lookup}_id"


def get_for_user_or_404(queryset: CouncilScopedQuerySet[_Model], user: Any, **lookup: Any) -> _Model:
    """Fetch one row the user's council owns, or 404 as if it did not exist."""
    try:
        return queryset.for_user(user).get(**lookup)
    except queryset.model.DoesNotExist as error:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from error
