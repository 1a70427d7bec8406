"""The access log's shape (Settled question 17): each row names every child it is about in
`child_ids`, a child's log is read through that array alone and paged by key, list pages and searches
write one row per page with the children shown, and every refusal is logged, ids that match nothing
and pages that end in 403 included."""

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import ResolverMatch, reverse
from django.utils import timezone

from caf import services
from caf.access_log import access_log_write
from caf.middleware import RefusalLogMiddleware
from caf.models import AccessLog, Caf
from caf.selectors import access_log_for_caf, access_log_for_child, access_log_page
from caf.views import children as children_views
from referrals import services as rs
from referrals.models import Referral
from tests.factories import AgencyFactory, UserFactory

MISSING = 987_654


def _sent(user, children):
    referral = rs.referral_start(user=user, children=children)
    return rs.referral_send(
        user=user,
        referral=referral,
        concern="Bruising",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put the child at risk",
    )


def _record(user, first_name, last_name="Smith"):
    return services.child_create(user=user, first_name=first_name, last_name=last_name, date_of_birth=date(2016, 5, 4))


def _refused(user):
    return AccessLog.objects.filter(user=user, action=AccessLog.Action.REFUSED)


# Writing ------------------------------------------------------------------------------------------


def test_a_row_names_its_children_from_the_child_the_caf_or_the_list(school_practitioner, child, council_model):
    sister = _record(school_practitioner, "Amber")
    caf = services.caf_start(user=school_practitioner, children=[child, sister])

    about_child = access_log_write(user=school_practitioner, action="view", what="a", child=child)
    about_caf = access_log_write(user=school_practitioner, action="view", what="b", caf=caf)
    prefetched = Caf.objects.prefetch_related("children").get(pk=caf.pk)
    about_prefetched = access_log_write(user=school_practitioner, action="view", what="c", caf=prefetched)
    about_list = access_log_write(user=school_practitioner, action="view", what="d", child_ids=[sister.pk, child.pk])

    assert about_child.child == child and about_child.child_ids == [child.pk]  # the column kept as before
    assert about_caf.child_ids == sorted([child.pk, sister.pk])  # read by the INSERT itself
    assert about_prefetched.child_ids == sorted([child.pk, sister.pk])
    assert about_list.child_ids == sorted([child.pk, sister.pk]) and about_list.child is None
    stored = dict(AccessLog.objects.filter(what__in=["a", "b", "c", "d"]).values_list("what", "child_ids"))
    assert stored == {
        "a": [child.pk],
        "b": sorted([child.pk, sister.pk]),
        "c": sorted([child.pk, sister.pk]),
        "d": sorted([child.pk, sister.pk]),
    }


def test_a_cafs_row_holds_its_children_at_the_time_of_writing(school_practitioner, child, council_model):
    caf = services.caf_start(user=school_practitioner, children=[child])
    access_log_write(user=school_practitioner, action="view", what="before", caf=caf)
    sister = _record(school_practitioner, "Amber")
    caf.caf_children.create(child=sister)
    access_log_write(user=school_practitioner, action="view", what="after", caf=caf)

    assert AccessLog.objects.get(what="before").child_ids == [child.pk]
    assert AccessLog.objects.get(what="after").child_ids == sorted([child.pk, sister.pk])


def test_an_id_that_matches_nothing_is_kept_as_attempted(school_practitioner):
    row = access_log_write(user=school_practitioner, action="refused", what="x", attempted_id=MISSING)
    too_big = access_log_write(user=school_practitioner, action="refused", what="y", attempted_id=2**70)
    row.refresh_from_db()
    assert (row.attempted_id, row.child_ids, row.council_id) == (MISSING, [], school_practitioner.council_id)
    assert AccessLog.objects.get(pk=too_big.pk).attempted_id is None  # still logged, without the id


# Reading a child's log ----------------------------------------------------------------------------


