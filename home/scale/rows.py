"""The simulation (home.scale.cases) as rows of the real tables: children, CAFs, their children's
levels, Teams Around the Family, lead professionals, consents, review dates and plan actions
(referrals and step-downs: rows_referrals). Each function streams one table's rows into COPY."""

from collections.abc import Iterator
from datetime import timedelta

from caf.models import (
    Caf,
    CafChild,
    Child,
    Consent,
    LeadProfessionalAssignment,
    LevelChange,
    PlanAction,
    ReviewDateChange,
    TeamAroundFamilyMember,
)
from home.scale.cases import DAY, Simulation
from home.scale.copy import Copier
from home.scale.names import ADULT_WOMEN, BOYS, GIRLS, NEEDS, POSTCODE_AREAS, STREETS

OUTCOMES = {
    "needs_met": "The plan's outcomes were met; the family know how to ask for help again.",
    "disengaged": "The family stopped taking part despite several offers of support.",
    "moved_out_of_area": "The family moved away; the new council's early help team was told.",
    "consent_withdrawn": "The family withdrew their consent.",
    "stepped_up": "Social care took the case on.",
}

_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def children_write(sim: Simulation, copier: Copier) -> None:
    rng = sim.rng
    council = sim.county.council.pk
    creator = sim.county.staff.practitioners[0]

    def rows() -> Iterator[tuple]:
        for family in sim.families:
            street = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
            postcode = f"{rng.choice(POSTCODE_AREAS)} {rng.randint(1, 9)}{''.join(rng.choices(_LETTERS, k=2))}"
            created = family.cafs[0].created if family.cafs else sim.now - rng.uniform(1, 3650) * DAY
            for child in family.children:
                girl = rng.random() < 0.5
                yield (
                    child,
                    council,
                    rng.choice(GIRLS if girl else BOYS),
                    family.last_name,
                    sim.child_birth.get(child) or (created - rng.uniform(60, 5000) * DAY).date(),
                    "female" if girl else "male",
                    street,
                    postcode,
                    created,
                    creator,
                )

    copier.copy(
        Child,
        [
            "id",
            "council_id",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "address",
            "postcode",
            "created_at",
            "created_by_id",
        ],
        rows(),
    )


def cafs_write(sim: Simulation, copier: Copier) -> None:
    council = sim.county.council.pk
    model = sim.county.threshold_model_id

    def rows() -> Iterator[tuple]:
        for caf in sim.cafs:
            closed_by = caf.leads[-1][0] if caf.closed and caf.leads else caf.registered_by
            yield (
                caf.id,
                council,
                "family" if len(caf.children) > 1 else "child",
                caf.status,
                caf.agency,
                caf.initiator,
                model,
                caf.created,
                caf.activated,
                caf.reference,
                caf.registered if caf.reference else None,
                caf.registered_by if caf.reference else None,
                caf.closed,
                closed_by if caf.closed else None,
                caf.closure_reason,
                OUTCOMES.get(caf.closure_reason, ""),
                caf.activated,
                caf.next_review_on if caf.status != "draft" else None,
            )

    copier.copy(
        Caf,
        [
            "id",
            "council_id",
            "kind",
            "status",
            "initiating_agency_id",
            "initiated_by_id",
            "threshold_model_id",
            "created_at",
            "activated_at",
            "reference",
            "registered_at",
            "registered_by_id",
            "closed_at",
            "closed_by_id",
            "closure_reason",
            "outcome_summary",
            "assessment_submitted_at",
            "next_review_on",
        ],
        rows(),
    )


def levels_write(sim: Simulation, copier: Copier) -> None:
    """Each child's level in each CAF (mostly level 2, some 3) and its first level history row."""
    rng = sim.rng
    levels = sim.county.levels
    links = [(caf, child) for caf in sim.cafs for child in caf.children]
    ids = copier.ids(CafChild, len(links))
    chosen = [levels[min(len(levels) - 1, 1 if rng.random() < 0.8 else 2)] for _ in links]
    copier.copy(
        CafChild,
        ["id", "caf_id", "child_id", "suggested_level_id", "level_id"],
        (
            (link_id, caf.id, child, level, level)
            for link_id, (caf, child), level in zip(ids, links, chosen, strict=True)
        ),
    )
    copier.copy(
        LevelChange,
        ["caf_child_id", "child_id", "level_id", "suggested_level_id", "changed_by_id", "changed_at"],
        (
            (link_id, child, level, level, caf.initiator, caf.activated)
            for link_id, (caf, child), level in zip(ids, links, chosen, strict=True)
            if caf.activated
        ),
    )


