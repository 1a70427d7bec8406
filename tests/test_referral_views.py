"""The step-up pages: starting a referral, phoning the front door first when a child is at
immediate risk, sending with or without consent, the re-referral warning, the front-door queue,
claiming and the four decisions, and who may do what."""

import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages

from accounts.models import AgencyType, Notification, Role
from caf import permissions as perms
from caf import services as caf_services
from caf.models import AccessLog, SharingBasis
from referrals import services
from referrals.models import Referral, StepDown
from tests.factories import AgencyFactory, UserFactory

LONDON = ZoneInfo("Europe/London")


# Helpers ------------------------------------------------------------------------------------------


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _checked(page: str, name: str) -> list[str]:
    """The values of the ticked checkboxes or the chosen radio called `name`."""
    inputs = re.findall(r"<input[^>]*>", page)
    return [re.search(r'value="([^"]*)"', each)[1] for each in inputs if f'name="{name}"' in each and "checked" in each]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _sent(user, children, *, caf=None, concern="Bruising on his arm", immediate=False):
    referral = services.referral_start(user=user, children=children, caf=caf, immediate_risk=immediate)
    if immediate:
        services.front_door_call_record(
            user=user, referral=referral, called_at=referral.created_at, spoke_to="Jo Brown, duty social worker"
        )
    return services.referral_send(
        user=user, referral=referral, concern=concern, consent="not_sought", override_reason="Risk of harm"
    )


def _send(client, referral, answers):
    """Write the referral on its form, then send it from the check-your-answers page (followed)."""
    written = client.post(f"/referrals/{referral.pk}/", answers)
    assert written.status_code == 302 and written.url == f"/referrals/{referral.pk}/check/", _page(written)
    return client.post(f"/referrals/{referral.pk}/check/", follow=True)


def _decide_nfa(manager, referral):
    return services.referral_decide(
        user=manager,
        referral=referral,
        decision=Referral.Decision.NO_FURTHER_ACTION,
        reasons="Threshold not met",
        advice="Offer a CAF",
    )


CONSENT_GIVEN = {
    "concern": "Jayden says he is hungry every morning.",
    "tried": "Breakfast club since September.",
    "views_of_child": "He wants to stay at home.",
    "views_of_family": "Mum says she is struggling.",
    "family_informed": "yes",
    "consent": "given",
    "consent_given_by": "Kelly Smith",
    "consent_relationship": "mother",
    "consent_given_on_0": "20",
    "consent_given_on_1": "11",
    "consent_given_on_2": "2026",
}


@pytest.fixture
def front_door(social_care_manager, social_care):
    """The council's children's social care with its front-door manager (sending needs the agency)."""
    return social_care_manager


@pytest.fixture
def other_council_manager(other_council):
    agency = AgencyFactory(
        council=other_council, name="Southmoor Children's Services", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE
    )
    return UserFactory(full_name="Sue Southmoor", agency=agency, roles=[Role.SOCIAL_CARE_MANAGER])


# Starting and sending -----------------------------------------------------------------------------


def test_a_practitioner_refers_from_a_caf_with_consent(active, child, school_practitioner, front_door, signed_in):
    client = signed_in(school_practitioner)
    start = client.get(f"/referrals/start/?caf={active.pk}")
    assert start.status_code == 200
    assert "Is a child at immediate risk of significant harm now?" in _page(start)
    assert 'name="children"' not in _page(start)  # one child: nothing to choose

    response = client.post(f"/referrals/start/?caf={active.pk}", {"immediate_risk": "no"})

    referral = Referral.objects.get()
    assert response.status_code == 302 and response.url == f"/referrals/{referral.pk}/"
    assert (referral.caf, list(referral.children.all()), referral.urgency) == (active, [child], "standard")
    assert referral.status == Referral.Status.DRAFT

    form = client.get(f"/referrals/{referral.pk}/")
    assert "Has the family agreed to the referral?" in _page(form)
    assert "No: seeking consent would increase the risk of significant harm" in _page(form)

    sent = _send(client, referral, CONSENT_GIVEN)

    assert "The referral has been sent to children's social care." in _page(sent)
    assert "Awaiting a decision" in _page(sent)
    assert "With consent: given by Kelly Smith (mother) on 20 November 2026" in _page(sent)
    assert "Sent to children's social care (with consent)" in _page(sent)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.basis == SharingBasis.CONSENT
    assert (referral.consent_given_by, referral.consent_relationship) == ("Kelly Smith", "mother")
    assert referral.consent_given_on == date(2026, 11, 20)
    assert (referral.tried, referral.family_informed) == ("Breakfast club since September.", True)
    assert perms.has_caf_permission(front_door, perms.VIEW, active)


