"""Each page's server time and queries, in-process through Django's test Client (force_login; one
unmeasured warm-up request per person and page first), and the EXPLAIN (ANALYZE, BUFFERS) of each
page's main query: the slowest query of the first person's measured request."""

import statistics
import time
from dataclasses import dataclass, field

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from home.bench.pages import PAGES_BY_ROLE, Page, Subject
from home.models import KeptQueues
from home.ready import forget_all


@dataclass
class PageResult:
    page: str
    role: str
    is_list: bool
    goal_ms: int | None = None
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    # The request's queries' own time (Django's per-query clock): the rest is Python and templates.
    sql_ms: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    people: int = 0
    main_query: str = ""
    main_query_ms: float = 0.0
    plan: str = ""

    def summary(self) -> dict[str, object]:
        return {
            "page": self.page,
            "role": self.role,
            "is_list": self.is_list,
            "goal_ms": self.goal_ms,
            "people": self.people,
            "requests": len(self.times_ms),
            "median_ms": round(statistics.median(self.times_ms), 2) if self.times_ms else None,
            "p95_ms": round(percentile(self.times_ms, 95), 2) if self.times_ms else None,
            "sql_median_ms": round(statistics.median(self.sql_ms), 2) if self.sql_ms else None,
            "queries_min": min(self.queries) if self.queries else None,
            "queries_max": max(self.queries) if self.queries else None,
            "refused": sorted({status for status in self.statuses if status != 200}),
            "main_query": self.main_query if self.plan else "",
            "main_query_ms": self.main_query_ms,
            "plan": self.plan,
        }


def percentile(values: list[float], share: int) -> float:
    """The nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-share * len(ordered) // 100))
    return ordered[rank - 1]


def _main_query(captured: CaptureQueriesContext) -> tuple[str, float]:
    """The slowest SELECT of a request (ties: the longest), the one its page waits on, and its time."""
    selects = [
        query for query in captured.captured_queries if query["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    if not selects:
        return "", 0.0
    slowest = max(selects, key=lambda query: (float(query["time"]), len(query["sql"])))
    return slowest["sql"], round(float(slowest["time"]) * 1000, 2)


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a captured SELECT (its parameters are already in the text)."""
    if not sql:
        return ""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def measure_pages(subjects: list[Subject], *, repeat: int) -> list[PageResult]:
    """Every page of every subject's role, `repeat` measured requests each after one warm-up."""
    results: dict[tuple[str, str], PageResult] = {}
    for subject in subjects:
        client = Client()
        client.force_login(subject.user)
        for page in PAGES_BY_ROLE[subject.role]:
            result = results.setdefault(
                (page.name, subject.role.value), PageResult(page.name, subject.role.value, page.is_list, page.goal_ms)
            )
            _measure_one(client, page, subject, result, repeat=repeat)
    return _explain_slowest(list(results.values()))


def _explain_slowest(results: list[PageResult]) -> list[PageResult]:
    """The plan of each page's main query, for the role whose main query was slowest: one plan per
    page keeps the report readable, and the worst case is the one to read."""
    slowest: dict[str, PageResult] = {}
    for result in results:
        if result.main_query and result.main_query_ms >= getattr(slowest.get(result.page), "main_query_ms", -1.0):
            slowest[result.page] = result
    for result in slowest.values():
        result.plan = explain(result.main_query)
    return results


def _measure_one(client: Client, page: Page, subject: Subject, result: PageResult, *, repeat: int) -> None:
    url = page.url_for(subject)
    if url is None:
        return
    client.get(url, secure=True)  # warm-up: caches, the session, prepared templates
    result.people += 1
    for attempt in range(repeat):
        if page.afresh:
            forget_all()
        if page.afresh == "counted":
            KeptQueues.objects.filter(council_id=subject.user.council_id).delete()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            elapsed = (time.perf_counter() - started) * 1000
        result.statuses.append(response.status_code)
        if response.status_code != 200:
            return  # a refusal is reported, not timed
        result.times_ms.append(elapsed)
        result.queries.append(len(captured.captured_queries))
        result.sql_ms.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
        if not result.main_query and attempt == 0:
            result.main_query, result.main_query_ms = _main_query(captured)
