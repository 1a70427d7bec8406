"""Retention dates (Settled question 25), computed in the database, and the families they apply to.

A CAF's retention date is the latest of
- the early help period: the later of closure + the council's years (6) and the youngest child's
  birthday at the council's age (25), counted from the expected date of birth for an unborn child;
- the period of each social care stage a child of the CAF reached (a referral decided as Child in
  Need or child protection, or a stage a social care manager recorded: Child in Need, child
  protection, looked after, adopted): that child's birthday at the stage's age.
A CAF still open has none (it is not due). A CAF that never left draft counts from when it was started.

A child's own retention date covers the records that are not a CAF (a referral, a step-down, or only
the record find-a-child made): the latest of their birthday at the council's early help age, the end
of their last referral or step-down + the council's years, and each stage's period; a child on no CAF
is also kept until their record's creation + the council's years.

A family is every CAF, child and adult linked through the CAFs, households and merged records: a
person is anonymised only when every record about them is past its date, so a family is due only
when every one of its CAFs and children is, none of its children is under legal hold, and none has a
referral or step-down still open. A family without any CAF (children found or referred only) is
anonymised the same way.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, DateField, Exists, Func, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, TruncDate

from accounts.models import LocalAuthority
from caf import hooks
from caf.models import Adult, Caf, CafChild, Child, LegalHold, SocialCareStage

SOCIAL_CARE_STAGES = tuple(SocialCareStage.Stage.values)
# The stages a referral decision says (referrals answers through caf.hooks); the others are recorded only.
DECIDED_STAGES = ("child_in_need", "child_protection")


class YearsAfter(Func):
    """A date this many years later, as a date (PostgreSQL: 29 February + 1 year is 28 February)."""

    arg_joiner = " + make_interval(years => "
    template = "(%(expressions)s::int))::date"
    output_field = DateField()


def _birth(prefix: str = "") -> Coalesce:
    return Coalesce(f"{prefix}date_of_birth", f"{prefix}expected_date_of_birth")


def _stage_age(council: LocalAuthority, stage: str) -> int:
    return {
        SocialCareStage.Stage.CHILD_IN_NEED: council.retention_child_in_need_age,
        SocialCareStage.Stage.CHILD_PROTECTION: council.retention_child_protection_age,
        SocialCareStage.Stage.LOOKED_AFTER: council.retention_looked_after_age,
        SocialCareStage.Stage.ADOPTED: council.retention_adoption_age,
    }[SocialCareStage.Stage(stage)]


def _reached(stage: str, child: str) -> Q:
    """The children (by the field `child`) who reached a stage: recorded by a social care manager, or
    (Child in Need, child protection) decided on a referral."""
    reached = Q(**{f"{child}__in": SocialCareStage.objects.filter(stage=stage).values("child")})
    if stage in DECIDED_STAGES:
        reached |= Q(**{f"{child}__in": hooks.social_care_stage_children(stage)})
    return reached


def caf_retention_dates(council: LocalAuthority, *, stages: bool = True) -> QuerySet[Caf]:
    """The council's CAFs, each annotated with `retention_on` (None while it is open). `stages=False`
    leaves out the social care stages' periods, for a caller that adds each child's own date (which
    holds them: retention_families), so the council's CAFs are read without a subquery per stage."""
    per_caf = CafChild.objects.filter(caf=OuterRef("pk")).values("caf")
    youngest_birth = Subquery(per_caf.annotate(birth=Max(_birth("child__"))).values("birth")[:1])
    starts = Case(
        When(status=Caf.Status.CLOSED, then=TruncDate("closed_at")),
        When(status=Caf.Status.DRAFT, then=TruncDate("created_at")),
        default=None,
        output_field=DateField(),
    )
    periods: list[Any] = [
        YearsAfter(starts, Value(council.retention_years_after_closure)),
        YearsAfter(youngest_birth, Value(council.retention_until_age)),
    ]
    for stage in SOCIAL_CARE_STAGES if stages else ():
        reached = per_caf.filter(_reached(stage, "child"))
        until = reached.annotate(until=Max(YearsAfter(_birth("child__"), Value(_stage_age(council, stage)))))
        periods.append(Subquery(until.values("until")[:1]))
    # GREATEST ignores NULLs: an open CAF's date stays NULL only through the Case.
    return Caf.objects.filter(council=council).annotate(
        retention_on=Case(When(Q(status=Caf.Status.ACTIVE), then=None), default=Greatest(*periods))
    )