def test_a_family_caf_refers_the_children_ticked(school_practitioner, child, council_model, front_door, signed_in):
    sister = caf_services.child_create(
        user=school_practitioner, first_name="Mia", last_name="Smith", date_of_birth=date(2019, 1, 2)
    )
    caf = caf_services.caf_start(user=school_practitioner, children=[child, sister])
    client = signed_in(school_practitioner)

    page = _page(client.get(f"/referrals/start/?caf={caf.pk}"))
    assert "Which children are you referring?" in page
    assert _checked(page, "children") == [str(child.pk), str(sister.pk)]  # all ticked to start with

    response = client.post(f"/referrals/start/?caf={caf.pk}", {"children": [sister.pk], "immediate_risk": "no"})

    assert response.status_code == 302
    assert list(Referral.objects.get().children.all()) == [sister]


def test_refused_consent_stays_a_draft_with_the_reason(child, school_practitioner, front_door, signed_in):
    client = signed_in(school_practitioner)
    client.post(f"/referrals/start/?child={child.pk}", {"immediate_risk": "no"})
    referral = Referral.objects.get()
    assert referral.caf is None

    response = client.post(f"/referrals/{referral.pk}/", {"concern": "Neglect", "consent": "refused"})

    assert response.status_code == 200
    assert "Without the family's consent, a referral goes only when" in _page(response)
    assert "govuk-error-summary" in _page(response)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT and referral.basis == ""


def test_bad_input_on_the_send_form_writes_nothing(child, school_practitioner, front_door, signed_in):
    referral = services.referral_start(user=school_practitioner, children=[child])
    client = signed_in(school_practitioner)

    no_concern = client.post(f"/referrals/{referral.pk}/", {"consent": "given"})
    no_answer = client.post(f"/referrals/{referral.pk}/", {"concern": "Neglect"})
    no_reason = client.post(f"/referrals/{referral.pk}/", {"concern": "Neglect", "consent": "not_sought"})
    future = client.post(
        f"/referrals/{referral.pk}/",
        {**CONSENT_GIVEN, "consent_given_on_0": "1", "consent_given_on_1": "1", "consent_given_on_2": "2099"},
    )

    assert "Describe the concern" in _page(no_concern)
    assert "Say whether the family agrees to the referral" in _page(no_answer)
    assert "Say why seeking consent would increase the risk of significant harm" in _page(no_reason)
    assert "must be today or in the past" in _page(future)
    assert {no_concern.status_code, no_answer.status_code, no_reason.status_code, future.status_code} == {200}
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT


def test_without_consent_the_referral_goes_with_the_reason(child, school_practitioner, front_door, signed_in):
    referral = services.referral_start(user=school_practitioner, children=[child])

    response = _send(
        signed_in(school_practitioner),
        referral,
        {"concern": "Disclosure", "consent": "not_sought", "override_reason": "Mum's partner is the risk"},
    )

    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE
    assert referral.override_reason == "Mum's partner is the risk"
    page = _page(signed_in(school_practitioner).get(f"/referrals/{referral.pk}/"))
    assert "Without consent: seeking it would increase the risk<br>Mum's partner is the risk" in page
    assert "Sent to children's social care (without consent: seeking it would increase the risk)" in page


def test_an_override_referral_starts_with_not_sought_and_sends_with_the_concern_alone(
    draft, school_practitioner, front_door, signed_in
):
    referral = caf_services.safeguarding_override_record(
        user=school_practitioner, caf=draft, reason="Disclosure of abuse by the mother's partner"
    )
    client = signed_in(school_practitioner)

    page = _page(client.get(f"/referrals/{referral.pk}/"))
    assert _checked(page, "consent") == ["not_sought"]
    assert "Disclosure of abuse by the mother's partner</textarea>" in page

    response = _send(client, referral, {"concern": "He has a bruise on his face"})

    assert "The referral has been sent to children's social care." in _page(response)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.override_reason == "Disclosure of abuse by the mother's partner"


