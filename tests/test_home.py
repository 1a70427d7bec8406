import pytest

from accounts.models import Role, RoleChange
from tests.factories import UserFactory

HEADINGS = {
    Role.PRACTITIONER: ["Your work with families", "Your draft CAFs", "CAFs you lead", "Actions due"],
    Role.CAF_ADMINISTRATOR: ["CAF administration", "New CAFs to register", "CAFs without a lead professional"],
    Role.SOCIAL_CARE_MANAGER: ["Children&#x27;s social care decisions", "Step-up referrals awaiting a decision"],
    Role.SOCIAL_WORKER: ["Your social-work-led cases", "Families you are lead professional for"],
    Role.COUNCIL_ADMINISTRATOR: ["Your council&#x27;s set-up", "Users and their roles"],
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_home_page(role, school, signed_in):
    user = UserFactory(agency=school, roles=[role])
    response = signed_in(user).get("/")
    page = response.content.decode()
    assert response.status_code == 200
    for heading in HEADINGS[role]:
        assert heading in page, heading
    for other_role, headings in HEADINGS.items():
        if other_role != role:
            assert headings[0] not in page, f"{role} sees {other_role}'s section"


def test_someone_with_two_roles_sees_both_sections(school, signed_in):
    user = UserFactory(agency=school, roles=[Role.CAF_ADMINISTRATOR, Role.COUNCIL_ADMINISTRATOR])
    page = signed_in(user).get("/").content.decode()
    assert "CAF administration" in page
    assert "Your council&#x27;s set-up" in page


def test_someone_without_a_role_is_told_to_ask_for_one(school, signed_in):
    user = UserFactory(agency=school)
    page = signed_in(user).get("/").content.decode()
    assert "Your account has no role yet" in page


def test_the_header_names_the_user_their_agency_and_council(school_practitioner, signed_in):
    page = signed_in(school_practitioner).get("/").content.decode()
    assert "Signed in as <strong>Priya Shah</strong>, Oakfield Primary School, Northbridge Borough Council" in page
    assert 'href="#main-content"' in page  # skip link
    assert "Sign out" in page
    assert "front door now on <strong>01632 960 000</strong>" in page


def test_the_council_administrator_sees_only_their_own_councils_figures(
    council_admin, school, other_council_school, signed_in
):
    UserFactory.create_batch(3, agency=other_council_school)
    UserFactory(agency=school)
    response = signed_in(council_admin).get("/")
    section = response.context["sections"][0]
    assert dict(section.figures) == {"Localities": 1, "Agencies": 2, "Active users": 2}


def test_only_council_administrators_are_offered_the_administration_pages(
    school_practitioner, council_admin, signed_in
):
    assert "Administration" not in signed_in(school_practitioner).get("/").content.decode()
    assert 'href="/admin/"' in signed_in(council_admin).get("/").content.decode()


def test_the_home_page_runs_a_fixed_number_of_queries(council_admin, school, signed_in, django_assert_max_num_queries):
    client = signed_in(council_admin)
    for user in UserFactory.create_batch(20, agency=school):
        RoleChange.objects.create(council=school.council, user=user, role=Role.PRACTITIONER, action="added")
    # One of them lists the recent role changes; one counts the break-glass uses waiting for review.
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200


def test_the_council_administrator_is_asked_to_complete_missing_settings(council_admin, signed_in):
    council = council_admin.council
    council.child_population = None
    council.front_door_phone = ""
    council.save()
    page = signed_in(council_admin).get("/").content.decode()
    assert "child population (for rates per 10,000 children)" in page
    assert "front door phone number" in page
