"""Nothing leaks around the edges of the child register (issue 11; Settled question 18): a date of
birth alone finds nobody, "start a CAF" opens only for a child the practitioner's own search found
(or one they may already see), a search result shows only enough to recognise a child and, for a
child on a CAF the searcher may not see, only that early help knows them; and earlier referrals'
outcomes, dates and agencies show only to those who may see those referrals."""

import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import RequestFactory
from django.urls import reverse

from caf import services
from caf.found import FOUND_KEPT, found_children, found_children_remember
from caf.models import AccessLog
from referrals import services as rs
from referrals.models import Referral

KNOWN = "Known to early help: contact the CAF administrator"
LONDON = ZoneInfo("Europe/London")
BEFORE = datetime(2026, 6, 1, 10, 0, tzinfo=LONDON)
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _search(client, first_name, last_name, **extra):
    return client.get(reverse("caf:child_find"), {"first_name": first_name, "last_name": last_name, **extra})


def _sent(user, children):
    referral = rs.referral_start(user=user, children=children)
    return rs.referral_send(
        user=user,
        referral=referral,
        concern="Bruising",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put the child at risk",
    )


# A date of birth alone ----------------------------------------------------------------------------


def test_a_nonsense_name_with_a_real_childs_date_of_birth_finds_nobody(signed_in, health_visitor, child):
    birth = {"date_of_birth_0": "4", "date_of_birth_1": "5", "date_of_birth_2": "2016"}  # Jayden's

    response = _search(signed_in(health_visitor), "Qxzv", "Wplk", **birth)

    assert response.status_code == 200
    assert response.context["matches"] == []
    assert "Jayden" not in _page(response) and "No possible matches" in _page(response)
    row = AccessLog.objects.get(user=health_visitor, what__startswith="Searched for a child")
    assert row.child_ids == []


def test_the_date_of_birth_still_ranks_a_name_that_matches(signed_in, health_visitor, school_practitioner, child):
    twin = services.child_create(
        user=school_practitioner, first_name="Jaden", last_name="Smith", date_of_birth=date(2017, 1, 1)
    )
    birth = {"date_of_birth_0": "4", "date_of_birth_1": "5", "date_of_birth_2": "2016"}
    matches = _search(signed_in(health_visitor), "Jaden", "Smith", **birth).context["matches"]
    assert [match.child for match in matches] == [child, twin]


# Starting a CAF only for a child found ------------------------------------------------------------


def test_walking_ids_as_a_practitioner_shows_no_names(signed_in, school_practitioner, health_visitor):
    names = ["Amelia", "Noah", "Ruby", "Oscar", "Freya"]
    recorded = [
        services.child_create(
            user=school_practitioner, first_name=name, last_name="Walker", date_of_birth=date(2015, 3, 1)
        )
        for name in names
    ]
    client = signed_in(health_visitor)
    ids = range(max(1, min(child.pk for child in recorded) - 3), max(child.pk for child in recorded) + 4)

    pages = [client.get(f"/cafs/start/{pk}/") for pk in ids]
    pages += [client.get(f"/referrals/start/?child={pk}") for pk in ids]

    assert {page.status_code for page in pages} == {404}
    assert not any(name in _page(page) for page in pages for name in [*names, "Walker"])
    refused = AccessLog.objects.filter(user=health_visitor, action="refused")
    assert refused.count() == 2 * len(ids)  # every attempt, so the walk shows in the log
    assert refused.filter(attempted_id__isnull=False).count() == 2 * (len(ids) - len(recorded))
    assert set(refused.filter(child__isnull=False).values_list("child_id", flat=True)) == {c.pk for c in recorded}
    assert not AccessLog.objects.filter(user=health_visitor, action="view").exists()


def test_a_child_their_search_found_opens_and_one_they_recorded_or_may_see_too(
    signed_in, school_practitioner, health_visitor, child, council_model
):
    client = signed_in(health_visitor)
    url = reverse("caf:caf_start", args=[child.pk])
    assert client.get(url).status_code == 404

    _search(client, "Jayden", "Smith")

    assert client.get(url).status_code == 200
    assert client.get(f"/referrals/start/?child={child.pk}").status_code == 200
    assert signed_in(school_practitioner).get(url).status_code == 200  # who recorded the child
    other = signed_in(health_visitor)  # a new session: the search is not remembered there
    assert other.get(url).status_code == 404
    assert AccessLog.objects.filter(user=health_visitor, child=child, what="Opened the page to start a CAF").exists()


def test_the_found_children_are_capped_per_session():
    request = RequestFactory().get("/")
    request.session = {}
    found_children_remember(request, list(range(1, 151)))
    found_children_remember(request, [*range(151, 301), 5])

    kept = found_children(request)
    assert len(kept) == FOUND_KEPT
    assert 5 in kept and 300 in kept and 101 not in kept and 6 not in kept  # the most recent ones


