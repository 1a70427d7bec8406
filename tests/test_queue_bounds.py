"""Home pages and queues are bounded (issue 13): each queue shows its first 20, the most urgent first,
its count and a link to the full list, which pages through the rest; counts stop at 1,001 rows;
nobody sees more through a "View all" link than the queue showed them."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from caf import services
from caf.models import AccessLog, Caf
from core.paging import capped_count, list_page, pagination
from referrals import services as rs
from referrals.models import StepDown
from tests.caf_helpers import active_caf


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def queue(response, heading):
    for section in response.context["sections"]:
        for work_queue in section.queues:
            if work_queue.heading == heading:
                return work_queue
    raise AssertionError(f"no queue {heading!r}")


def child_of(user, number):
    return services.child_create(
        user=user, first_name=f"Kid{number:02d}", last_name="Queue", date_of_birth=date(2016, 5, 4)
    )


def linked_ids(page: str, prefix: str) -> list[int]:
    return [int(number) for number in re.findall(rf'href="{prefix}(\d+)/', page)]


@pytest.fixture
def many_cafs(school_practitioner, health_visiting, council_model):
    """25 active CAFs started by the school practitioner, none registered nor with a lead."""
    return [active_caf(school_practitioner, child_of(school_practitioner, n), health_visiting) for n in range(25)]


def sent(user, child):
    referral = rs.referral_start(user=user, children=[child])
    return rs.referral_send(
        user=user,
        referral=referral,
        concern="Bruising",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put the child at risk",
    )


# The CAF administrator ------------------------------------------------------------------------------


def test_the_caf_administrator_sees_20_of_25_to_register_and_pages_through_all(
    many_cafs, caf_admin, signed_in, monkeypatch
):
    client = signed_in(caf_admin)
    home = client.get("/")

    to_register = queue(home, "New CAFs to register")
    assert len(to_register.items) == 20 and str(to_register.count) == "25"
    assert to_register.view_all_url == "/cafs/?queue=to-register"
    page = text(home)
    assert "25 in all" in page and 'href="/cafs/?queue=to-register">View all 25 CAFs to register</a>' in page
    # The longest waiting first: the first 20 activated.
    oldest = sorted(many_cafs, key=lambda caf: (caf.activated_at, caf.pk))
    assert [url for _, url in to_register.items] == [f"/cafs/{caf.pk}/register/" for caf in oldest[:20]]

    monkeypatch.setattr("caf.selectors.lists.CAF_LIST_PAGE_SIZE", 10)
    pages = [text(client.get("/cafs/", {"queue": "to-register", "page": number})) for number in (1, 2, 3)]
    assert "New CAFs to register" in pages[0] and "25 CAFs" in pages[0] and "Showing 1 to 10" in pages[0]
    assert 'href="?queue=to-register&amp;page=2" rel="next"' in pages[0]
    assert 'aria-label="Page 3"' in pages[0]  # the last page, the count being exact
    assert "Showing 21 to 25" in pages[2] and 'rel="next"' not in pages[2]
    listed = [caf_id for page in pages for caf_id in linked_ids(page, "/cafs/")]
    assert listed == [caf.pk for caf in oldest]
    assert AccessLog.objects.filter(user=caf_admin, what__startswith="Viewed the list of CAFs (new cafs").count() == 3


def test_a_status_filter_and_a_page_out_of_range_keep_to_the_queue(many_cafs, caf_admin, signed_in, monkeypatch):
    monkeypatch.setattr("caf.selectors.lists.CAF_LIST_PAGE_SIZE", 10)
    client = signed_in(caf_admin)
    past_the_end = client.get("/cafs/", {"queue": "to-register", "page": "99"})
    assert past_the_end.status_code == 200 and "Showing 21 to 25" in text(past_the_end)  # the last page
    for nonsense in ["abc", "-3", "0", "9" * 40, "²"]:
        response = client.get("/cafs/", {"queue": "to-register", "page": nonsense})
        assert response.status_code == 200 and "Showing 1 to 10" in text(response)
    closed = text(client.get("/cafs/", {"queue": "to-register", "status": "closed"}))
    assert "There are no CAFs to show" in closed


def test_a_practitioner_sees_their_teams_bounded_and_nobody_else_sees_them_through_the_links(
    many_cafs, school_practitioner, police_officer, signed_in
):
    home = signed_in(school_practitioner).get("/")
    teams = queue(home, "Teams around the family you are on")
    assert len(teams.items) == 20 and teams.count.found == 25
    assert teams.view_all_url == "/cafs/?queue=teams"
    everything = text(signed_in(school_practitioner).get("/cafs/", {"queue": "teams"}))
    assert "25 CAFs" in everything and len(set(linked_ids(everything, "/cafs/"))) == 25

    stranger = signed_in(police_officer)
    for queue_name in ["teams", "to-register", "without-lead", "council-reviews-overdue", "drafts", "led"]:
        page = text(stranger.get("/cafs/", {"queue": queue_name}))
        assert "There are no CAFs to show" in page, queue_name
        assert not set(linked_ids(page, "/cafs/")) & {caf.pk for caf in many_cafs}
    assert stranger.get("/step-downs/", {"queue": "waiting"}).status_code == 404
    assert stranger.get("/step-downs/", {"queue": "open"}).status_code == 404
    assert stranger.get("/actions/", {"queue": "nonsense"}).status_code == 404
    assert stranger.get("/referrals/list/", {"queue": "nonsense"}).status_code == 404


def test_counts_past_the_cap_say_more_than_100_at_home_and_more_than_1000_in_the_list(
    school_practitioner, caf_admin, council_model, signed_in
):
    now = timezone.now()
    Caf.objects.bulk_create(
        Caf(
            council=caf_admin.council,
            status=Caf.Status.ACTIVE,
            initiating_agency=school_practitioner.agency,
            initiated_by=school_practitioner,
            threshold_model=council_model,
            activated_at=now - timedelta(minutes=number),
        )
        for number in range(1001)
    )
    assert str(capped_count(Caf.objects.all())) == "more than 1,000"
    assert capped_count(Caf.objects.all(), cap=5_000).found == 1001

    client = signed_in(caf_admin)
    home = client.get("/")
    to_register = queue(home, "New CAFs to register")
    assert len(to_register.items) == 20
    # The home page summarises: its count stops at 100; the queue's own list counts to 1,000.
    assert "more than 100 in all" in text(home)
    assert "View all CAFs to register (more than 100)" in text(home)
    listing = text(client.get("/cafs/", {"queue": "to-register", "page": "3"}))
    assert "more than 1,000 CAFs" in listing and "Showing 101 to 150" in listing
    assert 'href="?queue=to-register&amp;page=4" rel="next"' in listing
    assert "govuk-pagination__item--ellipses" in listing  # no last page: it was not counted


def test_pagination_links_keep_the_filters(caf_admin, school_practitioner, council_model):
    from django.http import QueryDict

    Caf.objects.bulk_create(
        Caf(
            council=caf_admin.council,
            initiating_agency=school_practitioner.agency,
            initiated_by=school_practitioner,
            threshold_model=council_model,
        )
        for _ in range(7)
    )
    page = list_page(Caf.objects.order_by("pk"), "2", size=3)
    assert (page.number, len(page.rows), page.has_next, page.last) == (2, 3, True, 3)
    links = pagination(page, QueryDict("status=draft&page=2"))
    assert links.previous == "?status=draft&page=1" and links.next == "?status=draft&page=3"
    assert [(link.number, link.current) for link in links.items] == [(1, False), (2, True), (3, False)]


# Children's social care -----------------------------------------------------------------------------


@pytest.fixture
def many_referrals(school_practitioner, social_care):
    return [sent(school_practitioner, child_of(school_practitioner, n)) for n in range(25)]


def test_the_front_door_sees_20_of_25_most_urgent_first_and_pages_through_all(
    many_referrals, social_care_manager, signed_in, monkeypatch
):
    client = signed_in(social_care_manager)
    home = client.get("/")
    awaiting = queue(home, "Step-up referrals awaiting a decision")
    assert len(awaiting.items) == 20 and awaiting.count.found == 25 and awaiting.view_all_url == "/referrals/"
    earliest_deadline = sorted(many_referrals, key=lambda referral: (referral.decision_due_at, referral.pk))
    assert [url for _, url, _ in awaiting.items] == [f"/referrals/{r.pk}/" for r in earliest_deadline[:20]]
    assert "View all 25 referrals awaiting a decision" in text(home)

    monkeypatch.setattr("referrals.selectors.step_up.FRONT_DOOR_PAGE_SIZE", 10)
    pages = [text(client.get("/referrals/", {"page": number})) for number in (1, 2, 3)]
    assert "25 referrals awaiting a decision" in pages[0] and "Showing 11 to 20" in pages[1]
    listed = [referral_id for page in pages for referral_id in linked_ids(page, "/referrals/")]
    assert listed == [referral.pk for referral in earliest_deadline]
    filtered = text(client.get("/referrals/", {"urgency": "standard", "page": "2"}))
    assert 'href="?urgency=standard&amp;page=3" rel="next"' in filtered


def test_the_referrer_and_the_social_worker_see_their_own_referrals_in_full(
    many_referrals, school_practitioner, school_colleague, social_care_manager, social_worker, signed_in, monkeypatch
):
    for referral in many_referrals:
        rs.referral_decide(
            user=social_care_manager,
            referral=referral,
            decision="child_in_need",
            reasons="Assess",
            social_worker=social_worker,
        )
    monkeypatch.setattr("referrals.selectors.lists.LIST_PAGE_SIZE", 10)

    own = queue(signed_in(school_practitioner).get("/"), "Your referrals to children's social care")
    assert len(own.items) == 20 and own.view_all_url == "/referrals/list/?queue=made"
    allocated = queue(signed_in(social_worker).get("/"), "Families the front door allocated to you")
    assert len(allocated.items) == 20 and allocated.view_all_url == "/referrals/list/?queue=allocated"
    decided = queue(signed_in(social_care_manager).get("/"), "Decided in the last 7 days")
    assert len(decided.items) == 20 and decided.view_all_url == "/referrals/list/?queue=decided"

    ids = {referral.pk for referral in many_referrals}
    for user, queue_name in [(school_practitioner, "made"), (social_worker, "allocated")]:
        client = signed_in(user)
        pages = [text(client.get("/referrals/list/", {"queue": queue_name, "page": n})) for n in (1, 2, 3)]
        assert "25 referrals" in pages[0]
        assert {referral_id for page in pages for referral_id in linked_ids(page, "/referrals/")} == ids

    # Someone else's referrals and allocations, and the front door's decisions, are not theirs.
    colleague = signed_in(school_colleague)
    for queue_name in ["made", "allocated", "decided"]:
        page = text(colleague.get("/referrals/list/", {"queue": queue_name}))
        assert "There are no referrals to show" in page and not set(linked_ids(page, "/referrals/")) & ids


@pytest.mark.parametrize("size", [5, 30])
def test_the_front_door_pages_run_a_fixed_number_of_queries(
    size, school_practitioner, social_care, social_care_manager, signed_in, django_assert_max_num_queries
):
    for number in range(size):
        sent(school_practitioner, child_of(school_practitioner, number))
    client = signed_in(social_care_manager)
    # The page (session, user, agency, roles, unread count, access-log row) and 2 queries a queue.
    with django_assert_max_num_queries(10 + 3 * 2):
        home = client.get("/")
    assert len(queue(home, "Step-up referrals awaiting a decision").items) == min(size, 20)
    with django_assert_max_num_queries(14):
        response = client.get("/referrals/")
    assert text(response).count('<tr class="govuk-table__row" id="referral-') == size
    with django_assert_max_num_queries(14):
        searched = client.get("/referrals/", {"words": "queue kid"})  # every child: Kid00 Queue and on
    assert text(searched).count('<tr class="govuk-table__row" id="referral-') == size


def test_overdue_reviews_lead_the_administrators_queue_by_review_date(many_cafs, caf_admin, signed_in):
    today = timezone.localdate()
    for number, caf in enumerate(many_cafs):
        Caf.objects.filter(pk=caf.pk).update(next_review_on=today - timedelta(days=1 + (number * 7) % 25))
    client = signed_in(caf_admin)
    overdue = queue(client.get("/"), "Reviews overdue")
    by_date = sorted(Caf.objects.filter(pk__in=[caf.pk for caf in many_cafs]), key=lambda c: (c.next_review_on, c.pk))
    assert [url for _, url in overdue.items] == [f"/cafs/{caf.pk}/reviews/" for caf in by_date[:20]]
    assert overdue.count.found == 25 and overdue.view_all_url == "/cafs/?queue=council-reviews-overdue"
    listing = text(client.get(overdue.view_all_url))
    assert "Overdue reviews in your council" in listing and linked_ids(listing, "/cafs/") == [c.pk for c in by_date]


def stepped_down(manager, referral, agency) -> None:
    """The front door decides a step-down to early help, with the mother's consent to share with `agency`."""
    rs.referral_decide(
        user=manager,
        referral=referral,
        decision="step_down",
        reasons="Threshold not met",
        step_down={
            "open_needs": "Routines",
            "social_worker_summary": "Mum wants help",
            "consent_given_by": "Kelly Smith",
            "consent_relationship": "mother",
            "consent_given_on": timezone.localdate(),
            "consent_method": "verbal",
            "consent_agencies": [agency],
        },
    )


