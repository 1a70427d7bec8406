"""Council scoping: the queryset pattern every app uses refuses another council's rows."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from accounts.models import Agency, LocalAuthority, Locality, User
from accounts.scoping import get_for_user_or_404


def test_a_user_sees_only_their_own_councils_agencies(
    school, early_help_hub, other_council_school, school_practitioner
):
    assert set(Agency.objects.for_user(school_practitioner)) == {school, early_help_hub}


def test_a_user_sees_only_their_own_councils_users(school_practitioner, caf_admin, other_council_user):
    visible = set(User.objects.for_user(school_practitioner))
    assert visible == {school_practitioner, caf_admin}


def test_councils_and_localities_are_scoped_the_same_way(council, other_council, locality, school_practitioner):
    assert list(LocalAuthority.objects.for_user(school_practitioner)) == [council]
    assert list(Locality.objects.for_user(school_practitioner)) == [locality]


def test_fetching_another_councils_record_is_not_found(school_practitioner, other_council_school):
    with pytest.raises(Http404):
        get_for_user_or_404(Agency.objects, school_practitioner, pk=other_council_school.pk)


def test_fetching_ones_own_councils_record_works(school_practitioner, school):
    assert get_for_user_or_404(Agency.objects, school_practitioner, pk=school.pk) == school


def test_anonymous_and_inactive_users_see_nothing(school_practitioner, school):
    assert not Agency.objects.for_user(AnonymousUser()).exists()
    school_practitioner.is_active = False
    assert not Agency.objects.for_user(school_practitioner).exists()


def test_a_service_administrator_sees_every_council(school, other_council_school):
    superuser = User.objects.create_superuser("ops@example.org", "a-long-password-for-ops")
    assert set(Agency.objects.for_user(superuser)) == {school, other_council_school}


def test_moving_a_user_to_another_councils_agency_moves_what_they_see(
    school_practitioner, other_council_school, school
):
    school_practitioner.agency = other_council_school
    school_practitioner.save()
    user = User.objects.get(pk=school_practitioner.pk)
    assert list(Agency.objects.for_user(user)) == [other_council_school]


def test_a_user_must_belong_to_an_agency(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="nobody@example.org", full_name="Nobody")])
    with pytest.raises(ValidationError, match="Choose the agency"):
        User.objects.create_user("nobody@example.org", "a-long-password-here", full_name="Nobody")
    assert not User.objects.filter(email="nobody@example.org").exists()