# Immediate risk -----------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=LONDON), tick=False)
def test_immediate_risk_phones_first_then_sends(child, school_practitioner, front_door, signed_in):
    client = signed_in(school_practitioner)

    response = client.post(f"/referrals/start/?child={child.pk}", {"immediate_risk": "yes"})

    referral = Referral.objects.get()
    assert response.status_code == 302 and response.url == f"/referrals/{referral.pk}/call/"
    assert referral.urgency == Referral.Urgency.IMMEDIATE
    call_page = _page(client.get(response.url))
    assert "Phone Northbridge Borough Council's front door now on" in call_page
    assert "01632 960 000" in call_page
    assert "Do not wait to finish this form" in call_page
    assert 'value="10:00"' in call_page  # now, in the council's time zone

    refused = client.post(f"/referrals/{referral.pk}/", {**CONSENT_GIVEN})
    assert refused.status_code == 200
    assert "phone the front door now, then record the call" in _page(refused)
    assert f"/referrals/{referral.pk}/call/" in _page(refused)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT

    recorded = client.post(
        f"/referrals/{referral.pk}/call/",
        {"called_at": "09:55", "spoke_to": "Jo Brown, duty social worker", "advice": "Keep him at school"},
    )

    assert recorded.status_code == 302 and recorded.url == f"/referrals/{referral.pk}/"
    referral.refresh_from_db()
    assert referral.front_door_called_at == datetime(2026, 12, 3, 9, 55, tzinfo=LONDON)
    assert (referral.front_door_spoke_to, referral.front_door_advice) == (
        "Jo Brown, duty social worker",
        "Keep him at school",
    )

    sent = _send(client, referral, CONSENT_GIVEN)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert "Jo Brown, duty social worker" in _page(sent)
    assert Notification.objects.filter(recipient=front_door, kind=Notification.Kind.REFERRAL_IMMEDIATE).exists()
    # Sent: the call page now leads back to the referral.
    assert client.get(f"/referrals/{referral.pk}/call/").url == f"/referrals/{referral.pk}/"


@time_machine.travel(datetime(2026, 12, 5, 22, 0, tzinfo=LONDON), tick=False)  # a Saturday night
def test_the_call_page_gives_the_emergency_duty_team_out_of_hours(child, school_practitioner, front_door, signed_in):
    council = school_practitioner.agency.council
    council.out_of_hours_phone = "01632 960 999"
    council.save()
    referral = services.referral_start(user=school_practitioner, children=[child], immediate_risk=True)

    page = _page(signed_in(school_practitioner).get(f"/referrals/{referral.pk}/call/"))

    assert "The front door is closed now." in page
    assert "Outside 09:00 to 17:00 on weekdays, at weekends and on bank holidays" in page
    assert "01632 960 999" in page


def test_the_call_page_without_a_number_and_with_bad_input(child, school_practitioner, front_door, signed_in):
    council = school_practitioner.agency.council
    council.front_door_phone = ""
    council.save()
    referral = services.referral_start(user=school_practitioner, children=[child], immediate_risk=True)
    client = signed_in(school_practitioner)

    page = _page(client.get(f"/referrals/{referral.pk}/call/"))
    bad_time = client.post(f"/referrals/{referral.pk}/call/", {"called_at": "25:70", "spoke_to": "Jo"})
    nobody = client.post(f"/referrals/{referral.pk}/call/", {"called_at": "09:00", "spoke_to": ""})

    assert "children's social care front door now" in page
    assert "Its number is not recorded" in page
    assert "Enter the time you called as hours and minutes" in _page(bad_time)
    assert "Enter who you spoke to at the front door" in _page(nobody)
    referral.refresh_from_db()
    assert referral.front_door_called_at is None


def test_only_the_referrer_records_the_call(active, child, school_practitioner, front_door, social_worker, signed_in):
    referral = services.referral_start(user=school_practitioner, children=[child], caf=active, immediate_risk=True)
    assert signed_in(front_door).get(f"/referrals/{referral.pk}/call/").status_code == 404
    assert (
        signed_in(social_worker)
        .post(f"/referrals/{referral.pk}/call/", {"called_at": "09:00", "spoke_to": "Jo"})
        .status_code
        == 404
    )
    referral.refresh_from_db()
    assert referral.front_door_called_at is None


# Re-referrals -------------------------------------------------------------------------------------


