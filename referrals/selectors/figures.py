"""The monthly step-down figures: transfers per month by point (Kent's monthly counts, 004), with
what became of them.

Figures are read from the read replica when there is one (core.db_routers.figures_reads): counts for
the council that may lag the primary by seconds. Who may see them is checked before, on the primary
(referrals.selectors.step_down.figures_page).
"""

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import LocalAuthority
from core.db_routers import figures_reads
from referrals.models import StepDown


@dataclass(frozen=True)
class StepDownMonth:
    month: date
    front_door: int
    after_assessment: int
    child_in_need_closure: int
    picked_up: int
    declined: int
    waiting: int

    @property
    def total(self) -> int:
        return self.front_door + self.after_assessment + self.child_in_need_closure


@figures_reads()
def step_down_figures(council: LocalAuthority, *, months: int = 12, today: date | None = None) -> list[StepDownMonth]:
    """Step-down transfers per month by point (Kent's monthly counts, 004), with how many of each
    month's were picked up, declined or are still open: one query, on the figures database (the read
    replica, when there is one), newest month first, every month shown even when it had none."""
    today = today or timezone.localdate()
    first = today.replace(day=1) - relativedelta(months=months - 1)
    zone = WorkingCalendar.for_council(council).zone
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    point, status = StepDown.Point, StepDown.Status
    rows = (
        StepDown.objects.filter(council=council, sent_at__gte=start)
        .annotate(month=TruncMonth("sent_at", tzinfo=zone))
        .values("month")
        .annotate(
            front_door=Count("pk", filter=Q(point=point.FRONT_DOOR)),
            after_assessment=Count("pk", filter=Q(point=point.AFTER_ASSESSMENT)),
            child_in_need_closure=Count("pk", filter=Q(point=point.CHILD_IN_NEED_CLOSURE)),
            picked_up=Count("pk", filter=Q(status__in=[status.PICKED_UP, status.COMPLETED])),
            declined=Count("pk", filter=Q(status=status.DECLINED)),
            waiting=Count("pk", filter=Q(status=status.WAITING)),
        )
    )
    by_month = {row["month"].date(): row for row in rows}
    result = []
    for offset in range(months):
        month = first + relativedelta(months=offset)
        row = by_month.get(month, {})
        result.append(
            StepDownMonth(
                month=month,
                **{
                    name: row.get(name, 0)
                    for name in (
                        "front_door",
                        "after_assessment",
                        "child_in_need_closure",
                        "picked_up",
                        "declined",
                        "waiting",
                    )
                },
            )
        )
    return list(reversed(result))
