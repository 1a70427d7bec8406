"""The reminder jobs (issue 5): who is told what about a review, an action or a CAF without a lead
professional, and when, in working days of the council's calendar; each notification exactly once.

The scene: Jayden Smith's CAF, started by Priya Shah (school), lead professional Priya, Hannah
Okoro (health visiting) in the Team Around the Family, Colin Adeyemi the CAF administrator.
"""

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from accounts.models import Agency, LocalAuthority, Notification, Role, User
from accounts.notifications import notifications_cancel
from caf import services
from caf.models import Caf, PlanAction, Review
from caf.reminders import reminders_due
from caf.tasks import reminders_tick
from config.celery import app
from home.demo import demo_load
from tests.factories import UserFactory

LONDON = ZoneInfo("Europe/London")
Kind = Notification.Kind


@pytest.fixture(autouse=True)
def built_on_monday_2_november_2026():
    """Everything is built on Monday 2 November 2026 (the CAF becomes active that day); each test
    then says which day the tick runs on."""
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=LONDON), tick=False):
        yield


@pytest.fixture(autouse=True)
def no_sending(monkeypatch):
    """Sending is the notifications work's job (accounts.tasks); here nothing goes to a broker."""
    scheduled = []
    monkeypatch.setattr("accounts.notifications._send_soon", lambda: scheduled.append(1))
    return scheduled


@pytest.fixture
def led(active, caf_admin, school_practitioner, health_visitor) -> Caf:
    services.taf_member_add(user=caf_admin, caf=active, member=health_visitor, role="Health visitor")
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    return active


def review_on(caf: Caf, day: date, *, remind: int | None = None, escalate: int | None = None) -> str:
    """Set the next review date (and the council's numbers of working days); return the subject key."""
    days = {"review_reminder_working_days": remind, "overdue_escalation_working_days": escalate}
    LocalAuthority.objects.filter(pk=caf.council_id).update(**{k: v for k, v in days.items() if v is not None})
    Caf.objects.filter(pk=caf.pk).update(next_review_on=day)
    caf.next_review_on = day
    return f"review:{caf.pk}:{day.isoformat()}"


def received(**filters) -> set[tuple[str, str, str]]:
    """What people were told: (who, what kind, about what)."""
    rows = Notification.objects.filter(**filters).select_related("recipient")
    return {(row.recipient.full_name, row.kind, row.subject_key) for row in rows}


# Before the review ------------------------------------------------------------------------------


def test_the_team_is_reminded_n_working_days_before_a_review_across_a_weekend(led):
    key = review_on(led, date(2026, 12, 7), remind=2)  # a Monday: 2 working days before is Thursday 3rd

    assert reminders_due(today=date(2026, 12, 2)) == 0
    assert received() == set()

    assert reminders_due(today=date(2026, 12, 3)) == 2
    assert received() == {("Priya Shah", Kind.REVIEW_DUE, key), ("Hannah Okoro", Kind.REVIEW_DUE, key)}
    reminder = Notification.objects.get(recipient__full_name="Hannah Okoro")
    assert reminder.title == "Team Around the Family review for Jayden Smith on Monday 7 December 2026"
    assert "Jayden Smith" in reminder.body and "Monday 7 December 2026" in reminder.body
    assert reminder.url == f"/cafs/{led.pk}/"

    # The days after, up to the review, add nothing.
    for day in (4, 5, 6):
        assert reminders_due(today=date(2026, 12, day)) == 0


def test_a_tick_that_was_down_on_the_reminder_day_still_reminds_before_the_review(led):
    key = review_on(led, date(2026, 12, 7), remind=2)
    assert reminders_due(today=date(2026, 12, 5)) == 2  # the Saturday after the reminder day
    assert received() == {("Priya Shah", Kind.REVIEW_DUE, key), ("Hannah Okoro", Kind.REVIEW_DUE, key)}


def test_the_reminder_counts_back_over_the_christmas_bank_holidays(led):
    # Tuesday 29 December 2026: Monday 28th (Boxing Day, substitute) and Friday 25th are bank
    # holidays, so two working days before is Wednesday 23rd.
    key = review_on(led, date(2026, 12, 29), remind=2)

    assert reminders_due(today=date(2026, 12, 22)) == 0
    assert reminders_due(today=date(2026, 12, 23)) == 2
    assert received() == {("Priya Shah", Kind.REVIEW_DUE, key), ("Hannah Okoro", Kind.REVIEW_DUE, key)}


