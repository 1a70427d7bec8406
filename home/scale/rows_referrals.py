"""The simulated referrals and step-downs (home.scale.referrals_sim) as rows of referrals' tables."""

from collections.abc import Iterator
from datetime import timedelta

from accounts.models import AgencyType
from home.scale.cases import HOUR, Simulation
from home.scale.copy import Copier
from home.scale.names import ADULT_WOMEN, CONCERNS
from referrals.models import Referral, StepDown


def referrals_write(sim: Simulation, copier: Copier) -> None:
    rng = sim.rng
    council = sim.county.council.pk

    def rows() -> Iterator[tuple]:
        for r in sim.referrals:
            override = r.basis == "safeguarding_override"
            immediate = r.urgency == "immediate"
            decided = r.status == "decided"
            yield (
                r.id,
                council,
                r.caf.id if r.caf else None,
                r.agency,
                r.status,
                r.urgency,
                CONCERNS[r.id % len(CONCERNS)],
                r.basis,
                "" if override else f"{rng.choice(ADULT_WOMEN)} {r.family.last_name}",
                "" if override else "mother",
                None if override else r.sent.date(),
                "Seeking consent would put the children at greater risk." if override else "",
                r.sent - 10 * 60 * _SECOND if immediate else None,
                "Duty social worker" if immediate else "",
                r.created_by,
                r.sent - rng.uniform(0.2, 3) * HOUR,
                r.sent,
                r.sent + 24 * HOUR,
                r.decision if decided else "",
                _REASONS.get(r.decision, "") if decided else "",
                r.social_worker if decided else None,
                r.decided_by if decided else None,
                r.decided if decided else None,
                r.decided_by if decided else None,
                r.decided - rng.uniform(0.1, 0.4) * HOUR if decided else None,
                True,
            )

    copier.copy(
        Referral,
        [
            "id",
            "council_id",
            "caf_id",
            "referring_agency_id",
            "status",
            "urgency",
            "concern",
            "basis",
            "consent_given_by",
            "consent_relationship",
            "consent_given_on",
            "override_reason",
            "front_door_called_at",
            "front_door_spoke_to",
            "created_by_id",
            "created_at",
            "sent_at",
            "decision_due_at",
            "decision",
            "decision_reasons",
            "allocated_social_worker_id",
            "decided_by_id",
            "decided_at",
            "claimed_by_id",
            "claimed_at",
            "family_informed",
        ],
        rows(),
    )
    copier.copy(
        Referral.children.through,
        ["referral_id", "child_id"],
        ((r.id, child) for r in sim.referrals for child in r.children),
    )


_SECOND = timedelta(seconds=1)
_REASONS = {
    "no_further_action": "Threshold for social care not met; advice given to the referrer.",
    "step_down": "Needs can be met by early help with the family's agreement.",
    "child_in_need": "The children's needs call for a social care assessment.",
    "child_protection": "Reasonable cause to suspect significant harm: strategy discussion held.",
}


def step_downs_write(sim: Simulation, copier: Copier) -> None:
    council = sim.county.council.pk
    early_help = [a for a in sim.county.agency_ids if sim.county.agency_type[a] == AgencyType.EARLY_HELP]
    admins = sim.county.staff.caf_administrators

    def rows() -> Iterator[tuple]:
        for s in sim.step_downs:
            family = s.referral.family
            yield (
                s.id,
                council,
                "front_door",
                s.status,
                s.referral.id,
                None,
                "The threshold for social care is not met; the family agreed to early help.",
                "Routines, school attendance and support for the parents.",
                "Seen at home; the children are safe.",
                f"{ADULT_WOMEN[s.id % len(ADULT_WOMEN)]} {family.last_name}",
                "mother",
                s.sent.date(),
                "signed_form",
                True,
                True,
                s.sent_by,
                s.sent,
                s.due_on,
                s.picked_by,
                s.picked_at,
                s.caf.id if s.caf else None,
                s.completed,
                admins[s.id % len(admins)] if s.declined else None,
                s.declined,
                "The family said they do not want early help now." if s.declined else "",
            )

    copier.copy(
        StepDown,
        [
            "id",
            "council_id",
            "point",
            "status",
            "referral_id",
            "caf_id",
            "reason",
            "open_needs",
            "social_worker_summary",
            "consent_given_by",
            "consent_relationship",
            "consent_given_on",
            "consent_method",
            "explained_storage",
            "explained_sharing",
            "sent_by_id",
            "sent_at",
            "pick_up_due_on",
            "picked_up_by_id",
            "picked_up_at",
            "picked_up_caf_id",
            "completed_at",
            "declined_by_id",
            "declined_at",
            "decline_reason",
        ],
        rows(),
    )
    copier.copy(
        StepDown.children.through,
        ["stepdown_id", "child_id"],
        ((s.id, child) for s in sim.step_downs for child in s.referral.children),
    )
    copier.copy(
        StepDown.consent_agencies.through,
        ["stepdown_id", "agency_id"],
        ((s.id, early_help[s.id % len(early_help)]) for s in sim.step_downs),
    )
