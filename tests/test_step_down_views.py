"""The step-down pages: children's social care sends a family to early help at one of Kent's three
points, the council's CAF administrators pick it up (a new CAF, a reopened one or the active one
continued) or record that the family declined; the pick-up queue and the monthly figures."""

import re
from datetime import date

import pytest
import time_machine

from accounts.models import AgencyType, Role
from caf import services as caf_services
from caf.models import AccessLog, Adult, AssessmentEntry, Caf, Consent, LevelChange
from referrals import services as rs
from referrals.models import StepDown, TimelineEntry
from tests.factories import AgencyFactory, UserFactory

CONSENT_ON = date(2026, 8, 3)


# Building the family's story through the services -----------------------------------------------


def referral_sent(user, children, caf=None):
    referral = rs.referral_start(user=user, children=children, caf=caf)
    return rs.referral_send(
        user=user,
        referral=referral,
        concern="Jayden came to school hungry and with a bruise on his arm.",
        consent="given",
        consent_given_by="Kelly Smith",
        consent_relationship="mother",
        consent_given_on=CONSENT_ON,
    )


def transfer(*agencies, given_on=CONSENT_ON):
    """What the front door's step-down (point 1) tells early help."""
    return {
        "open_needs": "School attendance; the mother's low mood.",
        "social_worker_summary": "Mother engaged well with the duty social worker.",
        "consent_given_by": "Kelly Smith",
        "consent_relationship": "mother",
        "consent_given_on": given_on,
        "consent_method": "verbal",
        "consent_agencies": list(agencies),
    }


def front_door_step_down(manager, referral, *agencies, given_on=CONSENT_ON):
    rs.referral_decide(
        user=manager,
        referral=referral,
        decision="step_down",
        reasons="The threshold for social care is not met; early help can meet the needs.",
        step_down=transfer(*agencies, given_on=given_on),
    )
    return referral.step_downs.get()


def taken_on(manager, social_worker, referral):
    return rs.referral_decide(
        user=manager,
        referral=referral,
        decision="child_in_need",
        reasons="Needs a Child in Need assessment.",
        social_worker=social_worker,
    )


def child_of(user, first_name, last_name="Smith"):
    return caf_services.child_create(
        user=user, first_name=first_name, last_name=last_name, date_of_birth=date(2018, 3, 9), postcode="NB1 2AB"
    )


def form_data(point="after_assessment", *agencies, **overrides):
    data = {
        "point": point,
        "reason": "The assessment found the threshold for social care not met.",
        "open_needs": "Routines at home; school attendance.",
        "social_worker_summary": "Kelly has worked well with us; the children are safe.",
        "consent_given_by": "Kelly Smith",
        "consent_relationship": "mother",
        "consent_given_on_0": "16",
        "consent_given_on_1": "11",
        "consent_given_on_2": "2026",
        "consent_method": "signed_form",
        "consent_agencies": [agency.pk for agency in agencies],
    }
    data.update(overrides)
    return data


def checkbox_values(response, name):
    inputs = re.findall(rf'<input[^>]*name="{name}"[^>]*>', response.content.decode())
    return {int(re.search(r'value="(\d+)"', tag).group(1)) for tag in inputs}


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def other_council_caf_admin(other_council_school):
    return UserFactory(full_name="Southmoor Coordinator", agency=other_council_school, roles=[Role.CAF_ADMINISTRATOR])


@pytest.fixture
def waiting(child, health_visitor, social_care_manager, health_visiting, council_model):
    """Point 1: the front door steps down a referral that had no CAF."""
    return front_door_step_down(social_care_manager, referral_sent(health_visitor, [child]), health_visiting)


# Point 1: the front door, and a pick-up into a new CAF -------------------------------------------


