"""The active CAF's pages: team, lead professional, registration, plan, closure, reopening, print."""

from datetime import date

import pytest

from accounts.models import AgencyType, Role
from caf import permissions as perms
from caf import services
from caf.models import AccessLog, Caf, LeadProfessionalAssignment, PlanAction, TeamAroundFamilyMember
from core.errors import Refused
from tests.factories import AgencyFactory, UserFactory

# Helpers --------------------------------------------------------------------------------------------


@pytest.fixture
def child(school_practitioner):
    return services.child_create(
        user=school_practitioner, first_name="Jayden", last_name="Smith", date_of_birth=date(2016, 5, 4)
    )


@pytest.fixture
def led(active, caf_admin, school_practitioner):
    """The active CAF with the initiator logged as lead professional."""
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
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


# Team Around the Family ---------------------------------------------------------------------------


def test_the_lead_professional_adds_a_member_through_the_team_page(led, school_practitioner, health_visitor, signed_in):
    client = signed_in(school_practitioner)
    page = " ".join(client.get(f"/cafs/{led.pk}/team/", {"who": "okoro health"}).content.decode().split())
    assert "Hannah Okoro (Health Visiting North)" in page  # the choice names the agency

    response = client.post(f"/cafs/{led.pk}/team/", {"member": health_visitor.pk, "role": "Health visitor"})

    assert response.status_code == 302
    membership = led.taf_members.get(user=health_visitor)
    assert (membership.role, membership.agency, membership.added_by) == (
        "Health visitor",
        health_visitor.agency,
        school_practitioner,
    )
    assert perms.has_caf_permission(health_visitor, perms.VIEW, led)
    page = client.get(response.url).content.decode()
    assert "Hannah Okoro" in page and "Health visitor" in page


def test_an_agency_outside_the_consent_is_not_offered_and_is_refused(
    led, school_practitioner, police_officer, signed_in
):
    client = signed_in(school_practitioner)
    assert "Pat Officer" not in client.get(f"/cafs/{led.pk}/team/", {"who": "Pat"}).content.decode()  # issue 11
    response = client.post(f"/cafs/{led.pk}/team/", {"member": police_officer.pk})

    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    with pytest.raises(Refused, match="does not cover Neighbourhood Policing"):
        services.taf_member_add(user=school_practitioner, caf=led, member=police_officer)
    assert not TeamAroundFamilyMember.objects.filter(user=police_officer).exists()
    assert not perms.has_caf_permission(police_officer, perms.VIEW, led)


def test_a_member_who_cannot_manage_the_team_gets_no_form_and_a_403_on_post(
    led, school_practitioner, health_visitor, police_officer, signed_in
):
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    client = signed_in(health_visitor)
    page = client.get(f"/cafs/{led.pk}/team/").content.decode()
    assert "Add someone to the team" not in page
    assert client.post(f"/cafs/{led.pk}/team/", {"member": police_officer.pk}).status_code == 403
    assert led.taf_members.filter(left_at__isnull=True).count() == 2


def test_removing_a_member_ends_their_access(led, school_practitioner, health_visitor, signed_in):
    membership = services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    client = signed_in(school_practitioner)
    url = f"/cafs/{led.pk}/team/{membership.pk}/remove/"
    assert "Remove Hannah Okoro from the team?" in client.get(url).content.decode()

    response = client.post(url)

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.left_at is not None  # kept, with an end date
    page = client.get(f"/cafs/{led.pk}/team/").content.decode()
    assert "Past members" in page
    visitor = signed_in(health_visitor)
    for path in ("team/", "plan/", "print/"):
        assert visitor.get(f"/cafs/{led.pk}/{path}").status_code == 404
    assert AccessLog.objects.filter(user=health_visitor, caf=led, action=AccessLog.Action.REFUSED).count() == 3


def test_removing_needs_a_post(led, school_practitioner, health_visitor, signed_in):
    membership = services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    signed_in(school_practitioner).get(f"/cafs/{led.pk}/team/{membership.pk}/remove/")
    membership.refresh_from_db()
    assert membership.left_at is None


# Lead professional --------------------------------------------------------------------------------