def test_a_childs_log_is_read_through_the_array_alone(caf_admin, school_practitioner, child, council_model):
    duplicate = _record(school_practitioner, "Jaden")
    other = _record(school_practitioner, "Olivia", "Brown")
    services.caf_start(user=school_practitioner, children=[duplicate])
    services.child_merge(user=caf_admin, keep=child, duplicate=duplicate)
    access_log_write(user=school_practitioner, action="view", what="a list", child_ids=[other.pk, duplicate.pk])
    access_log_write(user=school_practitioner, action="view", what="another child", child=other)

    entries = access_log_for_child(caf_admin, child)
    sql = str(entries.query)

    whats = set(entries.values_list("what", flat=True))
    assert "a list" in whats  # a list page that showed the merged record
    assert f"Merged record {duplicate.pk} into this one" in whats
    assert "another child" not in whats
    assert '"child_ids" &&' in sql
    assert "DISTINCT" not in sql and "caf_cafchild" not in sql and "caf_caf" not in sql


def _link(response, rel):
    """The href of the page's "Newer" (prev) or "Older" (next) link, or None."""
    found = re.search(rf'href="([^"]*)" rel="{rel}"', response.content.decode())
    return found[1].replace("&amp;", "&") if found else None


def _whats(response):
    return [entry.what for entry in response.context["page"].entries]


def test_the_log_page_shows_the_childs_rows_newest_first_across_pages_by_key(
    signed_in, caf_admin, school_practitioner, child
):
    other = _record(school_practitioner, "Olivia", "Brown")
    base = timezone.now() - timedelta(days=1)
    # 60 reads a minute apart, the oldest written first, and another child's rows that must never
    # show. Reads 47 and 48 share an instant, across the first page's edge: the id breaks the tie.
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                council=child.council,
                user=school_practitioner,
                child_ids=[child.pk],
                action="view",
                what=f"read {number}",
                at=base - timedelta(minutes=number if number != 48 else 47),
            )
            for number in reversed(range(60))
        ]
        + [
            AccessLog(council=child.council, user=school_practitioner, child_ids=[other.pk], action="view", what="not")
            for _ in range(5)
        ]
    )
    client = signed_in(caf_admin)
    url = reverse("caf:child_access_log", args=[child.pk])

    newest = client.get(url)
    older = client.get(_link(newest, "next"))
    newer = client.get(_link(older, "prev"))

    # The newest page: this visit, the child's recording, then the 48 newest reads; "Older" only.
    assert _whats(newest) == ["Viewed the access log", "Recorded the child"] + [f"read {n}" for n in range(48)]
    assert _link(newest, "prev") is None and "This log has 62 entries." in newest.content.decode()
    assert _link(newest, "next").startswith(f"{url}?older=")
    # Older: the rest, from the read tied with the last one shown; the first visit is counted.
    assert _whats(older) == [f"read {n}" for n in range(48, 60)]
    assert older.context["page"].older is None and "This log has 63 entries." in older.content.decode()
    # Newer from the older page: the full page just newer than its first row, newest first.
    assert _whats(newer) == ["Viewed the access log", "Recorded the child"] + [f"read {n}" for n in range(48)]
    assert newer.context["page"].newer is not None  # the two later visits are newer still
    assert "not" not in _whats(newest) + _whats(older)
    # A key that does not parse shows the newest page, never an error.
    for bad in ({"older": "not a time~x"}, {"newer": "2026-13-45T99:00~1"}, {"older": "~"}):
        response = client.get(url, bad)
        assert response.status_code == 200 and response.context["page"].is_newest


def test_past_the_end_of_the_log_the_page_says_so(signed_in, caf_admin, child):
    client = signed_in(caf_admin)
    url = reverse("caf:child_access_log", args=[child.pk])

    response = client.get(url, {"older": f"2000-01-01T00:00:00+00:00~{MISSING}"})

    assert response.status_code == 200 and response.context["page"].entries == []
    assert "No older entries." in response.content.decode()


def test_a_long_log_is_counted_only_up_to_a_thousand(signed_in, caf_admin, school_practitioner, child):
    AccessLog.objects.bulk_create(
        AccessLog(council=child.council, user=school_practitioner, child_ids=[child.pk], action="view", what="read")
        for _ in range(1001)
    )

    response = signed_in(caf_admin).get(reverse("caf:child_access_log", args=[child.pk]))

    assert "This log has more than 1,000 entries." in response.content.decode()
    assert len(response.context["page"].entries) == 50