def test_a_front_door_step_down_is_picked_up_into_a_new_caf_with_a_lead_professional(
    waiting, child, caf_admin, health_visitor, police_officer, council_model, signed_in
):
    admin = signed_in(caf_admin)
    page = admin.get(f"/step-downs/{waiting.pk}/")
    assert page.status_code == 200
    assert "Jayden Smith" in text(page)
    assert "Waiting to be picked up" in text(page)
    assert "At the front door: the threshold for social care is not met" in text(page)
    assert "Pick up by" in text(page)
    assert f'href="/step-downs/{waiting.pk}/pick-up/"' in text(page)
    assert "The family declined early help" in text(page)

    form = admin.get(f"/step-downs/{waiting.pk}/pick-up/")
    assert form.status_code == 200
    assert "A new CAF starts for Jayden Smith" in text(form)
    assert "Jayden Smith's level of need" in text(form)
    assert "Leave empty if the team has not agreed one yet" in text(form)
    # The lead is chosen from the agencies the family agreed to, and the coordinator's own.
    assert health_visitor.full_name in text(form) and caf_admin.full_name in text(form)
    assert police_officer.full_name not in text(form)

    level = council_model.levels.get(code="3")
    response = admin.post(
        f"/step-downs/{waiting.pk}/pick-up/", {f"level_{child.pk}": level.pk, "lead": health_visitor.pk}, follow=True
    )

    waiting.refresh_from_db()
    caf = waiting.picked_up_caf
    assert response.redirect_chain == [(f"/cafs/{caf.pk}/", 302)]
    assert "picked up into" in text(response) and "the step-down is complete" in text(response)
    assert waiting.status == StepDown.Status.COMPLETED and waiting.completed_at is not None
    assert caf.status == Caf.Status.ACTIVE and caf.previous_episode is None
    assert list(caf.children.all()) == [child]
    consent = Consent.objects.get(caf=caf)
    assert (consent.given_by, consent.relationship, consent.given_on, consent.method) == (
        "Kelly Smith",
        "mother",
        CONSENT_ON,
        "verbal",
    )
    assert {agency.name for agency in consent.agencies.all()} == {"Health Visiting North", "Early Help Hub"}
    change = LevelChange.objects.get(child=child)
    assert change.level == level and "Stepped down from children's social care" in change.reason
    members = set(caf.taf_members.filter(left_at__isnull=True).values_list("user__full_name", flat=True))
    assert members == {caf_admin.full_name, health_visitor.full_name}
    assert caf.lead_professionals.get(ended_at__isnull=True).user == health_visitor

    page = admin.get(f"/step-downs/{waiting.pk}/")
    assert "Picked up, with a lead professional" in text(page)
    assert "who started a CAF" in text(page)


def test_a_pick_up_needs_each_childs_level_when_a_caf_starts(waiting, child, caf_admin, signed_in):
    response = signed_in(caf_admin).post(f"/step-downs/{waiting.pk}/pick-up/", {f"level_{child.pk}": "", "lead": ""})

    assert response.status_code == 200
    assert "govuk-error-summary" in text(response)
    assert "Choose Jayden Smith&#x27;s level of need" in text(response)
    waiting.refresh_from_db()
    assert waiting.status == StepDown.Status.WAITING
    assert not Caf.objects.filter(children=child).exists()


# Point 2: after an assessment, through the page, and a closed CAF reopened ------------------------