# What a search result shows -----------------------------------------------------------------------


def test_a_result_for_a_child_on_a_caf_the_searcher_may_not_see_says_only_that(
    signed_in, school_practitioner, health_visitor, caf_admin, child, council_model
):
    services.caf_start(user=school_practitioner, children=[child])  # the school's draft

    visitor = _page(_search(signed_in(health_visitor), "Jayden", "Smith"))
    initiator = _page(_search(signed_in(school_practitioner), "Jayden", "Smith"))
    administrator = _page(_search(signed_in(caf_admin), "Jayden", "Smith"))

    results = visitor.split('id="possible-matches"', 1)[1].split("</table>", 1)[0]
    cells = [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<td[^>]*>(.*?)</td>", results, re.S)]
    assert [" ".join(words) for words in cells[:3]] == [f"Jayden Smith {KNOWN}", "4 May 2016", "NB1"]
    assert "Oakfield" not in visitor and "2AB" not in visitor and "Priya" not in visitor
    assert KNOWN not in initiator  # their own CAF
    assert KNOWN not in administrator  # sees every CAF of the council


def test_a_child_with_no_caf_or_only_visible_ones_has_no_such_sentence(signed_in, health_visitor, child):
    assert KNOWN not in _page(_search(signed_in(health_visitor), "Jayden", "Smith"))


# Earlier referrals --------------------------------------------------------------------------------


def _earlier_decided(referrer, manager, child):
    with time_machine.travel(BEFORE, tick=False):
        earlier = _sent(referrer, [child])
        return rs.referral_decide(
            user=manager,
            referral=earlier,
            decision=Referral.Decision.NO_FURTHER_ACTION,
            reasons="Threshold not met",
            advice="Offer a CAF",
        )


@time_machine.travel(NOW, tick=False)
def test_a_practitioner_learns_only_that_the_front_door_will_see_earlier_referrals(
    signed_in, school_practitioner, health_visitor, social_care_manager, child
):
    _earlier_decided(health_visitor, social_care_manager, child)
    client = signed_in(school_practitioner)

    start = _page(client.get(f"/referrals/start/?child={child.pk}"))
    client.post(f"/referrals/start/?child={child.pk}", {"immediate_risk": "no"})
    draft = Referral.objects.get(status=Referral.Status.DRAFT)
    writing = _page(client.get(f"/referrals/{draft.pk}/"))

    for page in (start, writing):
        assert "Children's social care will see this child's earlier referrals." in page
        assert "re-referral" not in page
        assert "Health Visiting" not in page and "No further action" not in page
        assert "1 June 2026" not in page
    assert not AccessLog.objects.filter(user=school_practitioner, what__contains="earlier referral").exists()


@time_machine.travel(NOW, tick=False)
def test_the_earlier_referrer_and_a_social_care_manager_see_the_outcome_date_and_agency(
    signed_in, school_practitioner, health_visitor, social_care_manager, child
):
    _earlier_decided(health_visitor, social_care_manager, child)
    shown = "Referred on 1 June 2026 by Health Visiting"
    visitor = signed_in(health_visitor)
    _search(visitor, "Jayden", "Smith")  # to start a referral for a child they did not record

    by_referrer = _page(visitor.get(f"/referrals/start/?child={child.pk}"))
    again = _sent(school_practitioner, [child])
    by_manager = _page(signed_in(social_care_manager).get(f"/referrals/{again.pk}/"))

    assert "This is a re-referral" in by_referrer and shown in by_referrer and "No further action" in by_referrer
    assert "This is a re-referral" in by_manager and shown in by_manager and "No further action" in by_manager
    for user in (health_visitor, social_care_manager):
        row = AccessLog.objects.get(user=user, what="Viewed 1 earlier referral to children's social care")
        assert row.child_ids == [child.pk]


def test_a_child_known_to_early_help_goes_to_the_caf_administrator_not_a_second_caf(
    signed_in, school_practitioner, health_visitor, caf_admin, child, council_model
):
    from accounts.models import Notification
    from caf.models import Caf

    services.caf_start(user=school_practitioner, children=[child])  # the school's CAF
    client = signed_in(health_visitor)
    _search(client, "Jayden", "Smith")
    url = reverse("caf:caf_start", args=[child.pk])

    page = _page(client.get(url))
    assert "is known to early help" in page and "Ask the CAF administrator" in page
    assert "Oakfield" not in page  # nothing of the other agency's CAF
    response = client.post(url)
    assert response.status_code == 302
    assert Caf.objects.count() == 1  # no second CAF
    asked = Notification.objects.get(recipient=caf_admin, kind=Notification.Kind.CAF_REQUESTED)
    assert "Hannah Okoro" in asked.title and "Jayden Smith" in asked.title
    client.post(url)  # asking again tells nobody twice
    assert Notification.objects.filter(kind=Notification.Kind.CAF_REQUESTED).count() == 1