def test_the_caf_administrator_logs_the_lead_professional_and_the_history_is_kept(
    led, caf_admin, school_practitioner, health_visitor, signed_in
):
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    client = signed_in(caf_admin)

    response = client.post(f"/cafs/{led.pk}/lead-professional/", {"lead": health_visitor.pk})

    assert response.status_code == 302
    assignments = list(LeadProfessionalAssignment.objects.filter(caf=led).order_by("started_at"))
    assert [a.user for a in assignments] == [school_practitioner, health_visitor]
    assert [a.ended_at is None for a in assignments] == [False, True]
    assert perms.has_caf_permission(health_visitor, perms.CHANGE_PLAN, led)
    assert not perms.has_caf_permission(school_practitioner, perms.CHANGE_PLAN, led)
    page = client.get(response.url).content.decode()
    assert "Priya Shah" in page and "Hannah Okoro" in page and "Current" in page


def test_only_a_current_member_can_be_chosen_as_lead(led, caf_admin, police_officer, signed_in):
    response = signed_in(caf_admin).post(f"/cafs/{led.pk}/lead-professional/", {"lead": police_officer.pk})
    assert response.status_code == 200
    assert "Choose a current member of the team" in response.content.decode()
    assert led.lead_professionals.get(ended_at__isnull=True).user != police_officer


def test_a_practitioner_cannot_log_the_lead_professional(led, school_practitioner, signed_in):
    client = signed_in(school_practitioner)
    assert client.get(f"/cafs/{led.pk}/lead-professional/").status_code == 403
    response = client.post(f"/cafs/{led.pk}/lead-professional/", {"lead": school_practitioner.pk})
    assert response.status_code == 403
    assert led.lead_professionals.count() == 1


# Registration -------------------------------------------------------------------------------------


def test_the_caf_administrator_registers_a_caf_with_a_reference(active, caf_admin, signed_in):
    client = signed_in(caf_admin)
    page = client.get(f"/cafs/{active.pk}/register/").content.decode()
    assert "Jayden Smith" in page and "There are no other CAFs for this child" in page

    response = client.post(f"/cafs/{active.pk}/register/", {"reference": " NB-2026-001 "})

    assert response.status_code == 302
    active.refresh_from_db()
    assert (active.reference, active.registered_by) == ("NB-2026-001", caf_admin)
    assert active.registered_at is not None


def test_a_duplicate_reference_is_refused_on_the_form(active, caf_admin, school_practitioner, child, signed_in):
    other = services.caf_start(user=school_practitioner, children=[child])
    Caf.objects.filter(pk=other.pk).update(reference="NB-2026-001")
    client = signed_in(caf_admin)
    assert "CAF NB-2026-001 (draft)" in client.get(f"/cafs/{active.pk}/register/").content.decode()

    response = client.post(f"/cafs/{active.pk}/register/", {"reference": "NB-2026-001"})

    assert response.status_code == 200
    assert "Another CAF already has this reference." in response.content.decode()
    active.refresh_from_db()
    assert (active.reference, active.registered_at) == ("", None)


def test_a_practitioner_cannot_register(active, school_practitioner, signed_in):
    assert signed_in(school_practitioner).post(f"/cafs/{active.pk}/register/", {"reference": "X"}).status_code == 403
    active.refresh_from_db()
    assert active.reference == ""


# The plan -----------------------------------------------------------------------------------------


def test_the_lead_professional_adds_an_action(led, school_practitioner, health_visitor, signed_in):
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    client = signed_in(school_practitioner)

    response = client.post(
        f"/cafs/{led.pk}/plan/",
        {
            "need": "Mum is isolated",
            "action": "Introduce her to the stay-and-play group",
            "agency": health_visitor.agency_id,
            "owner": health_visitor.pk,
            "due_on_0": "15",
            "due_on_1": "1",
            "due_on_2": "2027",
        },
    )

    assert response.status_code == 302
    action = PlanAction.objects.get(caf=led)
    assert (action.owner, action.agency, action.due_on, action.status) == (
        health_visitor,
        health_visitor.agency,
        date(2027, 1, 15),
        PlanAction.Status.NOT_STARTED,
    )
    page = client.get(f"/cafs/{led.pk}/plan/").content.decode()
    assert "Introduce her to the stay-and-play group" in page and "15 Jan 2027" in page


