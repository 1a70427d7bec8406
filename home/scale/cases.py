"""The families' ten years, simulated in memory before anything is written: children in households,
their CAF episodes (most closed, some active, a few drafts), each CAF's Team Around the Family and
lead professionals, the step-up referrals made during CAFs or on their own with the real decision
mix, and the step-downs that became CAFs or that families declined.

Times follow the services' order: a CAF is started, becomes active with its initiator as first
member, takes an LP, and closes; a Child in Need or child protection decision on a CAF's referral
makes the allocated social worker a member and the LP (social-work led, Settled question 7).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from home.scale.people import County

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

# A simulated time: a datetime once the simulation has placed it (None before, or never for a
# step that did not happen); typed loosely so the arithmetic on placed times reads plainly.
Moment = Any

CLOSURE_REASONS = [
    ("needs_met", 0.68),
    ("disengaged", 0.12),
    ("moved_out_of_area", 0.10),
    ("consent_withdrawn", 0.06),
    ("stepped_up", 0.04),
]
ATTACHED_DECISIONS = [
    ("no_further_action", 0.35),
    ("step_down", 0.15),
    ("child_in_need", 0.35),
    ("child_protection", 0.15),
]
OWN_DECISIONS = [("no_further_action", 0.5), ("step_down", 0.25), ("child_in_need", 0.2), ("child_protection", 0.05)]


@dataclass(slots=True)
class Family:
    children: list[int]
    locality: int
    last_name: str
    cafs: list["CafSim"] = field(default_factory=list)
    referrals: list["ReferralSim"] = field(default_factory=list)


@dataclass(slots=True)
class CafSim:
    id: int
    family: Family
    children: list[int]
    status: str = "closed"
    created: Moment = None
    activated: Moment = None
    closed: Moment = None
    closure_reason: str = ""
    initiator: int = 0
    agency: int = 0
    # Each member: user, agency, joined, left, role.
    members: list[list[Any]] = field(default_factory=list)
    # Each lead: user, started, ended, social-work led.
    leads: list[list[Any]] = field(default_factory=list)
    reference: str = ""
    registered: Moment = None
    registered_by: int | None = None
    next_review_on: Moment = None
    referred: bool = False

    @property
    def end(self) -> datetime | None:
        return self.closed


@dataclass(slots=True)
class ReferralSim:
    id: int
    family: Family
    children: list[int]
    caf: CafSim | None
    sent: Moment
    created_by: int
    agency: int
    status: str = "decided"
    decision: str = ""
    decided: Moment = None
    decided_by: int | None = None
    social_worker: int | None = None
    urgency: str = "standard"
    basis: str = "consent"


@dataclass(slots=True)
class StepDownSim:
    id: int
    referral: ReferralSim
    status: str
    sent: Moment
    sent_by: int
    due_on: Moment
    caf: CafSim | None = None
    picked_at: Moment = None
    picked_by: int | None = None
    completed: Moment = None
    declined: Moment = None


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


@dataclass
class Simulation:
    county: County
    rng: random.Random
    now: datetime
    families: list[Family] = field(default_factory=list)
    cafs: list[CafSim] = field(default_factory=list)
    referrals: list[ReferralSim] = field(default_factory=list)
    step_downs: list[StepDownSim] = field(default_factory=list)
    child_birth: dict[int, Moment] = field(default_factory=dict)

    def practitioner_near(self, locality: int) -> int:
        pool = self.county.staff.practitioners_by_locality.get(locality) or self.county.staff.practitioners
        return self.rng.choice(pool)

    def families_make(self, child_ids: range, surnames: list[str]) -> None:
        rng = self.rng
        ids = list(child_ids)
        index = 0
        while index < len(ids):
            size = rng.choices([1, 2, 3, 4], [50, 30, 15, 5])[0]
            self.families.append(
                Family(
                    children=ids[index : index + size],
                    locality=rng.choice(self.county.locality_ids),
                    last_name=rng.choice(surnames),
                )
            )
            index += size

    def cafs_make(self, caf_ids: range, *, drafts: int, active: int) -> None:
        rng = self.rng
        for caf_id in caf_ids:
            family = rng.choice(self.families)
            caf = CafSim(id=caf_id, family=family, children=[])
            family.cafs.append(caf)
            self.cafs.append(caf)
        with_cafs = [family for family in self.families if family.cafs]
        rng.shuffle(with_cafs)
        for family in with_cafs[:drafts]:
            family.cafs[-1].status = "draft"
        for family in with_cafs[drafts : drafts + active]:
            family.cafs[-1].status = "active"
        for family in with_cafs:
            self._episodes_place(family)
        for caf in self.cafs:
            self._team_make(caf)

    def _episodes_place(self, family: Family) -> None:
        """Episodes back from now (an open last one) or from a time in the last ten years."""
        rng = self.rng
        last = family.cafs[-1]
        if last.status == "draft":
            end = self.now - rng.uniform(0, 60) * DAY
        elif last.status == "active":
            end = self.now
        else:
            end = self.now - rng.uniform(2, 2900) * DAY
        for caf in reversed(family.cafs):
            if caf.status == "draft":
                caf.created = end
            elif caf.status == "active":
                caf.activated = end - rng.uniform(3, 540) * DAY
                caf.created = caf.activated - rng.uniform(0, 14) * DAY
            else:
                caf.closed = end
                caf.activated = end - rng.uniform(60, 540) * DAY
                caf.created = caf.activated - rng.uniform(0, 14) * DAY
                caf.closure_reason = _pick(rng, CLOSURE_REASONS)
            end = caf.created - rng.uniform(30, 400) * DAY
        self._fit_in_ten_years(family)
        first = family.cafs[0].created
        for child in family.children:
            self.child_birth[child] = (first - rng.uniform(60, 15 * 365) * DAY).date()
        for caf in family.cafs:
            many = len(family.children) > 1 and rng.random() < 0.35
            caf.children = list(family.children) if many else [rng.choice(family.children)]

    def _fit_in_ten_years(self, family: Family) -> None:
        """A family with many episodes is squeezed (in proportion) into the last ten years."""
        start = self.now - 3650 * DAY
        first = family.cafs[0].created
        if first >= start:
            return
        last = family.cafs[-1]
        end = last.closed or last.created if last.status != "active" else self.now
        ratio = (end - start) / (end - first)
        for caf in family.cafs:
            for name in ("created", "activated", "closed"):
                moment = getattr(caf, name)
                if moment is not None and moment <= end:
                    setattr(caf, name, end - (end - moment) * ratio)

    def _team_make(self, caf: CafSim) -> None:
        rng = self.rng
        staff = self.county.staff
        caf.initiator = self.practitioner_near(caf.family.locality)
        caf.agency = staff.agency_of[caf.initiator]
        if caf.status == "draft":
            return
        end = caf.closed or self.now
        span = (end - caf.activated).total_seconds() / 86400
        caf.members.append([caf.initiator, caf.agency, caf.activated, None, "Initiator"])
        chosen = {caf.initiator}
        for _ in range(rng.choices([1, 2, 3, 4, 5], [20, 30, 30, 15, 5])[0]):
            user = self.practitioner_near(caf.family.locality)
            if user in chosen:
                continue
            chosen.add(user)
            joined = caf.activated + rng.uniform(0, min(60, span * 0.5)) * DAY
            left = None
            if rng.random() < 0.15:
                left = joined + rng.uniform(0.3, 0.9) * (end - joined)
            caf.members.append(
                [
                    user,
                    staff.agency_of[user],
                    joined,
                    left,
                    rng.choice(
                        ["", "Class teacher", "Health visitor", "Family support worker", "Youth worker", "School nurse"]
                    ),
                ]
            )
        if caf.status == "active" and rng.random() < 0.15:
            pass  # listed under "CAFs without an LP"
        elif caf.status == "active" or rng.random() < 0.95:
            current = [m for m in caf.members if m[3] is None]
            lead = rng.choice(current)
            started = max(lead[2], caf.activated) + rng.uniform(0.5, min(20, span * 0.3)) * DAY
            caf.leads.append([lead[0], min(started, end - HOUR), caf.closed, False])
        caf.registered = caf.activated + rng.uniform(0.1, 4) * DAY
        if caf.status == "active" and caf.registered > self.now - 2 * DAY:
            caf.registered = None  # waiting for the CAF administrator's check
        else:
            caf.reference = f"GC-{caf.activated.year}-{caf.id:07d}"
            caf.registered_by = rng.choice(staff.caf_administrators)
        today = self.now.date()
        if caf.status == "active":
            overdue = rng.random() < 0.12
            caf.next_review_on = today - rng.randint(1, 40) * DAY if overdue else today + rng.randint(0, 42) * DAY
        else:
            caf.next_review_on = (caf.closed - rng.randint(0, 42) * DAY).date()
