"""The council's figures (issue 16; Settled question 22): every number the source documents count by
hand, for a council and a period, each with its written definition.

One module of aggregate queries: each figure is one GROUP BY query (two for reviews), so the page runs
the same number of queries for one month as for five years; Python only arranges the grouped rows into
months and shares. Months are calendar months in the council's time zone (Europe/London by default):
a CAF activated at 23:30 on 31 July in British Summer Time belongs to July, though it is 22:30 UTC.

Read from the read replica when there is one (core.db_routers.figures_reads); who may see them is
checked before, on the primary (referrals.policies.may_see_council_figures).
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import (
    Avg,
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from accounts.models import AgencyType, LocalAuthority, User
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, CafChild, LeadProfessionalAssignment, LevelChange, Review
from core.db_routers import figures_reads
from referrals import policies
from referrals.models import FiguresSnapshot, Referral, SocialCareReturnMonth, StepDown
from referrals.selectors.history import REREFERRAL_MONTHS

# Counts from 1 to 4 in a breakdown by locality or agency are shown as this, so that no child can be
# identified; totals stay exact (issue 16).
SUPPRESSED = "fewer than 5"
SMALL_NUMBER_LIMIT = 5
# A share of nothing, or of a suppressed count.
NOT_APPLICABLE = "n/a"
LONGEST_PERIOD_MONTHS = 60


class _MonthsBefore(Func):
    template = "(%(expressions)s - interval '" + str(REREFERRAL_MONTHS) + " months')"
    output_field = DateTimeField()


@dataclass(frozen=True)
class FiguresFilters:
    """What the page narrows the figures to. A figure says which of these it cannot apply."""

    locality_id: int | None = None
    agency_type: str = ""
    level_order: int | None = None

    @property
    def any(self) -> bool:
        return bool(self.locality_id or self.agency_type or self.level_order)


@dataclass(frozen=True)
class FiguresPeriod:
    """Whole calendar months, first to last inclusive, in the council's time zone."""

    first: date
    last: date

    @classmethod
    def last_months(cls, today: date, months: int = 12) -> "FiguresPeriod":
        last = today.replace(day=1)
        return cls(first=last - relativedelta(months=months - 1), last=last)

    @property
    def months(self) -> list[date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [self.first + relativedelta(months=offset) for offset in range(count)]

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as instants: from midnight on the first day to midnight after the last, local time."""
        end = self.last + relativedelta(months=1)
        return (
            datetime.combine(self.first, datetime.min.time(), tzinfo=zone),
            datetime.combine(end, datetime.min.time(), tzinfo=zone),
        )


@dataclass
class Figure:
    """One figure: its table (the source of truth, also the CSV) and what the chart draws from it."""

    name: str
    title: str
    definition: str
    columns: list[str]
    rows: list[list[Any]]
    # The chart: one bar per label, from one numeric column (None: no chart, e.g. nothing counted).
    chart_labels: list[str] = field(default_factory=list)
    chart_values: list[int | float] = field(default_factory=list)
    chart_unit: str = ""
    # A reference line on the chart (the council's target), with its label.
    target: float | None = None
    target_label: str = ""
    # The target as the chart's description reads it (screen readers): the label and its unit.
    target_description: str = ""
    cannot_show: str = ""
    # Rows of totals under the table (exact, never suppressed).
    totals: list[Any] | None = None


def _zone(council: LocalAuthority) -> ZoneInfo:
    return ZoneInfo(council.time_zone or "Europe/London")


def _month_label(month: date) -> str:
    return month.strftime("%B %Y")


def _share(part: int, whole: int) -> str:
    if not whole:
        return NOT_APPLICABLE
    percent = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{percent}%"


def suppressed(count: int) -> int | str:
    """A count in a breakdown by locality or agency: 1 to 4 shown as "fewer than 5"."""
    return SUPPRESSED if 0 < count < SMALL_NUMBER_LIMIT else count


def _month_key(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _latest_lead_locality(caf_ref: str) -> Subquery:
    """The locality of the agency of the CAF's lead professional: the current one, or the last before
    closure (Settled question 22: a figure's locality)."""
    return Subquery(
        LeadProfessionalAssignment.objects.filter(caf_id=OuterRef(caf_ref))
        .order_by("-started_at", "-pk")
        .values("user__agency__locality_id")[:1],
        output_field=BigIntegerField(),
    )


def _cafs(council: LocalAuthority, filters: FiguresFilters) -> QuerySet[Caf]:
    """The council's CAFs, narrowed by the page's filters: the locality of the lead professional's
    agency, the type of the agency that started it, a child of it at the level now."""
    cafs: QuerySet[Any] = Caf.objects.filter(council=council).exclude(status=Caf.Status.DRAFT)
    if filters.locality_id:
        cafs = cafs.alias(lead_locality=_latest_lead_locality("pk")).filter(lead_locality=filters.locality_id)
    if filters.agency_type:
        cafs = cafs.filter(initiating_agency__agency_type=filters.agency_type)
    if filters.level_order:
        cafs = cafs.filter(Exists(CafChild.objects.filter(caf_id=OuterRef("pk"), level__order=filters.level_order)))
    return cafs


# What the page says each filter does for each figure family.
FILTER_NOTES = {
    "cafs": "",
    "referrals": (
        "Locality: the lead professional's agency of the CAF attached, else the referrer's agency. "
        "Agency type: the referrer's agency. Level: a child of the CAF attached at that level now."
    ),
    "step_downs": (
        "Locality and level: through the CAF the family was picked up into (or their CAF before). "
        "The agency type filter does not apply: every step-down comes from children's social care."
    ),
}


# a. CAFs started -----------------------------------------------------------------------------------

ORIGINS = (("new", "New"), ("reopened", "Reopened episode"), ("step_down", "Step-down pick-up"))

STARTED_DEFINITION = (
    "A CAF counts as started in the month it became active (its activation date, in the council's time "
    "zone, Europe/London), not the month its draft was begun. Origin: a step-down pick-up when early help "
    "activated it by picking up a step-down from children's social care (a new CAF or a reopened one); a "
    "reopened episode when it continues a closed CAF of the family; otherwise new."
)


def _picked_up_at_activation() -> QuerySet[StepDown]:
    """The step-down picked up into the CAF of the outer row as it became active. A pick-up that starts
    or reopens a CAF activates it in the same transaction (referrals.services.pick_up): the pick-up is
    recorded within moments of the activation. A pick-up into a CAF that was already active is
    recorded later, and the CAF keeps its own origin."""
    return StepDown.objects.filter(
        picked_up_caf_id=OuterRef("pk"),
        picked_up_at__gte=OuterRef("activated_at"),
        picked_up_at__lte=ExpressionWrapper(
            OuterRef("activated_at") + timedelta(minutes=1), output_field=DateTimeField()
        ),
    )


def _started_by_month(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters) -> dict[date, dict]:
    start, end = period.bounds(_zone(council))
    picked_up_at_activation = _picked_up_at_activation()
    rows = (
        _cafs(council, filters)
        .filter(activated_at__gte=start, activated_at__lt=end)
        .annotate(
            month=TruncMonth("activated_at", tzinfo=_zone(council)),
            origin=Case(
                When(Exists(picked_up_at_activation), then=Value("step_down")),
                When(previous_episode__isnull=False, then=Value("reopened")),
                default=Value("new"),
            ),
        )
        .values("month", "origin")
        .annotate(count=Count("pk"))
        .order_by()
    )
    by_month: dict[date, dict] = {month: {origin: 0 for origin, _ in ORIGINS} for month in period.months}
    for row in rows:
        by_month.setdefault(_month_key(row["month"]), {origin: 0 for origin, _ in ORIGINS})[row["origin"]] += row[
            "count"
        ]
    return by_month


def cafs_started(by_month: dict[date, dict]) -> Figure:
    rows = []
    totals = {origin: 0 for origin, _ in ORIGINS}
    for month, counts in sorted(by_month.items()):
        total = sum(counts.values())
        rows.append([_month_label(month), *(counts[origin] for origin, _ in ORIGINS), total])
        for origin, _ in ORIGINS:
            totals[origin] += counts[origin]
    return Figure(
        name="cafs-started",
        title="CAFs started per month",
        definition=STARTED_DEFINITION,
        columns=["Month", *(label for _, label in ORIGINS), "Total"],
        rows=rows,
        chart_labels=[row[0] for row in rows],
        chart_values=[row[-1] for row in rows],
        chart_unit="CAFs started",
        totals=["Total", *totals.values(), sum(totals.values())],
    )


def _financial_year(month: date) -> int:
    """The year a financial year (April to March) starts in."""
    return month.year if month.month >= 4 else month.year - 1


def caf_rate(council: LocalAuthority, by_month: dict[date, dict]) -> Figure:
    population = council.child_population
    target = council.caf_target_rate_per_10000
    years: dict[int, list[int]] = {}
    for month, counts in sorted(by_month.items()):
        years.setdefault(_financial_year(month), []).append(sum(counts.values()))
    rows = []
    chart_values: list[int | float] = []
    for year, year_counts in years.items():
        started = sum(year_counts)
        rate: Decimal | None = None
        if population:
            # Annualised: a year seen only in part is scaled up to twelve months.
            rate = (Decimal(started) * 10_000 * 12 / (Decimal(population) * len(year_counts))).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
        label = f"April {year} to March {year + 1}"
        rows.append(
            [
                label,
                len(year_counts),
                started,
                "not set" if rate is None else rate,
                "not set" if target is None else target,
            ]
        )
        chart_values.append(float(rate) if rate is not None else 0)
    definition = (
        "CAFs started (all origins, as above) in the months of the period that fall in each financial year "
        "(April to March), per 10,000 children of the council's child population"
        + (f" ({population:,})" if population else "")
        + ", annualised: a year the period covers only in part is scaled to twelve months "
        "(started, times 12, divided by the months). "
        "The target is the council's annual target rate, set by its council administrator."
    )
    cannot = ""
    if not population:
        cannot = "The council's child population is not set, so no rate can be shown: a council administrator sets it."
    return Figure(
        name="caf-rate",
        title="CAFs started per 10,000 children, per financial year",
        definition=definition,
        columns=["Financial year", "Months in the period", "CAFs started", "Rate per 10,000 a year", "Target"],
        rows=rows,
        chart_labels=[str(row[0]) for row in rows] if population else [],
        chart_values=chart_values if population else [],
        chart_unit="CAFs per 10,000 children a year",
        target=float(target) if target is not None else None,
        target_label=f"Target {target}" if target is not None else "",
        target_description=f"Target {target} per 10,000 children a year" if target is not None else "",
        cannot_show=cannot,
    )


# b. Who starts CAFs ---------------------------------------------------------------------------------

INITIATORS_DEFINITION = (
    "New CAFs only (not reopened episodes or step-down pick-ups), started in the period (activation date, "
    "Europe/London), by the agency of the practitioner who started them."
)


def initiators(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters) -> tuple[Figure, Figure]:
    start, end = period.bounds(_zone(council))
    picked_up = _picked_up_at_activation()
    rows = list(
        _cafs(council, filters)
        .filter(activated_at__gte=start, activated_at__lt=end, previous_episode__isnull=True)
        .exclude(Exists(picked_up))
        .values("initiating_agency_id", "initiating_agency__name", "initiating_agency__agency_type")
        .annotate(count=Count("pk"))
        .order_by("-count", "initiating_agency__name")
    )
    total = sum(row["count"] for row in rows)
    by_type: dict[str, int] = {}
    for row in rows:
        by_type[row["initiating_agency__agency_type"]] = (
            by_type.get(row["initiating_agency__agency_type"], 0) + row["count"]
        )
    type_rows: list[list[Any]] = [
        [AgencyType(kind).label, count, _share(count, total)]
        for kind, count in sorted(by_type.items(), key=lambda item: (-item[1], item[0]))
    ]
    by_type_figure = Figure(
        name="initiators-by-type",
        title="Who starts CAFs: by agency type",
        definition=INITIATORS_DEFINITION + " Shares are of all new CAFs in the period.",
        columns=["Agency type", "New CAFs", "Share"],
        rows=type_rows,
        chart_labels=[str(row[0]) for row in type_rows],
        chart_values=[int(row[1]) for row in type_rows],
        chart_unit="new CAFs",
        totals=["Total", total, "100%" if total else NOT_APPLICABLE],
    )
    agency_rows: list[list[Any]] = []
    for row in rows:
        small = 0 < row["count"] < SMALL_NUMBER_LIMIT
        agency_rows.append(
            [
                row["initiating_agency__name"],
                AgencyType(row["initiating_agency__agency_type"]).label,
                suppressed(row["count"]),
                NOT_APPLICABLE if small else _share(row["count"], total),
            ]
        )
    by_agency_figure = Figure(
        name="initiators-by-agency",
        title="Who starts CAFs: by agency",
        definition=INITIATORS_DEFINITION
        + " An agency that started 1 to 4 shows “fewer than 5” and no share, so that no child can be identified; "
        "the total is exact.",
        columns=["Agency", "Agency type", "New CAFs", "Share"],
        rows=agency_rows,
        # The chart leaves out the suppressed agencies: a bar's length would tell their number.
        chart_labels=[str(row[0]) for row in agency_rows if not isinstance(row[2], str)],
        chart_values=[int(row[2]) for row in agency_rows if not isinstance(row[2], str)],
        chart_unit="new CAFs",
        totals=["Total", "", total, "100%" if total else NOT_APPLICABLE],
    )
    return by_type_figure, by_agency_figure


# c. Referrals to children's social care -------------------------------------------------------------

REFERRALS_DEFINITION = (
    "Referrals to children's social care made through the service, counted in the month they were sent "
    "(Europe/London); what became of each is shown against the month it was sent. Had a CAF: a CAF was "
    "attached to the referral, or one of its children was in a CAF that was active when it was sent. "
    "Conversion: Child in Need (section 17) or child protection (section 47) decisions ÷ decided referrals. "
    "Within the deadline: decided by its decision deadline (the council's working hours after sending), "
    "as a share of those decided. Re-referral: one of its children had been referred through the service in "
    "the 12 months before it was sent (as the front door's re-referral warning counts)."
)


def _referrals(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters) -> QuerySet[Referral]:
    start, end = period.bounds(_zone(council))
    referrals: QuerySet[Any] = Referral.objects.filter(council=council, sent_at__gte=start, sent_at__lt=end).exclude(
        status=Referral.Status.DRAFT
    )
    if filters.locality_id:
        referrals = referrals.alias(
            figure_locality=Coalesce(
                _latest_lead_locality("caf_id"), F("referring_agency__locality_id"), output_field=BigIntegerField()
            )
        ).filter(figure_locality=filters.locality_id)
    if filters.agency_type:
        referrals = referrals.filter(referring_agency__agency_type=filters.agency_type)
    if filters.level_order:
        referrals = referrals.filter(
            Exists(CafChild.objects.filter(caf_id=OuterRef("caf_id"), level__order=filters.level_order))
        )
    return referrals


def referrals_per_month(
    council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters
) -> tuple[Figure, Figure]:
    through = Referral.children.through
    active_caf_when_sent = through.objects.filter(
        Q(child__caf_links__caf__closed_at__isnull=True) | Q(child__caf_links__caf__closed_at__gt=OuterRef("sent_at")),
        referral_id=OuterRef("pk"),
        child__caf_links__caf__activated_at__lte=OuterRef("sent_at"),
    )
    # The re-referral warning's definition (referrals.selectors.history): an earlier sent referral of
    # any of the same children in the 12 calendar months before.
    referred_before = Referral.objects.filter(
        children__referrals=OuterRef("pk"),
        status__in=[Referral.Status.SENT, Referral.Status.DECIDED],
        sent_at__lt=OuterRef("sent_at"),
        sent_at__gte=_MonthsBefore(OuterRef("sent_at")),
    )
    decision = Referral.Decision
    decided = Q(status=Referral.Status.DECIDED)
    rows = (
        _referrals(council, period, filters)
        .annotate(month=TruncMonth("sent_at", tzinfo=_zone(council)))
        .values("month")
        .annotate(
            sent=Count("pk"),
            had_caf=Count("pk", filter=Q(caf__isnull=False) | Q(Exists(active_caf_when_sent))),
            decided=Count("pk", filter=decided),
            no_further_action=Count("pk", filter=decided & Q(decision=decision.NO_FURTHER_ACTION)),
            step_down=Count("pk", filter=decided & Q(decision=decision.STEP_DOWN)),
            child_in_need=Count("pk", filter=decided & Q(decision=decision.CHILD_IN_NEED)),
            child_protection=Count("pk", filter=decided & Q(decision=decision.CHILD_PROTECTION)),
            in_time=Count("pk", filter=decided & Q(decided_at__lte=F("decision_due_at"))),
            re_referrals=Count("pk", filter=Q(Exists(referred_before))),
        )
        .order_by()
    )
    names = (
        "sent",
        "had_caf",
        "decided",
        "no_further_action",
        "step_down",
        "child_in_need",
        "child_protection",
        "in_time",
        "re_referrals",
    )
    by_month = {month: dict.fromkeys(names, 0) for month in period.months}
    for row in rows:
        by_month[_month_key(row["month"])] = {name: row[name] for name in names}  # type: ignore[literal-required]
    totals = {name: sum(counts[name] for counts in by_month.values()) for name in names}

    def line(label: str, c: dict[str, int]) -> list[Any]:
        return [
            label,
            c["sent"],
            c["had_caf"],
            _share(c["had_caf"], c["sent"]),
            c["decided"],
            c["no_further_action"],
            c["step_down"],
            c["child_in_need"],
            c["child_protection"],
            _share(c["child_in_need"] + c["child_protection"], c["decided"]),
            _share(c["in_time"], c["decided"]),
            c["re_referrals"],
        ]

    table = [line(_month_label(month), counts) for month, counts in sorted(by_month.items())]
    per_month = Figure(
        name="referrals",
        title="Referrals to children's social care per month",
        definition=REFERRALS_DEFINITION,
        columns=[
            "Month",
            "Sent",
            "Had a CAF",
            "Share with a CAF",
            "Decided",
            "No further action",
            "Stepped down",
            "Child in Need",
            "Child protection",
            "Conversion",
            "Decided within the deadline",
            "Re-referrals within 12 months",
        ],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[1]) for row in table],
        chart_unit="referrals sent",
        totals=line("Total", totals),
        cannot_show=(
            "Referrals that reach children's social care by other routes (not made through this service) are not "
            "counted, so the share with a CAF is of this service's referrals only; the share of all referrals is "
            "in the next figure, for the months the council has entered its own social care return."
        ),
    )
    return per_month, share_of_all_referrals(council, period, filters, by_month)


