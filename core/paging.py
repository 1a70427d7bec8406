"""Counting and paging lists that may hold millions of rows, without counting them all.

A count is exact up to COUNT_CAP rows and "more than 1,000" past that (`capped_count`: a COUNT over
a LIMIT subquery, so PostgreSQL stops after 1,001 rows). A home page queue shows its first
QUEUE_LENGTH rows and its count (`queue_head`), exact up to QUEUE_COUNT_CAP: a home page summarises
several queues, and "more than 100" says what a busy queue needs to say there at a tenth of the cost
(a CAF administrator's "without a lead professional" read 7,500 active CAFs to count 925; the
queue's own list, one link away, counts to 1,000). A list page fetches one row more than it shows to
know whether there is a next page (`list_page`), never Django's Paginator, whose COUNT(*) reads
every row. `pagination` builds the GOV.UK pagination links, keeping the page's other filters.
"""

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import QueryDict

COUNT_CAP = 1000
QUEUE_LENGTH = 20
QUEUE_COUNT_CAP = 100
# Pages past this are not asked for by any link we write; an offset that large would only be slow.
MAX_PAGE = 10_000

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class CappedCount:
    """How many rows a list holds: exact up to `cap`, else "more than `cap`", said plainly."""

    found: int  # the rows counted: at most cap + 1
    cap: int = COUNT_CAP

    @property
    def is_exact(self) -> bool:
        return self.found <= self.cap

    def __str__(self) -> str:
        return f"{self.found:,}" if self.is_exact else f"more than {self.cap:,}"


def capped_count(queryset: QuerySet[M], *, cap: int = COUNT_CAP) -> CappedCount:
    """Count at most cap + 1 rows: SELECT COUNT(*) FROM (SELECT id ... LIMIT cap + 1)."""
    return CappedCount(found=queryset.order_by().values("pk")[: cap + 1].count(), cap=cap)


@dataclass(frozen=True)
class QueueHead(Generic[M]):
    """The first rows of a queue, most urgent first, and how many it holds."""

    rows: list[M]
    count: CappedCount

    @property
    def has_more(self) -> bool:
        return self.count.found > len(self.rows)


def queue_head(queryset: QuerySet[M], *, length: int = QUEUE_LENGTH) -> QueueHead[M]:
    """The queue's first `length` rows in its own order, and its count up to QUEUE_COUNT_CAP; the
    count costs a query only when there are more rows than shown (most people's queues are short)."""
    rows = list(queryset[: length + 1])
    if len(rows) <= length:
        return QueueHead(rows=rows, count=CappedCount(found=len(rows), cap=QUEUE_COUNT_CAP))
    return QueueHead(rows=rows[:length], count=capped_count(queryset, cap=QUEUE_COUNT_CAP))


@dataclass(frozen=True)
class ListPage(Generic[M]):
    """One page of a list: its rows, its number, whether another follows, and the list's count."""

    rows: list[M]
    number: int
    size: int
    count: CappedCount
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def last(self) -> int | None:
        """The last page's number, when the count is exact."""
        if not self.count.is_exact:
            return None
        return max(1, -(-self.count.found // self.size))

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)


@dataclass(frozen=True)
class QueuePage(Generic[M]):
    """A page of one queue's full list (`?queue=<name>`): the page, the queue's name and its heading."""

    page: ListPage[M]
    queue: str
    heading: str


def page_number(value: object) -> int:
    """The page asked for: ASCII digits from 1 to MAX_PAGE; anything else is the first page."""
    if not isinstance(value, str) or not value.isascii() or not value.isdecimal() or len(value) > 6:
        return 1
    return min(max(int(value), 1), MAX_PAGE)


def list_page(queryset: QuerySet[M], page: object, *, size: int) -> ListPage[M]:
    """The page `page` (as typed in the address) of `queryset`, in its order: the capped count, then
    size + 1 rows from the page's offset. A page past the end of an exact count is the last page."""
    count = capped_count(queryset)
    number = page_number(page)
    if count.is_exact:
        number = min(number, max(1, -(-count.found // size)))
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return ListPage(rows=rows[:size], number=number, size=size, count=count, has_next=len(rows) > size)


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: an ellipsis
    href: str = ""
    current: bool = False


@dataclass(frozen=True)
class Pagination:
    """GOV.UK pagination: previous, numbered pages around the current one, next."""

    previous: str
    next: str
    items: list[PageLink]


def _href(params: QueryDict, number: int) -> str:
    query = params.copy()
    query["page"] = str(number)
    return f"?{query.urlencode()}"


def pagination(page: ListPage[M], params: QueryDict) -> Pagination | None:
    """The links under a list (None for a single page), each keeping the list's filters (`params`,
    the request's query string): the first page, the pages either side of this one, and the last
    page when the count is exact."""
    if not page.has_previous and not page.has_next:
        return None
    last = page.last if page.last is not None else (page.number + 1 if page.has_next else page.number)
    numbers = sorted(
        {1, *range(max(1, page.number - 1), min(last, page.number + 1) + 1)}
        | ({last} if page.last is not None else set())
    )
    items: list[PageLink] = []
    for number in numbers:
        if items and items[-1].number is not None and number - items[-1].number > 1:
            items.append(PageLink(number=None))
        items.append(PageLink(number=number, href=_href(params, number), current=number == page.number))
    if page.last is None and page.has_next:
        items.append(PageLink(number=None))  # more pages than we counted
    return Pagination(
        previous=_href(params, page.number - 1) if page.has_previous else "",
        next=_href(params, page.number + 1) if page.has_next else "",
        items=items,
    )


def view_all_text(count: CappedCount, noun: str) -> str:
    """The link under a queue to its full list: "View all 25 CAFs to register", or past the cap
    "View all CAFs to register (more than 1,000)"."""
    return f"View all {count} {noun}" if count.is_exact else f"View all {noun} ({count})"