def test_an_action_with_a_bad_date_is_shown_back_with_errors(led, school_practitioner, signed_in):
    response = signed_in(school_practitioner).post(
        f"/cafs/{led.pk}/plan/",
        {
            "need": "N",
            "action": "A",
            "agency": led.initiating_agency_id,
            "due_on_0": "31",
            "due_on_1": "2",
            "due_on_2": "2027",
        },
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert not PlanAction.objects.exists()


def test_a_member_who_is_not_lead_cannot_add_actions(led, school_practitioner, health_visitor, signed_in):
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    client = signed_in(health_visitor)
    assert "Add an action" not in client.get(f"/cafs/{led.pk}/plan/").content.decode()
    response = client.post(
        f"/cafs/{led.pk}/plan/",
        {
            "need": "N",
            "action": "A",
            "agency": led.initiating_agency_id,
            "due_on_0": "1",
            "due_on_1": "2",
            "due_on_2": "2027",
        },
    )
    assert response.status_code == 403
    assert not PlanAction.objects.exists()


def test_a_member_updates_their_own_action_but_not_another(led, school_practitioner, health_visitor, signed_in):
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    own = action_add(led, school_practitioner, agency=health_visitor.agency, owner=health_visitor)
    other = action_add(led, school_practitioner, owner=school_practitioner)
    client = signed_in(health_visitor)

    response = client.post(f"/cafs/{led.pk}/plan/{own.pk}/", {"status": "done", "outcome": "Mum goes every week"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.status, own.outcome) == ("done", "Mum goes every week")

    assert client.get(f"/cafs/{led.pk}/plan/{other.pk}/").status_code == 403
    assert client.post(f"/cafs/{led.pk}/plan/{other.pk}/", {"status": "stopped"}).status_code == 403
    other.refresh_from_db()
    assert (other.status, other.outcome) == ("not_started", "")


def test_the_lead_professional_updates_any_action(led, school_practitioner, health_visitor, signed_in):
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    action = action_add(led, school_practitioner, agency=health_visitor.agency, owner=health_visitor)
    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/plan/{action.pk}/", {"status": "in_progress"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "in_progress"


# Closing, reopening, printing ---------------------------------------------------------------------


def test_the_lead_professional_closes_with_a_reason_and_summary(led, school_practitioner, signed_in):
    client = signed_in(school_practitioner)
    assert client.post(f"/cafs/{led.pk}/close/", {"reason": "needs_met"}).status_code == 200  # no summary
    led.refresh_from_db()
    assert led.status == Caf.Status.ACTIVE

    response = client.post(f"/cafs/{led.pk}/close/", {"reason": "needs_met", "summary": "Attendance is back to 96%."})

    assert response.status_code == 302
    led.refresh_from_db()
    assert (led.status, led.closure_reason, led.outcome_summary, led.closed_by) == (
        "closed",
        "needs_met",
        "Attendance is back to 96%.",
        school_practitioner,
    )
    assert not led.lead_professionals.filter(ended_at__isnull=True).exists()


def test_a_member_who_is_not_lead_cannot_close(led, school_practitioner, health_visitor, signed_in):
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor)
    response = signed_in(health_visitor).post(f"/cafs/{led.pk}/close/", {"reason": "needs_met", "summary": "Done"})
    assert response.status_code == 403
    led.refresh_from_db()
    assert led.status == Caf.Status.ACTIVE


def test_reopening_creates_a_linked_draft(led, caf_admin, school_practitioner, signed_in):
    services.caf_close(user=caf_admin, caf=led, reason="moved_out_of_area", summary="Moved to Leeds")
    client = signed_in(school_practitioner)
    assert "Reopen the CAF?" in client.get(f"/cafs/{led.pk}/reopen/").content.decode()

    response = client.post(f"/cafs/{led.pk}/reopen/")

    episode = Caf.objects.get(previous_episode=led)
    assert response.status_code == 302
    assert response.url == f"/cafs/{episode.pk}/"
    assert episode.status == Caf.Status.DRAFT
    assert list(episode.children.all()) == list(led.children.all())
    again = client.post(f"/cafs/{led.pk}/reopen/")
    assert again.status_code == 200
    assert "This CAF has already been reopened." in again.content.decode()
    assert Caf.objects.filter(previous_episode=led).count() == 1


def test_an_active_caf_is_not_reopened(led, school_practitioner, signed_in):
    response = signed_in(school_practitioner).post(f"/cafs/{led.pk}/reopen/")
    assert response.status_code == 200
    assert "Only a closed CAF can be reopened." in response.content.decode()
    assert Caf.objects.count() == 1


def test_the_print_page_shows_the_plan_in_plain_english_without_a_form(
    led, school_practitioner, health_visitor, signed_in
):
    services.taf_member_add(user=school_practitioner, caf=led, member=health_visitor, role="Health visitor")
    action_add(led, school_practitioner, agency=health_visitor.agency, owner=health_visitor, action="Weekly home visit")

    response = signed_in(school_practitioner).get(f"/cafs/{led.pk}/print/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Early help plan for Jayden Smith" in page
    assert "Weekly home visit" in page and "Hannah Okoro, Health Visiting North" in page and "1 December 2026" in page
    assert "Loves football" in page and "Often late" in page
    assert "I want to play for the school team" in page
    assert "Your main contact (lead professional) is <strong>Priya Shah</strong>" in page
    assert "<form" not in page.split('id="main-content"')[1]
    assert "css/print.css" in page
    assert AccessLog.objects.filter(caf=led, what="Printed the CAF and plan for the family").exists()


# Access -------------------------------------------------------------------------------------------

PAGES = [
    "team/",
    "team/{membership}/remove/",
    "lead-professional/",
    "register/",
    "plan/",
    "plan/{action}/",
    "close/",
    "reopen/",
    "print/",
]


# Every page by GET and every form by POST (the print page only reads: POST there is 405).
REQUESTS = [("get", page) for page in PAGES] + [("post", page) for page in PAGES if page != "print/"]


@pytest.mark.parametrize(("method", "page"), REQUESTS)
@pytest.mark.parametrize("outsider", ["other_council_user", "unrelated_practitioner"])
def test_outsiders_get_404_and_the_attempt_is_logged(
    led, school_practitioner, method, page, outsider, signed_in, request
):
    user = request.getfixturevalue(outsider)
    membership = led.taf_members.get()
    action = action_add(led, school_practitioner)
    url = f"/cafs/{led.pk}/" + page.format(membership=membership.pk, action=action.pk)
    data = {"reason": "needs_met", "summary": "Done", "reference": "X", "status": "done", "lead": user.pk}
    client = signed_in(user)

    response = client.get(url) if method == "get" else client.post(url, data)

    assert response.status_code == 404
    assert AccessLog.objects.filter(user=user, caf=led, action=AccessLog.Action.REFUSED).count() == 1
    led.refresh_from_db()
    action.refresh_from_db()
    membership.refresh_from_db()
    assert (led.status, led.reference, action.status, membership.left_at) == ("active", "", "not_started", None)
    assert Caf.objects.count() == 1


# Query counts -------------------------------------------------------------------------------------


def _grow_team(caf, lead, agency, size):
    for _ in range(size - 1):
        member = UserFactory(agency=agency, roles=[Role.PRACTITIONER])
        services.taf_member_add(user=lead, caf=caf, member=member, role="Support")
        action_add(caf, lead, agency=agency, owner=member)


@pytest.mark.parametrize("size", [2, 10])
def test_the_team_and_plan_pages_run_a_fixed_number_of_queries(
    led, school_practitioner, health_visiting, size, signed_in, django_assert_max_num_queries
):
    _grow_team(led, school_practitioner, health_visiting, size)
    assert led.taf_members.count() == size
    client = signed_in(school_practitioner)
    # The same at both sizes: session, user, roles, the CAF, the object checks, the access log, then
    # one query per list (members, actions, people to choose from), and the unread count in the header.
    # Issue 11 added one query to every CAF page (the family's deny, caf.permissions.is_excluded)
    # and one more to the team and plan pages, whose pickers offer only those the family's consent
    # covers (caf.policies.sharing_agencies reads the consents in force once).
    # The team page's person picker reads the consent's agencies once more, for its agency filter.
    for path, most in (("team/", 21), ("plan/", 21), ("print/", 20)):
        with django_assert_max_num_queries(most):
            assert client.get(f"/cafs/{led.pk}/{path}").status_code == 200