NOT_ENTERED = "not entered"

SHARE_OF_ALL_DEFINITION = (
    "The council's own total of referrals to children's social care for each month, from its social care return "
    "(entered by its council or CAF administrator: all referrals, by every route), beside the referrals made "
    "through this service in that month that had a CAF (as above), and that number's share of the council's "
    "total (Medway's share). A month without a total entered says so, and the totals are of the months entered."
)


def _social_care_returns(council: LocalAuthority, period: FiguresPeriod) -> dict[date, int]:
    return dict(
        SocialCareReturnMonth.objects.filter(
            council=council, month__gte=period.first, month__lte=period.last
        ).values_list("month", "referrals")
    )


def share_of_all_referrals(
    council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters, by_month: dict[date, dict[str, int]]
) -> Figure:
    """Medway's share: referrals through the service with a CAF ÷ the council's own monthly total."""
    returns = _social_care_returns(council, period)
    rows: list[list[Any]] = []
    chart_labels: list[str] = []
    chart_values: list[int | float] = []
    entered_total = had_caf_total = 0
    for month, counts in sorted(by_month.items()):
        total = returns.get(month)
        if total is None:
            rows.append([_month_label(month), NOT_ENTERED, counts["had_caf"], NOT_ENTERED])
            continue
        entered_total += total
        had_caf_total += counts["had_caf"]
        rows.append([_month_label(month), total, counts["had_caf"], _share(counts["had_caf"], total)])
        chart_labels.append(_month_label(month))
        chart_values.append(_percent(counts["had_caf"], total))
    cannot = ""
    if filters.any:
        # The return is one number for the whole council: a filtered count over it would be no share.
        cannot = "The council's return is one total for the whole council, so the share is shown only without filters."
        rows = [[row[0], row[1], row[2], NOT_APPLICABLE if row[1] != NOT_ENTERED else NOT_ENTERED] for row in rows]
    elif not returns:
        cannot = (
            "No month of this period has the council's social care return entered: a council or CAF "
            "administrator enters each month's total on the social care return page."
        )
    return Figure(
        name="share-of-all-referrals",
        title="Referrals with a CAF: the share of all referrals to children's social care",
        definition=SHARE_OF_ALL_DEFINITION,
        columns=[
            "Month",
            "All referrals (the council's social care return)",
            "Through this service with a CAF",
            "Share with a CAF through this service",
        ],
        rows=rows,
        chart_labels=[] if filters.any else chart_labels,
        chart_values=[] if filters.any else chart_values,
        chart_unit="per cent of all referrals that came through this service with a CAF",
        totals=[
            "Total of the months entered",
            entered_total,
            had_caf_total,
            NOT_APPLICABLE if filters.any else _share(had_caf_total, entered_total),
        ],
        cannot_show=cannot,
    )


