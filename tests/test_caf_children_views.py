"""The children's screens: find before create, record a child, the child's page, the access log, merging."""

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from caf import services
from caf.models import AccessLog, Adult, Caf, Child
from tests.caf_helpers import active_caf, complete
from tests.factories import AgencyFactory, UserFactory


@pytest.fixture
def child(school_practitioner) -> Child:
    return services.child_create(
        user=school_practitioner,
        first_name="Jayden",
        last_name="Smith",
        date_of_birth=date(2016, 5, 4),
        postcode="nb1 2ab",
    )


@pytest.fixture
def health_visitor(council):
    agency = AgencyFactory(council=council, name="Health Visiting North")
    return UserFactory(full_name="Hannah Okoro", agency=agency, roles=[Role.PRACTITIONER])


@pytest.fixture
def unrelated_practitioner(council):
    agency = AgencyFactory(council=council, name="Neighbourhood Policing")
    return UserFactory(full_name="Pat Officer", agency=agency, roles=[Role.PRACTITIONER])


def new_child_answers(**changes):
    answers = {
        "first_name": "Olivia",
        "last_name": "Brown",
        "date_of_birth_0": "12",
        "date_of_birth_1": "9",
        "date_of_birth_2": "2018",
        "sex": "female",
        "postcode": "nb2 4cd",
        "nhs_number": "943 476 5919",
        "adult_1_full_name": "Joanne Brown",
        "adult_1_relationship": "mother",
        "adult_1_parental_responsibility": "on",
        "adult_1_phone": "07700 900101",
    }
    answers.update(changes)
    return {name: value for name, value in answers.items() if value is not None}


# Find before create -------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "last"), [("Jaden", "Smith"), ("Jayden", "Smyth"), ("Smith", "Jayden")])
def test_find_shows_spelling_variants_and_swapped_names(signed_in, school_practitioner, child, first, last):
    response = signed_in(school_practitioner).get(reverse("caf:child_find"), {"first_name": first, "last_name": last})
    assert response.status_code == 200
    assert [match.child for match in response.context["matches"]] == [child]
    content = response.content.decode()
    assert "Jayden Smith" in content
    assert "4 May 2016" in content
    assert "NB1" in content and "2AB" not in content  # the postcode area only
    assert reverse("caf:caf_start", args=[child.pk]) in content
    assert "None of these: record a new child" in content
    assert f"first_name={first}" in response.context["create_url"]
    assert AccessLog.objects.filter(user=school_practitioner, what__startswith="Searched for a child").count() == 1


@pytest.mark.parametrize("children", [2, 10])
def test_find_runs_a_fixed_number_of_queries(signed_in, school_practitioner, django_assert_max_num_queries, children):
    for number in range(children):
        services.child_create(
            user=school_practitioner,
            first_name="Jayden",
            last_name="Smith",
            date_of_birth=date(2016, 5, 4),
            postcode=f"NB{number} 1AA",
        )
    client = signed_in(school_practitioner)
    # One for which results are on a CAF the searcher may not see (Settled 18); then, for every result
    # at once, which records the searcher may open (four) and the open CAFs with their leads (two).
    with django_assert_max_num_queries(19):
        response = client.get(
            reverse("caf:child_find"),
            {"first_name": "Jaden", "last_name": "Smith", "postcode": "NB1 1AA"},
        )
    assert response.status_code == 200
    assert len(response.context["matches"]) == children
    assert response.context["matches"][0].child.postcode == "NB1 1AA"  # the same postcode ranks first


