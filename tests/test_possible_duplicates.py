"""Possible duplicate records (issue 14): found in the database when a record is made and nightly,
queued for the council's CAF administrators (the most likely first), merged with the two records
side by side and a choice per field, or kept apart; nobody else sees or does any of it."""

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Role
from caf import services
from caf.models import AccessLog, Child, PossibleDuplicate
from caf.services.duplicates import SAME_UPN, SOUNDS_ALIKE
from caf.tasks import possible_duplicates_tick
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/children/possible-duplicates/"


def record(user, first_name, last_name="Smith", born=date(2016, 5, 4), **fields) -> Child:
    return services.child_create(user=user, first_name=first_name, last_name=last_name, date_of_birth=born, **fields)


def pair_of(first: Child, second: Child) -> PossibleDuplicate:
    low, high = sorted([first.pk, second.pk])
    return PossibleDuplicate.objects.get(child_a_id=low, child_b_id=high)


def page(response) -> str:
    return response.content.decode()


def test_a_record_like_one_already_there_is_queued_when_it_is_made(child, school_practitioner, other_council_user):
    jaden = record(school_practitioner, "Jaden", postcode="NB1 2AB")
    record(school_practitioner, "Jordan")  # same date of birth: neither sounds nor is spelt alike
    record(school_practitioner, "Jayden", born=date(2017, 5, 4))  # another date of birth
    record(other_council_user, "Jayden")  # another council's child

    found = pair_of(child, jaden)
    assert (found.reasons, found.status, found.council_id) == (SOUNDS_ALIKE, "open", child.council_id)
    assert found.score > 1  # names alike, the date of birth, the postcode and the sound
    assert PossibleDuplicate.objects.count() == 1


def test_a_shared_pupil_number_is_found_and_a_rerun_adds_nothing(school_practitioner, caf_admin):
    older = record(school_practitioner, "Amira", "Khan", born=date(2015, 1, 1), upn="A123456789012")
    newer = record(school_practitioner, "Ameera", "Kahn", born=date(2015, 1, 10), upn="A123456789012")
    found = pair_of(older, newer)
    assert found.reasons == SAME_UPN
    services.possible_duplicate_dismiss(user=caf_admin, pair=found)

    assert services.possible_duplicates_find() == 0
    assert possible_duplicates_tick.apply().get() == 0  # beat's nightly task, run for real (eagerly)
    found.refresh_from_db()
    assert found.status == PossibleDuplicate.Status.NOT_DUPLICATE  # dismissed stays dismissed


def test_the_nightly_run_finds_what_changed_after_a_record_was_made(child, school_practitioner, capsys):
    later = record(school_practitioner, "Jay", "Smithson", born=date(2016, 5, 5))
    assert not PossibleDuplicate.objects.exists()
    Child.objects.filter(pk=later.pk).update(first_name="Jaiden", last_name="Smith", date_of_birth=date(2016, 5, 4))

    call_command("possible_duplicates_find", "--council", "northbridge")

    assert "1 new possible duplicate pair recorded." in capsys.readouterr().out
    assert pair_of(child, later).is_open


def test_the_queue_lists_the_most_likely_first_to_caf_administrators_only(
    child, school_practitioner, caf_admin, signed_in, other_council_admin
):
    alike = record(school_practitioner, "Jaden", postcode="NB1 2AB")
    less_alike = record(school_practitioner, "Jadon", "Smyth")
    client = signed_in(caf_admin)

    listing = page(client.get(QUEUE))

    first, second = pair_of(child, alike), pair_of(alike, less_alike)
    assert listing.index(f'id="pair-{first.pk}"') < listing.index(f'id="pair-{second.pk}"')
    assert "Compare and merge" in listing and "3 pairs to check" in listing
    assert AccessLog.objects.filter(user=caf_admin, what="Viewed the possible duplicate records").exists()
    assert signed_in(school_practitioner).get(QUEUE).status_code == 404
    assert signed_in(other_council_admin).get(QUEUE).status_code == 404
    assert client.post(QUEUE).status_code == 405


@pytest.mark.parametrize("pairs", [2, 8])
def test_the_queue_runs_a_fixed_number_of_queries(
    pairs, school_practitioner, caf_admin, signed_in, django_assert_max_num_queries
):
    for n in range(pairs):
        record(school_practitioner, "Jayden", f"Twin{n}", born=date(2016, 1, n + 1))
        record(school_practitioner, "Jaden", f"Twin{n}", born=date(2016, 1, n + 1))
    client = signed_in(caf_admin)
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE)
    assert page(response).count("Compare and merge") == pairs