def social_care_returns_entered(user: User) -> list[SocialCareReturnMonth]:
    """The council's social care return, month by month, newest first (the figures' 60 months at most),
    for those who may enter it; anyone else is refused (403)."""
    if not policies.may_enter_social_care_return(user, user.council_id):
        raise PermissionDenied("The council's social care return is entered by its council and CAF administrators.")
    return list(
        SocialCareReturnMonth.objects.for_council(user.council_id)
        .select_related("entered_by")
        .order_by("-month")[:LONGEST_PERIOD_MONTHS]
    )


def referral_sources(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters) -> Figure:
    rows = list(
        _referrals(council, period, filters)
        .values("referring_agency__agency_type")
        .annotate(count=Count("pk"))
        .order_by("-count", "referring_agency__agency_type")
    )
    total = sum(row["count"] for row in rows)
    table = [
        [AgencyType(row["referring_agency__agency_type"]).label, row["count"], _share(row["count"], total)]
        for row in rows
    ]
    return Figure(
        name="referral-sources",
        title="Referrals to children's social care: by the referrer's agency type",
        definition=(
            "Referrals sent in the period (Europe/London), by the type of the referrer's agency when they sent it."
        ),
        columns=["Agency type", "Referrals", "Share"],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[1]) for row in table],
        chart_unit="referrals",
        totals=["Total", total, "100%" if total else NOT_APPLICABLE],
    )


