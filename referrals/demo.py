"""Demo referrals and step-downs in Northbridge, made through the services (so they carry the same
grants, timeline and notifications as real use), then dated back so that both queues hold items at
different ages: on time, due soon and overdue, an immediate risk and a re-referral.

Idempotent: nothing happens once Northbridge has a sent referral. Called by home.demo.demo_load.
"""

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import Agency, AgencyType, LocalAuthority, User
from caf import services as caf_services
from caf.models import Child
from referrals import services
from referrals.deadlines import decision_due_at, pick_up_due_on
from referrals.models import Referral, StepDown, TimelineEntry
from thresholds.models import ThresholdModel

COUNCIL = "northbridge"


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _child(user: User, first_name: str, last_name: str, born: date, postcode: str) -> Child:
    return caf_services.child_create(
        user=user,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=born,
        address=f"{postcode[-3:]} Demo Street\nNorthbridge",
        postcode=postcode,
    )


def _sent_so_due_at(referral: Referral, due: datetime) -> datetime:
    """The sending time that makes the council's deadline fall at `due` (a search: the deadline only
    moves forward as the sending time does)."""
    low, high = due - timedelta(days=14), due
    for _ in range(40):
        middle = low + (high - low) / 2
        if decision_due_at(referral, middle) < due:
            low = middle
        else:
            high = middle
    return high


def _backdate_referral(referral: Referral, sent_at: datetime) -> None:
    referral = Referral.objects.select_related("council").get(pk=referral.pk)
    moved = sent_at - referral.sent_at
    Referral.objects.filter(pk=referral.pk).update(
        created_at=referral.created_at + moved,
        sent_at=sent_at,
        decision_due_at=decision_due_at(referral, sent_at),
        front_door_called_at=referral.front_door_called_at + moved if referral.front_door_called_at else None,
        claimed_at=referral.claimed_at + moved if referral.claimed_at else None,
        decided_at=referral.decided_at + moved if referral.decided_at else None,
        consent_given_on=timezone.localdate(sent_at) if referral.consent_given_on else None,
    )
    for entry in TimelineEntry.objects.filter(referral=referral):
        TimelineEntry.objects.filter(pk=entry.pk).update(at=entry.at + moved)


def _backdate_step_down(step_down: StepDown, sent_at: datetime) -> None:
    step_down = StepDown.objects.select_related("council").get(pk=step_down.pk)
    moved = sent_at - step_down.sent_at
    StepDown.objects.filter(pk=step_down.pk).update(
        sent_at=sent_at,
        pick_up_due_on=pick_up_due_on(step_down.council, sent_at),
        picked_up_at=step_down.picked_up_at + moved if step_down.picked_up_at else None,
        completed_at=step_down.completed_at + moved if step_down.completed_at else None,
        declined_at=step_down.declined_at + moved if step_down.declined_at else None,
        consent_given_on=timezone.localdate(sent_at),
    )
    for entry in TimelineEntry.objects.filter(step_down=step_down):
        TimelineEntry.objects.filter(pk=entry.pk).update(at=entry.at + moved)


def _send(
    user: User, children: list[Child], concern: str, *, immediate: bool = False, caf: object | None = None
) -> Referral:
    referral = services.referral_start(user=user, children=children, caf=caf, immediate_risk=immediate)
    if immediate:
        services.front_door_call_record(
            user=user,
            referral=referral,
            called_at=timezone.now() - timedelta(minutes=5),
            spoke_to="Duty social worker, front door",
            advice="Keep the child in school; a social worker is on the way.",
        )
    return services.referral_send(
        user=user,
        referral=referral,
        concern=concern,
        tried="Conversations with the parent; a school nurse appointment; a referral to the family support worker.",
        views_of_child="Says they do not want to go home tonight.",
        views_of_family="Mum says she is struggling and wants help.",
        family_informed=True,
        consent=services.CONSENT_GIVEN,
        consent_given_by="The child's mother",
        consent_relationship="mother",
        consent_given_on=timezone.localdate(),
    )


