"""DESIGN.md's "who sees what", row by row, through the pages: each person, each kind of page.

| who | sees | changes |
| initiating practitioner | their drafts and CAFs | assessment and plan while a TAF member |
| TAF member | the CAF, its children, plan | their own actions |
| lead professional | as a TAF member | the plan, the TAF, closure |
| CAF administrator | every CAF of the council | LP, registration, merges |
| social care manager | referrals sent to social care and the CAFs attached | (decisions: referrals issue) |
| anyone else, any other council | nothing: 404, and the attempt logged | nothing |
"""

from datetime import date

import pytest

from caf import services
from caf.models import AccessLog, PlanAction
from referrals.services import CONSENT_GIVEN, referral_send, referral_start


@pytest.fixture
def scene(active, school_practitioner, school_colleague, health_visitor, caf_admin, social_care_manager):
    """An active CAF started by the school; the health visitor in the TAF with an action of their own;
    a school colleague as lead professional; a referral sent to children's social care."""
    services.taf_member_add(user=caf_admin, caf=active, member=health_visitor, role="Health visitor")
    services.taf_member_add(user=caf_admin, caf=active, member=school_colleague, role="Class teacher")
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_colleague)
    own = services.plan_action_add(
        user=school_colleague,
        caf=active,
        need="Sleep",
        action="Bedtime routine",
        agency=health_visitor.agency,
        owner=health_visitor,
        due_on=date(2027, 1, 15),
    )
    # The lead professional refers with the CAF attached (caf.policies.may_refer_from).
    referral = referral_start(user=school_colleague, children=list(active.children.all()), caf=active)
    referral_send(
        user=school_colleague,
        referral=referral,
        concern="Worsening neglect",
        consent=CONSENT_GIVEN,
        consent_given_by="Kelly Smith",
        consent_relationship="mother",
        consent_given_on=date(2026, 11, 2),
    )
    return {"caf": active, "child": active.children.get(), "action": own}


ADD_ACTION = {
    "need": "Housing",
    "action": "Refer to the housing team",
    "agency": "{agency}",
    "due_on_0": "1",
    "due_on_1": "2",
    "due_on_2": "2027",
}

# (page, method): expected status for each person.
PEOPLE = ["initiator", "taf_member", "lead", "caf_admin", "social_care_manager", "other_agency", "other_council"]
MATRIX = {
    ("overview", "get"): [200, 200, 200, 200, 200, 404, 404],
    ("child", "get"): [200, 200, 200, 200, 200, 404, 404],
    ("plan", "get"): [200, 200, 200, 200, 200, 404, 404],
    ("plan", "post"): [403, 403, 302, 403, 403, 404, 404],
    ("own_action", "post"): [403, 302, 302, 403, 403, 404, 404],
    ("lead_professional", "get"): [403, 403, 403, 200, 403, 404, 404],
    ("register", "get"): [403, 403, 403, 200, 403, 404, 404],
    ("close", "get"): [403, 403, 200, 200, 403, 404, 404],
}
FIXTURE = {
    "initiator": "school_practitioner",
    "taf_member": "health_visitor",
    "lead": "school_colleague",
    "caf_admin": "caf_admin",
    "social_care_manager": "social_care_manager",
    "other_agency": "police_officer",
    "other_council": "other_council_user",
}


def url(page: str, scene: dict) -> str:
    caf = scene["caf"].pk
    return {
        "overview": f"/cafs/{caf}/",
        "child": f"/children/{scene['child'].pk}/",
        "plan": f"/cafs/{caf}/plan/",
        "own_action": f"/cafs/{caf}/plan/{scene['action'].pk}/",
        "lead_professional": f"/cafs/{caf}/lead-professional/",
        "register": f"/cafs/{caf}/register/",
        "close": f"/cafs/{caf}/close/",
    }[page]


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize(("page", "method"), MATRIX.keys())
def test_the_access_table(request, scene, signed_in, who, page, method):
    user = request.getfixturevalue(FIXTURE[who])
    client = signed_in(user)
    actions_before = PlanAction.objects.count()
    if method == "get":
        response = client.get(url(page, scene))
    elif page == "plan":
        data = {key: value.format(agency=scene["action"].agency_id) for key, value in ADD_ACTION.items()}
        response = client.post(url(page, scene), data)
    else:
        response = client.post(url(page, scene), {"status": "done", "outcome": "Routine in place"})

    expected = MATRIX[(page, method)][PEOPLE.index(who)]
    assert response.status_code == expected
    if expected == 404:
        assert AccessLog.objects.filter(user=user, action=AccessLog.Action.REFUSED).exists()
    elif expected == 200 and method == "get":
        assert AccessLog.objects.filter(user=user, action=AccessLog.Action.VIEW).exists()
    scene["action"].refresh_from_db()
    if page == "plan" and method == "post":
        assert PlanAction.objects.count() == actions_before + (1 if expected == 302 else 0)
    if page == "own_action":
        assert (scene["action"].status == PlanAction.Status.DONE) is (expected == 302)


def test_leaving_the_taf_ends_access_at_once(scene, caf_admin, health_visitor, signed_in):
    membership = scene["caf"].taf_members.get(user=health_visitor, left_at__isnull=True)
    client = signed_in(health_visitor)
    assert client.get(url("overview", scene)).status_code == 200
    services.taf_member_remove(user=caf_admin, membership=membership)
    assert client.get(url("overview", scene)).status_code == 404
    assert client.get(url("child", scene)).status_code == 404
