"""The nightly count of each council's figures for the periods people open most (issue 16): the last
12 months (the page's default) and this financial year, unfiltered. At county size a year of figures
takes well over a second to count, so the page shows the night's count with the time it was made,
and offers to count again now; any other period, and any filter, is counted when asked."""

from datetime import date
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import LocalAuthority
from referrals.models import FiguresSnapshot
from referrals.selectors.council_figures import FiguresFilters, FiguresPeriod, council_figures


def snapshot_periods(today: date) -> list[FiguresPeriod]:
    """The last 12 months, and the financial year (April to March) so far."""
    this_month = today.replace(day=1)
    april = this_month.replace(month=4, year=this_month.year if this_month.month >= 4 else this_month.year - 1)
    periods = [FiguresPeriod.last_months(today), FiguresPeriod(first=april, last=this_month)]
    return list(dict.fromkeys(periods))


def figures_snapshots_count(*, today: date | None = None, councils: list[LocalAuthority] | None = None) -> int:
    """Count each council's figures for the snapshot periods, replacing the last night's; one
    transaction per council and period, so one council's failure never stops another's. Returns how
    many were counted."""
    counted = 0
    for council in councils if councils is not None else LocalAuthority.objects.order_by("pk"):
        local_today = today or timezone.localdate(timezone.now(), ZoneInfo(council.time_zone))
        for period in snapshot_periods(local_today):
            shown = council_figures(council, period=period, filters=FiguresFilters(), today=local_today)
            with transaction.atomic():
                FiguresSnapshot.objects.update_or_create(
                    council=council,
                    first_month=period.first,
                    last_month=period.last,
                    defaults={"counted_at": timezone.now(), "sections": shown.sections_as_data()},
                )
            counted += 1
        FiguresSnapshot.objects.filter(council=council).exclude(
            first_month__in=[period.first for period in snapshot_periods(local_today)]
        ).delete()
    return counted
