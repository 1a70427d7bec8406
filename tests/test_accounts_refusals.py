"""The accounts services' refusals, called directly: changing an e-mail address to one already in use
or to the same one, a link that is altered, expired, used or someone else's, an address taken
meanwhile; notifications for someone who has left or someone else's; a council's or an agency's
settings that contradict themselves; and the council scoping every page fetches through. Each
refusal says why and writes nothing."""

import re
from datetime import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from accounts.models import Agency, EmailChange, LocalAuthority, Notification, Role, User
from accounts.notifications import notification_mark_read, notification_record, notifications_for
from accounts.scoping import get_for_user_or_404
from accounts.services import (
    EMAIL_CHANGE_SALT,
    email_change_from_token,
    user_email_change_confirm,
    user_email_change_request,
)
from tests.factories import LocalityFactory, UserFactory

OLD = "priya@oakfield.example"
NEW = "priya.shah@newschool.example"
LINK_PROBLEM = "This link has expired or is not a link we sent."
LINK_USED = "This link has already been used, or a later change replaced it."


@pytest.fixture(autouse=True)
def sending_later(monkeypatch) -> None:
    # Recording is what these tests check; sending is tests/test_notifications.py's.
    monkeypatch.setattr("accounts.notifications._send_soon", lambda: None)


def token_for(change: EmailChange) -> str:
    """The token in the link sent to the new address (what the person follows)."""
    notification = Notification.objects.get(
        kind=Notification.Kind.EMAIL_CHANGE_CONFIRM, subject_key__endswith=f":{change.pk}"
    )
    return notification.url.rstrip("/").rsplit("/", 1)[-1]


def account_state(user: User) -> tuple:
    user.refresh_from_db()
    changes = list(EmailChange.objects.filter(user=user).values_list("new_email", "confirmed_at", "cancelled_at"))
    told = list(Notification.objects.filter(recipient=user).values_list("kind", "email"))
    return user.email, changes, told


# Asking for a change ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [OLD, "  PRIYA@Oakfield.Example "])
def test_changing_an_address_to_the_same_one_is_refused_on_the_email_field(typed, school_practitioner, council_admin):
    before = account_state(school_practitioner)
    with pytest.raises(ValidationError) as refused:
        user_email_change_request(user=school_practitioner, new_email=typed, requested_by=council_admin)
    assert refused.value.message_dict == {"email": ["This is already their e-mail address."]}
    assert account_state(school_practitioner) == before


def test_an_address_someone_else_has_is_refused_however_it_is_typed(school_practitioner, council_admin, caf_admin):
    before = account_state(school_practitioner)
    with pytest.raises(ValidationError) as refused:
        user_email_change_request(
            user=school_practitioner, new_email=" Colin@EarlyHelp.example", requested_by=council_admin
        )
    assert refused.value.message_dict == {"email": ["Someone already has an account with this e-mail address."]}
    assert account_state(school_practitioner) == before
    assert not EmailChange.objects.exists()


# Following the link -------------------------------------------------------------------------------


def test_the_link_is_only_for_the_person_it_is_about(school_practitioner, council_admin):
    change = user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    before, admin_before = account_state(school_practitioner), account_state(council_admin)
    with pytest.raises(PermissionDenied, match=re.escape("This link is for someone else's account.")):
        user_email_change_confirm(user=council_admin, token=token_for(change))
    assert account_state(school_practitioner) == before
    assert account_state(council_admin) == admin_before


def test_a_link_works_once(school_practitioner, council_admin):
    change = user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    token = token_for(change)
    user_email_change_confirm(user=school_practitioner, token=token)
    after = account_state(school_practitioner)
    assert after[0] == NEW
    with pytest.raises(ValidationError) as refused:
        user_email_change_confirm(user=school_practitioner, token=token)
    assert refused.value.messages == [LINK_USED]
    assert account_state(school_practitioner) == after


def test_a_replaced_link_is_refused_and_the_later_one_works(school_practitioner, council_admin):
    first = user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    later = user_email_change_request(
        user=school_practitioner, new_email="p.shah@other.example", requested_by=council_admin
    )
    with pytest.raises(ValidationError) as refused:
        user_email_change_confirm(user=school_practitioner, token=token_for(first))
    assert refused.value.messages == [LINK_USED]
    school_practitioner.refresh_from_db()
    assert school_practitioner.email == OLD
    user_email_change_confirm(user=school_practitioner, token=token_for(later))
    assert school_practitioner.email == "p.shah@other.example"


TOKENS = {
    "not signed": lambda: "nonsense",
    "signed for another purpose": lambda: signing.TimestampSigner(salt="another.purpose").sign("1"),
    "not a change's number": lambda: signing.TimestampSigner(salt=EMAIL_CHANGE_SALT).sign("not-a-number"),
    "no such change": lambda: signing.TimestampSigner(salt=EMAIL_CHANGE_SALT).sign("999999999"),
}