def test_the_rereferral_warning_shows_within_12_months_and_not_beyond(
    child, school_practitioner, health_visitor, front_door, signed_in
):
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=LONDON), tick=False):
        _decide_nfa(front_door, _sent(health_visitor, [child]))
    # The earlier referral's referrer refers again: they may see their own earlier referral.
    with time_machine.travel(datetime(2027, 6, 1, 10, 0, tzinfo=LONDON), tick=False):
        referral = services.referral_start(user=health_visitor, children=[child])
        within = _page(signed_in(health_visitor).get(f"/referrals/{referral.pk}/"))
    with time_machine.travel(datetime(2027, 12, 2, 10, 0, tzinfo=LONDON), tick=False):
        beyond = _page(signed_in(health_visitor).get(f"/referrals/{referral.pk}/"))

    assert "This is a re-referral" in within
    assert "Referred on 1 December 2026 by Health Visiting North: No further action, with advice to the referrer" in (
        within
    )
    assert "This is a re-referral" not in beyond
    assert Referral.objects.filter(status=Referral.Status.DRAFT).count() == 1
    # Another agency's practitioner learns only that the front door will see the history (issue 11).
    with time_machine.travel(datetime(2027, 6, 1, 10, 0, tzinfo=LONDON), tick=False):
        other = services.referral_start(user=school_practitioner, children=[child])
        theirs = _page(signed_in(school_practitioner).get(f"/referrals/{other.pk}/"))
    assert "This is a re-referral" not in theirs and "Health Visiting North" not in theirs
    assert "Children's social care will see this child's earlier referrals." in theirs


# The front-door queue -----------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=LONDON), tick=False)
def test_the_queue_shows_the_rereferral_and_the_clock(child, school_practitioner, front_door, signed_in):
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=LONDON), tick=False):
        _decide_nfa(front_door, _sent(school_practitioner, [child]))
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=LONDON), tick=False):
        referral = _sent(school_practitioner, [child], concern="Again")

    page = _page(signed_in(front_door).get("/referrals/"))

    assert f"/referrals/{referral.pk}/" in page
    assert "Jayden Smith" in page and "Priya Shah" in page and "Oakfield Primary School" in page
    assert "Re-referral" in page
    assert "Referred before on 2 November 2026: No further action, with advice to the referrer" in page
    assert "On time" in page
    assert "Decision due by 09:00 on Friday 4 December: 7 hours of working time left" in page
    assert "1\xa0hour ago" in page
    referral_page = _page(signed_in(front_door).get(f"/referrals/{referral.pk}/"))
    assert "This is a re-referral" in referral_page
    assert "Referred on 2 November 2026 by Oakfield Primary School: No further action" in referral_page
    assert Referral.objects.filter(status=Referral.Status.SENT).count() == 1


@time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=LONDON), tick=False)
def test_filters_narrow_the_queue(school_practitioner, health_visitor, front_door, locality, signed_in):
    pupil = caf_services.child_create(
        user=school_practitioner, first_name="Ava", last_name="Pupil", date_of_birth=date(2015, 1, 1)
    )
    baby = caf_services.child_create(
        user=health_visitor, first_name="Ben", last_name="Baby", date_of_birth=date(2026, 6, 1)
    )
    _sent(school_practitioner, [pupil])
    _sent(health_visitor, [baby], immediate=True)
    client = signed_in(front_door)

    everything = _page(client.get("/referrals/"))
    schools = _page(client.get("/referrals/", {"agency_type": AgencyType.SCHOOL}))
    north = _page(client.get("/referrals/", {"locality": locality.pk}))
    immediate = _page(client.get("/referrals/", {"urgency": "immediate"}))
    none = _page(client.get("/referrals/", {"urgency": "immediate", "agency_type": AgencyType.POLICE}))

    assert "Ava Pupil" in everything and "Ben Baby" in everything
    assert everything.index("Ben Baby") < everything.index("Ava Pupil")  # immediate risk first
    assert "Ava Pupil" in schools and "Ben Baby" not in schools
    assert "Ava Pupil" in north and "Ben Baby" not in north
    assert "Ben Baby" in immediate and "Ava Pupil" not in immediate and "Immediate risk" in immediate
    assert "No referral awaiting a decision matches these filters." in none
    wrong = client.get("/referrals/", {"locality": 999999})
    assert wrong.status_code == 200 and "Choose a locality from the list" in _page(wrong)
    assert Referral.objects.filter(status=Referral.Status.SENT).count() == 2


