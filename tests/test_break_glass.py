"""Break-glass (issue 15; Settled questions 10c and 24): a person the council lists opens a child's
record they may not see, read only, for the council's set hours, after a reason and their second
factor; the CAF administrators and their manager are told at once; the manager marks the use
justified or not; the child's access log shows it; nobody else, and never another council's child."""

import time
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, AgencyType, Notification, Role
from accounts.two_factor import VERIFIED_KEY
from caf import services
from caf.models import AccessLog, BreakGlass, ExclusionException, SharingBasis
from tests.factories import AgencyFactory, LocalAuthorityFactory, UserFactory

REASON = "Police called at 23:10: Jayden found alone at the station, mother not answering."


@pytest.fixture
def listed(council):
    """The council lets its social workers (the out-of-hours duty team) use break-glass."""
    council.break_glass_roles = [Role.SOCIAL_WORKER.value]
    council.save(update_fields=["break_glass_roles"])
    return council


@pytest.fixture
def team_manager(social_care):
    manager = UserFactory(full_name="Morgan Manager", agency=social_care, roles=[Role.SOCIAL_CARE_MANAGER])
    Agency.objects.filter(pk=social_care.pk).update(manager=manager)
    return manager


@pytest.fixture
def verified(signed_in):
    """A client signed in with the second factor given."""

    def sign_in(user):
        client = signed_in(user)
        session = client.session
        session[VERIFIED_KEY] = time.time()
        session.save()
        return client

    return sign_in


def open_with_break_glass(client, child, reason=REASON):
    return client.post(reverse("caf:break_glass_open", args=[child.pk]), {"reason": reason})


def test_a_listed_social_worker_reads_the_record_for_three_hours_and_the_right_people_are_told(
    listed, active, child, social_worker, team_manager, caf_admin, verified
):
    client = verified(social_worker)
    child_url, caf_url = reverse("caf:child_detail", args=[child.pk]), reverse("caf:caf_detail", args=[active.pk])
    assert client.get(child_url).status_code == 404
    assert client.get(caf_url).status_code == 404

    page = client.get(reverse("caf:break_glass_open", args=[child.pk]))
    assert page.status_code == 200 and "Only open this record if a child" in page.content.decode()
    response = open_with_break_glass(client, child)

    assert response.status_code == 302 and response["Location"] == child_url
    use = BreakGlass.objects.get()
    assert (use.user, use.child, use.reason, use.reviewer) == (social_worker, child, REASON, team_manager)
    assert use.ends_at - use.opened_at == timedelta(hours=3)
    record = client.get(child_url)
    assert record.status_code == 200 and "You opened this record with break-glass" in record.content.decode()
    assert client.get(caf_url).status_code == 200
    # Read only: the plan takes no change from them.
    assert client.post(reverse("caf:plan", args=[active.pk]), {}).status_code in (403, 404)
    told = Notification.objects.filter(kind=Notification.Kind.BREAK_GLASS_USED)
    assert set(told.values_list("recipient", flat=True)) == {team_manager.pk, caf_admin.pk}
    assert REASON in told.get(recipient=team_manager).body
    assert told.get(recipient=team_manager).url == reverse("caf:break_glass_review", args=[use.pk])
    assert AccessLog.objects.filter(
        user=social_worker, child_ids__contains=[child.pk], what__startswith="Opened the record with break-glass"
    ).exists()


def test_the_access_ends_on_time_without_any_job(listed, active, child, social_worker, team_manager, verified):
    client = verified(social_worker)
    open_with_break_glass(client, child)
    child_url, caf_url = reverse("caf:child_detail", args=[child.pk]), reverse("caf:caf_detail", args=[active.pk])
    # A fresh sign-in each time: the session's own idle timeout is not what is tested here.
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=59)):
        assert verified(social_worker).get(caf_url).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=3, minutes=1)):
        client = verified(social_worker)
        assert client.get(child_url).status_code == 404
        assert client.get(caf_url).status_code == 404


def test_the_councils_own_hours_set_how_long_it_lasts(listed, active, child, social_worker, verified):
    listed.break_glass_hours = 1
    listed.save(update_fields=["break_glass_hours"])
    open_with_break_glass(verified(social_worker), child)
    use = BreakGlass.objects.get()
    assert use.ends_at - use.opened_at == timedelta(hours=1)