# d. Step-downs ------------------------------------------------------------------------------------

STEP_DOWNS_DEFINITION = (
    "Step-downs from children's social care to early help, counted in the month they were sent "
    "(Europe/London), at Kent's three points: 1. at the front door, the threshold not met; 2. after a social "
    "care assessment that found it not met; 3. at the closure of a Child in Need case. As cases (step-downs) "
    "and as children (each child of a step-down once a month). Picked up within the deadline: picked up on "
    "or before its pick-up day (the council's working days after sending). Declined: the family declined "
    "early help. Still waiting: not yet picked up or declined today."
)


def step_downs(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters) -> tuple[Figure, Figure]:
    zone = _zone(council)
    start, end = period.bounds(zone)
    found = StepDown.objects.filter(council=council, sent_at__gte=start, sent_at__lt=end)
    if filters.locality_id or filters.level_order:
        cafs = _cafs(council, FiguresFilters(locality_id=filters.locality_id, level_order=filters.level_order))
        found = found.filter(
            Q(picked_up_caf__in=cafs.values("pk")) | Q(picked_up_caf__isnull=True, caf__in=cafs.values("pk"))
        )
    point, status = StepDown.Point, StepDown.Status
    rows = (
        found.annotate(month=TruncMonth("sent_at", tzinfo=zone), picked_up_on=TruncDate("picked_up_at", tzinfo=zone))
        .values("month")
        .annotate(
            front_door=Count("pk", distinct=True, filter=Q(point=point.FRONT_DOOR)),
            after_assessment=Count("pk", distinct=True, filter=Q(point=point.AFTER_ASSESSMENT)),
            child_in_need_closure=Count("pk", distinct=True, filter=Q(point=point.CHILD_IN_NEED_CLOSURE)),
            cases=Count("pk", distinct=True),
            children_front_door=Count("children", distinct=True, filter=Q(point=point.FRONT_DOOR)),
            children_after_assessment=Count("children", distinct=True, filter=Q(point=point.AFTER_ASSESSMENT)),
            children_child_in_need_closure=Count(
                "children", distinct=True, filter=Q(point=point.CHILD_IN_NEED_CLOSURE)
            ),
            children_count=Count("children", distinct=True),
            in_time=Count(
                "pk",
                distinct=True,
                filter=Q(picked_up_at__isnull=False, picked_up_on__lte=F("pick_up_due_on")),
            ),
            picked_up=Count("pk", distinct=True, filter=Q(status__in=[status.PICKED_UP, status.COMPLETED])),
            declined=Count("pk", distinct=True, filter=Q(status=status.DECLINED)),
            waiting=Count("pk", distinct=True, filter=Q(status=status.WAITING)),
        )
        .order_by()
    )
    names = (
        "front_door",
        "after_assessment",
        "child_in_need_closure",
        "cases",
        "children_front_door",
        "children_after_assessment",
        "children_child_in_need_closure",
        "children_count",
        "picked_up",
        "in_time",
        "declined",
        "waiting",
    )
    by_month = {month: dict.fromkeys(names, 0) for month in period.months}
    for row in rows:
        by_month[_month_key(row["month"])] = {name: row[name] for name in names}  # type: ignore[literal-required]
    table: list[list[Any]] = [
        [_month_label(month), *(counts[name] for name in names)] for month, counts in sorted(by_month.items())
    ]
    by_month_figure = Figure(
        name="step-downs",
        title="Step-downs to early help per month",
        definition=STEP_DOWNS_DEFINITION,
        columns=[
            "Month",
            "1. Front door (cases)",
            "2. After assessment (cases)",
            "3. Child in Need closure (cases)",
            "Cases",
            "1. Front door (children)",
            "2. After assessment (children)",
            "3. Child in Need closure (children)",
            "Children",
            "Picked up",
            "Picked up within the deadline",
            "Declined",
            "Still waiting",
        ],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[4]) for row in table],
        chart_unit="step-downs (cases)",
        # A child stepped down twice in a period is one child in each month: the total of children is
        # the sum of the months, said in the definition, not the number of distinct children.
        totals=["Total", *(sum(counts[name] for counts in by_month.values()) for name in names)],
    )
    return by_month_figure, step_downs_in_time(council, by_month)