def _transfer(agencies: list[Agency], **extra: object) -> dict[str, object]:
    return {
        "open_needs": "School attendance (84%); mum's low mood; the children's bedtime routines.",
        "social_worker_summary": "Home conditions improved; mum engaged well with the assessment and wants support.",
        "consent_given_by": "The children's mother",
        "consent_relationship": "mother",
        "consent_given_on": timezone.localdate(),
        "consent_method": "verbal",
        "consent_agencies": agencies,
        **extra,
    }


@transaction.atomic
def referrals_demo_load() -> int | None:
    """Referrals in the front-door queue and step-downs in the pick-up queue, at different ages.
    Returns how many referrals it made (None when the demo council has them already)."""
    council = LocalAuthority.objects.filter(slug=COUNCIL).first()
    if council is None or Referral.objects.filter(council=council).exclude(status=Referral.Status.DRAFT).exists():
        return None
    model = ThresholdModel.objects.published().filter(council=council).first()
    if model is None or not User.objects.filter(email="social.care.manager@demo.example").exists():
        return None
    now = timezone.now()
    calendar = WorkingCalendar.for_council(council)
    today = timezone.localdate(now, calendar.zone)
    priya = _user("practitioner@demo.example")
    hannah = _user("health.visitor@demo.example")
    colin = _user("caf.admin@demo.example")
    sarah = _user("social.care.manager@demo.example")
    sam = _user("social.worker@demo.example")
    early_help = list(
        Agency.objects.filter(council=council)
        .exclude(agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
        .filter(agency_type__in=[AgencyType.EARLY_HELP, AgencyType.HEALTH_VISITING, AgencyType.SCHOOL])
    )
    made = 0

    # The front-door queue -------------------------------------------------------------------------
    tyler = _child(hannah, "Tyler", "Reed", date(2020, 3, 14), "NB4 1AA")
    referral = _send(
        hannah,
        [tyler],
        "Tyler arrived at clinic with a burn on his forearm; mum's account changed twice.",
        immediate=True,
    )
    _backdate_referral(referral, now - timedelta(minutes=40))
    made += 1

    aisha = _child(priya, "Aisha", "Khan", date(2013, 7, 2), "NB4 2BB")
    referral = _send(priya, [aisha], "Aisha has been missing from home overnight twice this month.")
    _backdate_referral(referral, _sent_so_due_at(referral, calendar.add_working_hours(now, 1)))  # due soon
    made += 1

    kai = _child(hannah, "Kai", "Morgan", date(2019, 1, 25), "NB4 3CC")
    referral = _send(hannah, [kai], "Kai's nursery reports bruising on his back and that he flinches at raised voices.")
    services.referral_claim(user=sarah, referral=referral)
    # Past its deadline whatever the day (even after a bank holiday weekend): the job alerts the front door.
    _backdate_referral(referral, now - timedelta(days=10))
    made += 1

    jordan = _child(priya, "Jordan", "Lee", date(2011, 10, 9), "NB4 4DD")
    earlier = _send(priya, [jordan], "Jordan said his dad's new partner shouts at him and locks him out.")
    services.referral_decide(
        user=sarah,
        referral=earlier,
        decision=Referral.Decision.NO_FURTHER_ACTION,
        reasons="No evidence of significant harm; dad engaged and agreed to parenting support.",
        advice="Offer the family a CAF so that school and the youth service can support Jordan together.",
    )
    _backdate_referral(earlier, now - relativedelta(months=5))
    referral = _send(priya, [jordan], "Jordan has been locked out again and slept at a friend's house.")
    _backdate_referral(referral, _sent_so_due_at(referral, calendar.add_working_hours(now, 5)))  # a re-referral
    made += 2

    # Decided: social care takes on the Wilson family's Family CAF, with Sam as lead professional.
    wilson_caf = Child.objects.get(council=council, first_name="Mia", last_name="Wilson").cafs.get(status="active")
    referral = _send(
        hannah, list(wilson_caf.children.all()), "Dad's drinking has escalated; police attended twice.", caf=wilson_caf
    )
    services.referral_decide(
        user=sarah,
        referral=referral,
        decision=Referral.Decision.CHILD_IN_NEED,
        reasons="Needs beyond early help: a Child in Need assessment with a plan for dad's drinking.",
        social_worker=sam,
    )
    _backdate_referral(referral, now - timedelta(days=1))
    made += 1

    # The pick-up queue ------------------------------------------------------------------------------
    poppy = _child(priya, "Poppy", "Walsh", date(2015, 5, 5), "NB4 5EE")
    referral = _send(priya, [poppy], "Poppy often comes to school hungry and in the same clothes.")
    services.referral_decide(
        user=sarah,
        referral=referral,
        decision=Referral.Decision.STEP_DOWN,
        reasons="The threshold for social care is not met; mum wants help with money and routines.",
        step_down=_transfer(early_help),
    )
    made += 1

    harry = _child(hannah, "Harry", "Price", date(2017, 9, 1), "NB4 6FF")
    referral = _send(hannah, [harry], "Harry's mum disclosed domestic abuse; the partner has since left.")
    services.referral_decide(
        user=sarah,
        referral=referral,
        decision=Referral.Decision.CHILD_IN_NEED,
        reasons="Assess the risk now the partner has left.",
        social_worker=sam,
    )
    _backdate_referral(referral, _working_day_at(calendar, today, 12))
    step_down = services.step_down_send(
        user=sam,
        point=StepDown.Point.AFTER_ASSESSMENT,
        referral=referral,
        reason="The assessment found the threshold not met: the partner has left and mum is protective.",
        **_transfer(early_help),
    )
    # Due on the next working day, whatever today is: one working day left.
    due = calendar.add_working_days(today, 1)
    sent_on = calendar.subtract_working_days(due, council.step_down_pick_up_working_days)
    _backdate_step_down(
        step_down, datetime.combine(sent_on, datetime.min.time(), tzinfo=calendar.zone) + timedelta(hours=10)
    )
    made += 1

    freya = _child(hannah, "Freya", "Bell", date(2016, 2, 11), "NB4 7GG")
    referral = _send(hannah, [freya], "Freya's mum has been admitted to hospital; Freya is with her grandmother.")
    services.referral_decide(
        user=sarah,
        referral=referral,
        decision=Referral.Decision.CHILD_IN_NEED,
        reasons="Support for the grandmother as Freya's carer while mum is in hospital.",
        social_worker=sam,
    )
    _backdate_referral(referral, _working_day_at(calendar, today, 40))
    step_down = services.step_down_send(
        user=sam,
        point=StepDown.Point.CHILD_IN_NEED_CLOSURE,
        referral=referral,
        reason="The Child in Need plan is complete: mum is home and well.",
        **_transfer(early_help),
    )
    _backdate_step_down(step_down, _working_day_at(calendar, today, 7))  # overdue: the job chases it
    made += 1

    # Earlier months, for the figures: one picked up waiting for its lead professional, one complete,
    # one the family declined.
    for first_name, born, months_ago, outcome in [
        ("Isla", date(2018, 4, 4), 1, "picked_up"),
        ("Zach", date(2014, 6, 6), 1, "completed"),
        ("Evie", date(2019, 8, 8), 2, "declined"),
    ]:
        child = _child(priya, first_name, "Demo-Family", born, "NB4 8HH")
        referral = _send(priya, [child], f"{first_name}'s school is worried about neglect at home.")
        services.referral_decide(
            user=sarah,
            referral=referral,
            decision=Referral.Decision.STEP_DOWN,
            reasons="Below the threshold for social care; early help fits the family's needs.",
            step_down=_transfer(early_help),
        )
        step_down = referral.step_downs.get()
        if outcome == "declined":
            services.step_down_decline(user=colin, step_down=step_down, reason="Mum says the family is managing now.")
        else:
            services.step_down_pick_up(
                user=colin,
                step_down=step_down,
                levels={child.pk: model.levels.get(code="2")},
                lead=hannah if outcome == "completed" else None,
            )
        sent_at = now - relativedelta(months=months_ago)
        _backdate_referral(referral, sent_at - timedelta(hours=3))
        _backdate_step_down(step_down, sent_at)
        made += 1
    return made


def _working_day_at(calendar: WorkingCalendar, today: date, days_ago: int) -> datetime:
    """Ten in the morning, `days_ago` working days before today."""
    day = calendar.subtract_working_days(today, days_ago)
    return datetime.combine(day, datetime.min.time(), tzinfo=calendar.zone) + timedelta(hours=10)