@pytest.mark.parametrize("size", [5, 50])
def test_a_log_page_runs_the_same_queries_whatever_its_size(
    signed_in, caf_admin, child, council, size, monkeypatch, django_assert_max_num_queries
):
    # Each row by a different person of a different agency: their names come with the rows.
    readers = [UserFactory(agency=AgencyFactory(council=council)) for _ in range(size + 5)]
    AccessLog.objects.bulk_create(
        AccessLog(council=council, user=reader, agency=reader.agency, child_ids=[child.pk], action="view", what="read")
        for reader in readers
    )
    monkeypatch.setattr(children_views, "ACCESS_LOG_PAGE_SIZE", size)
    client = signed_in(caf_admin)
    url = reverse("caf:child_access_log", args=[child.pk])

    with django_assert_max_num_queries(16):  # 15, and the record's break-glass uses
        newest = client.get(url)
    with django_assert_max_num_queries(16):
        older = client.get(_link(newest, "next"))

    assert len(newest.context["page"].entries) == size
    # The visit and the newest reads first, then the next reads, each with its reader's agency.
    assert [entry.user for entry in older.context["page"].entries[:2]] == [readers[-size], readers[-size - 1]]
    assert readers[-size].agency.name in older.content.decode()


@pytest.mark.parametrize("who", ["school_practitioner", "other_council_user", "social_worker"])
def test_only_the_councils_caf_administrators_read_a_childs_log(signed_in, request, child, who):
    user = request.getfixturevalue(who)
    access_log_write(user=user, action="view", what="secret read", child=child)

    response = signed_in(user).get(reverse("caf:child_access_log", args=[child.pk]))

    # Who may see the child is refused the page (403); anyone else is told nothing (404).
    assert response.status_code == (403 if who == "school_practitioner" else 404)
    assert "secret read" not in response.content.decode()
    assert _refused(user).get().what.startswith("Refused")


def test_a_cafs_log_is_read_by_caf_alone_in_its_index_order(caf_admin, school_practitioner, child, council_model):
    caf = services.caf_start(user=school_practitioner, children=[child])
    other = services.caf_start(user=school_practitioner, children=[_record(school_practitioner, "Amber")])
    access_log_write(user=school_practitioner, action="view", what="this caf", caf=caf)
    access_log_write(user=school_practitioner, action="view", what="that caf", caf=other)

    entries = access_log_for_caf(caf_admin, caf)
    page = access_log_page(entries, size=50)
    sql = str(entries.order_by("-at", "-pk").query)

    whats = [entry.what for entry in page.entries]
    assert whats[0] == "this caf" and "that caf" not in whats
    assert '"caf_accesslog"."caf_id" =' in sql and " OR " not in sql and "JOIN" not in sql
    with pytest.raises(Http404):
        access_log_for_caf(school_practitioner, caf)


# One row per list page or search, with the children shown ---------------------------------------


def test_the_caf_list_writes_one_row_with_the_children_it_shows(
    signed_in, school_practitioner, health_visitor, child, council_model
):
    sister = _record(school_practitioner, "Amber")
    services.caf_start(user=school_practitioner, children=[child, sister])
    hidden = _record(health_visitor, "Zara", "Jones")
    services.caf_start(user=health_visitor, children=[hidden])

    response = signed_in(school_practitioner).get(reverse("caf:caf_list"))

    assert response.status_code == 200 and "Amber" in response.content.decode()
    row = AccessLog.objects.get(user=school_practitioner, what__startswith="Viewed the list of CAFs")
    assert row.child_ids == sorted([child.pk, sister.pk]) and row.action == "view"


def test_a_search_writes_one_row_with_the_children_it_found(signed_in, school_practitioner, child):
    _record(school_practitioner, "Olivia", "Brown")
    signed_in(school_practitioner).get(reverse("caf:child_find"), {"first_name": "Jaden", "last_name": "Smith"})
    row = AccessLog.objects.get(user=school_practitioner, what__startswith="Searched for a child")
    assert row.child_ids == [child.pk]