def step_downs_in_time(council: LocalAuthority, by_month: dict[date, dict[str, int]]) -> Figure:
    """The share of each month's step-downs picked up within the deadline, against the council's
    target: from the step-downs query's rows, no query of its own."""
    target = council.step_down_pick_up_target_percent
    target_cell = "not set" if target is None else f"{target}%"
    rows: list[list[Any]] = []
    values: list[int | float] = []
    for month, counts in sorted(by_month.items()):
        share = _share(counts["in_time"], counts["cases"])
        rows.append([_month_label(month), counts["cases"], counts["in_time"], share, target_cell])
        values.append(_percent(counts["in_time"], counts["cases"]))
    cases = sum(counts["cases"] for counts in by_month.values())
    in_time = sum(counts["in_time"] for counts in by_month.values())
    return Figure(
        name="step-downs-in-time",
        title="Step-downs picked up within the deadline, against the council's target",
        definition=(
            "Of the step-downs sent in each month (as above), the share early help picked up on or before its "
            "pick-up day (the council's working days after sending, London date). Declined and still-waiting "
            "step-downs count as not picked up in time, so a recent month's share may still rise while its "
            "step-downs are within their deadline. The target is the council's, set by its council administrator."
        ),
        columns=["Month", "Step-downs (cases)", "Picked up within the deadline", "Share", "Target"],
        rows=rows,
        chart_labels=[str(row[0]) for row in rows],
        chart_values=values,
        chart_unit="per cent picked up within the deadline",
        target=float(target) if target is not None else None,
        target_label=f"Target {target}%" if target is not None else "",
        target_description=f"Target {target}% picked up within the deadline" if target is not None else "",
        totals=["Total", cases, in_time, _share(in_time, cases), target_cell],
        cannot_show=(
            ""
            if target is not None
            else "The council has not set a target for step-downs picked up within the deadline: a council "
            "administrator sets it in the council's settings."
        ),
    )


def _percent(part: int, whole: int) -> float:
    if not whole:
        return 0.0
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# e. Open CAFs, leads, reviews, closures --------------------------------------------------------------


def open_by_level(council: LocalAuthority, filters: FiguresFilters) -> Figure:
    rows = list(
        CafChild.objects.filter(
            caf__in=_cafs(council, filters).filter(status=Caf.Status.ACTIVE).values("pk"),
            child__merged_into__isnull=True,
        )
        .values("level__order", "level__code", "level__name")
        .annotate(children=Count("child_id", distinct=True), cafs=Count("caf_id", distinct=True))
        .order_by("level__order", "level__code", "level__name")
    )
    table = [
        [
            f"{row['level__code']}: {row['level__name']}" if row["level__code"] else "No level chosen",
            row["children"],
            row["cafs"],
        ]
        for row in rows
    ]
    return Figure(
        name="open-by-level",
        title="Open CAFs today, by each child's current level of need",
        definition=(
            "Today, not the period: the children of the council's active CAFs, by the level of need each child "
            "has now (a Family CAF's children each count at their own level), and the CAFs with a child at that "
            "level (a Family CAF with children at two levels counts under both)."
        ),
        columns=["Level of need", "Children", "CAFs"],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[1]) for row in table],
        chart_unit="children",
    )


def level_changes(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters) -> Figure:
    zone = _zone(council)
    start, end = period.bounds(zone)
    # Each change against the one before it for the same child in the same CAF: the level history.
    before = Subquery(
        LevelChange.objects.filter(caf_child_id=OuterRef("caf_child_id"))
        .filter(Q(changed_at__lt=OuterRef("changed_at")) | Q(changed_at=OuterRef("changed_at"), pk__lt=OuterRef("pk")))
        .order_by("-changed_at", "-pk")
        .values("level__order")[:1],
        output_field=BigIntegerField(),
    )
    rows = (
        LevelChange.objects.filter(
            caf_child__caf__in=_cafs(council, filters).values("pk"), changed_at__gte=start, changed_at__lt=end
        )
        .annotate(month=TruncMonth("changed_at", tzinfo=zone), before=before)
        .values("month")
        .annotate(
            first=Count("pk", filter=Q(before__isnull=True)),
            up=Count("pk", filter=Q(level__order__gt=F("before"))),
            down=Count("pk", filter=Q(level__order__lt=F("before"))),
        )
        .order_by()
    )
    names = ("first", "up", "down")
    by_month = {month: dict.fromkeys(names, 0) for month in period.months}
    for row in rows:
        by_month[_month_key(row["month"])] = {name: row[name] for name in names}  # type: ignore[literal-required]
    table: list[list[Any]] = [
        [_month_label(month), *(counts[name] for name in names)] for month, counts in sorted(by_month.items())
    ]
    return Figure(
        name="level-changes",
        title="Level changes per month, up and down",
        definition=(
            "Each level of need recorded for a child in a CAF in the period (the month recorded, Europe/London), "
            "against the level recorded before it for that child in that CAF: up to a higher level, down to a "
            "lower one, or the first level set in the CAF. Levels compare by their place in the council's "
            "continuum (1 the lowest); a change that keeps the level is not counted as up or down."
        ),
        columns=["Month", "First level set", "Up", "Down"],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[3]) for row in table],
        chart_unit="level changes down",
        totals=["Total", *(sum(counts[name] for counts in by_month.values()) for name in names)],
    )