def test_find_links_the_records_the_searcher_may_open_and_names_each_open_caf_and_its_lead(
    signed_in, school_practitioner, school_colleague, unrelated_practitioner, caf_admin, child, council_model
):
    """A colleague of the initiator finds the child, opens their record and sees who leads the open
    CAF, so joins that team; someone of an agency with no part in it learns only that the child is
    known (Settled question 18)."""
    caf = active_caf(school_practitioner, child)
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=school_practitioner)
    search = {"first_name": "Jaden", "last_name": "Smith"}

    colleague = signed_in(school_colleague).get(reverse("caf:child_find"), search).content.decode()
    assert f'<a class="govuk-link" href="{reverse("caf:child_detail", args=[child.pk])}">Jayden Smith</a>' in colleague
    assert reverse("caf:caf_detail", args=[caf.pk]) in colleague
    assert "(active), led by Priya Shah, Oakfield Primary School" in colleague

    stranger = signed_in(unrelated_practitioner).get(reverse("caf:child_find"), search).content.decode()
    assert "Known to early help: contact the CAF administrator" in stranger
    assert reverse("caf:child_detail", args=[child.pk]) not in stranger
    assert reverse("caf:caf_detail", args=[caf.pk]) not in stranger
    assert "Priya Shah" not in stranger


def test_starting_a_caf_for_a_child_with_an_open_one_asks_first(
    signed_in, school_practitioner, school_colleague, child, council_model
):
    caf = active_caf(school_practitioner, child)
    client = signed_in(school_colleague)
    url = reverse("caf:caf_start", args=[child.pk])

    page = client.get(url).content.decode()
    assert "Jayden already has an open CAF." in page
    assert reverse("caf:caf_detail", args=[caf.pk]) in page

    refused = client.post(url, {})
    assert refused.status_code == 200
    assert "The child already has an open CAF: join its team, or tick to say why another is needed" in (
        refused.content.decode()
    )
    assert Caf.objects.count() == 1

    assert client.post(url, {"despite_open_caf": "on"}).status_code == 302
    assert Caf.objects.count() == 2


def test_find_with_no_match_offers_to_record_a_new_child(signed_in, school_practitioner, child):
    response = signed_in(school_practitioner).get(
        reverse("caf:child_find"),
        {"first_name": "Olivia", "last_name": "Brown", "date_of_birth_0": "1", "date_of_birth_1": "2"},
    )
    assert response.status_code == 200  # the incomplete date is an error, shown in the summary
    assert "Date of birth must include a year" in response.content.decode()
    assert response.context["matches"] is None
    response = signed_in(school_practitioner).get(
        reverse("caf:child_find"), {"first_name": "Olivia", "last_name": "Brown"}
    )
    assert response.context["matches"] == []
    assert "Record a new child" in response.content.decode()
    assert Child.objects.count() == 1


def test_find_stays_in_the_council(signed_in, other_council_user, child):
    response = signed_in(other_council_user).get(
        reverse("caf:child_find"), {"first_name": "Jayden", "last_name": "Smith"}
    )
    assert response.status_code == 200
    assert response.context["matches"] == []
    assert "4 May 2016" not in response.content.decode()
    assert "No possible matches" in response.content.decode()


# Recording a child --------------------------------------------------------------------------------