def test_after_an_assessment_the_social_worker_steps_down_and_early_help_reopens_the_closed_caf(
    active,
    child,
    council,
    school_practitioner,
    social_care_manager,
    social_worker,
    caf_admin,
    health_visitor,
    health_visiting,
    social_care,
    signed_in,
):
    mother = Adult.objects.create(council=council, full_name="Kelly Smith", relationship="mother")
    active.adults.add(mother)
    caf_services.caf_close(user=caf_admin, caf=active, reason="needs_met", summary="Attendance is back to 96%.")
    referral = taken_on(social_care_manager, social_worker, referral_sent(school_practitioner, [child]))
    worker = signed_in(social_worker)

    form = worker.get(f"/step-downs/new/?referral={referral.pk}")
    assert form.status_code == 200
    assert "Step the family down to early help" in text(form)
    assert "At the closure of a Child in Need case" in text(form)
    assert "At the front door" not in text(form)  # point 1 is the decision page's
    assert 'name="children"' not in text(form)  # one child: nothing to choose
    agencies = checkbox_values(form, "consent_agencies")
    assert health_visiting.pk in agencies and social_care.pk not in agencies  # not the agency stepping down

    response = worker.post(f"/step-downs/new/?referral={referral.pk}", form_data("after_assessment", health_visiting))

    step_down = StepDown.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/step-downs/{step_down.pk}/"
    assert (step_down.point, step_down.status, step_down.referral, step_down.caf) == (
        "after_assessment",
        "waiting",
        referral,
        None,
    )
    assert list(step_down.children.all()) == [child]
    assert list(step_down.consent_agencies.all()) == [health_visiting]
    assert (step_down.consent_given_on, step_down.consent_method) == (date(2026, 11, 16), "signed_form")
    assert step_down.sent_by == social_worker

    admin = signed_in(caf_admin)
    form = admin.get(f"/step-downs/{step_down.pk}/pick-up/")
    assert f"The family's {active} is reopened as a new episode, with its household and assessment" in text(form)
    level = active.caf_children.get().level  # the child's latest level, on the council's model
    assert f'<option value="{level.pk}" selected>' in form.content.decode()

    response = admin.post(f"/step-downs/{step_down.pk}/pick-up/", {f"level_{child.pk}": level.pk, "lead": ""})

    step_down.refresh_from_db()
    episode = step_down.picked_up_caf
    assert response.status_code == 302 and response["Location"] == f"/cafs/{episode.pk}/"
    assert step_down.status == StepDown.Status.PICKED_UP
    assert episode.previous_episode == active and episode.status == Caf.Status.ACTIVE
    assert list(episode.adults.all()) == [mother]
    assert list(AssessmentEntry.objects.filter(caf=episode).values_list("strengths", "needs")) == [
        ("Loves football", "Often late")
    ]
    assert not episode.lead_professionals.exists()

    page = admin.get(f"/step-downs/{step_down.pk}/")
    assert "Picked up: waiting for a lead professional" in text(page)
    assert f'href="/cafs/{episode.pk}/lead-professional/"' in text(page)
    assert "closes when the lead professional the team agrees is logged" in text(page)
    queue = admin.get("/step-downs/")
    assert "Picked up, waiting for a lead professional" in text(queue)
    assert f'href="/cafs/{episode.pk}/lead-professional/"' in text(queue)

    caf_services.taf_member_add(user=caf_admin, caf=episode, member=health_visitor)
    response = admin.post(f"/cafs/{episode.pk}/lead-professional/", {"lead": health_visitor.pk})

    assert response.status_code == 302
    step_down.refresh_from_db()
    assert step_down.status == StepDown.Status.COMPLETED
    assert "the step-down is complete" in TimelineEntry.objects.filter(step_down=step_down).last().what
    assert "No picked-up family is waiting for a lead professional" in text(admin.get("/step-downs/"))


# Point 3: closing Child in Need on a social-work-led CAF, which continues -------------------------


@pytest.fixture
def social_work_led(active, child, school_practitioner, social_care_manager, social_worker):
    taken_on(social_care_manager, social_worker, referral_sent(school_practitioner, [child], caf=active))
    assert active.lead_professionals.get(ended_at__isnull=True).social_work_led
    return active


def test_at_child_in_need_closure_the_social_work_led_caf_continues(
    social_work_led, child, school, social_worker, caf_admin, school_practitioner, signed_in
):
    caf = social_work_led
    response = signed_in(social_worker).post(
        f"/step-downs/new/?caf={caf.pk}", form_data("child_in_need_closure", school)
    )

    step_down = StepDown.objects.get()
    assert response.status_code == 302
    assert (step_down.point, step_down.caf, step_down.referral) == ("child_in_need_closure", caf, None)

    admin = signed_in(caf_admin)
    form = admin.get(f"/step-downs/{step_down.pk}/pick-up/")
    assert f"The family's {caf} continues" in text(form)
    assert "level of need" not in text(form)

    response = admin.post(f"/step-downs/{step_down.pk}/pick-up/", {"lead": school_practitioner.pk}, follow=True)

    assert response.redirect_chain == [(f"/cafs/{caf.pk}/", 302)]
    step_down.refresh_from_db()
    assert step_down.status == StepDown.Status.COMPLETED and step_down.picked_up_caf == caf
    assert Caf.objects.filter(children=child).count() == 1
    lead = caf.lead_professionals.get(ended_at__isnull=True)
    assert lead.user == school_practitioner and not lead.social_work_led