WAITING_BANDS = (
    ("Under 2 weeks", 0, 14),
    ("2 to 4 weeks", 14, 28),
    ("4 to 12 weeks", 28, 84),
    ("12 weeks or more", 84, None),
)


def without_lead(council: LocalAuthority, filters: FiguresFilters, now: datetime) -> Figure:
    bands: dict[str, Any] = {}
    for index, (_, low, high) in enumerate(WAITING_BANDS):
        condition = Q(activated_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(activated_at__gt=now - timedelta(days=high))
        bands[f"band_{index}"] = Count("pk", filter=condition)
    # The locality filter cannot apply: a CAF without a lead professional has no lead's locality.
    cafs = _cafs(council, FiguresFilters(agency_type=filters.agency_type, level_order=filters.level_order))
    found = (
        cafs.filter(status=Caf.Status.ACTIVE)
        .exclude(Exists(LeadProfessionalAssignment.objects.filter(caf_id=OuterRef("pk"), ended_at__isnull=True)))
        .aggregate(total=Count("pk"), earliest=Min("activated_at"), **bands)
    )
    table = [[label, found[f"band_{index}"]] for index, (label, _, _) in enumerate(WAITING_BANDS)]
    longest = ""
    if found["earliest"] is not None:
        days = (now - found["earliest"]).days
        longest = f" The longest has waited {days} day{'s' if days != 1 else ''}."
    return Figure(
        name="without-lead",
        title="Active CAFs without a lead professional today, by how long",
        definition=(
            "Today, not the period: active CAFs with no current lead professional logged, by the time since the "
            "CAF became active." + longest
        ),
        columns=["Waiting since it became active", "CAFs"],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[1]) for row in table],
        chart_unit="CAFs",
        totals=["Total", found["total"]],
        cannot_show=(
            "The locality filter does not apply here: the locality is the lead professional's agency's, and these "
            "CAFs have none yet."
            if filters.locality_id
            else ""
        ),
    )


def reviews(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters, today: date) -> Figure:
    end = period.last + relativedelta(months=1)
    cafs = _cafs(council, filters)
    held = Review.objects.filter(caf__in=cafs.values("pk"), held_on__gte=period.first, held_on__lt=end).aggregate(
        on_time=Count("pk", filter=Q(due_on__isnull=False, held_on__lte=F("due_on"))),
        late=Count("pk", filter=Q(held_on__gt=F("due_on"))),
        no_date=Count("pk", filter=Q(due_on__isnull=True)),
    )
    overdue = cafs.filter(status=Caf.Status.ACTIVE, next_review_on__lt=today).count()
    table = [
        ["Reviews held on time", held["on_time"]],
        ["Reviews held late", held["late"]],
        ["Reviews held without a review date to meet", held["no_date"]],
        ["Active CAFs with a review overdue today", overdue],
    ]
    return Figure(
        name="reviews",
        title="Reviews on time and overdue",
        definition=(
            "Reviews held in the period (the date the meeting was held): on time when held on or before the review "
            "date it met, late when after it. Overdue today: active CAFs whose next review date has passed without "
            "a review recorded."
        ),
        columns=["Reviews", "Count"],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[1]) for row in table],
        chart_unit="reviews",
    )


def closures(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters) -> Figure:
    start, end = period.bounds(_zone(council))
    open_for = ExpressionWrapper(F("closed_at") - F("activated_at"), output_field=DateTimeField())
    rows = list(
        _cafs(council, filters)
        .filter(status=Caf.Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
        .values("closure_reason")
        .annotate(count=Count("pk"), open_for=Sum(open_for), average=Avg(open_for))
        .order_by("-count", "closure_reason")
    )
    total = sum(row["count"] for row in rows)
    table = [
        [
            Caf.ClosureReason(row["closure_reason"]).label,
            row["count"],
            _share(row["count"], total),
            _days(row["average"]),
        ]
        for row in rows
    ]
    overall = sum((row["open_for"] for row in rows), timedelta()) / total if total else None
    return Figure(
        name="closures",
        title="CAFs closed, by reason, and how long they were open",
        definition=(
            "CAFs closed in the period (closure date, Europe/London), by the reason recorded at closure. Time open: "
            "from the date it became active to its closure, in days, the average of those closed."
        ),
        columns=["Reason", "CAFs closed", "Share", "Average days open"],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[1]) for row in table],
        chart_unit="CAFs closed",
        totals=["Total", total, "100%" if total else NOT_APPLICABLE, _days(overall)],
    )


LEVEL_DOWN_DEFINITION = (
    "CAFs (families) closed in the period (closure date, Europe/London), by the month they closed. A CAF's "
    "level is the highest level of need of its children (a Family CAF shows the highest), from each child's "
    "level history in that CAF. Came down: the CAF's level at closure (the highest of each child's last level "
    "recorded, as a closed CAF takes no level changes) is lower than the highest level any of its children had "
    "at any point "
    "before (from the first level set, before or after it became active). A family whose one child came down "
    "while another stayed at the top level has not come down. Levels compare by their place in the council's "
    "continuum (1 the lowest). CAFs with no level recorded are counted as closed but can come down in no way; "
    "the share is of those with a level."
)


# Two GROUP BYs in one statement: the ORM groups the CAFs closed in the period (the page's filters) with
# their highest level before closure and at closure, set-based over one join of their children and
# their level history; this groups those rows by month. The ORM cannot group twice, and a correlated
# subquery per CAF costs several times as much at county size.
_LEVEL_DOWN_SQL = """SELECT per_caf.month,
       COUNT(*) AS closed,
       COUNT(per_caf.highest_ever) AS with_level,
       COUNT(*) FILTER (WHERE per_caf.at_closure < per_caf.highest_ever) AS came_down
FROM ({per_caf}) per_caf
GROUP BY per_caf.month
"""