def test_a_merge_shows_both_records_and_keeps_the_answers_chosen_field_by_field(
    child, school_practitioner, caf_admin, signed_in
):
    jaden = record(school_practitioner, "Jaden", postcode="NB1 9ZZ", nhs_number="9434765919", upn="")
    found = pair_of(child, jaden)
    client = signed_in(caf_admin)
    url = reverse("caf:possible_duplicate_merge", args=[found.pk])

    comparison = page(client.get(url))
    assert "Jayden" in comparison and "Jaden" in comparison and "Differs" in comparison
    assert 'name="first_name"' in comparison and 'name="postcode"' in comparison
    assert 'name="last_name"' not in comparison  # the same in both: nothing to choose

    response = client.post(
        url, {"keep": child.pk, "first_name": child.pk, "postcode": jaden.pk, "nhs_number": jaden.pk}
    )

    assert response.status_code == 302 and response["Location"] == reverse("caf:child_detail", args=[child.pk])
    child.refresh_from_db()
    jaden.refresh_from_db()
    assert (child.first_name, child.postcode, child.nhs_number) == ("Jayden", "NB1 9ZZ", "9434765919")
    assert jaden.merged_into_id == child.pk  # kept, and pointing at the record kept
    found.refresh_from_db()
    assert (found.status, found.resolved_by) == (PossibleDuplicate.Status.MERGED, caf_admin)
    assert AccessLog.objects.filter(child_ids__contains=[child.pk], what__startswith="Took from record").exists()
    # Each change is a correction record (Settled question 18): what it was, what it became, from where.
    corrections = {(c.field, c.old_value, c.new_value, c.taken_from_id) for c in child.corrections.all()}
    assert corrections == {("postcode", "NB1 2AB", "NB1 9ZZ", jaden.pk), ("nhs_number", "", "9434765919", jaden.pk)}
    assert not possible_duplicates_in_queue(client)


def possible_duplicates_in_queue(client) -> bool:
    return "Compare and merge" in page(client.get(QUEUE))


def test_bad_choices_are_shown_on_the_form_and_merge_nothing(child, school_practitioner, caf_admin, signed_in):
    jaden = record(school_practitioner, "Jaden")
    found = pair_of(child, jaden)
    url = reverse("caf:possible_duplicate_merge", args=[found.pk])
    client = signed_in(caf_admin)

    for answers in [{}, {"keep": child.pk, "first_name": 999999}, {"keep": "Jayden", "first_name": child.pk}]:
        response = client.post(url, answers)
        assert response.status_code == 200 and "govuk-error-summary" in page(response), answers

    assert "Choose the record to keep" in page(client.post(url, {"first_name": child.pk}))
    jaden.refresh_from_db()
    assert jaden.merged_into_id is None and pair_of(child, jaden).is_open
    assert not child.corrections.exists()


def test_a_resolved_pair_is_not_merged_again(child, school_practitioner, caf_admin, signed_in):
    jaden = record(school_practitioner, "Jaden")
    found = pair_of(child, jaden)
    client = signed_in(caf_admin)
    dismissed = client.post(reverse("caf:possible_duplicate_dismiss", args=[found.pk]), follow=True)
    assert "kept apart as different children" in page(dismissed)

    url = reverse("caf:possible_duplicate_merge", args=[found.pk])
    response = client.post(url, {"keep": child.pk, "first_name": child.pk})

    assert response.status_code == 200 and "not the same child" in page(response)
    jaden.refresh_from_db()
    assert jaden.merged_into_id is None
    again = client.post(reverse("caf:possible_duplicate_dismiss", args=[found.pk]), follow=True)
    assert "already resolved" in page(again)


def test_only_the_councils_caf_administrators_open_a_pair(
    child, school_practitioner, caf_admin, signed_in, other_council_user, health_visitor
):
    jaden = record(school_practitioner, "Jaden")
    found = pair_of(child, jaden)
    urls = [
        reverse("caf:possible_duplicate_merge", args=[found.pk]),
        reverse("caf:possible_duplicate_dismiss", args=[found.pk]),
    ]
    other_admin = UserFactory(agency=other_council_user.agency, roles=[Role.CAF_ADMINISTRATOR])
    for url in urls:
        assert signed_in(school_practitioner).post(url).status_code == 403  # recorded them: may see, not merge
        assert signed_in(health_visitor).post(url).status_code == 404
        assert signed_in(other_admin).post(url).status_code == 404
    assert signed_in(caf_admin).get(urls[1]).status_code == 405
    assert pair_of(child, jaden).is_open
    assert AccessLog.objects.filter(user=health_visitor, action=AccessLog.Action.REFUSED).exists()


def test_the_caf_administrators_home_page_queues_the_pairs(child, school_practitioner, caf_admin, signed_in):
    jaden = record(school_practitioner, "Jaden")
    home = page(signed_in(caf_admin).get("/"))
    assert "Possible duplicate records" in home
    assert reverse("caf:possible_duplicate_merge", args=[pair_of(child, jaden).pk]) in home
    assert "Possible duplicate records" not in page(signed_in(school_practitioner).get("/"))