@pytest.mark.parametrize("rows", [2, 8])
def test_the_queue_runs_a_fixed_number_of_queries(
    rows, school_practitioner, front_door, signed_in, django_assert_max_num_queries
):
    for number in range(rows):
        pupil = caf_services.child_create(
            user=school_practitioner, first_name=f"Pupil{number}", last_name="Smith", date_of_birth=date(2015, 1, 1)
        )
        _sent(school_practitioner, [pupil], immediate=number % 2 == 0)
    client = signed_in(front_door)

    # 14: the queue's access-log row with the children shown (Settled 17), and the page's capped
    # count (core.paging) beside its rows.
    with django_assert_max_num_queries(14):
        response = client.get("/referrals/")

    assert _page(response).count("Pupil") == rows
    assert Referral.objects.filter(status=Referral.Status.SENT).count() == rows


@pytest.mark.parametrize("who", ["school_practitioner", "social_worker", "caf_admin", "other_council_user"])
def test_only_front_door_managers_see_the_queue(request, who, child, school_practitioner, front_door, signed_in):
    _sent(school_practitioner, [child])
    user = request.getfixturevalue(who)

    assert signed_in(user).get("/referrals/").status_code == 404


def test_the_other_councils_front_door_sees_an_empty_queue_of_its_own(
    child, school_practitioner, front_door, other_council_manager, signed_in
):
    referral = _sent(school_practitioner, [child])
    client = signed_in(other_council_manager)

    queue = client.get("/referrals/")
    assert queue.status_code == 200
    assert "There are no referrals awaiting a decision." in _page(queue) and "Jayden" not in _page(queue)
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert client.post(f"/referrals/{referral.pk}/claim/").status_code == 404
    assert client.get(f"/referrals/{referral.pk}/decide/").status_code == 404
    referral.refresh_from_db()
    assert referral.claimed_by is None


# Claiming -----------------------------------------------------------------------------------------


def test_a_front_door_manager_claims_a_referral(child, school_practitioner, front_door, signed_in):
    referral = _sent(school_practitioner, [child])
    client = signed_in(front_door)
    assert "Claim this referral" in _page(client.get(f"/referrals/{referral.pk}/"))
    assert client.get(f"/referrals/{referral.pk}/claim/").status_code == 405

    claimed = client.post(f"/referrals/{referral.pk}/claim/", follow=True)

    assert "You have claimed this referral" in _page(claimed)
    assert "Claim this referral" not in _page(claimed)
    assert "Sarah Mitchell" in _page(claimed)
    referral.refresh_from_db()
    assert referral.claimed_by == front_door

    again = client.post(f"/referrals/{referral.pk}/claim/")

    assert again.status_code == 302
    assert _messages(again) == ["You have already claimed this referral."]
    assert referral.timeline.filter(what__startswith="Claimed").count() == 1


def test_the_referrer_cannot_claim(child, school_practitioner, front_door, signed_in):
    referral = _sent(school_practitioner, [child])
    client = signed_in(school_practitioner)

    assert "Claim this referral" not in _page(client.get(f"/referrals/{referral.pk}/"))
    assert client.post(f"/referrals/{referral.pk}/claim/").status_code == 403
    referral.refresh_from_db()
    assert referral.claimed_by is None


def test_a_decided_referral_cannot_be_claimed(child, school_practitioner, front_door, signed_in):
    referral = _decide_nfa(front_door, _sent(school_practitioner, [child]))

    response = signed_in(front_door).post(f"/referrals/{referral.pk}/claim/")

    assert response.status_code == 302
    assert _messages(response) == ["Only a referral awaiting a decision can be claimed."]


# Decisions ----------------------------------------------------------------------------------------


DECISION = {"reasons": "The threshold for social care is not met."}


