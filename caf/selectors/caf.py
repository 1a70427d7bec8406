"""One CAF's pages: the overview (a draft's task list, or an active or closed CAF's summary), the
check-your-answers page, its children with their levels, and what stops the assessment being
submitted. Each page asks for one of these and gets everything it shows, in a fixed number of
queries whatever the number of children, consents, agencies or members."""

from dataclasses import dataclass, field, fields
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from caf import hooks, policies
from caf.models import Caf, CafChild, Consent, FamilyExclusion, LeadProfessionalAssignment, PlanAction
from caf.models import TeamAroundFamilyMember as Member
from caf.selectors.consent import current_consent
from thresholds.classifier import Answers, ModelSnapshot, Result, classify
from thresholds.models import Domain, Level, SubDomain


def caf_children_with_levels(caf: Caf) -> QuerySet[CafChild]:
    return caf.caf_children.select_related("child", "level", "suggested_level").prefetch_related("indicators")


def caf_children_by_name(caf: Caf) -> list[CafChild]:
    return list(
        caf.caf_children.select_related("child", "level", "suggested_level").order_by(
            "child__last_name", "child__first_name", "pk"
        )
    )


def caf_consents(caf: Caf) -> list[Consent]:
    """Every consent of the CAF, newest first, with its scope: a fixed number of queries."""
    return list(
        caf.consents.select_related("recorded_by", "withdrawal_recorded_by")
        .prefetch_related("agencies", "excluded_agencies", "excluded_people__agency", "children")
        .order_by("-recorded_at", "-pk")
    )


def child_answers(caf_child: CafChild, *, indicator_ids: frozenset[int], extra_unmet_needs: int) -> Answers:
    """The classifier's inputs for one child of a CAF: what was ticked, and the child's own facts today."""
    child = caf_child.child
    return Answers(
        indicator_ids=indicator_ids,
        extra_unmet_needs=extra_unmet_needs,
        age=child.age_on(timezone.localdate()),
        unborn=child.is_unborn,
        send=child.send,
    )


def child_suggestion(caf_child: CafChild, snapshot: ModelSnapshot) -> Result:
    """The classifier's suggestion from the indicators recorded for the child, with its reasons."""
    ticked = frozenset(caf_child.indicators.values_list("pk", flat=True))
    return classify(
        snapshot, child_answers(caf_child, indicator_ids=ticked, extra_unmet_needs=caf_child.extra_unmet_needs)
    )


def submit_problems(caf: Caf) -> list[str]:
    problems = []
    if current_consent(caf) is None:
        problems.append("Record the family's consent: a CAF cannot start without it.")
    else:
        # A brother or sister added after the consent is covered only once a consent names them
        # (Settled question 11).
        covered = Consent.children.through.objects.filter(consent__in=Consent.objects.current().filter(caf=caf)).values(
            "child_id"
        )
        problems.extend(
            f"Record consent for {caf_child.child}: no consent names them yet."
            for caf_child in caf.caf_children.exclude(child_id__in=covered).select_related("child")
        )
    if not caf.assessment_entries.exclude(strengths="", needs="").exists():
        problems.append("Write the strengths and needs of at least one part of the assessment.")
    problems.extend(
        f"Choose {caf_child.child}'s level of need."
        for caf_child in caf.caf_children.select_related("child")
        if caf_child.level_id is None
    )
    return problems


# The overview -------------------------------------------------------------------------------------


@dataclass
class Task:
    """One line of a draft's task list (the GOV.UK task list pattern)."""

    name: str
    href: str | None
    status: str
    done: bool = False
    hint: str = ""


@dataclass
class CafOverview:
    """What the CAF's page shows. Its field names are the template's (caf/detail.html)."""

    caf: Caf
    caf_children: list[CafChild]
    consent: Consent | None
    current_consents: list[Consent]
    withdrawn_consents: list[Consent]
    exclusions: list[FamilyExclusion]
    may_withdraw: bool
    may_record_consent: bool
    may_record_exclusion: bool
    referrals: list[Any]
    # A draft's
    tasks: list[Task] = field(default_factory=list)
    may_override: bool = False
    may_add_children: bool = False
    # An active or closed CAF's
    highest_level: Level | None = None
    taf_members: list[Member] = field(default_factory=list)
    lead: LeadProfessionalAssignment | None = None
    plan_open: int = 0
    plan_done: int = 0
    plan_total: int = 0
    next_action: PlanAction | None = None
    may_change_level: bool = False
    links: dict[str, str | None] = field(default_factory=dict)

    def as_context(self) -> dict[str, Any]:
        return {each.name: getattr(self, each.name) for each in fields(self)}