def test_on_the_day_the_team_is_told_the_review_is_today(led):
    key = review_on(led, date(2026, 12, 7), remind=2)
    reminders_due(today=date(2026, 12, 3))

    assert reminders_due(today=date(2026, 12, 7)) == 2
    assert received(kind=Kind.REVIEW_TODAY) == {
        ("Priya Shah", Kind.REVIEW_TODAY, key),
        ("Hannah Okoro", Kind.REVIEW_TODAY, key),
    }
    assert Notification.objects.filter(kind=Kind.REVIEW_DUE).count() == 2


def test_a_reminder_missed_until_the_review_day_is_not_sent_late(led):
    key = review_on(led, date(2026, 12, 7), remind=2)
    reminders_due(today=date(2026, 12, 7))
    assert received() == {("Priya Shah", Kind.REVIEW_TODAY, key), ("Hannah Okoro", Kind.REVIEW_TODAY, key)}


def test_a_member_who_left_the_team_is_not_reminded(led, school_practitioner, health_visitor):
    key = review_on(led, date(2026, 12, 7), remind=2)
    services.taf_member_remove(user=school_practitioner, membership=led.taf_members.get(user=health_visitor))
    reminders_due(today=date(2026, 12, 3))
    assert received() == {("Priya Shah", Kind.REVIEW_DUE, key)}


# A missed review ---------------------------------------------------------------------------------


@pytest.fixture
def second_caf_admin(early_help_hub) -> User:
    return UserFactory(full_name="Carla Second", agency=early_help_hub, roles=[Role.CAF_ADMINISTRATOR])


def test_a_review_on_a_friday_is_overdue_on_monday_to_the_lead_and_the_caf_administrators(
    led, caf_admin, second_caf_admin
):
    key = review_on(led, date(2026, 12, 4), remind=2)
    reminders_due(today=date(2026, 12, 4))
    Notification.objects.all().delete()  # only the overdue notices matter here

    assert reminders_due(today=date(2026, 12, 5)) == 0  # Saturday
    assert reminders_due(today=date(2026, 12, 6)) == 0  # Sunday
    assert reminders_due(today=date(2026, 12, 7)) == 3
    assert received() == {
        ("Priya Shah", Kind.REVIEW_OVERDUE, key),
        ("Colin Adeyemi", Kind.REVIEW_OVERDUE, key),
        ("Carla Second", Kind.REVIEW_OVERDUE, key),
    }
    notice = Notification.objects.get(recipient=caf_admin)
    assert notice.title == "Review for Jayden Smith is overdue"
    assert "was due on Friday 4 December 2026" in notice.body
    assert "The lead professional is Priya Shah." in notice.body


def test_a_recorded_review_is_not_overdue(led, school_practitioner):
    review_on(led, date(2026, 12, 4), remind=2)
    Review.objects.create(
        caf=led,
        held_on=date(2026, 12, 4),
        due_on=date(2026, 12, 4),
        decision=Review.Decision.CONTINUE,
        next_review_on=date(2027, 1, 15),
        recorded_by=school_practitioner,
    )
    assert reminders_due(today=date(2026, 12, 7)) == 0
    assert reminders_due(today=date(2026, 12, 31)) == 0
    assert received() == set()


@pytest.fixture
def head_teacher(school) -> User:
    head = UserFactory(full_name="Helen Head", agency=school, roles=[Role.PRACTITIONER])
    Agency.objects.filter(pk=school.pk).update(manager=head)
    return head


@pytest.fixture
def early_help_lead(council, early_help_hub) -> User:
    lead = UserFactory(full_name="Elliot Lead", agency=early_help_hub, roles=[Role.PRACTITIONER])
    LocalAuthority.objects.filter(pk=council.pk).update(early_help_lead=lead)
    return lead


def escalation_days(caf: Caf) -> str:
    # Due Friday 4 December, overdue Monday 7th; 3 working days later is Thursday 10th.
    return review_on(caf, date(2026, 12, 4), remind=2, escalate=3)