def test_step_downs_are_bounded_for_early_help_and_social_care(
    many_referrals, social_care_manager, caf_admin, early_help_hub, school_practitioner, signed_in, monkeypatch
):
    for referral in many_referrals:
        stepped_down(social_care_manager, referral, early_help_hub)
    administrator, manager = signed_in(caf_admin), signed_in(social_care_manager)

    to_pick_up = queue(administrator.get("/"), "Step-downs from social care to pick up")
    assert len(to_pick_up.items) == 20 and to_pick_up.view_all_url == "/step-downs/?queue=waiting"
    overview = text(administrator.get("/step-downs/"))
    assert "Waiting to be picked up (25)" in overview
    assert overview.split('id="waiting"')[1].split("</table>")[0].count('<tr class="govuk-table__row">') == 21
    assert "View all 25 step-downs waiting to be picked up" in overview
    monkeypatch.setattr("referrals.selectors.lists.LIST_PAGE_SIZE", 10)
    pages = [text(administrator.get("/step-downs/", {"queue": "waiting", "page": n})) for n in (1, 2, 3)]
    assert "25 step-downs" in pages[0] and "Showing 21 to 25" in pages[2]
    assert len({sid for page in pages for sid in linked_ids(page, "/step-downs/")}) == 25

    still_open = queue(manager.get("/"), "Step-downs waiting to be picked up by early help")
    assert len(still_open.items) == 20 and still_open.view_all_url == "/step-downs/?queue=open"
    assert "25 step-downs" in text(manager.get("/step-downs/", {"queue": "open"}))
    # Each list is its own people's: social care's list is not the administrators', nor the reverse.
    assert administrator.get("/step-downs/", {"queue": "open"}).status_code == 404
    assert manager.get("/step-downs/", {"queue": "waiting"}).status_code == 404
    assert signed_in(school_practitioner).get("/step-downs/", {"queue": "waiting-for-lead"}).status_code == 404
    assert AccessLog.objects.filter(user=school_practitioner, what="Refused: the pick-up queue").exists()


