"""Reviews: recording a review from the plan, moving the next review date, who may do what, the
home page queues of upcoming and overdue reviews, and the figures councils report."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AgencyType, Notification, Role
from caf import services
from caf.models import AccessLog, Caf, LevelChange, PlanAction, Review, ReviewActionProgress, ReviewDateChange
from caf.selectors import review_figures
from core.errors import Refused
from tests.caf_helpers import complete, consent
from tests.factories import AgencyFactory, UserFactory

# Today is pinned: Monday 16 November 2026. caf_submit sets the first review 6 weeks ahead (the
# factory council's interval, whatever it is, is read from the council).
TODAY = date(2026, 11, 16)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-11-16 10:00 +00:00", tick=False):
        yield TODAY


@pytest.fixture
def led(active, caf_admin, school_practitioner, health_visitor):
    """The active CAF with a health visitor on the team and the initiator logged as lead professional."""
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor, role="Health visitor")
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    active.refresh_from_db()
    return active


@pytest.fixture
def unrelated_practitioner(council):
    agency = AgencyFactory(council=council, name="Riverside Youth Club", agency_type=AgencyType.YOUTH_SERVICE)
    return UserFactory(full_name="Uma Unrelated", agency=agency, roles=[Role.PRACTITIONER])


def action_add(caf, lead, **fields):
    defaults = {
        "need": "Jayden is often late for school",
        "action": "Morning routine support",
        "agency": caf.initiating_agency,
        "owner": None,
        "due_on": date(2026, 12, 1),
    }
    return services.plan_action_add(user=lead, caf=caf, **{**defaults, **fields})


def day_month_year(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)} if day else {}


def review_data(caf, *, held_on=TODAY, next_review_on=date(2027, 1, 11), decision="continue", **extra):
    """What the review form posts: each open action kept at its status, each child at their level."""
    data = {"decision": decision, "summary": "Attendance is better", "family_attendees": "Kelly Smith (mother)"}
    data.update(day_month_year("held_on", held_on))
    data.update(day_month_year("next_review_on", next_review_on))
    for action in caf.actions.filter(status__in=PlanAction.OPEN_STATUSES):
        data[f"action_{action.pk}_status"] = action.status
    for caf_child in caf.caf_children.all():
        data[f"level_{caf_child.pk}"] = str(caf_child.level_id)
    data.update(extra)
    return data


def nothing_written(caf, next_review_on):
    caf.refresh_from_db()
    assert not Review.objects.exists()
    assert not ReviewActionProgress.objects.exists()
    assert caf.next_review_on == next_review_on
    assert caf.status == Caf.Status.ACTIVE


# Recording a review -------------------------------------------------------------------------------


def test_the_form_starts_from_the_plan(led, school_practitioner, health_visitor, signed_in):
    open_action = action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)
    done = action_add(led, school_practitioner, action="Breakfast club place")
    services.plan_action_update(user=school_practitioner, action=done, status=PlanAction.Status.DONE)

    response = signed_in(school_practitioner).get(f"/cafs/{led.pk}/reviews/new/")

    assert response.status_code == 200
    form = response.context["form"]
    assert f"action_{open_action.pk}_status" in form.fields
    assert f"action_{done.pk}_status" not in form.fields  # only the open actions are reviewed
    assert form.fields[f"action_{open_action.pk}_status"].initial == "not_started"
    caf_child = led.caf_children.get()
    assert form.fields[f"level_{caf_child.pk}"].initial == str(caf_child.level_id)
    interval = led.council.default_review_interval_weeks
    assert form.initial["next_review_on"] == TODAY + timedelta(weeks=interval)
    page = response.content.decode()
    assert "Hannah Okoro (Health Visiting North)" in page and "Morning routine support" in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_lead_professional_records_a_review_from_the_plan(
    led, school_practitioner, health_visitor, signed_in, council_model
):
    first = action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)
    second = action_add(led, school_practitioner, action="Parenting course")
    due_before = led.next_review_on
    caf_child = led.caf_children.get()
    level_3 = led.threshold_model.levels.get(code="3")
    Notification.objects.create(
        recipient=school_practitioner,
        kind=Notification.Kind.REVIEW_DUE,
        subject_key=f"review:{led.pk}:{due_before.isoformat()}",
        title="Review coming up",
        body="-",
    )
    data = review_data(
        led,
        attendees=[str(school_practitioner.pk), str(health_visitor.pk)],
        **{
            f"action_{first.pk}_status": "done",
            f"action_{first.pk}_note": "Jayden is on time every day",
            f"action_{second.pk}_status": "no_longer_needed",
            f"level_{caf_child.pk}": str(level_3.pk),
            f"level_{caf_child.pk}_reason": "Mother's health has got worse",
            "new_1_need": "Mother's health",
            "new_1_action": "GP referral",
            "new_1_agency": str(health_visitor.agency_id),
            "new_1_owner": str(health_visitor.pk),
            **day_month_year("new_1_due_on", date(2027, 1, 4)),
        },
    )

    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data)

    assert response.status_code == 302
    assert response.url == f"/cafs/{led.pk}/reviews/"
    review = Review.objects.get()
    assert (review.held_on, review.due_on, review.decision, review.next_review_on, review.recorded_by) == (
        TODAY,
        due_before,
        "continue",
        date(2027, 1, 11),
        school_practitioner,
    )
    assert review.on_time
    assert set(review.attendees.all()) == {school_practitioner, health_visitor}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.outcome, second.status) == ("done", "Jayden is on time every day", "stopped")
    assert {(row.action_id, row.status) for row in review.progress.all()} == {
        (first.pk, "done"),
        (second.pk, "no_longer_needed"),
    }
    new = PlanAction.objects.get(action="GP referral")
    assert (new.owner, new.agency, new.due_on, new.status) == (
        health_visitor,
        health_visitor.agency,
        date(2027, 1, 4),
        "not_started",
    )
    change = LevelChange.objects.latest("pk")
    assert (change.level, change.review, change.reason) == (level_3, review, "Mother's health has got worse")
    caf_child.refresh_from_db()
    assert caf_child.level == level_3
    led.refresh_from_db()
    assert led.next_review_on == date(2027, 1, 11)
    date_change = ReviewDateChange.objects.latest("pk")
    assert (date_change.review_on, date_change.reason) == (date(2027, 1, 11), "After the review of 16 November 2026")
    assert Notification.objects.get().cancelled_at is not None
    page = signed_in(school_practitioner).get(response.url).content.decode()
    assert "Review of 16 November 2026" in page and "On time" in page and "11 January 2027" in page


def test_a_review_that_leaves_an_open_action_out_is_refused(led, school_practitioner, signed_in):
    action_add(led, school_practitioner)
    # The plan changed after the form was opened: an action added that the posted form lacks.
    data = review_data(led)
    action_add(led, school_practitioner, action="Added meanwhile")
    before = led.next_review_on

    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    nothing_written(led, before)

    with pytest.raises(Refused, match="every open action"):
        services.review_record(
            user=school_practitioner, caf=led, held_on=TODAY, decision="continue", next_review_on=date(2027, 1, 11)
        )
    nothing_written(led, before)


def test_deciding_to_close_closes_the_caf_as_needs_met(led, school_practitioner, signed_in):
    data = review_data(led, decision="close", next_review_on=None, outcome="Jayden is settled at school")

    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data)

    assert response.status_code == 302
    led.refresh_from_db()
    assert (led.status, led.closure_reason, led.outcome_summary, led.next_review_on) == (
        "closed",
        "needs_met",
        "Jayden is settled at school",
        None,
    )
    assert Review.objects.get().next_review_on is None


def test_stepping_down_closes_as_needs_met_universal_services_continue(led, school_practitioner, signed_in):
    data = review_data(
        led, decision="step_down", next_review_on=date(2027, 3, 1), outcome="School keeps an eye on attendance"
    )

    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data)

    assert response.status_code == 302
    led.refresh_from_db()
    assert (led.status, led.closure_reason, led.next_review_on) == ("closed", Caf.ClosureReason.NEEDS_MET, None)
    assert "universal services continue" in led.outcome_summary
    assert "School keeps an eye on attendance" in led.outcome_summary
    assert Review.objects.get().decision == "step_down"


def test_stepping_up_leaves_the_caf_active_and_says_to_refer(led, school_practitioner, signed_in):
    data = review_data(led, decision="step_up", next_review_on=None)

    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data, follow=True)

    assert response.status_code == 200
    assert "Make a referral to children" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/referrals/start/?caf={led.pk}"  # straight to the referral
    assert "Is a child at immediate risk of significant harm now?" in response.content.decode()
    led.refresh_from_db()
    assert led.status == "active"
    assert Review.objects.get().decision == "step_up"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"held_on": date(2026, 11, 17)}, "The date of the review must be today or in the past"),
        ({"next_review_on": None}, "Enter the date of the next review"),
        ({"held_on": None, "held_on_0": "31", "held_on_1": "2", "held_on_2": "2027"}, "govuk-error-summary"),
        ({"decision": "close", "outcome": ""}, "Summarise the outcome"),
    ],
    ids=["future-held-on", "no-next-date", "impossible-date", "close-without-outcome"],
)
def test_bad_input_is_shown_back_and_nothing_is_written(led, school_practitioner, signed_in, change, message):
    action = action_add(led, school_practitioner)
    before = led.next_review_on
    data = review_data(
        led,
        held_on=change.pop("held_on", TODAY),
        next_review_on=change.pop("next_review_on", date(2027, 1, 11)),
        **{f"action_{action.pk}_status": "done"},
        **change,
    )

    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page and message in page
    nothing_written(led, before)
    action.refresh_from_db()
    assert action.status == "not_started"


def test_a_level_change_needs_a_reason(led, school_practitioner, signed_in):
    caf_child = led.caf_children.get()
    level_3 = led.threshold_model.levels.get(code="3")
    data = review_data(led, **{f"level_{caf_child.pk}": str(level_3.pk)})
    changes_before = LevelChange.objects.count()

    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data)

    assert response.status_code == 200
    assert "level of need is changing" in response.content.decode()
    assert LevelChange.objects.count() == changes_before
    nothing_written(led, led.next_review_on)


# Moving the review date ---------------------------------------------------------------------------


def test_changing_the_date_needs_a_reason_and_cancels_the_old_reminders(led, school_practitioner, signed_in):
    old = led.next_review_on
    pending = Notification.objects.create(
        recipient=school_practitioner,
        kind=Notification.Kind.REVIEW_DUE,
        subject_key=f"review:{led.pk}:{old.isoformat()}",
        title="Review coming up",
        body="-",
    )
    sent = Notification.objects.create(
        recipient=school_practitioner,
        kind=Notification.Kind.REVIEW_TODAY,
        subject_key=f"review:{led.pk}:{old.isoformat()}",
        title="Review today",
        body="-",
        sent_at=timezone.now(),
    )
    client = signed_in(school_practitioner)
    url = f"/cafs/{led.pk}/reviews/date/"

    refused = client.post(url, day_month_year("review_on", date(2027, 2, 1)))
    assert refused.status_code == 200
    assert "Enter why the review date is changing" in refused.content.decode()
    led.refresh_from_db()
    assert led.next_review_on == old
    pending.refresh_from_db()
    assert pending.cancelled_at is None

    response = client.post(url, {**day_month_year("review_on", date(2027, 2, 1)), "reason": "Family on holiday"})

    assert response.status_code == 302
    led.refresh_from_db()
    assert led.next_review_on == date(2027, 2, 1)
    change = ReviewDateChange.objects.latest("pk")
    assert (change.review_on, change.reason, change.changed_by) == (
        date(2027, 2, 1),
        "Family on holiday",
        school_practitioner,
    )
    pending.refresh_from_db()
    sent.refresh_from_db()
    assert pending.cancelled_at is not None
    assert sent.cancelled_at is None
    page = client.get(f"/cafs/{led.pk}/reviews/").content.decode()
    assert "Family on holiday" in page and "1 February 2027" in page


def test_a_date_in_the_past_is_refused(led, school_practitioner, signed_in):
    old = led.next_review_on
    response = signed_in(school_practitioner).post(
        f"/cafs/{led.pk}/reviews/date/", {**day_month_year("review_on", date(2026, 11, 1)), "reason": "Oops"}
    )
    assert response.status_code == 200
    assert "today or in the future" in response.content.decode()
    led.refresh_from_db()
    assert led.next_review_on == old


# Who may do what ----------------------------------------------------------------------------------


def test_a_member_who_is_not_lead_cannot_record_or_move_but_updates_their_own_action(
    led, school_practitioner, health_visitor, signed_in
):
    action = action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)
    client = signed_in(health_visitor)

    assert client.get(f"/cafs/{led.pk}/reviews/").status_code == 200
    assert 'id="record-review"' not in client.get(f"/cafs/{led.pk}/reviews/").content.decode()
    assert client.get(f"/cafs/{led.pk}/reviews/new/").status_code == 403
    assert client.post(f"/cafs/{led.pk}/reviews/new/", review_data(led)).status_code == 403
    assert client.post(f"/cafs/{led.pk}/reviews/date/", {"reason": "x"}).status_code == 403
    response = client.post(f"/cafs/{led.pk}/plan/{action.pk}/", {"status": "in_progress", "outcome": "Started"})

    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.outcome) == ("in_progress", "Started")
    assert not Review.objects.exists()
    assert ReviewDateChange.objects.filter(caf=led).count() == 1


def test_the_caf_administrator_views_reviews_but_does_not_record(led, caf_admin, signed_in):
    client = signed_in(caf_admin)

    assert client.get(f"/cafs/{led.pk}/reviews/").status_code == 200
    assert client.get(f"/cafs/{led.pk}/reviews/new/").status_code == 403
    assert client.post(f"/cafs/{led.pk}/reviews/new/", review_data(led)).status_code == 403
    assert client.post(f"/cafs/{led.pk}/reviews/date/", {"reason": "x"}).status_code == 403
    assert not Review.objects.exists()


@pytest.mark.parametrize("page", ["", "new/", "date/"])
@pytest.mark.parametrize("outsider", ["other_council_user", "unrelated_practitioner"])
def test_outsiders_get_404_and_the_attempt_is_logged(led, page, outsider, signed_in, request):
    user = request.getfixturevalue(outsider)
    client = signed_in(user)
    url = f"/cafs/{led.pk}/reviews/{page}"

    response = client.post(url, review_data(led)) if page else client.get(url)

    assert response.status_code == 404
    assert AccessLog.objects.filter(user=user, caf=led, action=AccessLog.Action.REFUSED).count() == 1
    assert not Review.objects.exists()


def test_the_overview_and_header_link_to_the_reviews(led, school_practitioner, signed_in):
    page = signed_in(school_practitioner).get(f"/cafs/{led.pk}/").content.decode()
    assert f'href="/cafs/{led.pk}/reviews/"' in page
    assert f"Next review on {led.next_review_on:%-d %B %Y}" in page


# Home page queues ---------------------------------------------------------------------------------


def queue(response, heading):
    for section in response.context["sections"]:
        for work_queue in section.queues:
            if work_queue.heading == heading:
                return work_queue.items
    raise AssertionError(f"no queue {heading!r}")


@pytest.fixture
def other_council_overdue(other_council, other_council_user, reference_model):
    from thresholds.services import threshold_model_draft_start, threshold_model_publish

    draft = threshold_model_draft_start(user=None, council=other_council, copy_from=reference_model("leicestershire"))
    threshold_model_publish(user=None, threshold_model=draft)
    child = services.child_create(
        user=other_council_user, first_name="Olly", last_name="Outsider", date_of_birth=date(2016, 5, 4)
    )
    caf = services.caf_start(user=other_council_user, children=[child])
    consent(caf, other_council_user)
    complete(caf, other_council_user)
    return services.caf_submit(user=other_council_user, caf=caf)


def test_home_queues_show_upcoming_and_overdue_reviews(
    led, school_practitioner, caf_admin, other_council_overdue, signed_in
):
    due = led.next_review_on
    response = signed_in(school_practitioner).get("/")
    assert queue(response, "Reviews coming up") == []
    assert queue(response, "Reviews overdue") == []

    with time_machine.travel(due - timedelta(days=3), tick=False):
        response = signed_in(school_practitioner).get("/")
        assert [url for _, url in queue(response, "Reviews coming up")] == [f"/cafs/{led.pk}/reviews/new/"]
        assert queue(response, "Reviews overdue") == []
        assert queue(signed_in(caf_admin).get("/"), "Reviews overdue") == []

    with time_machine.travel(due + timedelta(days=1), tick=False):
        response = signed_in(school_practitioner).get("/")
        assert queue(response, "Reviews coming up") == []
        items = queue(response, "Reviews overdue")
        assert [url for _, url in items] == [f"/cafs/{led.pk}/reviews/new/"]
        assert "Jayden Smith" in items[0][0] and f"was due {due:%-d %B %Y}" in items[0][0]
        # The other council's CAF is overdue too, and nobody here sees it.
        items = queue(signed_in(caf_admin).get("/"), "Reviews overdue")
        assert [url for _, url in items] == [f"/cafs/{led.pk}/reviews/"]
    assert Caf.objects.filter(status="active", next_review_on__lt=due + timedelta(days=1)).count() == 2


def test_a_social_worker_sees_the_reviews_they_lead(draft, school_practitioner, social_worker, caf_admin, signed_in):
    consent(draft, school_practitioner, social_worker.agency)
    complete(draft, school_practitioner)
    caf = services.caf_submit(user=school_practitioner, caf=draft)
    services.taf_member_add(user=school_practitioner, caf=caf, member=social_worker)
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=social_worker)
    caf.refresh_from_db()

    with time_machine.travel(caf.next_review_on + timedelta(days=2), tick=False):
        response = signed_in(social_worker).get("/")

    assert [url for _, url in queue(response, "Reviews due")] == [f"/cafs/{caf.pk}/reviews/new/"]
    assert queue(signed_in(school_practitioner).get("/"), "Reviews coming up") == []


# Figures ------------------------------------------------------------------------------------------


def test_review_figures_count_on_time_late_and_overdue(
    led, school_practitioner, council, other_council_overdue, signed_in
):
    due = led.next_review_on
    with time_machine.travel(due - timedelta(days=1), tick=False):  # held the day before it was due
        data = review_data(led, held_on=due - timedelta(days=1), next_review_on=due + timedelta(days=20))
        assert signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data).status_code == 302
    second_due = due + timedelta(days=20)
    with time_machine.travel(second_due + timedelta(days=3), tick=False):  # held two days late
        data = review_data(led, held_on=second_due + timedelta(days=2), next_review_on=second_due + timedelta(days=60))
        assert signed_in(school_practitioner).post(f"/cafs/{led.pk}/reviews/new/", data).status_code == 302
        figures = review_figures(council, due - timedelta(days=30), second_due + timedelta(days=3))
        assert (figures.held, figures.on_time, figures.late, figures.overdue_today) == (2, 1, 1, 0)
    assert list(Review.objects.order_by("held_on").values_list("due_on", flat=True)) == [due, second_due]

    with time_machine.travel(second_due + timedelta(days=61), tick=False):
        figures = review_figures(council, second_due + timedelta(days=3), second_due + timedelta(days=61))
        assert (figures.held, figures.on_time, figures.late, figures.overdue_today) == (0, 0, 0, 1)


# Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 10])
def test_the_review_pages_run_a_fixed_number_of_queries(
    led, school_practitioner, health_visitor, size, signed_in, django_assert_max_num_queries
):
    for number in range(size):
        action_add(
            led, school_practitioner, action=f"Action {number}", owner=health_visitor, agency=health_visitor.agency
        )
    for number in range(size):
        services.review_record(
            user=school_practitioner,
            caf=led,
            held_on=TODAY,
            attendees=[health_visitor],
            progress=[
                (action, "in_progress", f"Note {number}")
                for action in led.actions.filter(status__in=PlanAction.OPEN_STATUSES)
            ],
            decision="continue",
            next_review_on=date(2027, 1, 11),
        )
    assert Review.objects.count() == size
    client = signed_in(school_practitioner)
    # Session, user, roles, the CAF, the object checks, the access log, then one query per list.
    for path, most in (("reviews/", 22), ("reviews/new/", 22)):
        with django_assert_max_num_queries(most):
            assert client.get(f"/cafs/{led.pk}/{path}").status_code == 200


# Two people at once: the plan's actions and the review (issue 14; Settled question 20) -------------


def hidden_value(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def conflict_table(page: str) -> str:
    return page[page.index('id="conflict"') : page.index("</table>", page.index('id="conflict"'))]


def test_an_action_updated_from_a_page_drawn_before_someone_elses_update_is_a_conflict_that_keeps_the_text(
    led, school_practitioner, health_visitor, signed_in
):
    action = action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)
    lead, owner = signed_in(school_practitioner), signed_in(health_visitor)
    url = f"/cafs/{led.pk}/plan/{action.pk}/"
    assert hidden_value(owner.get(url).content.decode(), "version") == "0"

    assert lead.post(url, {"status": "in_progress", "outcome": "Seen twice", "version": "0"}).status_code == 302
    refused = owner.post(url, {"status": "done", "outcome": "Routine in place", "version": "0"})

    page = unescape(refused.content.decode())
    assert refused.status_code == 200
    assert "This action was updated after you opened it." in page  # in the error summary
    assert "Priya Shah saved it at" in page
    table = conflict_table(page)
    assert "Seen twice" in table and "Routine in place" in table
    assert "In progress" in table and "Done" in table
    assert re.search(r'<textarea[^>]*name="outcome"[^>]*>\s*Routine in place', page)  # kept to merge
    assert hidden_value(page, "version") == "1"
    action.refresh_from_db()
    assert (action.status, action.outcome, action.updated_by) == ("in_progress", "Seen twice", school_practitioner)

    merged = owner.post(url, {"status": "done", "outcome": "Seen twice; routine in place", "version": "1"})
    assert merged.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.outcome, action.version) == ("done", "Seen twice; routine in place", 2)


def test_updating_another_action_of_the_plan_meanwhile_is_no_conflict(
    led, school_practitioner, health_visitor, signed_in
):
    mine = action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)
    other = action_add(led, school_practitioner, action="Breakfast club place")
    owner = signed_in(health_visitor)
    url = f"/cafs/{led.pk}/plan/{mine.pk}/"
    version = hidden_value(owner.get(url).content.decode(), "version")
    services.plan_action_update(user=school_practitioner, action=other, status="done", drawn_from=0)

    assert owner.post(url, {"status": "done", "outcome": "", "version": version}).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "done"


def test_a_review_recorded_from_a_form_drawn_before_the_plan_changed_is_a_conflict_that_keeps_the_answers(
    led, school_practitioner, health_visitor, signed_in
):
    action = action_add(led, school_practitioner, owner=health_visitor, agency=health_visitor.agency)
    lead = signed_in(school_practitioner)
    url = f"/cafs/{led.pk}/reviews/new/"
    version = hidden_value(lead.get(url).content.decode(), "version")
    typed = review_data(led, version=version, summary="Jayden is on time most days")
    typed.update({f"action_{action.pk}_status": "done", f"action_{action.pk}_note": "All done"})
    # Meanwhile the action's owner records where it is on the plan's page.
    services.plan_action_update(
        user=health_visitor, action=action, status="in_progress", outcome="Seen twice", drawn_from=0
    )

    refused = lead.post(url, typed)

    page = unescape(refused.content.decode())
    assert refused.status_code == 200
    assert "The reviews or the plan changed after you opened this form" in page
    assert "Hannah Okoro saved it at" in page
    table = conflict_table(page)
    assert "Action: Morning routine support" in table and "Seen twice" in table and "All done" in table
    assert re.search(r'<textarea[^>]*name="summary"[^>]*>\s*Jayden is on time most days', page)
    assert not Review.objects.exists()

    again = lead.post(url, {**typed, "version": hidden_value(page, "version")})
    assert again.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.outcome, action.updated_by) == ("done", "All done", school_practitioner)
    assert Review.objects.get().summary == "Jayden is on time most days"


def test_two_tabs_recording_the_same_review_record_it_once(led, school_practitioner, signed_in):
    tab_one, tab_two = signed_in(school_practitioner), signed_in(school_practitioner)
    url = f"/cafs/{led.pk}/reviews/new/"
    version = hidden_value(tab_one.get(url).content.decode(), "version")
    assert hidden_value(tab_two.get(url).content.decode(), "version") == version

    assert tab_one.post(url, review_data(led, version=version)).status_code == 302
    refused = tab_two.post(url, review_data(led, version=version, summary="Typed in the other tab"))

    page = unescape(refused.content.decode())
    assert refused.status_code == 200
    assert "The latest review recorded (16 November 2026), and your summary" in conflict_table(page)
    assert "Typed in the other tab" in conflict_table(page)
    assert Review.objects.count() == 1