def child_retention_dates(council: LocalAuthority) -> QuerySet[Child]:
    """The council's children, each annotated with `records_on` (what their records other than a
    CAF ask: the early help age, the last referral or step-down ended + the council's years, each
    stage's age; None when none applies) and `created_on` (the record's creation + the council's
    years: what keeps a child on no CAF at all)."""
    years = Value(council.retention_years_after_closure)
    periods: list[Any] = [
        YearsAfter(_birth(), Value(council.retention_until_age)),
        YearsAfter(TruncDate(hooks.child_records_ended(OuterRef("pk"))), years),
    ]
    periods.extend(
        Case(
            When(_reached(stage, "pk"), then=YearsAfter(_birth(), Value(_stage_age(council, stage)))),
            default=None,
            output_field=DateField(),
        )
        for stage in SOCIAL_CARE_STAGES
    )
    return Child.objects.filter(council=council).annotate(
        records_on=Greatest(*periods),
        created_on=YearsAfter(TruncDate("created_at"), years),
        on_a_caf=Exists(CafChild.objects.filter(child=OuterRef("pk"))),
    )


@dataclass
class RetentionFamily:
    caf_ids: list[int] = field(default_factory=list)
    child_ids: list[int] = field(default_factory=list)
    adult_ids: list[int] = field(default_factory=list)
    retention_on: date | None = None  # the latest of its CAFs' and children's; None while a CAF is open
    held: bool = False  # a child under legal hold
    open_work: bool = False  # a referral or step-down still open
    anonymised: bool = False  # every CAF and child already anonymised

    def is_due(self, today: date) -> bool:
        return (
            not (self.held or self.open_work or self.anonymised)
            and self.retention_on is not None
            and self.retention_on <= today
        )