def test_the_new_child_form_carries_the_search_answers(signed_in, school_practitioner):
    response = signed_in(school_practitioner).get(
        reverse("caf:child_create"),
        {
            "first_name": "Olivia",
            "last_name": "Brown",
            "date_of_birth_0": "12",
            "date_of_birth_1": "9",
            "date_of_birth_2": "2018",
            "postcode": "nb2 4cd",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["first_name"] == "Olivia"
    assert form.initial["date_of_birth"] == date(2018, 9, 12)
    assert 'value="2018"' in response.content.decode()
    assert not Child.objects.exists()


def test_recording_a_new_child_with_the_household(signed_in, school_practitioner):
    client = signed_in(school_practitioner)
    response = client.post(reverse("caf:child_create"), new_child_answers())
    child = Child.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("caf:child_detail", args=[child.pk])
    assert (child.first_name, child.date_of_birth, child.postcode, child.nhs_number) == (
        "Olivia",
        date(2018, 9, 12),
        "NB2 4CD",
        "9434765919",
    )
    adult = Adult.objects.get()
    assert (adult.full_name, adult.relationship, adult.parental_responsibility, adult.council) == (
        "Joanne Brown",
        "mother",
        True,
        child.council,
    )
    assert AccessLog.objects.filter(child=child, action="change", what="Recorded the child").exists()
    page = client.get(response.url)
    assert "Olivia Brown&#x27;s record has been created." in page.content.decode()
    assert reverse("caf:caf_start", args=[child.pk]) in page.content.decode()


def test_an_unborn_child_is_recorded_with_an_expected_date(signed_in, school_practitioner):
    due = timezone.localdate() + relativedelta(months=3)
    answers = new_child_answers(
        date_of_birth_0="",
        date_of_birth_1="",
        date_of_birth_2="",
        expected_date_of_birth_0=str(due.day),
        expected_date_of_birth_1=str(due.month),
        expected_date_of_birth_2=str(due.year),
        sex="not_known",
    )
    response = signed_in(school_practitioner).post(reverse("caf:child_create"), answers)
    assert response.status_code == 302
    child = Child.objects.get()
    assert (child.date_of_birth, child.expected_date_of_birth, child.is_unborn) == (None, due, True)


def test_possible_matches_refuse_the_new_record_until_the_user_ticks(signed_in, school_practitioner, child):
    client = signed_in(school_practitioner)
    answers = new_child_answers(
        first_name="Jaden", last_name="Smith", date_of_birth_0="4", date_of_birth_1="5", date_of_birth_2="2016"
    )
    response = client.post(reverse("caf:child_create"), answers)
    assert response.status_code == 200
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert "1 possible match is already recorded" in content
    assert [match.child for match in response.context["matches"]] == [child]
    assert "I have checked: this is a new child" in content
    assert Child.objects.count() == 1
    assert not Adult.objects.exists()

    response = client.post(reverse("caf:child_create"), {**answers, "checked_new_child": "on"})
    assert response.status_code == 302
    assert Child.objects.count() == 2
    assert Child.objects.filter(first_name="Jaden").exists()


BAD_ANSWERS = {
    "bad NHS number": (
        {"nhs_number": "943 476 5918"},
        "This is not a valid NHS number: check it against the child&#x27;s records.",
    ),
    "bad UPN": ({"upn": "12345"}, "Enter a unique pupil number of 13 characters, starting with a letter."),
    "impossible date": ({"date_of_birth_0": "31", "date_of_birth_1": "2"}, "Date of birth must be a real date"),
    "letters in the date": ({"date_of_birth_1": "Sept"}, "Date of birth must be a real date"),
    "future date of birth": ({"date_of_birth_2": "2099"}, "Date of birth must be today or in the past"),
    "neither date": (
        {"date_of_birth_0": "", "date_of_birth_1": "", "date_of_birth_2": ""},
        "Enter the date of birth, or the expected date of birth for an unborn child",
    ),
    "both dates": (
        {"expected_date_of_birth_0": "1", "expected_date_of_birth_1": "1", "expected_date_of_birth_2": "2027"},
        "Enter a date of birth or an expected date of birth, not both",
    ),
    "an expected date too far ahead": (
        {
            "date_of_birth_0": "",
            "date_of_birth_1": "",
            "date_of_birth_2": "",
            "expected_date_of_birth_0": "1",
            "expected_date_of_birth_1": "1",
            "expected_date_of_birth_2": "2099",
        },
        "Expected date of birth must be within the next 10 months",
    ),
    "no name": ({"first_name": ""}, "Enter the child&#x27;s first name"),
    "an adult without a relationship": ({"adult_1_relationship": ""}, "Enter Joanne Brown&#x27;s relationship"),
}


@pytest.mark.parametrize("case", BAD_ANSWERS.keys())
def test_bad_answers_show_the_error_summary_and_record_nothing(signed_in, school_practitioner, case):
    changes, message = BAD_ANSWERS[case]
    response = signed_in(school_practitioner).post(reverse("caf:child_create"), new_child_answers(**changes))
    assert response.status_code == 200
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert "There is a problem" in content
    assert message in content
    assert content.count(message) >= 2  # in the summary and by the field
    assert "<title>Error: " in content
    assert not Child.objects.exists()
    assert not Adult.objects.exists()


def test_an_nhs_number_already_recorded_is_refused_by_the_service(signed_in, school_practitioner, child):
    child.nhs_number = "9434765919"
    child.save()
    answers = new_child_answers(checked_new_child="on")
    response = signed_in(school_practitioner).post(reverse("caf:child_create"), answers)
    assert response.status_code == 200
    assert "A child with this NHS number is already recorded: use that record." in response.content.decode()
    assert Child.objects.count() == 1
    assert not Adult.objects.exists()


def test_staff_without_an_agency_cannot_find_or_record(client, db):
    from accounts.models import User

    superuser = User.objects.create_superuser("ops@example.org", "a-long-password-for-ops")
    client.force_login(superuser)
    assert client.get(reverse("caf:child_find")).status_code == 403
    assert client.post(reverse("caf:child_create"), new_child_answers()).status_code == 403
    assert not Child.objects.exists()


# The child's page ---------------------------------------------------------------------------------


def test_the_initiator_sees_the_child_and_the_view_is_logged(signed_in, school_practitioner, child):
    response = signed_in(school_practitioner).get(reverse("caf:child_detail", args=[child.pk]))
    assert response.status_code == 200
    assert response.context["child"] == child
    assert "Jayden Smith" in response.content.decode()
    assert AccessLog.objects.filter(
        user=school_practitioner,
        agency=school_practitioner.agency,
        child=child,
        action="view",
        what="Viewed the child's record",
    ).exists()


def test_a_practitioner_of_an_unrelated_agency_gets_404_and_the_refusal_is_logged(
    signed_in, unrelated_practitioner, child
):
    response = signed_in(unrelated_practitioner).get(reverse("caf:child_detail", args=[child.pk]))
    assert response.status_code == 404
    assert "Jayden" not in response.content.decode()
    assert AccessLog.objects.filter(user=unrelated_practitioner, child=child, action="refused").exists()
    assert not AccessLog.objects.filter(user=unrelated_practitioner, action="view").exists()


def test_another_councils_user_gets_404(signed_in, other_council_user, child):
    response = signed_in(other_council_user).get(reverse("caf:child_detail", args=[child.pk]))
    assert response.status_code == 404
    assert AccessLog.objects.filter(user=other_council_user, child=child, action="refused").exists()
    assert signed_in(other_council_user).get(reverse("caf:child_detail", args=[999_999])).status_code == 404


def test_the_caf_administrator_sees_the_child_with_cafs_levels_and_chronology(
    signed_in, caf_admin, school_practitioner, child, council_model
):
    caf = active_caf(school_practitioner, child)
    response = signed_in(caf_admin).get(reverse("caf:child_detail", args=[child.pk]))
    assert response.status_code == 200
    assert [caf_child.caf for caf_child in response.context["caf_children"]] == [caf]
    assert [change.level.code for change in response.context["level_history"]] == ["2"]
    content = response.content.decode()
    assert "Assessment submitted: the CAF became active" in content
    assert "2: Early Help" in content
    assert reverse("caf:child_access_log", args=[child.pk]) in content
    assert reverse("caf:child_merge", args=[child.pk]) in content
    assert AccessLog.objects.filter(user=caf_admin, child=child, action="view").exists()


def test_a_taf_member_sees_the_child_and_leaving_the_taf_removes_it(
    signed_in, caf_admin, school_practitioner, health_visitor, child, council_model
):
    caf = active_caf(school_practitioner, child, health_visitor.agency)
    membership = services.taf_member_add(user=caf_admin, caf=caf, member=health_visitor)
    client = signed_in(health_visitor)
    assert client.get(reverse("caf:child_detail", args=[child.pk])).status_code == 200
    services.taf_member_remove(user=caf_admin, membership=membership)
    assert client.get(reverse("caf:child_detail", args=[child.pk])).status_code == 404
    assert AccessLog.objects.filter(user=health_visitor, child=child, action="refused").count() == 1


def test_a_merged_record_points_to_the_kept_one(signed_in, caf_admin, school_practitioner, child):
    duplicate = services.child_create(
        user=school_practitioner, first_name="Jaden", last_name="Smith", date_of_birth=date(2016, 5, 4)
    )
    services.child_merge(user=caf_admin, keep=child, duplicate=duplicate)
    response = signed_in(school_practitioner).get(reverse("caf:child_detail", args=[duplicate.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "This record was merged into" in content
    assert reverse("caf:child_detail", args=[child.pk]) in content
    assert reverse("caf:caf_start", args=[duplicate.pk]) not in content  # start from the kept record
    kept = signed_in(caf_admin).get(reverse("caf:child_detail", args=[child.pk]))
    assert kept.context["merged_records"] == [duplicate]


def _child_with_cafs(user, child, count):
    for _ in range(count):
        caf = services.caf_start(user=user, children=[child])
        complete(caf, user)
    return child


@pytest.mark.parametrize("cafs", [2, 10])
def test_the_childs_page_runs_a_fixed_number_of_queries(
    signed_in, school_practitioner, child, council_model, django_assert_max_num_queries, cafs
):
    _child_with_cafs(school_practitioner, child, cafs)
    client = signed_in(school_practitioner)
    with django_assert_max_num_queries(40):
        response = client.get(reverse("caf:child_detail", args=[child.pk]))
    assert response.status_code == 200
    assert len(response.context["caf_children"]) == cafs
    assert len(response.context["level_history"]) == cafs
    assert len(response.context["chronology"]) == cafs * 2  # started, level set


def test_the_childs_page_costs_the_same_at_two_sizes(signed_in, school_practitioner, child, council_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(school_practitioner)
    sizes = []
    for cafs in (2, 8):
        _child_with_cafs(school_practitioner, child, cafs)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("caf:child_detail", args=[child.pk])).status_code == 200
        sizes.append(len(queries))
    assert sizes[0] == sizes[1]
    assert Caf.objects.count() == 10


# The access log -----------------------------------------------------------------------------------


def test_the_caf_administrator_reads_the_access_log(signed_in, caf_admin, school_practitioner, child):
    signed_in(school_practitioner).get(reverse("caf:child_detail", args=[child.pk]))
    response = signed_in(caf_admin).get(reverse("caf:child_access_log", args=[child.pk]))
    assert response.status_code == 200
    entries = list(response.context["page"].entries)
    assert entries[0].what == "Viewed the access log" and entries[0].user == caf_admin
    assert {entry.what for entry in entries} >= {"Recorded the child", "Viewed the child's record"}
    content = response.content.decode()
    assert "Priya Shah" in content and "Oakfield Primary School" in content
    assert "<form" not in content.split("<main", 1)[1]  # read-only


def test_a_practitioner_cannot_read_the_access_log(signed_in, school_practitioner, child):
    # They recorded the child, so they may see the record: a 403 (a stranger gets a 404, below).
    response = signed_in(school_practitioner).get(reverse("caf:child_access_log", args=[child.pk]))
    assert response.status_code == 403
    assert AccessLog.objects.filter(user=school_practitioner, child=child, action="refused").exists()
    assert not AccessLog.objects.filter(user=school_practitioner, action="view").exists()


def test_another_councils_caf_administrator_cannot_read_the_access_log(signed_in, other_council_school, child):
    admin = UserFactory(agency=other_council_school, roles=[Role.CAF_ADMINISTRATOR])
    assert signed_in(admin).get(reverse("caf:child_access_log", args=[child.pk])).status_code == 404
    assert AccessLog.objects.filter(user=admin, child=child, action="refused").exists()


@pytest.mark.parametrize("entries", [10, 120])
def test_the_access_log_is_paged_by_key_with_a_fixed_number_of_queries(
    signed_in, caf_admin, child, django_assert_max_num_queries, entries
):
    AccessLog.objects.bulk_create(
        AccessLog(
            council=child.council,
            user=caf_admin,
            agency=caf_admin.agency,
            child=child,
            child_ids=[child.pk],
            action="view",
            what="x",
        )
        for _ in range(entries)
    )
    client = signed_in(caf_admin)
    url = reverse("caf:child_access_log", args=[child.pk])
    with django_assert_max_num_queries(16):  # 15, and the record's break-glass uses
        response = client.get(url)
    assert response.status_code == 200
    total = AccessLog.objects.filter(child_ids__contains=[child.pk]).count()
    assert total == entries + 2  # "Recorded the child", and this read
    page = response.context["page"]
    assert len(page.entries) == min(total, 50) and page.is_newest
    assert bool(response.context["older_query"]) == (total > 50)
    if entries > 50:
        # "Older" carries the time and id of the last row shown: every row once, in order.
        seen = [entry.pk for entry in page.entries]
        query = response.context["older_query"]
        while query:
            with django_assert_max_num_queries(16):
                older = client.get(f"{url}?{query}")
            assert older.status_code == 200 and not older.context["page"].is_newest
            seen += [entry.pk for entry in older.context["page"].entries]
            query = older.context["older_query"]
        assert len(seen) == len(set(seen)) == total
        newest_first = AccessLog.objects.filter(pk__in=seen).order_by("-at", "-pk").values_list("pk", flat=True)
        assert seen == list(newest_first)


# Merging ------------------------------------------------------------------------------------------


@pytest.fixture
def duplicate(health_visitor, council_model):
    duplicate = services.child_create(
        user=health_visitor, first_name="Jaden", last_name="Smith", date_of_birth=date(2016, 5, 4)
    )
    services.caf_start(user=health_visitor, children=[duplicate])
    return duplicate


def test_the_caf_administrator_merges_a_duplicate(signed_in, caf_admin, child, duplicate):
    client = signed_in(caf_admin)
    url = reverse("caf:child_merge", args=[child.pk])
    choose = client.get(url)
    assert choose.status_code == 200
    assert choose.context["candidates"] == [duplicate]

    confirm = client.get(url, {"duplicate": duplicate.pk})
    assert confirm.status_code == 200
    content = confirm.content.decode()
    assert "Check before you merge" in content
    assert "1 CAF" in content and "0 CAFs" in content
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None  # nothing changes until the POST

    response = client.post(url, {"duplicate": duplicate.pk})
    assert response.status_code == 302
    assert response.url == reverse("caf:child_detail", args=[child.pk])
    duplicate.refresh_from_db()
    assert (duplicate.merged_into, duplicate.merged_by) == (child, caf_admin)
    assert Child.objects.count() == 2  # both records are kept
    assert AccessLog.objects.filter(child=child, what=f"Merged record {duplicate.pk} into this one").exists()
    kept = client.get(response.url)
    assert len(kept.context["caf_children"]) == 1  # the duplicate's CAF shows on the kept record


def test_the_merge_refuses_a_record_that_is_not_a_possible_match(signed_in, caf_admin, child, school_practitioner):
    other = services.child_create(
        user=school_practitioner, first_name="Olivia", last_name="Brown", date_of_birth=date(2018, 9, 12)
    )
    response = signed_in(caf_admin).post(reverse("caf:child_merge", args=[child.pk]), {"duplicate": other.pk})
    assert response.status_code == 200
    assert "Choose one of the possible matches" in response.content.decode()
    other.refresh_from_db()
    assert other.merged_into is None


def test_a_practitioner_cannot_merge(signed_in, school_practitioner, child, duplicate):
    client = signed_in(school_practitioner)
    url = reverse("caf:child_merge", args=[child.pk])
    assert client.get(url).status_code == 403  # they may see the child, not merge records
    assert client.post(url, {"duplicate": duplicate.pk}).status_code == 403
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert AccessLog.objects.filter(user=school_practitioner, child=child, action="refused").count() == 2