def test_the_lead_professional_sees_20_actions_and_pages_through_the_rest(
    active, school_practitioner, caf_admin, police_officer, signed_in, monkeypatch
):
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    today = timezone.localdate()
    actions = [
        services.plan_action_add(
            user=school_practitioner,
            caf=active,
            need="Often late for school",
            action=f"Step {number:02d}",
            agency=school_practitioner.agency,
            owner=school_practitioner,
            due_on=today + timedelta(days=number % 10),
        )
        for number in range(25)
    ]
    client = signed_in(school_practitioner)
    due = queue(client.get("/"), "Actions due")
    assert len(due.items) == 20 and due.count.found == 25 and due.view_all_url == "/actions/?queue=due"
    monkeypatch.setattr("caf.selectors.lists.ACTION_LIST_PAGE_SIZE", 10)
    pages = [text(client.get("/actions/", {"queue": "due", "page": n})) for n in (1, 2, 3)]
    assert "25 actions" in pages[0] and "Showing 21 to 25" in pages[2]
    listed = [int(pk) for page in pages for pk in re.findall(rf'href="/cafs/{active.pk}/plan/(\d+)/"', page)]
    earliest = sorted(actions, key=lambda action: (action.due_on, action.pk))
    assert listed == [action.pk for action in earliest]
    assert "There are no actions to show" in text(client.get("/actions/", {"queue": "overdue"}))
    # Someone else's actions are not on their list.
    assert "There are no actions to show" in text(signed_in(police_officer).get("/actions/"))