def test_an_overdue_review_escalates_to_the_lead_professionals_agency_manager(led, head_teacher, early_help_lead):
    key = escalation_days(led)
    reminders_due(today=date(2026, 12, 9))
    assert not Notification.objects.filter(kind=Kind.REVIEW_ESCALATED).exists()

    assert reminders_due(today=date(2026, 12, 10)) == 1
    assert received(kind=Kind.REVIEW_ESCALATED) == {("Helen Head", Kind.REVIEW_ESCALATED, key)}
    notice = Notification.objects.get(kind=Kind.REVIEW_ESCALATED)
    assert "You are told as the manager of Oakfield Primary School." in notice.body
    assert reminders_due(today=date(2026, 12, 11)) == 0


def test_without_an_agency_manager_it_escalates_to_the_councils_early_help_lead(led, early_help_lead):
    key = escalation_days(led)
    reminders_due(today=date(2026, 12, 10))
    assert received(kind=Kind.REVIEW_ESCALATED) == {("Elliot Lead", Kind.REVIEW_ESCALATED, key)}
    assert "early help lead" in Notification.objects.get(kind=Kind.REVIEW_ESCALATED).body


def test_with_neither_it_escalates_to_the_caf_administrators_and_says_why(led, caf_admin):
    key = escalation_days(led)
    reminders_due(today=date(2026, 12, 10))
    assert received(kind=Kind.REVIEW_ESCALATED) == {("Colin Adeyemi", Kind.REVIEW_ESCALATED, key)}
    assert "Neither the lead professional's agency has a manager" in (
        Notification.objects.get(kind=Kind.REVIEW_ESCALATED).body
    )


def test_a_tick_down_for_a_week_catches_up_on_overdue_and_escalation_at_once(led, head_teacher):
    key = escalation_days(led)
    assert reminders_due(today=date(2026, 12, 14)) == 3
    assert received() == {
        ("Priya Shah", Kind.REVIEW_OVERDUE, key),
        ("Colin Adeyemi", Kind.REVIEW_OVERDUE, key),
        ("Helen Head", Kind.REVIEW_ESCALATED, key),
    }


# A moved review date --------------------------------------------------------------------------------


def test_a_moved_review_is_reminded_for_the_new_date_only(led):
    old_key = review_on(led, date(2026, 12, 7), remind=2)
    reminders_due(today=date(2026, 12, 3))
    assert Notification.objects.filter(subject_key=old_key).count() == 2

    # The lead professional moves the review to Monday 14th (the reviews work does this in a service).
    new_key = review_on(led, date(2026, 12, 14))
    assert notifications_cancel(subject_key=old_key) == 2

    for day in range(4, 10):  # past the old date and its overdue day
        assert reminders_due(today=date(2026, 12, day)) == 0
    reminders_due(today=date(2026, 12, 10))
    reminders_due(today=date(2026, 12, 14))

    assert received(subject_key=old_key) == {
        ("Priya Shah", Kind.REVIEW_DUE, old_key),
        ("Hannah Okoro", Kind.REVIEW_DUE, old_key),
    }
    assert not Notification.objects.filter(subject_key=old_key, cancelled_at__isnull=True).exists()
    assert received(subject_key=new_key) == {
        ("Priya Shah", Kind.REVIEW_DUE, new_key),
        ("Hannah Okoro", Kind.REVIEW_DUE, new_key),
        ("Priya Shah", Kind.REVIEW_TODAY, new_key),
        ("Hannah Okoro", Kind.REVIEW_TODAY, new_key),
    }


# Actions ------------------------------------------------------------------------------------------


def action_add(caf: Caf, lead: User, **fields) -> PlanAction:
    defaults = {
        "need": "Jayden is often late for school",
        "action": "Morning routine support",
        "agency": caf.initiating_agency,
        "owner": None,
        "due_on": date(2026, 12, 8),
    }
    return services.plan_action_add(user=lead, caf=caf, **{**defaults, **fields})


