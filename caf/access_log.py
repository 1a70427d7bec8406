"""The access log: who read or changed which child's record, or was refused (DESIGN.md, rule 2).
Written by the services, selectors and views; nobody edits it.

Each row names every child it is about in `child_ids` (Settled question 17): the child, the CAF's
children at the time of writing, or every child a list page or search showed. A child's log is
read through that array's GIN index alone (caf.selectors.access_log_for_child). An id asked for
that matched nothing is kept in `attempted_id`, so that probing shows."""

from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery

from accounts.models import User
from caf.models import AccessLog, Caf, CafChild, Child

BIGINT_LIMIT = 2**63


def access_log_write(
    *,
    user: User,
    action: str,
    what: str,
    caf: Caf | None = None,
    child: Child | None = None,
    child_ids: Iterable[int] | None = None,
    attempted_id: int | None = None,
    council_id: int | None = None,
) -> AccessLog:
    """One row. `child_ids` when given (a list page: the children shown); else the child; else the
    CAF's children, read in the INSERT itself unless already prefetched (no extra query). The row's
    council is the record's, else `council_id` (a search in another council), else the user's."""
    council_id = caf.council_id if caf else child.council_id if child else council_id or user.council_id
    ids: Any
    if child_ids is not None:
        ids = sorted(set(child_ids))
    elif child is not None:
        ids = [child.pk]
    elif caf is not None:
        ids = _caf_children_ids(caf)
    else:
        ids = []
    if attempted_id is not None and not 0 <= attempted_id < BIGINT_LIMIT:
        attempted_id = None  # no record has such an id; the row still shows the attempt
    row = AccessLog.objects.create(
        council_id=council_id,
        user=user,
        agency_id=user.agency_id,
        caf=caf,
        child=child,
        action=action,
        what=what[:200],
        child_ids=ids,
        attempted_id=attempted_id,
    )
    if not isinstance(ids, list):
        # Written by the database: leave it deferred, so that reading it fetches the stored value.
        del row.__dict__["child_ids"]
    return row


def _caf_children_ids(caf: Caf) -> Any:
    prefetched = getattr(caf, "_prefetched_objects_cache", {})
    if "children" in prefetched:
        return sorted(child.pk for child in prefetched["children"])
    if "caf_children" in prefetched:
        return sorted(link.child_id for link in prefetched["caf_children"])
    return ArraySubquery(CafChild.objects.filter(caf_id=caf.pk).order_by("child_id").values("child_id"))
