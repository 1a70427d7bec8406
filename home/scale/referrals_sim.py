"""Step-up referrals and step-downs over the simulated families (home.scale.cases): referrals made
during a CAF (with the social worker taking the lead after a Child in Need or child protection
decision), step-downs that became a CAF, referrals on their own, and the few waiting now."""

from datetime import timedelta

from home.scale.cases import (
    ATTACHED_DECISIONS,
    DAY,
    HOUR,
    OWN_DECISIONS,
    CafSim,
    ReferralSim,
    Simulation,
    StepDownSim,
    _pick,
)


def referrals_make(sim: Simulation, referral_ids: range, step_down_ids: range) -> None:
    rng = sim.rng
    ids = iter(referral_ids)
    sd_ids = iter(step_down_ids)
    total = len(referral_ids)
    waiting = max(3, round(total * 0.0005))
    sd_waiting = max(3, round(len(step_down_ids) * 0.002))
    opened = [caf for caf in sim.cafs if caf.status != "draft"]
    # Step-downs that became CAFs: about 15% of CAFs started from one (one that closed without an LP
    # did not: its step-down would wait for a lead for ever).
    for caf in opened:
        if not (caf.leads or caf.status == "active"):
            continue
        if rng.random() < 0.15 and len(sim.step_downs) < len(step_down_ids) - sd_waiting - 1:
            referral = _referral(sim, next(ids), caf.family, None, caf.created - rng.uniform(5, 20) * DAY)
            _decide(sim, referral, "step_down")
            _step_down_picked_up(sim, next(sd_ids), referral, caf)
    # Referrals made during a CAF: about a third of CAFs.
    for caf in opened:
        end = caf.closed or sim.now
        if (end - caf.activated) < 20 * DAY or rng.random() >= 0.35:
            continue
        sent = caf.activated + rng.uniform(10, (end - caf.activated).days - 5) * DAY
        if sent > sim.now - 2 * DAY:
            continue
        referral = _referral(sim, next(ids), caf.family, caf, sent)
        _decide(sim, referral, _pick(rng, ATTACHED_DECISIONS))
    # Waiting for a decision now, some past their deadline: half with an active CAF.
    active = [caf for caf in opened if caf.status == "active"]
    for n in range(waiting):
        attached = rng.choice(active) if active and n % 2 == 0 else None
        family = attached.family if attached else rng.choice(sim.families)
        referral = _referral(sim, next(ids), family, attached, sim.now - rng.uniform(0.5, 48) * HOUR)
        referral.status = "sent"
    # Step-downs waiting to be picked up now (some past their pick-up date).
    for _ in range(sd_waiting):
        referral = _referral(sim, next(ids), rng.choice(sim.families), None, sim.now - rng.uniform(1, 14) * DAY)
        _decide(sim, referral, "step_down")
        sent = referral.decided
        sim.step_downs.append(
            StepDownSim(
                next(sd_ids),
                referral,
                "waiting",
                sent,
                rng.choice(sim.county.staff.social_workers),
                (sent + 7 * DAY).date(),
            )
        )
    # The rest on their own, over ten years; step-down decisions the family declined fill the step-downs.
    for referral_id in ids:
        family = rng.choice(sim.families)
        referral = _referral(sim, referral_id, family, None, sim.now - rng.uniform(3, 3650) * DAY)
        _decide(sim, referral, _pick(rng, OWN_DECISIONS))
        if referral.decision == "step_down" and len(sim.step_downs) < len(step_down_ids):
            sent = referral.decided
            sim.step_downs.append(
                StepDownSim(
                    next(sd_ids),
                    referral,
                    "declined",
                    sent,
                    rng.choice(sim.county.staff.social_workers),
                    (sent + 7 * DAY).date(),
                    declined=sent + rng.uniform(1, 6) * DAY,
                )
            )
    for family in sim.families:
        family.referrals.sort(key=lambda r: r.sent)


def _referral(sim: Simulation, referral_id: int, family, caf: CafSim | None, sent) -> ReferralSim:
    rng = sim.rng
    if caf is not None:
        member = rng.choice(caf.members)
        created_by, agency = member[0], member[1]
        caf.referred = True
    else:
        created_by = sim.practitioner_near(family.locality)
        agency = sim.county.staff.agency_of[created_by]
    referral = ReferralSim(
        id=referral_id,
        family=family,
        children=list(caf.children) if caf else list(family.children),
        caf=caf,
        sent=sent,
        created_by=created_by,
        agency=agency,
        urgency="immediate" if rng.random() < 0.05 else "standard",
        basis="safeguarding_override" if rng.random() < 0.08 else "consent",
    )
    family.referrals.append(referral)
    sim.referrals.append(referral)
    return referral


def _decide(sim: Simulation, referral: ReferralSim, decision: str) -> None:
    rng = sim.rng
    referral.decision = decision
    referral.decided = referral.sent + rng.uniform(0.5, 20) * HOUR
    referral.decided_by = rng.choice(sim.county.staff.social_care_managers)
    if decision in ("child_in_need", "child_protection"):
        referral.social_worker = rng.choice(sim.county.staff.social_workers)
        caf = referral.caf
        if caf is not None and (caf.closed is None or caf.closed > referral.decided):
            _social_work_led(sim, caf, referral)


def _social_work_led(sim: Simulation, caf: CafSim, referral: ReferralSim) -> None:
    """The allocated social worker joins the TAF and becomes LP; the LP before stays a member."""
    worker = referral.social_worker
    if worker is None:
        return
    at = referral.decided
    if not any(m[0] == worker and m[3] is None for m in caf.members):
        caf.members.append([worker, sim.county.staff.agency_of[worker], at, None, "Allocated social worker"])
    for lead in caf.leads:
        if lead[2] is None or lead[2] > at:
            if lead[1] >= at:
                lead[1] = at - timedelta(minutes=30)
            lead[2] = at
    caf.leads.append([worker, at, caf.closed, True])


def _step_down_picked_up(sim: Simulation, step_down_id: int, referral: ReferralSim, caf: CafSim) -> None:
    rng = sim.rng
    sent = referral.decided
    step_down = StepDownSim(
        step_down_id,
        referral,
        "picked_up",
        sent,
        rng.choice(sim.county.staff.social_workers),
        (sent + 7 * DAY).date(),
        caf=caf,
        picked_at=caf.activated,
        picked_by=rng.choice(sim.county.staff.caf_administrators),
    )
    if caf.leads:
        step_down.status = "completed"
        step_down.completed = caf.leads[0][1]
    sim.step_downs.append(step_down)