def caf_overview(user: User, caf: Caf) -> CafOverview:
    """The CAF's page for this user, who may see the CAF (caf_get_for_user checked and logged it)."""
    caf_children = caf_children_by_name(caf)
    consents = caf_consents(caf)
    current = [each for each in consents if each.is_current]
    consent = current[0] if current else None
    may_change = policies.may_change_assessment(user, caf)
    may_record_consent = policies.may_record_consent(user, caf)
    overview = CafOverview(
        caf=caf,
        caf_children=caf_children,
        consent=consent,
        current_consents=current,
        withdrawn_consents=[each for each in consents if each.withdrawn_on],
        exclusions=list(
            FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True).select_related("agency", "user__agency")
        ),
        may_withdraw=may_record_consent,
        may_record_consent=may_record_consent,
        may_record_exclusion=policies.may_record_exclusion(user, caf),
        referrals=list(hooks.caf_referrals(caf)),
    )
    if caf.status == Caf.Status.DRAFT:
        overview.tasks = _draft_tasks(caf, caf_children, consent, may_change)
        overview.may_override = may_change and consent is None
        overview.may_add_children = policies.may_add_children(user, caf)
    else:
        _summary_add(overview, user, may_change)
    return overview


def _draft_tasks(caf: Caf, caf_children: list[CafChild], consent: Consent | None, may_change: bool) -> list[Task]:
    def link(name: str, *args: Any) -> str | None:
        return reverse(name, args=[caf.pk, *args]) if may_change else None

    consent_link = link("caf:consent_record")
    if consent_link and consent:
        consent_link += f"?change={consent.pk}"
    tasks = [
        Task(
            "Record consent",
            consent_link,
            "Completed" if consent else "Not yet started",
            done=consent is not None,
            hint=f"Given by {consent.given_by} ({consent.relationship})" if consent else "",
        )
    ]
    written = caf.assessment_entries.exclude(strengths="", needs="").exists()
    tasks.append(Task("Assessment", link("caf:assessment"), "Completed" if written else "Not yet started", written))
    for caf_child in caf_children:
        if caf_child.level_id:
            status, hint = "Completed", caf_child.level.label
        elif caf_child.suggested_level_id:
            status, hint = "In progress", f"Suggested: {caf_child.suggested_level.label}"
        else:
            status, hint = "Not yet started", ""
        tasks.append(
            Task(
                f"Level of need for {caf_child.child}",
                link("caf:child_level", caf_child.pk),
                status,
                done=bool(caf_child.level_id),
                hint=hint,
            )
        )
    ready = consent is not None and written and all(caf_child.level_id for caf_child in caf_children)
    tasks.append(
        Task(
            "Check answers and submit",
            link("caf:caf_submit") if ready else None,
            "Not yet started" if ready else "Cannot start yet",
        )
    )
    return tasks


def _summary_add(overview: CafOverview, user: User, may_change: bool) -> None:
    caf = overview.caf
    levelled = [caf_child for caf_child in overview.caf_children if caf_child.level_id]
    plan = dict(caf.actions.values_list("status").annotate(count=Count("pk")))
    is_administrator = policies.is_caf_administrator(user, caf.council_id)
    active = caf.status == Caf.Status.ACTIVE
    overview.highest_level = max((each.level for each in levelled), key=lambda level: level.order, default=None)
    overview.taf_members = list(caf.taf_members.filter(left_at__isnull=True).select_related("user", "agency"))
    overview.lead = caf.lead_professionals.filter(ended_at__isnull=True).select_related("user").first()
    overview.plan_open = sum(plan.get(status, 0) for status in PlanAction.OPEN_STATUSES)
    overview.plan_done = plan.get(PlanAction.Status.DONE, 0)
    overview.plan_total = sum(plan.values())
    overview.next_action = caf.actions.filter(status__in=PlanAction.OPEN_STATUSES).first()
    overview.may_change_level = may_change
    overview.links = {
        "taf": reverse("caf:taf", args=[caf.pk]),
        "plan": reverse("caf:plan", args=[caf.pk]),
        "print": reverse("caf:caf_print", args=[caf.pk]),
        "lead_professional": reverse("caf:lead_professional", args=[caf.pk]) if is_administrator and active else None,
        "register": reverse("caf:caf_register", args=[caf.pk])
        if is_administrator and active and not caf.registered_at
        else None,
        "close": reverse("caf:caf_close", args=[caf.pk]) if policies.may_close(user, caf) else None,
        "reopen": reverse("caf:caf_reopen", args=[caf.pk]) if policies.may_reopen(user, caf) else None,
    }


# Check your answers -------------------------------------------------------------------------------


@dataclass
class CafAnswers:
    """The check-your-answers page: the consent in force, each part of the assessment written, and
    each child's level and indicators."""

    consent: Consent | None
    domains: list[tuple[Domain, list[tuple[SubDomain, Any]]]]
    caf_children: list[CafChild]


def caf_answers(caf: Caf) -> CafAnswers:
    consents = caf_consents(caf)
    entries = {
        entry.sub_domain_id: entry
        for entry in caf.assessment_entries.select_related("sub_domain").exclude(strengths="", needs="")
    }
    domains = [
        (domain, [(sub_domain, entries.get(sub_domain.pk)) for sub_domain in domain.sub_domains.all()])
        for domain in Domain.objects.prefetch_related("sub_domains")
    ]
    return CafAnswers(
        consent=next((each for each in consents if each.is_current), None),
        domains=domains,
        caf_children=list(caf_children_with_levels(caf).order_by("child__last_name", "child__first_name", "pk")),
    )
