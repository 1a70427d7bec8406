"""The home page's work queues for practitioners, CAF administrators and social workers."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from caf import services
from caf.models import Caf, PlanAction

# Helpers --------------------------------------------------------------------------------------------


def child_of(user, first_name, last_name="Smith"):
    return services.child_create(user=user, first_name=first_name, last_name=last_name, date_of_birth=date(2016, 5, 4))


def consent(caf, user, *agencies):
    return services.consent_record(
        user=user,
        caf=caf,
        agencies=agencies,
        given_by="Kelly Smith",
        relationship="mother",
        given_on=date(2026, 11, 2),
        method="signed_form",
        explained_storage=True,
        explained_sharing=True,
    )


def complete(caf, user):
    sub_domain_id = caf.threshold_model.indicators.first().sub_domain_id
    services.assessment_save(user=user, caf=caf, entries={sub_domain_id: ("Loves football", "Often late")})
    caf_child = caf.caf_children.get()
    services.child_indicators_set(
        user=user,
        caf_child=caf_child,
        indicators=caf.threshold_model.indicators.filter(text="Occasional truanting or non-attendance"),
    )
    caf_child.refresh_from_db()
    services.child_level_set(user=user, caf_child=caf_child, level=caf.threshold_model.levels.get(code="2"))


def active_caf(user, child, *agencies):
    caf = services.caf_start(user=user, children=[child])
    consent(caf, user, *agencies)
    complete(caf, user)
    return services.caf_submit(user=user, caf=caf)


def action_add(caf, lead, owner, due_in_days, **fields):
    return services.plan_action_add(
        user=lead,
        caf=caf,
        need="Often late for school",
        action=fields.pop("action", "Morning routine support"),
        agency=owner.agency,
        owner=owner,
        due_on=timezone.localdate() + timedelta(days=due_in_days),
        **fields,
    )


@pytest.fixture
def other_council_caf(other_council, other_council_user, reference_model):
    """A CAF in another council, which nobody in Northbridge may see in their queues."""
    from thresholds.services import threshold_model_draft_start, threshold_model_publish

    draft = threshold_model_draft_start(user=None, council=other_council, copy_from=reference_model("leicestershire"))
    threshold_model_publish(user=None, threshold_model=draft)
    caf = active_caf(other_council_user, child_of(other_council_user, "Olly", "Outsider"))
    services.caf_start(user=other_council_user, children=[caf.children.get()])
    return caf


def queue(response, heading):
    """The (label, url) items of one queue on the home page, by its heading."""
    for section in response.context["sections"]:
        for work_queue in section.queues:
            if work_queue.heading == heading:
                return work_queue.items
    raise AssertionError(f"no queue {heading!r}")


# Practitioner -------------------------------------------------------------------------------------


def test_a_practitioners_queues(
    school_practitioner, health_visitor, caf_admin, council_model, other_council_caf, signed_in
):
    draft = services.caf_start(user=school_practitioner, children=[child_of(school_practitioner, "Dana")])
    led = active_caf(school_practitioner, child_of(school_practitioner, "Leo"), health_visitor.agency)
    services.lead_professional_assign(user=caf_admin, caf=led, lead=school_practitioner)
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    on_taf = active_caf(health_visitor, child_of(health_visitor, "Tia", "Jones"), school_practitioner.agency)
    services.taf_member_add(user=health_visitor, caf=on_taf, member=school_practitioner)
    due = action_add(led, school_practitioner, school_practitioner, 7, action="Call the school nurse")
    action_add(led, school_practitioner, school_practitioner, 30, action="Review attendance next term")
    done = action_add(led, school_practitioner, school_practitioner, 2, action="Already finished")
    PlanAction.objects.filter(pk=done.pk).update(status=PlanAction.Status.DONE)
    action_add(led, school_practitioner, health_visitor, 3, action="Someone else's visit")

    response = signed_in(school_practitioner).get("/")

    assert response.status_code == 200
    drafts = queue(response, "Your draft CAFs")
    assert [label.split(" (")[0] for label, _ in drafts] == ["Dana Smith"]
    led_items = queue(response, "CAFs you lead")
    assert led_items == [
        (f"Leo Smith (CAF number {led.pk}, started {timezone.localdate():%-d %B %Y})", f"/cafs/{led.pk}/plan/")
    ]
    tafs = {label.split(" (")[0]: url for label, url in queue(response, "Teams around the family you are on")}
    assert tafs == {"Tia Jones": f"/cafs/{on_taf.pk}/team/", "Leo Smith": f"/cafs/{led.pk}/team/"}
    actions = queue(response, "Actions due")
    assert len(actions) == 1
    assert actions[0][0].startswith("Call the school nurse for Leo Smith, due")
    assert actions[0][1] == f"/cafs/{led.pk}/plan/{due.pk}/"
    page = response.content.decode()
    assert f'href="/cafs/{led.pk}/plan/"' in page
    assert "Olly" not in page
    assert draft.status == Caf.Status.DRAFT


def test_a_queue_row_names_every_child_of_the_family_in_order_and_logs_each(
    school_practitioner, council_model, signed_in
):
    from caf.models import AccessLog

    # The children's names come with the queue's rows (caf.selectors.queue_children), in the order
    # of a child's record (last name, first name), and the page's access-log row names every one.
    younger, elder = child_of(school_practitioner, "Zoe", "Adams"), child_of(school_practitioner, "Amy", "Brown")
    services.caf_start(user=school_practitioner, children=[elder, younger])

    response = signed_in(school_practitioner).get("/")

    assert [label.split(" (")[0] for label, _ in queue(response, "Your draft CAFs")] == ["Zoe Adams, Amy Brown"]
    row = AccessLog.objects.get(user=school_practitioner, what="Viewed the home page")
    assert row.child_ids == sorted([younger.pk, elder.pk])


def test_a_practitioner_with_nothing_sees_the_empty_texts(school_practitioner, signed_in):
    page = signed_in(school_practitioner).get("/").content.decode()
    assert "You have no draft CAFs." in page
    assert "You have no actions due in the next 14 days." in page


# CAF administrator --------------------------------------------------------------------------------


def test_the_caf_administrators_queues(
    school_practitioner, health_visitor, caf_admin, council_model, other_council_caf, signed_in
):
    services.caf_start(user=school_practitioner, children=[child_of(school_practitioner, "Dana")])  # a draft
    new = active_caf(school_practitioner, child_of(school_practitioner, "Nia"), health_visitor.agency)
    formed = active_caf(school_practitioner, child_of(school_practitioner, "Finn"), health_visitor.agency)
    services.taf_member_add(user=school_practitioner, caf=formed, member=health_visitor)
    settled = active_caf(school_practitioner, child_of(school_practitioner, "Sol"), health_visitor.agency)
    services.caf_register(user=caf_admin, caf=settled, reference="NB-1")
    services.lead_professional_assign(user=caf_admin, caf=settled, lead=school_practitioner)

    response = signed_in(caf_admin).get("/")

    assert response.status_code == 200
    to_register = {label.split(" (")[0]: url for label, url in queue(response, "New CAFs to register")}
    assert to_register == {"Nia Smith": f"/cafs/{new.pk}/register/", "Finn Smith": f"/cafs/{formed.pk}/register/"}
    without_lead = {label.split(" (")[0]: url for label, url in queue(response, "CAFs without a lead professional")}
    assert without_lead == {
        "Nia Smith": f"/cafs/{new.pk}/lead-professional/",
        "Finn Smith": f"/cafs/{formed.pk}/lead-professional/",
    }
    to_log = queue(response, "Lead professional changes to log")
    assert [url for _, url in to_log] == [f"/cafs/{formed.pk}/lead-professional/"]
    page = response.content.decode()
    assert "Dana" not in page and "Sol Smith" not in page and "Olly" not in page


# Social worker ------------------------------------------------------------------------------------


def test_a_social_worker_sees_the_families_they_lead(
    school_practitioner, social_worker, caf_admin, council_model, signed_in
):
    caf = active_caf(school_practitioner, child_of(school_practitioner, "Sky"), social_worker.agency)
    services.taf_member_add(user=school_practitioner, caf=caf, member=social_worker, role="Allocated social worker")
    assignment = services.lead_professional_assign(user=caf_admin, caf=caf, lead=social_worker)
    assert assignment.social_work_led

    response = signed_in(social_worker).get("/")

    items = queue(response, "Families you are lead professional for")
    assert [url for _, url in items] == [f"/cafs/{caf.pk}/plan/"]
    assert queue(response, "Reviews due") == []


# Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 30])
def test_the_home_page_runs_a_fixed_number_of_queries_whatever_the_queues_length(
    size, school_practitioner, caf_admin, council_model, signed_in, django_assert_max_num_queries
):
    child = child_of(school_practitioner, "Max")
    for _ in range(size):
        services.caf_start(user=school_practitioner, children=[child])
        caf = active_caf(school_practitioner, child, school_practitioner.agency)
        if _ % 2:
            services.lead_professional_assign(user=caf_admin, caf=caf, lead=school_practitioner)
            action_add(caf, school_practitioner, school_practitioner, 5)
    practitioner, administrator = signed_in(school_practitioner), signed_in(caf_admin)
    # At most 10 for the page (session, user, agency, roles, unread count, the access-log row...)
    # and 2 for each queue: its first rows with their children's names (caf.selectors.queue_children),
    # and its capped count once it holds more than it shows (8 queues for a practitioner, 7 for a CAF
    # administrator), whatever its length.
    with django_assert_max_num_queries(10 + 8 * 2):
        response = practitioner.get("/")
    assert len(queue(response, "Your draft CAFs")) == min(size, 20)
    assert len(queue(response, "Teams around the family you are on")) == min(size, 20)
    with django_assert_max_num_queries(10 + 7 * 2):
        response = administrator.get("/")
    assert len(queue(response, "New CAFs to register")) == min(size, 20)
    assert len(queue(response, "CAFs without a lead professional")) == min(size - size // 2, 20)


def test_the_lead_professional_sees_overdue_actions_of_the_plan_whoever_owns_them(
    active, school_practitioner, health_visitor, caf_admin, signed_in
):
    import time_machine

    services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    services.plan_action_add(
        user=school_practitioner,
        caf=active,
        need="Sleep",
        action="Bedtime routine",
        agency=health_visitor.agency,
        owner=health_visitor,
        due_on=date(2026, 12, 1),
    )
    with time_machine.travel("2026-12-03 10:00", tick=False):
        lead_page = signed_in(school_practitioner).get("/")
        member_page = signed_in(health_visitor).get("/")
        items = queue(lead_page, "Overdue actions in plans you lead")
        assert len(items) == 1
        assert "Bedtime routine (Hannah Okoro)" in items[0][0]
        assert queue(member_page, "Overdue actions in plans you lead") == []