def test_the_consent_given_at_the_step_down_lets_its_agencies_lead_the_continued_caf(
    social_work_led, police, police_officer, social_worker, caf_admin, signed_in
):
    step_down = rs.step_down_send(
        user=social_worker,
        point="child_in_need_closure",
        caf=social_work_led,
        reason="Child in Need plan complete.",
        **transfer(police),
    )

    response = signed_in(caf_admin).post(f"/step-downs/{step_down.pk}/pick-up/", {"lead": police_officer.pk})

    assert response.status_code == 302
    step_down.refresh_from_db()
    assert step_down.status == StepDown.Status.COMPLETED and step_down.picked_up_caf == social_work_led
    assert social_work_led.lead_professionals.get(ended_at__isnull=True).user == police_officer
    assert social_work_led.consents.order_by("-recorded_at").first().agencies.filter(pk=police.pk).exists()


def test_a_lead_from_an_agency_the_family_did_not_agree_to_is_refused_on_the_form(
    social_work_led, early_help_hub, police_officer, social_worker, caf_admin, signed_in
):
    step_down = rs.step_down_send(
        user=social_worker,
        point="child_in_need_closure",
        caf=social_work_led,
        reason="Child in Need plan complete.",
        **transfer(early_help_hub),
    )

    response = signed_in(caf_admin).post(f"/step-downs/{step_down.pk}/pick-up/", {"lead": police_officer.pk})

    assert response.status_code == 200
    assert "govuk-error-summary" in text(response)
    step_down.refresh_from_db()
    assert step_down.status == StepDown.Status.WAITING and step_down.picked_up_caf is None
    assert not social_work_led.taf_members.filter(user=police_officer).exists()


# Sending: refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["school_practitioner", "caf_admin"])
def test_only_social_care_steps_a_family_down(request, who, social_work_led, signed_in):
    client = signed_in(request.getfixturevalue(who))

    assert client.get(f"/step-downs/new/?caf={social_work_led.pk}").status_code == 403
    assert client.post(f"/step-downs/new/?caf={social_work_led.pk}", form_data()).status_code == 403
    assert not StepDown.objects.exists()


def test_a_referral_decided_at_the_front_door_is_not_stepped_down_again_from_this_page(
    waiting, social_worker, signed_in
):
    referral = waiting.referral
    response = signed_in(social_worker).post(f"/step-downs/new/?referral={referral.pk}", form_data())

    assert response.status_code == 200
    assert "Only a referral that social care took on" in text(response)
    assert StepDown.objects.count() == 1


def test_the_form_says_what_is_missing_and_sends_nothing(social_work_led, social_worker, signed_in):
    data = form_data(consent_given_by="", reason="", consent_given_on_0="31", consent_given_on_1="2")
    del data["point"]
    response = signed_in(social_worker).post(f"/step-downs/new/?caf={social_work_led.pk}", data)

    assert response.status_code == 200
    page = text(response)
    assert "govuk-error-summary" in page
    assert "Select when the family is stepping down" in page
    assert "Enter why social care is stepping down" in page
    assert "Enter the name of who agreed to early help" in page
    assert "must be a real date" in page
    assert not StepDown.objects.exists()


def test_a_family_of_two_chooses_which_children_step_down(
    school_practitioner, social_care_manager, social_worker, council_model, signed_in
):
    jayden, amber = child_of(school_practitioner, "Jayden"), child_of(school_practitioner, "Amber")
    referral = taken_on(social_care_manager, social_worker, referral_sent(school_practitioner, [jayden, amber]))
    worker = signed_in(social_worker)

    form = worker.get(f"/step-downs/new/?referral={referral.pk}").content.decode()
    assert form.count('name="children"') == 2 and form.count("checked") >= 2  # all ticked by default

    response = worker.post(f"/step-downs/new/?referral={referral.pk}", form_data(children=[amber.pk]))

    assert response.status_code == 302
    assert list(StepDown.objects.get().children.all()) == [amber]