def test_the_owner_is_reminded_the_working_day_before_an_action_is_due(led, school_practitioner, health_visitor):
    review_on(led, date(2027, 1, 29))
    due_tuesday = action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)
    due_monday = action_add(led, school_practitioner, due_on=date(2026, 12, 7), action="Attendance check")
    key, monday_key = f"action:{due_tuesday.pk}:2026-12-08", f"action:{due_monday.pk}:2026-12-07"

    assert reminders_due(today=date(2026, 12, 3)) == 0
    # Friday: the working day before Monday's action, which has no owner, so the lead is reminded.
    assert reminders_due(today=date(2026, 12, 4)) == 1
    assert received() == {("Priya Shah", Kind.ACTION_DUE, monday_key)}
    assert reminders_due(today=date(2026, 12, 7)) == 1
    assert received(subject_key=key) == {("Hannah Okoro", Kind.ACTION_DUE, key)}
    notice = Notification.objects.get(subject_key=key)
    assert notice.title == "Action for Jayden Smith due on Tuesday 8 December 2026"
    assert "Morning routine support" in notice.body
    assert notice.url == f"/cafs/{led.pk}/plan/"
    assert reminders_due(today=date(2026, 12, 8)) == 0


def test_a_done_or_past_action_is_not_reminded(led, school_practitioner, health_visitor):
    review_on(led, date(2027, 1, 29))
    done = action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)
    services.plan_action_update(user=school_practitioner, action=done, status=PlanAction.Status.DONE)
    action_add(led, school_practitioner, due_on=date(2026, 12, 4))

    assert reminders_due(today=date(2026, 12, 7)) == 0
    assert received() == set()


# No lead professional -----------------------------------------------------------------------------


def test_a_caf_without_a_lead_after_10_working_days_is_flagged_to_the_caf_administrators(active, caf_admin):
    key = f"no-lead:{active.pk}"  # active on Monday 2 November; 10 working days on is Monday 16th
    assert reminders_due(today=date(2026, 11, 13)) == 0
    assert reminders_due(today=date(2026, 11, 16)) == 1
    assert received() == {("Colin Adeyemi", Kind.NO_LEAD_PROFESSIONAL, key)}
    notice = Notification.objects.get()
    assert notice.title == "CAF for Jayden Smith has no lead professional"
    assert "became active on Monday 2 November 2026" in notice.body
    assert reminders_due(today=date(2026, 11, 17)) == 0


def test_a_caf_with_a_lead_is_not_flagged(led):
    assert reminders_due(today=date(2026, 11, 20)) == 0
    assert received() == set()


# Exactly once, and councils apart ----------------------------------------------------------------


def busy_day(led: Caf, school_practitioner: User, health_visitor: User) -> None:
    """Monday 7 December: the review is today, and Tuesday's action is due tomorrow."""
    review_on(led, date(2026, 12, 7), remind=2)
    action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)


def test_running_the_tick_twice_records_nothing_new(led, school_practitioner, health_visitor, no_sending):
    busy_day(led, school_practitioner, health_visitor)
    assert reminders_due(today=date(2026, 12, 7)) == 3
    before = received()
    assert reminders_due(today=date(2026, 12, 7)) == 0
    assert received() == before
    assert Notification.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_record_each_notification_once(
    led, school_practitioner, health_visitor, caf_admin, no_sending
):
    busy_day(led, school_practitioner, health_visitor)
    second = services.caf_start(user=school_practitioner, children=[led.children.get()])
    Caf.objects.filter(pk=second.pk).update(status=Caf.Status.ACTIVE, activated_at=led.activated_at)

    start, counts, errors = threading.Barrier(2), [], []

    def tick() -> None:
        try:
            start.wait()
            counts.append(reminders_due(today=date(2026, 12, 7)))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    rows = list(Notification.objects.values_list("recipient_id", "kind", "subject_key"))
    assert len(rows) == len(set(rows)) == sum(counts) == 4
    assert len(no_sending) == 4  # each new row is handed to the sender once its transaction commits
    assert received(kind=Kind.NO_LEAD_PROFESSIONAL) == {
        ("Colin Adeyemi", Kind.NO_LEAD_PROFESSIONAL, f"no-lead:{second.pk}")
    }


def test_another_councils_caf_administrators_are_never_told(led, other_council_school, caf_admin):
    other_admin = UserFactory(
        full_name="Southmoor CAF Admin", agency=other_council_school, roles=[Role.CAF_ADMINISTRATOR]
    )
    review_on(led, date(2026, 12, 4), remind=2, escalate=3)
    reminders_due(today=date(2026, 12, 14))
    assert Notification.objects.filter(recipient=caf_admin).exists()
    assert not Notification.objects.filter(recipient=other_admin).exists()


