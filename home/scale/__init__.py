"""Generated data at a county's scale for the benchmark (issue 13): `manage.py generate_scale`.

Deterministic (one seeded random.Random; times counted back from midnight UTC of the day given),
realistic (home.scale.cases: ten years of families, CAFs, teams, referrals and step-downs), and
written through the real tables with COPY (home.scale.copy), consistent with the services' rules:
consent in force on every active CAF covering its agencies, at most one current LP who is a current
member, and the grant rows the services would have left (home.scale.grants). It lives in home, the
top app, because it writes every app's tables.

Modules: `people` (council, agencies, staff), `cases` and `referrals_sim` (the simulation), `rows`,
`rows_referrals`, `grants` and `logs` (the tables), `copy` (COPY, ids, partitions), `guard` (what it refuses).
"""

import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock

from django.db import transaction

from accounts.roles import roles_sync
from caf.models import Caf, Child
from home.scale import guard
from home.scale.cases import Simulation
from home.scale.copy import Copier, foreign_key_checks_off, vacuum_analyze
from home.scale.grants import grants_write
from home.scale.logs import access_log_write
from home.scale.names import SURNAMES
from home.scale.people import SCALE_PASSWORD, agencies_make, council_make, escalation_set, staff_make
from home.scale.referrals_sim import referrals_make
from home.scale.rows import (
    cafs_write,
    children_write,
    consents_write,
    levels_write,
    plan_actions_write,
    teams_write,
)
from home.scale.rows_referrals import referrals_write, step_downs_write
from referrals.models import Referral, StepDown

__all__ = ["SCALE_PASSWORD", "SIZES", "Size", "scale_generate"]


@dataclass(frozen=True)
class Size:
    agencies: int
    staff: int
    children: int
    cafs: int
    referrals: int
    step_downs: int
    access_log: int


# County: issue 13's figures for a large county. Small is a tenth; tiny about a thousandth of the
# case records (with enough staff and agencies for every role's pages), fast enough for a test.
SIZES = {
    "county": Size(614, 10_060, 300_000, 250_000, 200_000, 50_000, 3_200_000),
    "small": Size(61, 1_006, 30_000, 25_000, 20_000, 5_000, 320_000),
    "tiny": Size(30, 120, 300, 250, 200, 50, 3_200),
}


@dataclass
class Report:
    seconds: float
    counts: dict[str, int]
    foreign_key_checks: bool


def scale_generate(
    *, size: str, seed: int = 13, today: date | None = None, log: Callable[[str], None] = lambda _: None
) -> Report:
    """Generate `size` into the current database; guard.check must have allowed it first."""
    spec = SIZES[size]
    today = today or datetime.now(UTC).date()
    now = datetime.combine(today, clock(0), tzinfo=UTC)
    rng = random.Random(seed)
    started = time.monotonic()
    copier = Copier()

    def step(name: str, work: Callable[[], object]) -> None:
        began = time.monotonic()
        work()
        log(f"  {name}: {time.monotonic() - began:.1f} s")

    # Millions of small objects live until the end: the cyclic collector's full passes over them
    # cost more than the work (none of them forms a cycle that needs it).
    gc.disable()
    try:
        _generate(spec, rng, now, copier, step)
    finally:
        gc.enable()
    step("VACUUM (ANALYZE)", vacuum_analyze)
    return Report(seconds=time.monotonic() - started, counts=copier.counts, foreign_key_checks=copier.checks)


def _generate(
    spec: Size, rng: random.Random, now: datetime, copier: Copier, step: Callable[[str, Callable[[], object]], None]
) -> None:
    with transaction.atomic():
        roles_sync()
        copier.checks = not foreign_key_checks_off()
        county = council_make()
        step("agencies", lambda: agencies_make(county, copier, rng, spec.agencies))
        step("staff", lambda: staff_make(county, copier, rng, spec.staff, now=now))
        escalation_set(county)
        sim = Simulation(county=county, rng=rng, now=now)
        step("families and CAFs (simulated)", lambda: _simulate(sim, copier, spec))
        step("children", lambda: children_write(sim, copier))
        step("CAFs", lambda: cafs_write(sim, copier))
        step("levels", lambda: levels_write(sim, copier))
        step("teams and leads", lambda: teams_write(sim, copier))
        step("consents", lambda: consents_write(sim, copier))
        step("plan actions", lambda: plan_actions_write(sim, copier))
        step("referrals", lambda: referrals_write(sim, copier))
        step("step-downs", lambda: step_downs_write(sim, copier))
        step("grants", lambda: grants_write(sim, copier))
        step("access log", lambda: access_log_write(sim, copier, spec.access_log))
        copier.sequences_reset()


def _simulate(sim: Simulation, copier: Copier, spec: Size) -> None:
    sim.families_make(copier.ids(Child, spec.children), SURNAMES)
    drafts = max(3, round(spec.cafs * 0.01))
    active = max(20, round(spec.cafs * 0.03))
    sim.cafs_make(copier.ids(Caf, spec.cafs), drafts=drafts, active=active)
    referrals_make(sim, copier.ids(Referral, spec.referrals), copier.ids(StepDown, spec.step_downs))


__all__ += ["guard"]