def teams_write(sim: Simulation, copier: Copier) -> None:
    copier.copy(
        TeamAroundFamilyMember,
        ["caf_id", "user_id", "agency_id", "role", "joined_at", "left_at", "added_by_id"],
        ((caf.id, m[0], m[1], m[4], m[2], m[3], caf.initiator) for caf in sim.cafs for m in caf.members),
    )
    admins = sim.county.staff.caf_administrators
    copier.copy(
        LeadProfessionalAssignment,
        ["caf_id", "user_id", "started_at", "ended_at", "logged_by_id", "social_work_led"],
        (
            (caf.id, lead[0], lead[1], lead[2], admins[caf.id % len(admins)], lead[3])
            for caf in sim.cafs
            for lead in caf.leads
        ),
    )
    copier.copy(
        ReviewDateChange,
        ["caf_id", "review_on", "reason", "changed_by_id", "changed_at"],
        (
            (caf.id, caf.next_review_on, "The TAF formed", caf.initiator, caf.activated)
            for caf in sim.cafs
            if caf.activated
        ),
    )


def consents_write(sim: Simulation, copier: Copier) -> None:
    """A consent per CAF that left draft (and half the drafts), given by a parent for the CAF's
    children, covering every agency ever on its team (the social worker's after a referral); a
    CAF closed as consent withdrawn has it withdrawn."""
    rng = sim.rng
    with_consent = [caf for caf in sim.cafs if caf.status != "draft" or rng.random() < 0.5]
    ids = copier.ids(Consent, len(with_consent))
    pairs = list(zip(ids, with_consent, strict=True))

    def rows() -> Iterator[tuple]:
        for consent_id, caf in pairs:
            given = (caf.activated or caf.created) - rng.uniform(0, 3) * DAY
            withdrawn = caf.closure_reason == "consent_withdrawn"
            yield (
                consent_id,
                caf.id,
                f"{rng.choice(ADULT_WOMEN)} {caf.family.last_name}",
                "mother",
                given.date(),
                "signed_form" if rng.random() < 0.7 else "verbal",
                caf.initiator,
                given,
                True,
                True,
                caf.closed.date() if withdrawn else None,
                "The family no longer wants early help." if withdrawn else "",
                caf.leads[-1][0] if withdrawn and caf.leads else (caf.initiator if withdrawn else None),
            )

    copier.copy(
        Consent,
        [
            "id",
            "caf_id",
            "given_by",
            "relationship",
            "given_on",
            "method",
            "recorded_by_id",
            "recorded_at",
            "explained_storage",
            "explained_sharing",
            "withdrawn_on",
            "withdrawal_reason",
            "withdrawal_recorded_by_id",
        ],
        rows(),
    )
    copier.copy(
        Consent.children.through,
        ["consent_id", "child_id"],
        ((consent_id, child) for consent_id, caf in pairs for child in caf.children),
    )
    copier.copy(
        Consent.agencies.through,
        ["consent_id", "agency_id"],
        (
            (consent_id, agency)
            for consent_id, caf in pairs
            for agency in sorted({caf.agency} | {m[1] for m in caf.members})
        ),
    )


def plan_actions_write(sim: Simulation, copier: Copier) -> None:
    """Three actions in each active CAF's plan (some overdue), two done in each closed one's."""
    rng = sim.rng
    today = sim.now.date()

    def rows() -> Iterator[tuple]:
        for caf in sim.cafs:
            if caf.status == "draft":
                continue
            current = [m for m in caf.members if m[3] is None] or caf.members
            for n in range(3 if caf.status == "active" else 2):
                need, action = NEEDS[(caf.id + n) % len(NEEDS)]
                owner = rng.choice(current)
                if caf.status == "active":
                    due = today + timedelta(days=rng.randint(-30, 60))
                    status = "in_progress" if due >= today or rng.random() < 0.5 else "not_started"
                else:
                    due = (caf.closed - rng.uniform(10, 50) * DAY).date()
                    status = "done"
                yield (caf.id, need, action, owner[1], owner[0], due, status, caf.initiator, caf.activated)

    copier.copy(
        PlanAction,
        ["caf_id", "need", "action", "agency_id", "owner_id", "due_on", "status", "created_by_id", "created_at"],
        rows(),
    )