# The Celery task and its schedule -----------------------------------------------------------------


def test_the_celery_task_records_what_reminders_due_would(led, school_practitioner, health_visitor):
    busy_day(led, school_practitioner, health_visitor)
    with time_machine.travel(datetime(2026, 12, 7, 8, 0, tzinfo=LONDON), tick=False):
        assert reminders_tick.apply().get() == 3
        assert reminders_due(today=date(2026, 12, 7)) == 0
    key = f"review:{led.pk}:2026-12-07"
    assert received(subject_key=key) == {
        ("Priya Shah", Kind.REVIEW_TODAY, key),
        ("Hannah Okoro", Kind.REVIEW_TODAY, key),
    }


def test_the_beat_runs_the_tick_every_five_minutes():
    entry = app.conf.beat_schedule["reminders-tick"]
    assert entry["task"] == reminders_tick.name == "caf.tasks.reminders_tick"
    assert entry["schedule"] == 5 * 60


# Setting who is told: the administration pages and the demo ---------------------------------------


def test_a_council_administrator_names_the_early_help_lead_from_their_own_council(
    council_admin, caf_admin, other_council_user, signed_in
):
    council = council_admin.council
    client = signed_in(council_admin)
    url = f"/admin/accounts/localauthority/{council.pk}/change/"
    page = client.get(url).content.decode()
    assert "Colin Adeyemi" in page and "Olivia Brennan" not in page
    form = {
        "child_population": 61_000,
        "front_door_phone": "01632 960 123",
        "out_of_hours_phone": "",
        "working_day_starts": "09:00",
        "working_day_ends": "17:00",
        "time_zone": "Europe/London",
        "default_review_interval_weeks": 6,
        "referral_decision_deadline_working_hours": 8,
        "step_down_pick_up_working_days": 5,
        "social_worker_leads_caf": "on",
        "review_reminder_working_days": 5,
        "overdue_escalation_working_days": 3,
        "no_lead_flag_working_days": 10,
        "retention_years_after_closure": 6,
        "retention_until_age": 25,
        "retention_child_in_need_age": 25,
        "retention_child_protection_age": 35,
        "retention_looked_after_age": 75,
        "retention_adoption_age": 100,
        "access_log_retention_months": 84,
        "break_glass_hours": 3,
    }

    assert client.post(url, {**form, "early_help_lead": other_council_user.pk}).status_code == 200
    council.refresh_from_db()
    assert council.early_help_lead is None

    assert client.post(url, {**form, "early_help_lead": caf_admin.pk}).status_code == 302
    council.refresh_from_db()
    assert council.early_help_lead == caf_admin
    assert (council.review_reminder_working_days, council.overdue_escalation_working_days) == (5, 3)


def test_an_agency_manager_is_chosen_from_the_councils_people(
    council_admin, school, school_practitioner, other_council_user, signed_in
):
    client = signed_in(council_admin)
    url = f"/admin/accounts/agency/{school.pk}/change/"
    form = {"council": school.council_id, "name": school.name, "agency_type": school.agency_type}
    assert client.post(url, {**form, "manager": other_council_user.pk}).status_code == 200
    assert client.post(url, {**form, "manager": school_practitioner.pk}).status_code == 302
    school.refresh_from_db()
    assert school.manager == school_practitioner


def test_a_service_administrator_cannot_make_another_councils_user_an_agency_manager(
    school, other_council_user, admin_client
):
    url = f"/admin/accounts/agency/{school.pk}/change/"
    form = {"council": school.council_id, "name": school.name, "agency_type": school.agency_type}
    response = admin_client.post(url, {**form, "manager": other_council_user.pk})
    assert response.status_code == 200
    assert "Choose a manager who works for this council." in response.content.decode()


def test_the_demo_council_escalates_to_its_caf_administrator_and_keeps_a_change(db):
    demo_load()
    council = LocalAuthority.objects.get(slug="northbridge")
    hub = Agency.objects.get(council=council, name="Early Help Hub")
    assert council.early_help_lead.email == hub.manager.email == "caf.admin@demo.example"

    someone_else = User.objects.get(email="practitioner@demo.example")
    LocalAuthority.objects.filter(pk=council.pk).update(early_help_lead=someone_else)
    demo_load()
    council.refresh_from_db()
    assert council.early_help_lead == someone_else
