"""Reading the access log (Settled question 17): a child's or a CAF's, for the council's CAF
administrators, a page at a time by key.

The log has millions of rows, partitioned by month (caf.access_log_partitions), so each read goes
through one index and never counts the whole set: a child's rows through the GIN index on
`child_ids` (`child_ids && ARRAY[the child and the records merged into it]`: no join, no DISTINCT,
no OR across a join, which plans as a scan of every row; Engineering facts), a CAF's through
(caf_id, at DESC, id DESC). Pages are keyed by the (at, id) of the row at their edge, newest first:
"Older" shows the rows before the last one shown, "Newer" those after the first. A page is two
queries (its rows, and a count capped at COUNT_CAP) whatever the page size or the log's length.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role, User
from caf.models import AccessLog, Caf, Child

COUNT_CAP = 1000


@dataclass(frozen=True)
class AccessLogKey:
    """The position of one row: pages start after or before it."""

    at: datetime
    pk: int


@dataclass(frozen=True)
class AccessLogPage:
    entries: list[AccessLog]
    older: AccessLogKey | None  # the last row shown, when older rows exist
    newer: AccessLogKey | None  # the first row shown, when newer rows exist
    is_newest: bool  # the first page (an empty page past the end is not)
    count: int  # every row of the log, counted up to COUNT_CAP
    count_capped: bool  # more than COUNT_CAP rows: said as "more than 1,000"


def _for_caf_administrator(user: User, council_id: int | None) -> None:
    if not (user.has_role(Role.CAF_ADMINISTRATOR) and user.council_id == council_id):
        raise Http404("No record matches the given query.")


def access_log_for_child(user: User, child: Child) -> QuerySet[AccessLog]:
    """The log of a child's record (and of its CAFs, and every list or search that showed them), and
    of the records merged into it: the council's CAF administrators only."""
    _for_caf_administrator(user, child.council_id)
    records = [child.pk, *child.merged_records.values_list("pk", flat=True)]
    return AccessLog.objects.filter(child_ids__overlap=records)


def access_log_for_caf(user: User, caf: Caf) -> QuerySet[AccessLog]:
    """The log of one CAF (reads, changes and refusals naming it): the council's CAF administrators
    only."""
    _for_caf_administrator(user, caf.council_id)
    return AccessLog.objects.filter(caf_id=caf.pk)


def access_log_page(
    entries: QuerySet[AccessLog],
    *,
    older_than: AccessLogKey | None = None,
    newer_than: AccessLogKey | None = None,
    size: int = 50,
) -> AccessLogPage:
    """One page of `entries`, newest first: the newest `size` rows, or those just older than
    `older_than`, or just newer than `newer_than` (a short run of newer rows shows the newest page
    instead, so a page is always full when the log has enough rows)."""
    count = entries.order_by()[: COUNT_CAP + 1].count()
    if newer_than is not None:
        at, pk = newer_than.at, newer_than.pk
        # (at, id) > the key: `at >= key` is the index's range, the rest a filter on it.
        after = entries.filter(at__gte=at).exclude(at=at, pk__lte=pk)
        rows = list(_with_names(after).order_by("at", "pk")[: size + 1])
        if len(rows) > size:
            shown = rows[:size][::-1]
            return _page(shown, older=True, newer=True, count=count)
        older_than = None
    if older_than is None:
        rows = list(_with_names(entries).order_by("-at", "-pk")[: size + 1])
        return _page(rows[:size], older=len(rows) > size, newer=False, count=count)
    at, pk = older_than.at, older_than.pk
    before = entries.filter(at__lte=at).exclude(at=at, pk__gte=pk)
    rows = list(_with_names(before).order_by("-at", "-pk")[: size + 1])
    return _page(rows[:size], older=len(rows) > size, newer=True, count=count)


def _with_names(entries: QuerySet[AccessLog]) -> QuerySet[AccessLog]:
    return entries.select_related("user", "agency")


def _page(shown: list[AccessLog], *, older: bool, newer: bool, count: int) -> AccessLogPage:
    return AccessLogPage(
        entries=shown,
        older=AccessLogKey(shown[-1].at, shown[-1].pk) if older and shown else None,
        newer=AccessLogKey(shown[0].at, shown[0].pk) if newer and shown else None,
        is_newest=not newer,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
    )