def test_the_queues_write_one_row_with_the_children_they_show(
    signed_in, school_practitioner, social_care_manager, caf_admin, early_help_hub, child
):
    sister = _record(school_practitioner, "Amber")
    _sent(school_practitioner, [child])
    referral = _sent(school_practitioner, [sister])
    rs.referral_decide(
        user=social_care_manager,
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
            "consent_agencies": [early_help_hub],
        },
    )

    assert signed_in(social_care_manager).get(reverse("referrals:front_door")).status_code == 200
    assert signed_in(caf_admin).get(reverse("referrals:pick_up_queue")).status_code == 200

    front_door = AccessLog.objects.get(user=social_care_manager, what="Viewed the front-door queue")
    pick_up = AccessLog.objects.get(user=caf_admin, what="Viewed the step-down pick-up queue")
    assert front_door.child_ids == [child.pk]  # the decided referral has left the queue
    assert pick_up.child_ids == [sister.pk]


def test_the_home_page_writes_one_row_with_the_children_it_names(
    signed_in, school_practitioner, child, council_model, social_care_manager, council_admin
):
    sister = _record(school_practitioner, "Amber")
    services.caf_start(user=school_practitioner, children=[child])  # a draft
    _sent(school_practitioner, [sister])  # a referral of theirs

    assert signed_in(school_practitioner).get("/").status_code == 200
    assert signed_in(council_admin).get("/").status_code == 200

    row = AccessLog.objects.get(user=school_practitioner, what="Viewed the home page")
    assert row.child_ids == sorted([child.pk, sister.pk])
    assert not AccessLog.objects.filter(user=council_admin).exists()  # names no child, writes nothing


# Refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/cafs/{MISSING}/",
        f"/children/{MISSING}/",
        f"/children/{MISSING}/access-log/",
        f"/children/{MISSING}/merge/",
        f"/cafs/start/{MISSING}/",
        f"/referrals/start/?child={MISSING}",
        f"/referrals/{MISSING}/",
        f"/step-downs/{MISSING}/",
    ],
)
def test_an_id_that_matches_nothing_is_a_logged_refusal(signed_in, school_practitioner, url):
    response = signed_in(school_practitioner).get(url)

    assert response.status_code == 404
    row = _refused(school_practitioner).get()
    assert (row.attempted_id, row.child_ids, row.child, row.caf) == (MISSING, [], None, None)
    assert row.what.startswith("Refused")


def test_a_refused_referral_is_logged_against_its_children(
    signed_in, school_practitioner, social_care, other_council_user, child
):
    referral = _sent(school_practitioner, [child])
    assert signed_in(other_council_user).get(f"/referrals/{referral.pk}/").status_code == 404
    row = _refused(other_council_user).get()
    assert row.child_ids == [child.pk] and row.attempted_id is None


def test_a_page_that_ends_in_403_is_a_logged_refusal(signed_in, school_practitioner, social_worker, child):
    referral = _sent(school_practitioner, [child])  # a social worker may read it but not decide it

    response = signed_in(social_worker).get(f"/referrals/{referral.pk}/decide/")

    assert response.status_code == 403
    row = _refused(social_worker).get()
    assert row.child_ids == [child.pk] and row.agency == social_worker.agency
    assert row.what.startswith(f"Refused GET /referrals/{referral.pk}/decide/")
    assert "social care managers decide referrals" in row.what
    assert Referral.objects.get().status == Referral.Status.SENT


def test_the_middleware_logs_what_was_asked_for_even_when_it_does_not_exist(school_practitioner, child):
    middleware = RefusalLogMiddleware(lambda request: None)
    factory = RequestFactory()

    def refuse(user, **kwargs):
        request = factory.post("/somewhere/")
        request.user = user
        request.resolver_match = ResolverMatch(lambda request: None, (), kwargs)
        assert middleware.process_exception(request, PermissionDenied("No.")) is None  # Django answers 403

    refuse(school_practitioner, caf_id=MISSING)
    refuse(school_practitioner, child_id=child.pk)
    refuse(school_practitioner, referral_id=MISSING)
    refuse(school_practitioner)
    refuse(AnonymousUser(), child_id=child.pk)  # nobody to log: the sign-in page comes first

    rows = list(_refused(school_practitioner).order_by("pk").values_list("attempted_id", "child_ids", "what"))
    assert rows == [
        (MISSING, [], "Refused POST /somewhere/: No."),
        (None, [child.pk], "Refused POST /somewhere/: No."),
        (MISSING, [], "Refused POST /somewhere/: No."),
        (None, [], "Refused POST /somewhere/: No."),
    ]
    assert AccessLog.objects.filter(action="refused").count() == 4
