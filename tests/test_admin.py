"""The administration pages: a council administrator manages only their own council."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from accounts.models import Agency, AgencyType, LocalAuthority, Locality, Notification, Role, RoleChange, User
from accounts.notifications import notifications_send_pending
from tests.factories import PASSWORD, AgencyFactory, UserFactory


@pytest.fixture
def sending_later(monkeypatch) -> list[int]:
    """Notifications are recorded and left for the worker (here: a direct call), never sent to a broker."""
    scheduled: list[int] = []
    monkeypatch.setattr("accounts.notifications._send_soon", lambda: scheduled.append(1))
    return scheduled


def _change_post(user: User, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "email": user.email,
        "full_name": user.full_name,
        "job_title": user.job_title,
        "agency": user.agency_id,
        "is_active": "on",
        "groups": [group.pk for group in user.groups.filter(name__in=Role.values)],
    }
    return {**data, **changes}


def test_the_agency_list_shows_only_the_administrators_council(council_admin, school, other_council_school, signed_in):
    page = signed_in(council_admin).get("/admin/accounts/agency/").content.decode()
    assert "Oakfield Primary School" in page
    assert "Southmoor High School" not in page


def test_the_user_list_shows_only_the_administrators_council(
    council_admin, school_practitioner, other_council_user, signed_in
):
    page = signed_in(council_admin).get("/admin/accounts/user/").content.decode()
    assert "Priya Shah" in page
    assert "Olivia Brennan" not in page


def test_the_council_list_shows_only_their_own_council(council_admin, other_council, signed_in):
    page = signed_in(council_admin).get("/admin/accounts/localauthority/").content.decode()
    assert "Northbridge Borough Council" in page
    assert "Southmoor District Council" not in page


def test_another_councils_agency_cannot_be_opened_or_changed(council_admin, other_council_school, signed_in):
    client = signed_in(council_admin)
    url = f"/admin/accounts/agency/{other_council_school.pk}/change/"
    response = client.get(url, follow=True)
    assert "Southmoor High School" not in response.content.decode()
    assert "doesn\u2019t exist" in response.content.decode()

    client.post(url, {"name": "Taken over", "agency_type": AgencyType.POLICE})
    other_council_school.refresh_from_db()
    assert other_council_school.name == "Southmoor High School"


def test_another_councils_user_cannot_be_changed(council_admin, other_council_user, school, signed_in):
    client = signed_in(council_admin)
    response = client.post(
        f"/admin/accounts/user/{other_council_user.pk}/change/",
        {"email": "hijack@example.org", "full_name": "Hijacked", "agency": school.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    other_council_user.refresh_from_db()
    assert other_council_user.email == "olivia@southmoor.example"
    assert other_council_user.agency.council.slug == "southmoor"


def test_a_council_administrator_adds_an_agency_to_their_council(council_admin, locality, signed_in):
    client = signed_in(council_admin)
    form = client.get("/admin/accounts/agency/add/").content.decode()
    assert "Southmoor" not in form
    response = client.post(
        "/admin/accounts/agency/add/",
        {
            "council": council_admin.council_id,
            "name": "Hill Street Surgery",
            "agency_type": AgencyType.GP,
            "locality": locality.pk,
        },
    )
    assert response.status_code == 302
    agency = Agency.objects.get(name="Hill Street Surgery")
    assert agency.council == council_admin.council
    assert agency.locality == locality


def test_an_agency_cannot_be_added_to_another_council(council_admin, other_council, signed_in):
    response = signed_in(council_admin).post(
        "/admin/accounts/agency/add/",
        {"council": other_council.pk, "name": "Planted Agency", "agency_type": AgencyType.GP},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Agency.objects.filter(name="Planted Agency").exists()


def test_an_agency_cannot_take_another_councils_locality(council_admin, other_council, signed_in):
    foreign_locality = Locality.objects.create(council=other_council, name="Southmoor")
    response = signed_in(council_admin).post(
        "/admin/accounts/agency/add/",
        {
            "council": council_admin.council_id,
            "name": "Hill Street Surgery",
            "agency_type": AgencyType.GP,
            "locality": foreign_locality.pk,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Agency.objects.filter(name="Hill Street Surgery").exists()


def test_a_service_administrator_cannot_mix_councils_in_an_agency(council, other_council, client):
    superuser = User.objects.create_superuser("ops@example.org", "a-long-password-for-ops")
    client.force_login(superuser)
    foreign_locality = Locality.objects.create(council=other_council, name="Southmoor")
    response = client.post(
        "/admin/accounts/agency/add/",
        {"council": council.pk, "name": "Mixed Agency", "agency_type": AgencyType.GP, "locality": foreign_locality.pk},
    )
    assert response.status_code == 200
    assert "Choose a locality of the agency" in response.content.decode()
    assert not Agency.objects.filter(name="Mixed Agency").exists()


def test_a_duplicate_agency_name_is_an_error_on_the_form(council_admin, school, signed_in):
    response = signed_in(council_admin).post(
        "/admin/accounts/agency/add/",
        {"council": council_admin.council_id, "name": school.name, "agency_type": AgencyType.SCHOOL},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Agency.objects.filter(name=school.name).count() == 1


def test_a_new_user_is_invited_by_email_to_choose_a_password(
    council_admin, school, signed_in, django_capture_on_commit_callbacks, sending_later, settings
):
    settings.SITE_URL = "http://testserver"
    client = signed_in(council_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/user/add/",
            {
                "email": "New.Teacher@Oakfield.example",
                "full_name": "Nia Teacher",
                "job_title": "Teacher",
                "agency": school.pk,
                "groups": [Group.objects.get(name=Role.PRACTITIONER).pk],
            },
        )
    assert response.status_code == 302
    user = User.objects.get(email="new.teacher@oakfield.example")
    assert not user.has_usable_password()
    assert user.has_role(Role.PRACTITIONER)
    assert not user.is_staff
    # Nothing is sent in the administrator's request: the invitation waits in the outbox for the worker.
    assert mail.outbox == []
    invitation = Notification.objects.get(recipient=user, kind=Notification.Kind.ACCOUNT_INVITATION)
    assert invitation.sent_at is None and sending_later == [1]
    assert notifications_send_pending() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.teacher@oakfield.example"]
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)

    page = client.get(link, follow=True)
    assert "Choose a new password" in page.content.decode()
    set_password = client.post(
        page.redirect_chain[-1][0],
        {
            "new_password1": "a-brand-new-long-password",
            "new_password2": "a-brand-new-long-password",
        },
    )
    assert set_password.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-long-password")


def test_a_user_cannot_be_given_another_councils_agency(council_admin, other_council_school, signed_in):
    response = signed_in(council_admin).post(
        "/admin/accounts/user/add/",
        {"email": "spy@example.org", "full_name": "Spy", "agency": other_council_school.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(email="spy@example.org").exists()
    assert mail.outbox == []


def test_a_council_administrator_cannot_make_a_superuser(council_admin, school_practitioner, signed_in):
    client = signed_in(council_admin)
    url = f"/admin/accounts/user/{school_practitioner.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page
    client.post(
        url,
        {
            "email": school_practitioner.email,
            "full_name": "Priya Shah",
            "agency": school_practitioner.agency_id,
            "is_active": "on",
            "is_superuser": "on",
        },
    )
    school_practitioner.refresh_from_db()
    assert not school_practitioner.is_superuser


def test_giving_the_council_administrator_role_opens_the_administration_pages(
    council_admin, school_practitioner, signed_in
):
    client = signed_in(council_admin)
    admin_group = Group.objects.get(name=Role.COUNCIL_ADMINISTRATOR)
    response = client.post(
        f"/admin/accounts/user/{school_practitioner.pk}/change/",
        {
            "email": school_practitioner.email,
            "full_name": "Priya Shah",
            "agency": school_practitioner.agency_id,
            "is_active": "on",
            "groups": [admin_group.pk],
        },
    )
    assert response.status_code == 302
    school_practitioner.refresh_from_db()
    assert school_practitioner.is_staff
    assert signed_in(school_practitioner).get("/admin/").status_code == 200


def test_nothing_can_be_deleted_from_the_administration_pages(council_admin, school, signed_in):
    client = signed_in(council_admin)
    response = client.post(f"/admin/accounts/agency/{school.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Agency.objects.filter(pk=school.pk).exists()


def test_a_council_administrator_cannot_add_a_council(council_admin, signed_in):
    response = signed_in(council_admin).post(
        "/admin/accounts/localauthority/add/",
        {
            "name": "New Council",
            "slug": "new",
            "child_population": 1000,
            "front_door_phone": "1",
        },
    )
    assert response.status_code == 403
    assert not LocalAuthority.objects.filter(slug="new").exists()


def test_a_council_administrator_changes_their_councils_settings(council_admin, signed_in):
    council = council_admin.council
    response = signed_in(council_admin).post(
        f"/admin/accounts/localauthority/{council.pk}/change/",
        {
            "child_population": 61_000,
            "front_door_phone": "01632 960 123",
            "out_of_hours_phone": "",
            "working_day_starts": "08:30",
            "working_day_ends": "17:00",
            "time_zone": "Europe/London",
            "default_review_interval_weeks": 8,
            "review_reminder_working_days": 7,
            "overdue_escalation_working_days": 5,
            "no_lead_flag_working_days": 10,
            "referral_decision_deadline_working_hours": 8,
            "step_down_pick_up_working_days": 3,
            # social_worker_leads_caf left unticked: social care cases live in another system
            "retention_years_after_closure": 6,
            "retention_until_age": 25,
            "retention_child_in_need_age": 25,
            "retention_child_protection_age": 40,
            "retention_looked_after_age": 75,
            "retention_adoption_age": 100,
            "access_log_retention_months": 120,
            "break_glass_roles": ["Social worker"],
            "break_glass_hours": 2,
        },
    )
    assert response.status_code == 302
    council.refresh_from_db()
    assert council.break_glass_roles == ["Social worker"] and council.break_glass_hours == 2
    assert council.retention_child_protection_age == 40 and council.access_log_retention_months == 120
    assert council.child_population == 61_000
    assert council.default_review_interval_weeks == 8
    assert council.step_down_pick_up_working_days == 3
    assert council.social_worker_leads_caf is False


def test_a_working_day_that_ends_before_it_starts_is_refused(council_admin, signed_in):
    council = council_admin.council
    response = signed_in(council_admin).post(
        f"/admin/accounts/localauthority/{council.pk}/change/",
        {
            "child_population": 61_000,
            "front_door_phone": "01632 960 123",
            "out_of_hours_phone": "",
            "working_day_starts": "17:00",
            "working_day_ends": "09:00",
            "time_zone": "Europe/London",
            "default_review_interval_weeks": 8,
            "review_reminder_working_days": 7,
            "overdue_escalation_working_days": 5,
            "no_lead_flag_working_days": 10,
            "referral_decision_deadline_working_hours": 8,
        },
    )
    assert response.status_code == 200
    assert "The working day must end after it starts." in response.content.decode()


def test_practitioners_cannot_use_the_administration_pages(school_practitioner, signed_in):
    response = signed_in(school_practitioner).get("/admin/accounts/agency/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_another_councils_administrator_sees_their_own_council_only(other_council_admin, school, signed_in):
    AgencyFactory(council=other_council_admin.council, name="Southmoor Youth Club")
    page = signed_in(other_council_admin).get("/admin/accounts/agency/").content.decode()
    assert "Southmoor Youth Club" in page
    assert "Oakfield Primary School" not in page


def test_the_user_list_query_count_does_not_grow_with_the_page(
    council_admin, school, signed_in, django_assert_max_num_queries
):
    client = signed_in(council_admin)
    UserFactory.create_batch(5, agency=school, roles=[Role.PRACTITIONER])
    with django_assert_max_num_queries(20) as small:
        client.get("/admin/accounts/user/")
    UserFactory.create_batch(40, agency=school, roles=[Role.PRACTITIONER])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/admin/accounts/user/")


# Passwords, e-mail addresses and service administrators ---------------------------------------------


def test_nobody_sets_another_persons_password_in_the_administration_pages(
    council_admin, school_practitioner, signed_in
):
    client = signed_in(council_admin)
    page = client.get(f"/admin/accounts/user/{school_practitioner.pk}/change/").content.decode()
    assert 'name="password"' not in page
    assert "../password/" not in page

    url = f"/admin/accounts/user/{school_practitioner.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"password1": "a-password-chosen-by-someone-else", "password2": "a-password-chosen-by-someone-else"}
    )
    assert response.status_code == 403
    school_practitioner.refresh_from_db()
    assert school_practitioner.check_password(PASSWORD)


def test_a_service_administrator_sets_nobodys_password_either(school_practitioner, client):
    superuser = User.objects.create_superuser("ops@example.org", "a-long-password-for-ops")
    client.force_login(superuser)
    assert (
        'name="password"' not in client.get(f"/admin/accounts/user/{school_practitioner.pk}/change/").content.decode()
    )
    assert client.get(f"/admin/accounts/user/{school_practitioner.pk}/password/").status_code == 403


def test_a_council_administrator_cannot_see_or_change_a_service_administrators_account(
    council_admin, school, signed_in
):
    superuser = User.objects.create_superuser("ops@example.org", "a-long-password-for-ops", agency=school)
    client = signed_in(council_admin)

    assert "ops@example.org" not in client.get("/admin/accounts/user/").content.decode()
    response = client.get(f"/admin/accounts/user/{superuser.pk}/change/", follow=True)
    assert "ops@example.org" not in response.content.decode()
    assert "doesn\u2019t exist" in response.content.decode()
    client.post(
        f"/admin/accounts/user/{superuser.pk}/change/",
        _change_post(superuser, email="taken@example.org", is_active=""),
    )
    assert client.get(f"/admin/accounts/user/{superuser.pk}/password/").status_code == 403
    superuser.refresh_from_db()
    assert (superuser.email, superuser.is_active) == ("ops@example.org", True)


def test_changing_someones_email_waits_for_them_to_confirm_it(
    council_admin, school_practitioner, signed_in, sending_later
):
    response = signed_in(council_admin).post(
        f"/admin/accounts/user/{school_practitioner.pk}/change/",
        _change_post(school_practitioner, email="Priya.Shah@Oakfield.example"),
        follow=True,
    )
    assert response.status_code == 200
    assert "We have sent a link to priya.shah@oakfield.example" in response.content.decode()
    school_practitioner.refresh_from_db()
    assert school_practitioner.email == "priya@oakfield.example"
    change = school_practitioner.email_changes.get()
    assert (change.new_email, change.requested_by, change.confirmed_at) == (
        "priya.shah@oakfield.example",
        council_admin,
        None,
    )
    link = Notification.objects.get(kind=Notification.Kind.EMAIL_CHANGE_CONFIRM)
    assert link.email == "priya.shah@oakfield.example" and link.sent_at is None
    page = signed_in(council_admin).get(f"/admin/accounts/user/{school_practitioner.pk}/change/").content.decode()
    assert "To priya.shah@oakfield.example, asked by Chris Patel" in page


def test_an_email_address_someone_else_has_is_refused(council_admin, school_practitioner, caf_admin, signed_in):
    response = signed_in(council_admin).post(
        f"/admin/accounts/user/{school_practitioner.pk}/change/",
        _change_post(school_practitioner, email=caf_admin.email.upper()),
    )
    assert response.status_code == 200
    assert "Someone already has an account with this e-mail address." in response.content.decode()
    assert not school_practitioner.email_changes.exists()


# Role changes are recorded and shown --------------------------------------------------------------


@pytest.fixture
def second_council_admin(early_help_hub) -> User:
    return UserFactory(full_name="Dana Second", agency=early_help_hub, roles=[Role.COUNCIL_ADMINISTRATOR])


def test_every_role_change_is_recorded_with_who_whom_what_and_when(council_admin, school_practitioner, signed_in):
    caf_admin_group = Group.objects.get(name=Role.CAF_ADMINISTRATOR)
    response = signed_in(council_admin).post(
        f"/admin/accounts/user/{school_practitioner.pk}/change/",
        _change_post(school_practitioner, groups=[caf_admin_group.pk]),
    )
    assert response.status_code == 302
    changes = {(c.user, c.role, c.action, c.changed_by, c.council) for c in RoleChange.objects.all()}
    assert changes == {
        (school_practitioner, Role.CAF_ADMINISTRATOR, RoleChange.Action.ADDED, council_admin, council_admin.council),
        (school_practitioner, Role.PRACTITIONER, RoleChange.Action.REMOVED, council_admin, council_admin.council),
    }
    assert all(change.changed_at for change in RoleChange.objects.all())


def test_saving_without_changing_roles_records_nothing(council_admin, school_practitioner, signed_in):
    signed_in(council_admin).post(
        f"/admin/accounts/user/{school_practitioner.pk}/change/", _change_post(school_practitioner, job_title="DSL")
    )
    assert not RoleChange.objects.exists()


def test_changing_roles_keeps_the_groups_that_are_not_roles(council_admin, school_practitioner, signed_in):
    # Groups the form does not offer (an agency's sharing group for CAF access) survive a save.
    others = set(school_practitioner.groups.exclude(name__in=Role.values))
    assert others, "the practitioner's agency group is made when the user is saved"
    caf_admin_group = Group.objects.get(name=Role.CAF_ADMINISTRATOR)
    signed_in(council_admin).post(
        f"/admin/accounts/user/{school_practitioner.pk}/change/",
        _change_post(school_practitioner, groups=[caf_admin_group.pk]),
    )
    assert set(school_practitioner.groups.exclude(name__in=Role.values)) == others
    assert set(school_practitioner.groups.filter(name__in=Role.values)) == {caf_admin_group}


def test_the_roles_of_a_new_user_are_recorded(council_admin, school, signed_in, sending_later):
    signed_in(council_admin).post(
        "/admin/accounts/user/add/",
        {
            "email": "nia@oakfield.example",
            "full_name": "Nia Teacher",
            "agency": school.pk,
            "groups": [Group.objects.get(name=Role.COUNCIL_ADMINISTRATOR).pk],
        },
    )
    change = RoleChange.objects.get()
    assert (change.user.email, change.role, change.action, change.changed_by) == (
        "nia@oakfield.example",
        Role.COUNCIL_ADMINISTRATOR,
        RoleChange.Action.ADDED,
        council_admin,
    )


def test_the_councils_other_administrators_see_role_changes_and_another_council_does_not(
    council_admin, second_council_admin, school_practitioner, other_council_admin, signed_in
):
    admin_group = Group.objects.get(name=Role.COUNCIL_ADMINISTRATOR)
    signed_in(council_admin).post(
        f"/admin/accounts/user/{school_practitioner.pk}/change/",
        _change_post(school_practitioner, groups=[admin_group.pk]),
    )
    colleague = signed_in(second_council_admin)
    home = colleague.get("/").content.decode()
    assert "Chris Patel gave Priya Shah the Council administrator role" in home
    assert "Chris Patel took the Practitioner role from Priya Shah" in home
    listing = colleague.get("/admin/accounts/rolechange/")
    assert listing.status_code == 200
    assert "Council administrator role given" in listing.content.decode()

    other = signed_in(other_council_admin)
    assert "Priya Shah" not in other.get("/").content.decode()
    assert "Priya Shah" not in other.get("/admin/accounts/rolechange/").content.decode()


def test_role_changes_cannot_be_added_changed_or_deleted(council_admin, school_practitioner, signed_in):
    change = RoleChange.objects.create(
        council=council_admin.council, user=school_practitioner, role=Role.PRACTITIONER, action="added"
    )
    client = signed_in(council_admin)
    assert client.post("/admin/accounts/rolechange/add/", {"role": Role.COUNCIL_ADMINISTRATOR}).status_code == 403
    client.post(f"/admin/accounts/rolechange/{change.pk}/change/", {"role": Role.COUNCIL_ADMINISTRATOR})
    assert client.post(f"/admin/accounts/rolechange/{change.pk}/delete/", {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.role == Role.PRACTITIONER