def test_break_glass_beats_the_familys_exclusion_while_it_lasts_and_says_so(
    listed, active, child, social_worker, social_care, school_practitioner, verified
):
    services.exclusion_record(user=school_practitioner, caf=active, made_by="Mother", agencies=[social_care])
    client = verified(social_worker)
    open_with_break_glass(client, child)
    caf_url = reverse("caf:caf_detail", args=[active.pk])
    assert client.get(caf_url).status_code == 200
    exception = ExclusionException.objects.get(caf=active, user=social_worker)
    assert exception.basis == SharingBasis.BREAK_GLASS and exception.reason == REASON
    assert exception.ended_at == BreakGlass.objects.get().ends_at
    with time_machine.travel(timezone.now() + timedelta(hours=4)):
        assert verified(social_worker).get(caf_url).status_code == 404


def test_without_the_second_factor_or_a_reason_nothing_opens(listed, active, child, social_worker, signed_in, verified):
    without = signed_in(social_worker)
    page = without.get(reverse("caf:break_glass_open", args=[child.pk]))
    assert "Break-glass needs your second factor" in page.content.decode()
    refused = open_with_break_glass(without, child)
    assert refused.status_code == 200 and "Sign in with your second factor" in refused.content.decode()
    blank = open_with_break_glass(verified(social_worker), child, reason="   ")
    assert blank.status_code == 200 and "Enter why you need this child" in blank.content.decode()
    assert "govuk-error-summary" in blank.content.decode()
    assert not BreakGlass.objects.exists()
    assert verified(social_worker).get(reverse("caf:child_detail", args=[child.pk])).status_code == 404


def test_someone_the_council_does_not_list_is_shown_the_out_of_hours_number(
    listed, active, child, police_officer, verified
):
    listed.out_of_hours_phone = "01632 960 999"
    listed.save(update_fields=["out_of_hours_phone"])
    client = verified(police_officer)
    page = client.get(reverse("caf:break_glass_open", args=[child.pk]))
    assert page.status_code == 403
    assert "01632 960 999" in page.content.decode() and child.first_name not in page.content.decode()
    assert open_with_break_glass(client, child).status_code == 403
    assert not BreakGlass.objects.exists()
    assert AccessLog.objects.filter(user=police_officer, action=AccessLog.Action.REFUSED).exists()


def test_a_council_that_lists_no_one_opens_to_no_one(active, child, social_worker, verified):
    assert open_with_break_glass(verified(social_worker), child).status_code == 403
    assert not BreakGlass.objects.exists()


def test_a_listed_agency_opens_to_all_its_staff(council, active, child, police, police_officer, verified):
    council.break_glass_agencies.add(police)
    assert open_with_break_glass(verified(police_officer), child).status_code == 302
    assert BreakGlass.objects.filter(user=police_officer).exists()


def test_never_another_councils_child(listed, active, child, other_council_user, verified, other_council):
    other_council.break_glass_roles = [Role.PRACTITIONER.value]
    other_council.save(update_fields=["break_glass_roles"])
    client = verified(other_council_user)
    assert client.get(reverse("caf:break_glass_open", args=[child.pk])).status_code == 404
    assert open_with_break_glass(client, child).status_code == 404
    assert not BreakGlass.objects.exists()