def test_no_further_action_needs_advice_and_the_referrer_sees_it(child, school_practitioner, front_door, signed_in):
    referral = _sent(school_practitioner, [child])
    client = signed_in(front_door)
    form = client.get(f"/referrals/{referral.pk}/decide/")
    # Each decision reveals what it needs: the advice under no further action (GOV.UK conditional reveal).
    advice_block = re.search(r'value="no_further_action"[^>]*data-aria-controls="([^"]+)"', _page(form))[1]
    assert re.search(
        rf'<div class="govuk-radios__conditional[^"]*" id="{advice_block}">\s*<div[^>]*>\s*<label[^>]*for="id_advice"',
        _page(form),
    )

    missing = client.post(
        f"/referrals/{referral.pk}/decide/", {**DECISION, "decision": Referral.Decision.NO_FURTHER_ACTION}
    )

    assert missing.status_code == 200
    assert "Give your advice to the referrer" in _page(missing)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT

    decided = client.post(
        f"/referrals/{referral.pk}/decide/",
        {**DECISION, "decision": Referral.Decision.NO_FURTHER_ACTION, "advice": "Start a CAF with the family."},
        follow=True,
    )

    assert "Decision recorded for Jayden Smith: No further action" in _page(decided)
    referral.refresh_from_db()
    assert (referral.status, referral.decided_by, referral.advice) == (
        Referral.Status.DECIDED,
        front_door,
        "Start a CAF with the family.",
    )
    referrer_page = _page(signed_in(school_practitioner).get(f"/referrals/{referral.pk}/"))
    assert "No further action, with advice to the referrer" in referrer_page
    assert "Start a CAF with the family." in referrer_page
    assert "The threshold for social care is not met." in referrer_page
    assert "Decided: No further action" in referrer_page  # the timeline


def test_section_17_makes_the_social_worker_the_cafs_lead_professional(
    active, child, school_practitioner, front_door, social_worker, signed_in
):
    referral = services.referral_start(user=school_practitioner, children=[child], caf=active)
    services.referral_send(
        user=school_practitioner, referral=referral, concern="Neglect", consent="not_sought", override_reason="Risk"
    )
    client = signed_in(front_door)

    no_worker = client.post(f"/referrals/{referral.pk}/decide/", {**DECISION, "decision": "child_in_need"})
    assert "Choose the social worker allocated to the family" in _page(no_worker)

    decided = client.post(
        f"/referrals/{referral.pk}/decide/",
        {**DECISION, "decision": "child_in_need", "social_worker_child_in_need": social_worker.pk},
        follow=True,
    )

    assert "Sam Whitfield is now the lead professional" in _page(decided)
    lead = active.lead_professionals.get(ended_at__isnull=True)
    assert (lead.user, lead.social_work_led) == (social_worker, True)
    referral.refresh_from_db()
    assert referral.allocated_social_worker == social_worker
    # Social care steps down after its work, from the referral.
    worker_page = _page(signed_in(social_worker).get(f"/referrals/{referral.pk}/"))
    assert f"/step-downs/new/?referral={referral.pk}" in worker_page
    assert f"/children/{child.pk}/" in worker_page  # the chronology


def test_section_47_needs_a_social_worker_of_the_council(
    child, school_practitioner, front_door, other_council_manager, signed_in
):
    referral = _sent(school_practitioner, [child])

    response = signed_in(front_door).post(
        f"/referrals/{referral.pk}/decide/",
        {**DECISION, "decision": "child_protection", "social_worker_child_protection": other_council_manager.pk},
    )

    assert response.status_code == 200
    assert "Choose a social worker from the list" in _page(response)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


def test_stepping_down_at_the_front_door(
    active, child, school_practitioner, front_door, early_help_hub, caf_admin, signed_in
):
    referral = services.referral_start(user=school_practitioner, children=[child], caf=active)
    services.referral_send(
        user=school_practitioner, referral=referral, concern="Neglect", consent="not_sought", override_reason="Risk"
    )
    client = signed_in(front_door)

    incomplete = client.post(f"/referrals/{referral.pk}/decide/", {**DECISION, "decision": "step_down"})

    assert incomplete.status_code == 200
    assert "Enter the needs still open" in _page(incomplete)
    assert "Choose how the family agreed to early help" in _page(incomplete)
    assert not StepDown.objects.exists()

    decided = client.post(
        f"/referrals/{referral.pk}/decide/",
        {
            **DECISION,
            "decision": "step_down",
            "open_needs": "School attendance",
            "social_worker_summary": "Mum engages well",
            "consent_given_by": "Kelly Smith",
            "consent_relationship": "mother",
            "consent_given_on_0": "20",
            "consent_given_on_1": "11",
            "consent_given_on_2": "2026",
            "consent_method": "verbal",
            "consent_agencies": [early_help_hub.pk],
        },
        follow=True,
    )

    step_down = StepDown.objects.get()
    assert (step_down.point, step_down.referral, step_down.caf) == (StepDown.Point.FRONT_DOOR, referral, active)
    assert list(step_down.consent_agencies.all()) == [early_help_hub]
    assert "Early help has been asked to pick the family up" in _page(decided)
    assert f"/step-downs/{step_down.pk}/" in _page(decided)
    referral.refresh_from_db()
    assert referral.decision == Referral.Decision.STEP_DOWN