class _Families:
    """Union-find over ("caf", id), ("child", id), ("adult", id), and the records above caf that name
    several children (("referral", id), ("step-down", id)), which only link."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(self, node: tuple[str, int]) -> tuple[str, int]:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def join(self, a: tuple[str, int], b: tuple[str, int]) -> None:
        self.parent[self.find(a)] = self.find(b)


def _link(families: _Families, council: LocalAuthority, child_ids: set[int] | None) -> None:
    """Join the council's records into families (those of `child_ids` only, when given): a CAF and its
    children and adults, a household, a referral or step-down and the children it names, a merged
    record and the record kept."""
    links = Q() if child_ids is None else Q(child__in=child_ids)
    for caf_id, child_id in CafChild.objects.filter(links, caf__council=council).values_list("caf", "child"):
        families.join(("child", child_id), ("caf", caf_id))
    caf_adults = Caf.adults.through.objects.filter(caf__council=council)
    if child_ids is not None:
        caf_adults = caf_adults.filter(caf__in=CafChild.objects.filter(links).values("caf"))
    for caf_id, adult_id in caf_adults.values_list("caf", "adult"):
        families.join(("adult", adult_id), ("caf", caf_id))
    for adult_id, child_id in Adult.children.through.objects.filter(links, adult__council=council).values_list(
        "adult", "child"
    ):
        families.join(("adult", adult_id), ("child", child_id))
    # Children named on one referral or step-down (asked of referrals): one family, so that its text is
    # anonymised only when every child it names is due.
    for kind, record_id, child_id in hooks.children_recorded_together(council.pk):
        if child_ids is None or child_id in child_ids:
            families.join(("child", child_id), (kind, record_id))
    merged = Child.objects.filter(council=council, merged_into__isnull=False)
    if child_ids is not None:
        merged = merged.filter(pk__in=child_ids)
    for child_id, kept_id in merged.values_list("pk", "merged_into"):
        if kept_id is not None:
            families.join(("child", child_id), ("child", kept_id))


def retention_families(council: LocalAuthority, *, child_ids: set[int] | None = None) -> list[RetentionFamily]:
    """Every family of the council (children on no CAF included), with its retention date and what
    stops it being anonymised. A few queries for the whole council: the dates in SQL, the links grouped
    here. With `child_ids` (whole families: `family_child_ids`), only the families of those children."""
    families = _Families()
    dates: dict[int, date | None] = {}
    anonymised_cafs: set[int] = set()
    within = Q() if child_ids is None else Q(pk__in=child_ids)
    links = Q() if child_ids is None else Q(child__in=child_ids)
    caf_within = Q() if child_ids is None else Q(pk__in=CafChild.objects.filter(links).values("caf"))
    # Typed loosely: django-stubs does not follow the annotation through the function's return.
    # The stages' periods come with each child's own date below.
    annotated: Any = caf_retention_dates(council, stages=False).filter(caf_within)
    rows = annotated.values("pk", "retention_on", "anonymised_at")
    for row in rows:
        pk, anonymised_at = row["pk"], row["anonymised_at"]
        dates[pk] = row["retention_on"]
        families.find(("caf", pk))
        if anonymised_at:
            anonymised_cafs.add(pk)
    child_dates: dict[int, list[date]] = {}
    # Typed loosely, as above.
    children: Any = child_retention_dates(council).filter(within)
    for row in children.values("pk", "records_on", "created_on", "on_a_caf"):
        families.find(("child", row["pk"]))
        # A child on no CAF is kept at least until their record's creation + the council's years.
        kept = [row["records_on"], None if row["on_a_caf"] else row["created_on"]]
        child_dates[row["pk"]] = [day for day in kept if day is not None]
    _link(families, council, child_ids)

    held = set(LegalHold.objects.filter(links, council=council, lifted_at__isnull=True).values_list("child", flat=True))
    open_work = set(
        Child.objects.filter(council=council, pk__in=hooks.social_care_open_children()).values_list("pk", flat=True)
    )
    anonymised_children = set(
        Child.objects.filter(council=council, anonymised_at__isnull=False).values_list("pk", flat=True)
    )

    grouped: dict[tuple[str, int], RetentionFamily] = defaultdict(RetentionFamily)
    for node in list(families.parent):
        family = grouped[families.find(node)]
        kind, pk = node
        members = {"caf": family.caf_ids, "child": family.child_ids, "adult": family.adult_ids}.get(kind)
        if members is not None:
            members.append(pk)
    result = []
    for family in grouped.values():
        if not family.caf_ids and not family.child_ids:
            continue  # an adult linked to no child nor CAF: nothing about a child to keep or anonymise
        family.caf_ids.sort()
        family.child_ids.sort()
        family.adult_ids.sort()
        caf_dates = [dates[pk] for pk in family.caf_ids]
        days = [day for day in caf_dates if day] + [day for pk in family.child_ids for day in child_dates.get(pk, [])]
        family.retention_on = None if any(day is None for day in caf_dates) or not days else max(days)
        family.held = any(pk in held for pk in family.child_ids)
        family.open_work = any(pk in open_work for pk in family.child_ids)
        family.anonymised = all(pk in anonymised_cafs for pk in family.caf_ids) and all(
            pk in anonymised_children for pk in family.child_ids
        )
        result.append(family)
    return sorted(result, key=lambda family: (family.caf_ids[:1], family.child_ids[:1]))


def family_child_ids(child: Child) -> set[int]:
    """The children of the child's family, as retention_families links them (CAFs, households, merged
    records, referrals and step-downs naming several children): a few queries per step out from the
    child, so that one family's date is read without the council's."""
    records_of: dict[int, set[tuple[str, int]]] = defaultdict(set)
    named_on: dict[tuple[str, int], set[int]] = defaultdict(set)
    for kind, record_id, child_id in hooks.children_recorded_together(child.council_id):
        records_of[child_id].add((kind, record_id))
        named_on[(kind, record_id)].add(child_id)
    found, frontier = {child.pk}, {child.pk}
    while frontier:
        cafs = CafChild.objects.filter(child__in=frontier).values("caf")
        adults = Adult.children.through.objects.filter(child__in=frontier).values("adult")
        caf_adults = Caf.adults.through.objects.filter(caf__in=cafs).values("adult")
        reached = set(CafChild.objects.filter(caf__in=cafs).values_list("child", flat=True))
        reached |= set(
            Adult.children.through.objects.filter(Q(adult__in=adults) | Q(adult__in=caf_adults)).values_list(
                "child", flat=True
            )
        )
        merged = Child.objects.filter(Q(merged_into__in=frontier) | Q(pk__in=frontier, merged_into__isnull=False))
        for pk, kept in merged.values_list("pk", "merged_into"):
            reached |= {pk, kept} if kept is not None else {pk}
        reached |= {other for pk in frontier for record in records_of[pk] for other in named_on[record]}
        frontier = reached - found
        found |= reached
    return found


def child_retention_date(child: Child) -> date | None:
    """The child's family's retention date, for the legal hold page (None while a record is open):
    that family's only, not the council's."""
    families = retention_families(child.council, child_ids=family_child_ids(child))
    return next((family.retention_on for family in families if child.pk in family.child_ids), None)


def legal_hold_in_force(child: Child) -> LegalHold | None:
    return LegalHold.objects.filter(child=child, lifted_at__isnull=True).select_related("placed_by").first()


def social_care_stages_of(child: Child) -> list[SocialCareStage]:
    """The stages recorded for the child, earliest first (a referral's decision shows on its own page)."""
    return list(SocialCareStage.objects.filter(child=child).select_related("recorded_by").order_by("reached_on", "pk"))


def legal_hold_history(child: Child) -> QuerySet[LegalHold, Any]:
    return LegalHold.objects.filter(child=child).select_related("placed_by", "lifted_by")


__all__ = [
    "RetentionFamily",
    "YearsAfter",
    "caf_retention_dates",
    "child_retention_date",
    "child_retention_dates",
    "family_child_ids",
    "legal_hold_history",
    "legal_hold_in_force",
    "retention_families",
    "social_care_stages_of",
]