def test_another_councils_social_worker_does_not_see_this_caf(social_work_led, other_council, signed_in):
    their_social_care = AgencyFactory(council=other_council, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
    stranger = UserFactory(agency=their_social_care, roles=[Role.SOCIAL_WORKER])
    assert signed_in(stranger).get(f"/step-downs/new/?caf={social_work_led.pk}").status_code == 404
    assert signed_in(stranger).post(f"/step-downs/new/?caf={social_work_led.pk}", form_data()).status_code == 404
    assert not StepDown.objects.exists()


# Declining ----------------------------------------------------------------------------------------


def test_the_family_declines_early_help(waiting, caf_admin, signed_in):
    admin = signed_in(caf_admin)
    assert "Why did the family decline early help?" in text(admin.get(f"/step-downs/{waiting.pk}/decline/"))

    response = admin.post(
        f"/step-downs/{waiting.pk}/decline/", {"reason": "Kelly says they manage with family help."}, follow=True
    )

    assert response.redirect_chain == [(f"/step-downs/{waiting.pk}/", 302)]
    page = text(response)
    assert "Declined by the family" in page and "Kelly says they manage with family help." in page
    waiting.refresh_from_db()
    assert waiting.status == StepDown.Status.DECLINED and waiting.declined_by == caf_admin
    assert waiting.decline_reason == "Kelly says they manage with family help."
    # Nothing left to pick up or decline.
    assert "there is nothing to pick up" in text(admin.get(f"/step-downs/{waiting.pk}/pick-up/"))
    assert admin.post(f"/step-downs/{waiting.pk}/pick-up/", {"lead": ""}).status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == StepDown.Status.DECLINED and waiting.picked_up_caf is None


def test_a_decline_needs_a_reason(waiting, caf_admin, signed_in):
    response = signed_in(caf_admin).post(f"/step-downs/{waiting.pk}/decline/", {"reason": "  "})

    assert response.status_code == 200
    assert "govuk-error-summary" in text(response)
    assert "Enter why the family declined early help" in text(response)
    waiting.refresh_from_db()
    assert waiting.status == StepDown.Status.WAITING and waiting.declined_at is None


# Who may see and act ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_council_caf_admin", "school_practitioner"])
def test_others_do_not_see_the_step_down(request, who, waiting, signed_in):
    user = request.getfixturevalue(who)
    client = signed_in(user)

    assert client.get(f"/step-downs/{waiting.pk}/").status_code == 404
    assert client.get(f"/step-downs/{waiting.pk}/pick-up/").status_code == 404
    assert client.post(f"/step-downs/{waiting.pk}/pick-up/", {"lead": ""}).status_code == 404
    assert client.post(f"/step-downs/{waiting.pk}/decline/", {"reason": "No"}).status_code == 404
    queue = client.get("/step-downs/")
    assert queue.status_code == 404 or "Jayden" not in text(queue)  # their own council's queue, if any
    assert AccessLog.objects.filter(user=user, action="refused", what="Refused: Viewed a step-down").exists()
    waiting.refresh_from_db()
    assert waiting.status == StepDown.Status.WAITING


def test_a_social_care_manager_sees_the_step_down_but_does_not_pick_it_up(
    waiting, child, social_care_manager, council_model, signed_in
):
    manager = signed_in(social_care_manager)
    page = manager.get(f"/step-downs/{waiting.pk}/")
    assert page.status_code == 200
    assert "Jayden Smith" in text(page)
    assert f"/step-downs/{waiting.pk}/pick-up/" not in text(page)

    level = council_model.levels.get(code="2")
    assert manager.get(f"/step-downs/{waiting.pk}/pick-up/").status_code == 403
    assert manager.post(f"/step-downs/{waiting.pk}/pick-up/", {f"level_{child.pk}": level.pk}).status_code == 403
    assert manager.post(f"/step-downs/{waiting.pk}/decline/", {"reason": "No"}).status_code == 403
    assert manager.get("/step-downs/").status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == StepDown.Status.WAITING
    assert not Caf.objects.exists()


# The queue ----------------------------------------------------------------------------------------


def test_the_queue_says_when_nothing_is_waiting(caf_admin, signed_in):
    page = text(signed_in(caf_admin).get("/step-downs/"))
    assert "No step-downs are waiting to be picked up." in page
    assert "No picked-up family is waiting for a lead professional." in page
    assert 'href="/step-downs/figures/"' in page


@pytest.mark.parametrize("size", [2, 8])
def test_the_queue_runs_a_fixed_number_of_queries_whatever_its_length(
    size,
    school_practitioner,
    health_visitor,
    health_visiting,
    social_care_manager,
    caf_admin,
    council_model,
    signed_in,
    django_assert_max_num_queries,
):
    level = council_model.levels.get(code="2")
    for number in range(size):
        child = child_of(school_practitioner, f"Child{number}")
        step_down = front_door_step_down(social_care_manager, referral_sent(health_visitor, [child]), health_visiting)
        if number % 2:
            rs.step_down_pick_up(user=caf_admin, step_down=step_down, levels={child.pk: level})
    admin = signed_in(caf_admin)

    # Session, user, roles, agency; each table's step-downs and their children; the queue's access-log
    # row (Settled question 17); the council (footer), the unread count; the session's save.
    with django_assert_max_num_queries(14):
        response = admin.get("/step-downs/")

    page = text(response)
    waiting_rows = page.split('id="waiting"')[1].split("</table>")[0].count('<tr class="govuk-table__row">') - 1
    lead_rows = page.split('id="waiting-for-lead"')[1].split("</table>")[0].count('<tr class="govuk-table__row">') - 1
    assert (waiting_rows, lead_rows) == (size // 2, size // 2)
    assert "Child0 Smith" in page and "At the front door" in page and social_care_manager.full_name in page
    assert "On time" in page and "working days left" in page
    assert StepDown.objects.filter(status="waiting").count() == size // 2


# The figures --------------------------------------------------------------------------------------


def figure_rows(response):
    rows = re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>(.*?)</tr>', text(response))
    return [(month, [int(cell) for cell in re.findall(r">(\d+)</td>", cells)]) for month, cells in rows]


def test_the_figures_count_each_month_by_point(
    school_practitioner,
    health_visitor,
    health_visiting,
    social_care_manager,
    social_worker,
    caf_admin,
    council_model,
    signed_in,
):
    level = council_model.levels.get(code="2")
    with time_machine.travel("2026-09-15 10:00 +01:00", tick=False):
        declined = front_door_step_down(
            social_care_manager, referral_sent(health_visitor, [child_of(school_practitioner, "Ava")]), health_visiting
        )
    with time_machine.travel("2026-11-10 10:00 +00:00", tick=False):
        mia = child_of(school_practitioner, "Mia")
        picked = front_door_step_down(social_care_manager, referral_sent(health_visitor, [mia]), health_visiting)
        referral = taken_on(
            social_care_manager, social_worker, referral_sent(health_visitor, [child_of(school_practitioner, "Leo")])
        )
        rs.step_down_send(
            user=social_worker, point="after_assessment", referral=referral, reason="Not met.", **transfer()
        )
    with time_machine.travel("2026-11-25 10:00 +00:00", tick=False):
        rs.step_down_decline(user=caf_admin, step_down=declined, reason="They moved in with grandparents.")
        rs.step_down_pick_up(user=caf_admin, step_down=picked, levels={mia.pk: level})

        response = signed_in(social_care_manager).get("/step-downs/figures/")
        administrator = signed_in(caf_admin).get("/step-downs/figures/")

    assert response.status_code == 200 and administrator.status_code == 200
    page = text(response)
    for heading in ("1. Front door", "2. After assessment", "3. Child in Need closure", "Kent"):
        assert heading in page
    rows = figure_rows(response)
    # Front door, after assessment, Child in Need closure, total, picked up, declined, still waiting.
    assert rows[0] == ("November 2026", [1, 1, 0, 2, 1, 0, 1])
    assert rows[1] == ("October 2026", [0, 0, 0, 0, 0, 0, 0])
    assert rows[2] == ("September 2026", [1, 0, 0, 1, 0, 1, 0])
    assert len(rows) == 12
    assert StepDown.objects.count() == 3


@pytest.mark.parametrize("who", ["school_practitioner", "social_worker", "other_council_user"])
def test_the_figures_are_for_caf_administrators_and_social_care_managers(request, who, signed_in):
    assert signed_in(request.getfixturevalue(who)).get("/step-downs/figures/").status_code == 404


def test_the_social_work_led_caf_offers_social_care_the_step_down(social_work_led, social_worker, signed_in):
    page = text(signed_in(social_worker).get(f"/cafs/{social_work_led.pk}/"))
    assert f'href="/step-downs/new/?caf={social_work_led.pk}"' in page
    assert "(social-work led)" in page