@pytest.mark.parametrize("kind", TOKENS)
def test_a_link_we_did_not_send_is_refused(kind, school_practitioner, council_admin):
    token = TOKENS[kind]()
    user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    before = account_state(school_practitioner)
    with pytest.raises(ValidationError) as refused:
        email_change_from_token(token)
    assert refused.value.messages == [LINK_PROBLEM]
    with pytest.raises(ValidationError):
        user_email_change_confirm(user=school_practitioner, token=token)
    assert account_state(school_practitioner) == before


def test_an_address_taken_since_the_request_is_refused_and_the_old_address_kept(
    school_practitioner, council_admin, school
):
    change = user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    UserFactory(email=NEW, agency=school, roles=[Role.PRACTITIONER])  # someone else joins with it meanwhile
    before = account_state(school_practitioner)
    with pytest.raises(ValidationError) as refused:
        user_email_change_confirm(user=school_practitioner, token=token_for(change))
    assert refused.value.messages == ["Someone else now has an account with this e-mail address."]
    assert account_state(school_practitioner) == before  # the old address, unconfirmed, nobody told
    assert school_practitioner.email == OLD


# Notifications ------------------------------------------------------------------------------------


def record(recipient: User, subject_key: str = "review:1:2026-12-01") -> Notification | None:
    return notification_record(
        recipient=recipient, kind=Notification.Kind.REVIEW_DUE, subject_key=subject_key, title="Review", body="Soon"
    )


def test_nobody_who_has_left_is_notified(school):
    left = UserFactory(agency=school, roles=[Role.PRACTITIONER], is_active=False)
    assert record(left) is None
    assert not Notification.objects.filter(recipient=left).exists()


def test_the_same_notification_is_recorded_once(school_practitioner):
    first = record(school_practitioner)
    assert first is not None
    assert record(school_practitioner) is None
    assert list(Notification.objects.filter(recipient=school_practitioner)) == [first]


def test_nobody_marks_someone_elses_notification_read(school_practitioner, health_visitor):
    theirs = record(health_visitor)
    with pytest.raises(Http404):
        notification_mark_read(user=school_practitioner, notification_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_a_read_notification_read_again_keeps_when_it_was_read(school_practitioner):
    notification = record(school_practitioner)
    first_read = notification_mark_read(user=school_practitioner, notification_id=notification.pk).read_at
    assert notification_mark_read(user=school_practitioner, notification_id=notification.pk).read_at == first_read
    assert not notifications_for(user=school_practitioner).filter(read_at__isnull=True).exists()


# Settings that contradict themselves --------------------------------------------------------------


def test_a_working_day_must_end_after_it_starts(council):
    council.working_day_starts, council.working_day_ends = time(17, 0), time(9, 0)
    with pytest.raises(ValidationError) as refused:
        council.full_clean()
    assert refused.value.message_dict["working_day_ends"] == ["The working day must end after it starts."]
    council.refresh_from_db()
    assert (council.working_day_starts, council.working_day_ends) == (time(9, 0), time(17, 0))


def test_an_agency_takes_a_locality_of_its_own_council_only(school, other_council):
    elsewhere = LocalityFactory(council=other_council, name="South")
    school.locality = elsewhere
    with pytest.raises(ValidationError) as refused:
        school.full_clean()
    assert refused.value.message_dict["locality"] == ["Choose a locality of the agency's own council."]
    assert Agency.objects.get(pk=school.pk).locality.council == school.council


def test_an_account_needs_an_email_address():
    with pytest.raises(ValueError, match="A user needs an e-mail address"):
        User.objects.create_user("", full_name="Nobody")
    assert not User.objects.filter(full_name="Nobody").exists()


def test_a_service_administrator_is_made_with_their_address_normalised_and_no_agency():
    admin = User.objects.create_superuser(" Root@Council.Example ", password="x" * 20)
    assert (admin.email, admin.full_name, admin.is_staff, admin.agency) == (
        "root@council.example",
        "Service administrator",
        True,
        None,
    )
    assert (admin.council_id, admin.council, str(admin)) == (None, None, "Service administrator")


# Council scoping ----------------------------------------------------------------------------------


def test_scoping_shows_nothing_to_someone_signed_out_or_who_has_left(council, school):
    left = UserFactory(agency=school, roles=[Role.PRACTITIONER], is_active=False)
    assert not LocalAuthority.objects.for_user(AnonymousUser()).exists()
    assert not LocalAuthority.objects.for_user(left).exists()
    assert not LocalAuthority.objects.for_council(None).exists()


def test_another_councils_record_is_not_found(school_practitioner, other_council, council):
    with pytest.raises(Http404):
        get_for_user_or_404(LocalAuthority.objects.all(), school_practitioner, pk=other_council.pk)
    assert get_for_user_or_404(LocalAuthority.objects.all(), school_practitioner, pk=council.pk) == council


def test_a_service_administrator_sees_every_council(council, other_council):
    admin = User.objects.create_superuser("root@council.example", password="x" * 20)
    assert set(LocalAuthority.objects.for_user(admin)) == {council, other_council}
