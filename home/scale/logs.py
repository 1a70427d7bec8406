"""Access-log rows over ten years (Settled question 17): reads and changes of each CAF by its team,
its lead professional and the CAF administrators while it was open (and a little after), each row
naming the CAF's children in `child_ids`. Written into the table `caf_accesslog` with explicit
columns, so it works on the plain table and on the monthly partitioned one."""

from collections.abc import Iterator
from datetime import date

from caf.models import AccessLog
from home.scale.cases import DAY, Simulation
from home.scale.copy import Copier, access_log_partitions_make

VIEWS = ["Viewed the CAF", "Viewed the delivery plan", "Viewed the assessment", "Viewed the Team Around the Family"]
CHANGES = ["Updated the delivery plan", "Recorded a review", "Changed the assessment", "Added a TAF member"]


def access_log_write(sim: Simulation, copier: Copier, total: int) -> None:
    rng = sim.rng
    council = sim.county.council.pk
    agency_of = sim.county.staff.agency_of
    admins = sim.county.staff.caf_administrators
    spans = [((caf.closed or sim.now) - caf.created).total_seconds() / 86400 + 10 for caf in sim.cafs]
    per_day = total / sum(spans)
    first = min(caf.created for caf in sim.cafs)
    access_log_partitions_make(_months(first.date(), sim.now.date()))

    def rows() -> Iterator[tuple]:
        written = 0
        for caf, span in zip(sim.cafs, spans, strict=True):
            expected = span * per_day
            count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            count = min(count, total - written)
            people = [m[0] for m in caf.members] or [caf.initiator]
            end = min(caf.closed + 10 * DAY, sim.now) if caf.closed else sim.now
            seconds = (end - caf.created).total_seconds()
            children = sorted(caf.children)
            for _ in range(count):
                user = rng.choice(admins) if rng.random() < 0.1 else rng.choice(people)
                changed = rng.random() < 0.15
                yield (
                    council,
                    user,
                    agency_of[user],
                    caf.id,
                    "change" if changed else "view",
                    rng.choice(CHANGES if changed else VIEWS),
                    caf.created + rng.random() * seconds * _SECOND,
                    children,
                )
            written += count

    copier.copy(
        AccessLog,
        ["council_id", "user_id", "agency_id", "caf_id", "action", "what", "at", "child_ids"],
        rows(),
        table="caf_accesslog",
    )


_SECOND = DAY / 86400


def _months(start: date, end: date) -> list[date]:
    months: list[date] = []
    index = start.year * 12 + start.month - 1
    while True:
        month = date(index // 12, index % 12 + 1, 1)
        if month > end:
            return months
        months.append(month)
        index += 1