def test_the_fields_of_a_decision_not_chosen_are_ignored(
    active, child, school_practitioner, front_door, social_worker, early_help_hub, signed_in
):
    referral = services.referral_start(user=school_practitioner, children=[child], caf=active)
    services.referral_send(
        user=school_practitioner, referral=referral, concern="Neglect", consent="not_sought", override_reason="Risk"
    )
    others = {
        "advice": "Typed under no further action, then the decision changed",
        "social_worker_child_protection": "not a number",  # ignored with the rest of section 47
        "open_needs": "School attendance",
        "consent_given_on_2": "99999",
        "consent_agencies": [early_help_hub.pk],
    }

    response = signed_in(front_door).post(
        f"/referrals/{referral.pk}/decide/",
        {**DECISION, **others, "decision": "child_in_need", "social_worker_child_in_need": social_worker.pk},
    )

    assert response.status_code == 302, _page(response)
    referral.refresh_from_db()
    assert (referral.decision, referral.allocated_social_worker, referral.advice) == (
        "child_in_need",
        social_worker,
        "",
    )
    assert not StepDown.objects.exists()


def test_a_social_worker_chosen_under_another_decision_is_not_allocated(
    child, school_practitioner, front_door, social_worker, signed_in
):
    referral = _sent(school_practitioner, [child])

    response = signed_in(front_door).post(
        f"/referrals/{referral.pk}/decide/",
        {
            **DECISION,
            "decision": "no_further_action",
            "advice": "Start a CAF",
            "social_worker_child_in_need": social_worker.pk,
        },
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.decision, referral.allocated_social_worker) == ("no_further_action", None)


def test_an_error_under_the_decision_chosen_shows_in_its_open_block(child, school_practitioner, front_door, signed_in):
    referral = _sent(school_practitioner, [child])

    page = _page(signed_in(front_door).post(f"/referrals/{referral.pk}/decide/", {**DECISION, "decision": "step_down"}))

    block = re.search(r'value="step_down"[^>]*data-aria-controls="([^"]+)"', page)[1]
    opened = page.index(f'<div class="govuk-radios__conditional" id="{block}">')  # drawn open: no --hidden
    assert page.index("Enter the needs still open", opened) > opened
    assert "govuk-error-summary" in page


@pytest.mark.parametrize("who", ["social_worker", "school_practitioner"])
def test_only_a_front_door_manager_decides(request, who, child, school_practitioner, front_door, signed_in):
    referral = _sent(school_practitioner, [child])
    client = signed_in(request.getfixturevalue(who))

    assert "Record the decision" not in _page(client.get(f"/referrals/{referral.pk}/"))
    assert client.get(f"/referrals/{referral.pk}/decide/").status_code == 403
    response = client.post(
        f"/referrals/{referral.pk}/decide/",
        {**DECISION, "decision": Referral.Decision.NO_FURTHER_ACTION, "advice": "None"},
    )

    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


def test_a_decided_referral_is_not_decided_again(child, school_practitioner, front_door, signed_in):
    referral = _decide_nfa(front_door, _sent(school_practitioner, [child]))

    response = signed_in(front_door).get(f"/referrals/{referral.pk}/decide/")

    assert response.status_code == 302 and response.url == f"/referrals/{referral.pk}/"
    assert _messages(response) == ["This referral is not awaiting a decision."]


# The referral page for social care, and who sees it -----------------------------------------------