def levels_down_by_closure(council: LocalAuthority, period: FiguresPeriod, filters: FiguresFilters) -> Figure:
    """One statement over the CAFs closed in the period: the highest level in each one's history up to
    closure (the highest over time is the highest of any change, so no window over time is needed), and
    the highest of its children's levels at closure (a closed CAF takes no level changes: caf.services
    .assessment refuses them, so each child's level now is the last one recorded)."""
    zone = _zone(council)
    start, end = period.bounds(zone)
    per_caf = (
        _cafs(council, filters)
        .filter(status=Caf.Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
        .annotate(month=TruncMonth("closed_at", tzinfo=zone))
        .values("pk", "month")
        .annotate(
            highest_ever=Max(
                "caf_children__level_changes__level__order",
                filter=Q(caf_children__level_changes__changed_at__lte=F("closed_at")),
            ),
            at_closure=Max("caf_children__level__order"),
        )
        .order_by()
    )
    per_caf_sql, params = per_caf.query.sql_with_params()
    with connections[per_caf.db].cursor() as cursor:
        cursor.execute(_LEVEL_DOWN_SQL.format(per_caf=per_caf_sql), params)
        rows = [
            {"month": month, "closed": closed, "with_level": with_level, "came_down": came_down}
            for month, closed, with_level, came_down in cursor.fetchall()
        ]
    names = ("closed", "with_level", "came_down")
    by_month = {month: dict.fromkeys(names, 0) for month in period.months}
    for row in rows:
        by_month[_month_key(row["month"])] = {name: row[name] for name in names}
    table: list[list[Any]] = [
        [
            _month_label(month),
            counts["closed"],
            counts["with_level"],
            counts["came_down"],
            _share(counts["came_down"], counts["with_level"]),
        ]
        for month, counts in sorted(by_month.items())
    ]
    totals = {name: sum(counts[name] for counts in by_month.values()) for name in names}
    return Figure(
        name="level-down-by-closure",
        title="Families whose level came down by closure",
        definition=LEVEL_DOWN_DEFINITION,
        columns=["Month closed", "CAFs closed", "With a level recorded", "Level came down", "Share that came down"],
        rows=table,
        chart_labels=[str(row[0]) for row in table],
        chart_values=[int(row[3]) for row in table],
        chart_unit="CAFs whose level came down by closure",
        totals=[
            "Total",
            totals["closed"],
            totals["with_level"],
            totals["came_down"],
            _share(totals["came_down"], totals["with_level"]),
        ],
    )


def _days(value: timedelta | None) -> str:
    if value is None:
        return NOT_APPLICABLE
    return str((Decimal(value.total_seconds()) / 86_400).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# The page --------------------------------------------------------------------------------------------


@dataclass
class CouncilFigures:
    council: LocalAuthority
    period: FiguresPeriod
    filters: FiguresFilters
    sections: list[tuple[str, str, list[Figure]]]
    # When the nightly job counted them (FiguresSnapshot); None: counted for this request.
    counted_at: datetime | None = None

    def sections_as_data(self) -> list[Any]:
        """The sections as JSON-ready data, for FiguresSnapshot."""
        return [[key, heading, [asdict(figure) for figure in figures]] for key, heading, figures in self.sections]

    @staticmethod
    def sections_from_data(data: list[Any]) -> list[tuple[str, str, list[Figure]]]:
        return [(key, heading, [Figure(**figure) for figure in figures]) for key, heading, figures in data]

    def figure(self, name: str) -> Figure | None:
        for _, _, figures in self.sections:
            for figure in figures:
                if figure.name == name:
                    return figure
        return None


@figures_reads()
def council_figures(
    council: LocalAuthority, *, period: FiguresPeriod, filters: FiguresFilters, today: date | None = None
) -> CouncilFigures:
    """Every figure for the council and period, read on the figures database. The caller has checked
    who may see them (referrals.policies.may_see_council_figures)."""
    today = today or timezone.localdate()
    started = _started_by_month(council, period, filters)
    by_type, by_agency = initiators(council, period, filters)
    sections: list[tuple[str, str, list[Figure]]] = [
        ("cafs", "CAFs started", [cafs_started(started), caf_rate(council, started)]),
        ("initiators", "Who starts CAFs", [by_type, by_agency]),
        (
            "referrals",
            "Referrals to children's social care",
            [*referrals_per_month(council, period, filters), referral_sources(council, period, filters)],
        ),
        ("step-downs", "Step-downs to early help", [*step_downs(council, period, filters)]),
        (
            "open-cafs",
            "Open CAFs, lead professionals, reviews and closures",
            [
                open_by_level(council, filters),
                level_changes(council, period, filters),
                without_lead(council, filters, timezone.now()),
                reviews(council, period, filters, today),
                closures(council, period, filters),
                levels_down_by_closure(council, period, filters),
            ],
        ),
    ]
    return CouncilFigures(council=council, period=period, filters=filters, sections=sections)


def council_figures_page(
    user: User, *, period: FiguresPeriod, filters: FiguresFilters, today: date | None = None, fresh: bool = False
) -> CouncilFigures:
    """The figures page's one read: who may see them is checked first, on the primary (403 for anyone
    else); the counts come from the night's snapshot for an unfiltered period it counted today (unless
    `fresh`: the person asked to count again now), else from the figures database."""
    council = user.council
    if council is None or not policies.may_see_council_figures(user, council.pk):
        raise PermissionDenied(
            "The council's figures are for its CAF administrators, social care managers and council administrators."
        )
    if not (filters.any or fresh):
        snapshot = figures_snapshot(council, period, today=today or timezone.localdate())
        if snapshot is not None:
            return snapshot
    return council_figures(council, period=period, filters=filters, today=today)


def figures_snapshot(council: LocalAuthority, period: FiguresPeriod, *, today: date) -> CouncilFigures | None:
    """The nightly job's count of this period, if it was counted today (the council's day); else None."""
    snapshot = (
        FiguresSnapshot.objects.filter(council=council, first_month=period.first, last_month=period.last)
        .only("counted_at", "sections")
        .first()
    )
    if snapshot is None or timezone.localdate(snapshot.counted_at, _zone(council)) != today:
        return None
    return CouncilFigures(
        council=council,
        period=period,
        filters=FiguresFilters(),
        sections=CouncilFigures.sections_from_data(snapshot.sections),
        counted_at=snapshot.counted_at,
    )


# CSV downloads ----------------------------------------------------------------------------------------

# A spreadsheet runs a cell that begins with one of these as a formula (CSV injection): such a cell is
# written with a single quote before it, which the spreadsheet shows as text.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_STARTS) else text


def figure_csv_rows(figure: Figure) -> list[list[str]]:
    """The figure's table as CSV rows: its columns, its rows, its totals, every cell made safe."""
    rows = [figure.columns, *figure.rows, *([figure.totals] if figure.totals else [])]
    return [[csv_cell(cell) for cell in row] for row in rows]


def figure_download_log(user: User, figure: Figure, period: FiguresPeriod) -> None:
    """A download takes the figures out of the service: the access log records who, which and when.
    It is about no child (aggregate counts), so the row names none, as a list page with no rows does."""
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=(f"Downloaded the council's figures as CSV: {figure.title}, {period.first:%B %Y} to {period.last:%B %Y}"),
    )


# The comparison across councils (Settled question 22) ----------------------------------------------------

# A cell hidden in a figure that leaves a council: fewer than 5, or hidden so that one could not be
# worked out from the total and the others (secondary suppression). Both read the same, so neither
# tells which it was.
HIDDEN = "hidden"


def rounded_to_5(count: int) -> int:
    return int((Decimal(count) / 5).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 5)


def suppressed_and_rounded(counts: dict[str, int]) -> dict[str, int | str]:
    """A breakdown that leaves the council: each count under 5 (but not 0) hidden, then, if exactly
    one is hidden, the next smallest too, so the total less the others never gives it; the rest
    rounded to the nearest 5."""
    hidden = {key for key, count in counts.items() if 0 < count < SMALL_NUMBER_LIMIT}
    if len(hidden) == 1:
        others = sorted((count, key) for key, count in counts.items() if key not in hidden and count > 0)
        if others:
            hidden.add(others[0][1])
    return {key: HIDDEN if key in hidden else rounded_to_5(count) for key, count in counts.items()}


@dataclass
class CouncilsCompared:
    period: FiguresPeriod
    columns: list[str]
    rows: list[list[Any]]
    definition: str
    # Only the councils that agreed to share their figures (anyone but a service administrator).
    sharing_only: bool = False


@figures_reads()
def _councils_compared(period: FiguresPeriod, *, sharing_only: bool) -> CouncilsCompared:
    found = LocalAuthority.objects.order_by("name")
    if sharing_only:
        found = found.filter(shares_figures_with_councils=True)
    councils = list(found)
    # Each council's months in its own time zone: all of the instance's are Europe/London by default.
    zone = _zone(councils[0]) if councils else ZoneInfo("Europe/London")
    start, end = period.bounds(zone)
    picked_up = StepDown.objects.filter(
        picked_up_caf_id=OuterRef("pk"),
        picked_up_at__gte=OuterRef("activated_at"),
        picked_up_at__lte=ExpressionWrapper(
            OuterRef("activated_at") + timedelta(minutes=1), output_field=DateTimeField()
        ),
    )
    rows = (
        Caf.objects.filter(activated_at__gte=start, activated_at__lt=end, council__in=[c.pk for c in councils])
        .exclude(status=Caf.Status.DRAFT)
        .annotate(
            is_new=Case(When(Q(previous_episode__isnull=True) & ~Q(Exists(picked_up)), then=Value(1)), default=Value(0))
        )
        .values("council_id", "initiating_agency__agency_type", "is_new")
        .annotate(count=Count("pk"))
        .order_by()
    )
    started: dict[int, int] = {}
    new: dict[int, dict[str, int]] = {}
    for row in rows:
        started[row["council_id"]] = started.get(row["council_id"], 0) + row["count"]
        if row["is_new"]:
            types = new.setdefault(row["council_id"], {})
            kind = row["initiating_agency__agency_type"]
            types[kind] = types.get(kind, 0) + row["count"]
    kinds = sorted({kind for types in new.values() for kind in types}, key=lambda kind: AgencyType(kind).label)
    months = len(period.months)
    table: list[list[Any]] = []
    for council in councils:
        count = started.get(council.pk, 0)
        shown_count: int | str = HIDDEN if 0 < count < SMALL_NUMBER_LIMIT else rounded_to_5(count)
        rate: Decimal | str = "not set"
        if council.child_population and isinstance(shown_count, int):
            # From the rounded count: a rate from the exact one would give the exact count back.
            rate = (Decimal(shown_count) * 10_000 * 12 / (Decimal(council.child_population) * months)).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
        elif shown_count == HIDDEN:
            rate = HIDDEN
        types = new.get(council.pk, {})
        cells = suppressed_and_rounded({kind: types.get(kind, 0) for kind in kinds})
        new_total = rounded_to_5(sum(types.values()))
        shares = [
            HIDDEN if cell == HIDDEN else _share(int(cell), new_total) if new_total else NOT_APPLICABLE
            for cell in cells.values()
        ]
        table.append([council.name, shown_count, rate, *shares])
    return CouncilsCompared(
        period=period,
        columns=[
            "Council",
            "CAFs started",
            "Per 10,000 children a year",
            *(f"Started by {AgencyType(kind).label.lower()}" for kind in kinds),
        ],
        rows=table,
        definition=(
            "CAFs started in the period (activation date, Europe/London, all origins), rounded to the nearest 5; "
            "the rate per 10,000 children annualised from the rounded count. Who starts CAFs: shares of new CAFs "
            "by the initiating agency's type, from counts rounded to 5. A count under 5 is hidden, and so is the "
            "next smallest of its council's row when only one would be, so that no hidden count can be worked "
            "out from the others (Settled question 22)."
        ),
        sharing_only=sharing_only,
    )


def councils_compared_page(user: User, *, period: FiguresPeriod) -> CouncilsCompared:
    """Service administrators compare every council; the figures' people of a council that agreed to
    share compare only the councils that agreed (referrals.policies.may_compare_councils)."""
    if not policies.may_compare_councils(user):
        raise PermissionDenied(
            "The comparison across councils is for service administrators, and for the CAF administrators, social "
            "care managers and council administrators of councils that agreed to share their figures."
        )
    return _councils_compared(period, sharing_only=not policies.compares_every_council(user))