def test_the_front_door_and_pick_up_queues_search_by_childs_name_or_caf_reference(
    many_referrals, social_care_manager, caf_admin, early_help_hub, signed_in, active, school_practitioner
):
    """What a manager types (any case, part of a name) or a CAF's reference finds the family's
    referral or step-down among the rest, in the address, with the count of what it found."""
    services.caf_register(user=caf_admin, caf=active, reference="NB-2026-0042")
    from_caf = rs.referral_send(
        user=school_practitioner,
        referral=rs.referral_start(user=school_practitioner, children=list(active.children.all()), caf=active),
        concern="Bruising",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put the child at risk",
    )
    manager = signed_in(social_care_manager)

    by_name = text(manager.get("/referrals/", {"words": "kid07"}))
    assert linked_ids(by_name, "/referrals/") == [many_referrals[7].pk] and "1 referral awaiting" in by_name
    by_reference = text(manager.get("/referrals/", {"words": "nb-2026-0042"}))
    assert linked_ids(by_reference, "/referrals/") == [from_caf.pk]
    # Each word narrows: a name and another family's reference find nothing.
    nothing = text(manager.get("/referrals/", {"words": "kid07 NB-2026-0042"}))
    assert linked_ids(nothing, "/referrals/") == [] and "No referral awaiting a decision matches" in nothing
    too_long = manager.get("/referrals/", {"words": "x" * 101})
    assert too_long.status_code == 200 and "govuk-error-summary" in text(too_long)

    for referral in [many_referrals[3], many_referrals[4], from_caf]:
        stepped_down(social_care_manager, referral, early_help_hub)
    administrator = signed_in(caf_admin)
    step_down = StepDown.objects.get(referral=many_referrals[4])
    found = text(administrator.get("/step-downs/", {"words": "KID04"}))
    assert linked_ids(found, "/step-downs/") == [step_down.pk] and "Waiting to be picked up (1)" in found
    in_full = text(administrator.get("/step-downs/", {"queue": "waiting", "words": "NB-2026-0042"}))
    assert linked_ids(in_full, "/step-downs/") == [StepDown.objects.get(referral=from_caf).pk]
    assert 'name="queue" value="waiting"' in in_full  # the search stays on the list it was made from
    none = text(administrator.get("/step-downs/", {"words": "nobody"}))
    assert "No step-downs are waiting to be picked up that match “nobody”" in none
    # The transfer point: these three were stepped down at the front door, none after an assessment.
    at_the_front_door = text(administrator.get("/step-downs/", {"queue": "waiting", "point": "front_door"}))
    assert "3 step-downs" in at_the_front_door
    after = text(administrator.get("/step-downs/", {"point": "after_assessment", "words": "kid04"}))
    assert linked_ids(after, "/step-downs/") == [] and "from that point" not in after  # words said first
    assert "No step-downs are waiting to be picked up from that point" in text(
        administrator.get("/step-downs/", {"point": "after_assessment"})
    )
    wrong = administrator.get("/step-downs/", {"point": "whenever"})
    assert wrong.status_code == 200 and "Choose when social care stepped the family down" in text(wrong)
    # The search never widens who sees the list.
    assert manager.get("/step-downs/", {"queue": "waiting", "words": "kid04"}).status_code == 404