def test_social_care_sees_the_clock_and_previous_referrals(
    active, child, school_practitioner, health_visitor, front_door, signed_in
):
    with time_machine.travel(datetime(2024, 3, 1, 10, 0, tzinfo=LONDON), tick=False):
        old = _decide_nfa(front_door, _sent(health_visitor, [child]))
    referral = _sent(school_practitioner, [child], caf=active)

    page = _page(signed_in(front_door).get(f"/referrals/{referral.pk}/"))
    referrer_page = _page(signed_in(school_practitioner).get(f"/referrals/{referral.pk}/"))

    assert "Decision due by" in page
    assert "Previous referrals of these children" in page
    assert f"/referrals/{old.pk}/" in page and "1 March 2024" in page
    assert f"/cafs/{active.pk}/" in page and f"/children/{child.pk}/" in page
    assert "This is a re-referral" not in page  # older than 12 months
    assert "Record the decision" in page
    assert "Decision due by" not in referrer_page and "Previous referrals" not in referrer_page
    assert Referral.objects.count() == 2


def test_a_taf_member_who_did_not_refer_sees_nothing(
    active, child, school_practitioner, health_visitor, caf_admin, front_door, signed_in
):
    caf_services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    draft = services.referral_start(user=school_practitioner, children=[child], caf=active)
    sent = _sent(school_practitioner, [child], caf=active)
    client = signed_in(health_visitor)

    assert client.get(f"/referrals/{draft.pk}/").status_code == 404
    assert client.get(f"/referrals/{sent.pk}/").status_code == 404
    assert (
        client.post(
            f"/referrals/{draft.pk}/", {"concern": "x", "consent": "not_sought", "override_reason": "y"}
        ).status_code
        == 404
    )
    draft.refresh_from_db()
    assert draft.status == Referral.Status.DRAFT


def test_a_referral_starts_only_from_what_the_user_may_see(active, child, other_council_user, front_door, signed_in):
    client = signed_in(other_council_user)

    assert client.get(f"/referrals/start/?caf={active.pk}").status_code == 404
    assert client.get(f"/referrals/start/?child={child.pk}").status_code == 404
    assert client.post(f"/referrals/start/?child={child.pk}", {"immediate_risk": "no"}).status_code == 404
    assert client.get("/referrals/start/").status_code == 404
    assert not Referral.objects.exists()


def test_the_start_page_needs_an_answer(child, school_practitioner, front_door, signed_in):
    response = signed_in(school_practitioner).post(f"/referrals/start/?child={child.pk}", {})

    assert response.status_code == 200
    assert "Say whether a child is at immediate risk of significant harm now" in _page(response)
    assert not Referral.objects.exists()


# Links from the CAF and the child's record --------------------------------------------------------


def test_the_caf_and_the_childs_record_link_to_a_referral(
    active, child, school_practitioner, front_door, social_worker, signed_in
):
    client = signed_in(school_practitioner)
    caf_page = _page(client.get(f"/cafs/{active.pk}/"))
    child_page = _page(client.get(f"/children/{child.pk}/"))

    assert f"/referrals/start/?caf={active.pk}" in caf_page
    assert f"/referrals/start/?child={child.pk}" in child_page
    _sent(school_practitioner, [child], caf=active)  # social care now sees the CAF
    assert perms.has_caf_permission(social_worker, perms.VIEW, active)
    assert "/referrals/start/" not in _page(signed_in(social_worker).get(f"/cafs/{active.pk}/"))


def test_social_care_opens_the_record_of_a_child_referred_without_a_caf(
    child, school_practitioner, health_visitor, front_door, social_worker, signed_in
):
    assert signed_in(front_door).get(f"/children/{child.pk}/").status_code == 404  # not referred yet
    _sent(school_practitioner, [child])

    for who in (front_door, social_worker):
        response = signed_in(who).get(f"/children/{child.pk}/")
        assert response.status_code == 200
        assert "Jayden Smith" in _page(response)
    assert signed_in(health_visitor).get(f"/children/{child.pk}/").status_code == 404
    assert AccessLog.objects.filter(user=front_door, child=child, action="view").exists()


def test_reading_a_referral_without_a_caf_is_in_the_childs_access_log(
    child, school_practitioner, front_door, other_council_manager, signed_in
):
    referral = _sent(school_practitioner, [child])
    assert signed_in(front_door).get(f"/referrals/{referral.pk}/").status_code == 200
    assert signed_in(other_council_manager).get(f"/referrals/{referral.pk}/").status_code == 404
    logged = AccessLog.objects.filter(child=child)
    assert logged.filter(user=front_door, action="view", what="Viewed a referral").exists()
    assert logged.filter(user=other_council_manager, action="refused").exists()