def test_someone_who_already_sees_the_record_is_sent_to_it(listed, active, child, caf_admin, verified):
    response = verified(caf_admin).get(reverse("caf:break_glass_open", args=[child.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("caf:child_detail", args=[child.pk])


def test_find_a_child_offers_break_glass_only_to_those_listed(
    listed, active, child, social_worker, police_officer, verified
):
    url = reverse("caf:child_find") + "?first_name=Jayden&last_name=Smith"
    link = reverse("caf:break_glass_open", args=[child.pk])
    assert link in verified(social_worker).get(url).content.decode()
    assert link not in verified(police_officer).get(url).content.decode()


def test_the_manager_reviews_each_use_and_the_access_log_shows_it(
    listed, active, child, social_worker, team_manager, caf_admin, verified, signed_in
):
    open_with_break_glass(verified(social_worker), child)
    use = BreakGlass.objects.get()
    manager = signed_in(team_manager)
    queue = manager.get(reverse("caf:break_glass_reviews"))
    assert queue.status_code == 200 and reverse("caf:break_glass_review", args=[use.pk]) in queue.content.decode()
    review_url = reverse("caf:break_glass_review", args=[use.pk])
    page = manager.get(review_url)
    assert page.status_code == 200 and REASON in page.content.decode()
    assert "Opened the record with break-glass" in page.content.decode()  # what they read

    no_note = manager.post(review_url, {"justified": "no", "note": ""})
    assert no_note.status_code == 200 and "Enter why it was not justified" in no_note.content.decode()
    assert manager.post(review_url, {"justified": "no", "note": "Not an emergency: could wait."}).status_code == 302
    use.refresh_from_db()
    assert (use.review, use.reviewed_by, use.review_note) == (
        BreakGlass.Review.NOT_JUSTIFIED,
        team_manager,
        "Not an emergency: could wait.",
    )
    again = manager.post(review_url, {"justified": "yes"})
    assert "already reviewed" in again.content.decode()
    use.refresh_from_db()
    assert use.review == BreakGlass.Review.NOT_JUSTIFIED

    log = signed_in(caf_admin).get(reverse("caf:child_access_log", args=[child.pk])).content.decode()
    assert "Opened with break-glass" in log and REASON in log and "Not justified" in log


def test_only_the_reviewer_reviews_never_the_person_who_used_it(
    listed, active, child, social_worker, team_manager, school_practitioner, verified, signed_in
):
    open_with_break_glass(verified(social_worker), child)
    use = BreakGlass.objects.get()
    review_url = reverse("caf:break_glass_review", args=[use.pk])
    for person in (social_worker, school_practitioner):
        client = signed_in(person)
        assert client.get(review_url).status_code == 404
        assert client.post(review_url, {"justified": "yes"}).status_code == 404
    assert signed_in(school_practitioner).get(reverse("caf:break_glass_reviews")).status_code == 403
    use.refresh_from_db()
    assert use.review == BreakGlass.Review.WAITING


def test_without_a_manager_the_early_help_lead_reviews(listed, active, child, social_worker, caf_admin, verified):
    listed.early_help_lead = caf_admin
    listed.save(update_fields=["early_help_lead"])
    open_with_break_glass(verified(social_worker), child)
    assert BreakGlass.objects.get().reviewer == caf_admin


# A named partner council's emergency duty team (Settled question 24) -------------------------------


@pytest.fixture
def partner_duty_team(other_council):
    """Southmoor's emergency duty team, which covers Northbridge out of hours."""
    return AgencyFactory(
        council=other_council, name="Southmoor Emergency Duty Team", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE
    )


@pytest.fixture
def duty_worker(partner_duty_team):
    return UserFactory(full_name="Dana Duty", agency=partner_duty_team, roles=[Role.SOCIAL_WORKER])


@pytest.fixture
def duty_manager(partner_duty_team):
    manager = UserFactory(full_name="Sam Southmoor", agency=partner_duty_team, roles=[Role.SOCIAL_CARE_MANAGER])
    Agency.objects.filter(pk=partner_duty_team.pk).update(manager=manager)
    return manager


@pytest.fixture
def lists_partner(council, partner_duty_team):
    """Northbridge lists Southmoor's emergency duty team for break-glass."""
    council.break_glass_agencies.add(partner_duty_team)
    return council


def a_jayden_smith_in(council):
    recorder = UserFactory(agency=AgencyFactory(council=council), roles=[Role.PRACTITIONER])
    return services.child_create(
        user=recorder, first_name="Jayden", last_name="Smith", date_of_birth=date(2016, 5, 4), postcode=""
    )


def find_elsewhere(client, council, first_name="Jayden", last_name="Smith"):
    query = f"?council={council.pk}&first_name={first_name}&last_name={last_name}"
    return client.get(reverse("caf:break_glass_find") + query)


def test_a_partner_councils_duty_team_finds_and_opens_a_child_of_the_council_that_lists_it(
    lists_partner, active, child, duty_worker, duty_manager, caf_admin, verified
):
    client = verified(duty_worker)
    own_find = client.get(reverse("caf:child_find") + "?first_name=Jayden&last_name=Smith").content.decode()
    assert "Northbridge Borough Council" in own_find and reverse("caf:break_glass_find") in own_find
    assert reverse("caf:break_glass_open", args=[child.pk]) not in own_find  # their own council's search

    found = find_elsewhere(client, lists_partner)
    assert found.status_code == 200
    page = found.content.decode()
    assert "Jayden" in page and reverse("caf:break_glass_open", args=[child.pk]) in page
    assert reverse("caf:caf_detail", args=[active.pk]) not in page  # nothing of the CAFs
    search = AccessLog.objects.get(user=duty_worker, what__startswith="Searched for a child to open")
    assert search.council_id == lists_partner.pk and search.child_ids == [child.pk]

    child_url, caf_url = reverse("caf:child_detail", args=[child.pk]), reverse("caf:caf_detail", args=[active.pk])
    assert client.get(child_url).status_code == 404
    opening = client.get(reverse("caf:break_glass_open", args=[child.pk]))
    assert opening.status_code == 200 and "recorded by Northbridge Borough Council" in opening.content.decode()
    assert open_with_break_glass(client, child)["Location"] == child_url

    use = BreakGlass.objects.get()
    assert (use.council, use.user, use.reviewer) == (lists_partner, duty_worker, duty_manager)
    assert client.get(child_url).status_code == 200
    assert client.get(caf_url).status_code == 200
    assert client.post(reverse("caf:plan", args=[active.pk]), {}).status_code in (403, 404)
    told = Notification.objects.filter(kind=Notification.Kind.BREAK_GLASS_USED)
    assert set(told.values_list("recipient", flat=True)) == {duty_manager.pk, caf_admin.pk}
    assert told.get(recipient=duty_manager).url == reverse("caf:break_glass_review", args=[use.pk])
    # The read is in the listing council's log of the child.
    assert AccessLog.objects.filter(
        user=duty_worker, council=lists_partner, child_ids__contains=[child.pk], what__startswith="Opened the record"
    ).exists()
    # Nothing else of the listing council: its CAFs stay out of their lists, and the pages of its
    # administrators stay closed.
    assert caf_url not in client.get(reverse("caf:caf_list")).content.decode()
    assert client.get(reverse("caf:child_access_log", args=[child.pk])).status_code == 403
    with time_machine.travel(timezone.now() + timedelta(hours=3, minutes=1)):
        later = verified(duty_worker)
        assert later.get(child_url).status_code == 404 and later.get(caf_url).status_code == 404


def test_the_partner_managers_review_and_else_the_listing_councils_early_help_lead(
    lists_partner, active, child, duty_worker, duty_manager, caf_admin, verified, signed_in
):
    open_with_break_glass(verified(duty_worker), child)
    use = BreakGlass.objects.get()
    manager = signed_in(duty_manager)
    review_url = reverse("caf:break_glass_review", args=[use.pk])
    assert review_url in manager.get(reverse("caf:break_glass_reviews")).content.decode()
    assert manager.get(review_url).status_code == 200
    assert manager.post(review_url, {"justified": "yes"}).status_code == 302
    use.refresh_from_db()
    assert (use.review, use.reviewed_by) == (BreakGlass.Review.JUSTIFIED, duty_manager)
    # Their review opens nothing else of the listing council to them.
    assert manager.get(reverse("caf:child_detail", args=[child.pk])).status_code == 404

    Agency.objects.filter(pk=duty_worker.agency_id).update(manager=None)
    lists_partner.early_help_lead = caf_admin
    lists_partner.save(update_fields=["early_help_lead"])
    BreakGlass.objects.all().delete()
    open_with_break_glass(verified(duty_worker), child)
    assert BreakGlass.objects.get().reviewer == caf_admin


def test_never_for_a_council_that_did_not_list_the_team(
    council, active, child, duty_worker, other_council_user, verified, other_council
):
    """Northbridge lists its own social workers, not Southmoor's: a role never crosses councils."""
    council.break_glass_roles = [Role.SOCIAL_WORKER.value]
    council.save(update_fields=["break_glass_roles"])
    client = verified(duty_worker)
    assert client.get(reverse("caf:break_glass_find")).status_code == 403
    assert find_elsewhere(client, council).status_code == 403
    assert client.get(reverse("caf:break_glass_open", args=[child.pk])).status_code == 404
    assert open_with_break_glass(client, child).status_code == 404
    assert "break-glass-elsewhere" not in client.get(reverse("caf:child_find")).content.decode()
    assert not BreakGlass.objects.exists()
    assert AccessLog.objects.filter(user=duty_worker, action=AccessLog.Action.REFUSED).exists()


def test_a_listing_council_opens_only_its_own_children_to_the_partner(
    lists_partner, active, child, duty_worker, partner_duty_team, verified
):
    third = LocalAuthorityFactory(name="Eastvale Council", slug="eastvale")
    third_child = a_jayden_smith_in(third)
    client = verified(duty_worker)
    # Eastvale does not list the team: it is not offered, and its child does not exist for them.
    refused = find_elsewhere(client, third)
    assert refused.status_code == 200 and "Select one of the councils that list your team" in refused.content.decode()
    assert open_with_break_glass(client, third_child).status_code == 404
    # Their own council's children stay their own council's rules (no listing there).
    own_child = a_jayden_smith_in(partner_duty_team.council)
    assert open_with_break_glass(client, own_child).status_code == 403
    assert not BreakGlass.objects.exists()


def test_a_partner_councils_caf_administrator_gets_none_of_the_listing_councils_administration(
    lists_partner, active, child, partner_duty_team, verified
):
    """Someone who administers CAFs in their own council reads the listing council's child like any
    other member of the team: its administrators' pages stay closed to them."""
    coordinator = UserFactory(agency=partner_duty_team, roles=[Role.SOCIAL_WORKER, Role.CAF_ADMINISTRATOR])
    client = verified(coordinator)
    open_with_break_glass(client, child)
    page = client.get(reverse("caf:child_detail", args=[child.pk]))
    assert page.status_code == 200 and "You opened this record with break-glass" in page.content.decode()
    for name in ("child_access_log", "child_subject_access", "child_merge", "child_legal_hold"):
        url = reverse(f"caf:{name}", args=[child.pk])
        assert url not in page.content.decode()
        assert client.get(url).status_code in (403, 404), name
    assert client.post(reverse("caf:child_legal_hold", args=[child.pk]), {"reason": "x"}).status_code in (403, 404)
    assert not child.legal_holds.exists()


def test_a_council_administrator_lists_a_partner_councils_team_in_the_settings(
    council_admin, partner_duty_team, signed_in
):
    council = council_admin.council
    url = f"/admin/accounts/localauthority/{council.pk}/change/"
    page = signed_in(council_admin).get(url).content.decode()
    assert "Southmoor Emergency Duty Team (Southmoor District Council)" in page
    form = signed_in(council_admin).get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "break_glass_agencies"}
    data.update(
        {
            "break_glass_agencies": [partner_duty_team.pk],
            "break_glass_roles": [],
            "working_day_starts": "09:00",
            "working_day_ends": "17:00",
        }
    )
    data = {
        key: value.pk if hasattr(value, "pk") else value for key, value in data.items() if key not in ("time_zone",)
    } | {"time_zone": "Europe/London"}
    response = signed_in(council_admin).post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(council.break_glass_agencies.all()) == [partner_duty_team]


# The reviewers' home page queue ------------------------------------------------------------------


def test_the_home_page_tells_reviewers_how_many_uses_wait_for_them(
    listed, active, child, social_worker, team_manager, school_practitioner, verified, signed_in
):
    open_with_break_glass(verified(social_worker), child)
    use = BreakGlass.objects.get()
    queue = f'href="{reverse("caf:break_glass_reviews")}">Break-glass uses to review (1)</a>'
    assert queue in signed_in(team_manager).get("/").content.decode()
    for person in (social_worker, school_practitioner):  # the user of it, and someone who reviews nothing
        assert "Break-glass uses to review" not in signed_in(person).get("/").content.decode()
    services.break_glass_review(user=team_manager, use=use, justified=True, note="")
    assert "Break-glass uses to review" not in signed_in(team_manager).get("/").content.decode()


def test_the_home_page_counts_uses_to_review_with_the_queues_cap_in_a_fixed_number_of_queries(
    listed, active, child, social_worker, team_manager, signed_in, django_assert_max_num_queries
):
    def uses(number):
        now = timezone.now()
        BreakGlass.objects.bulk_create(
            BreakGlass(
                council=listed,
                child=child,
                user=social_worker,
                reason=REASON,
                opened_at=now,
                ends_at=now + timedelta(hours=3),
                reviewer=team_manager,
            )
            for _ in range(number)
        )

    client = signed_in(team_manager)
    uses(2)
    with django_assert_max_num_queries(14) as few:
        assert "Break-glass uses to review (2)" in client.get("/").content.decode()
    uses(100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "Break-glass uses to review (more than 100)" in client.get("/").content.decode()
