"""Where a person is signed in (issue 15): their sessions listed with a way to end each, signed out
everywhere else when their password changes, and everywhere when it is reset; only their own."""

from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import SignInSession
from tests.factories import PASSWORD
from tests.sign_in import signed_in_through_the_pages

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-password-for-jayden's-team"


def browser(user, agent: str) -> Client:
    """A browser that signs in through the sign-in form, as a person does."""
    # The second factor too, where the role asks for it (a CAF administrator).
    return signed_in_through_the_pages(Client(HTTP_USER_AGENT=agent), user.email, PASSWORD)


def still_signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_a_person_sees_their_sessions_and_signs_another_out(school_practitioner, caf_admin):
    office = browser(school_practitioner, "Firefox on the office PC")
    laptop = browser(school_practitioner, "Edge on the school laptop")
    browser(caf_admin, "Someone else's browser")

    page = office.get("/sessions/").content.decode()
    assert "2 sessions" in page and "Firefox on the office PC" in page and "Edge on the school laptop" in page
    assert "Someone else" not in page
    assert page.index("This browser") < page.index("Edge on the school laptop")  # this browser first
    laptop_session = SignInSession.objects.get(user=school_practitioner, user_agent="Edge on the school laptop")

    response = office.post("/sessions/end/", {"session": laptop_session.pk}, follow=True)

    assert "Signed out of 1 other session." in response.content.decode()
    assert not still_signed_in(laptop) and still_signed_in(office)
    assert not SignInSession.objects.filter(pk=laptop_session.pk).exists()


def test_signing_out_everywhere_else_keeps_only_this_browser(school_practitioner):
    browsers = [browser(school_practitioner, f"Browser {n}") for n in range(3)]

    browsers[0].post("/sessions/end/", {"session": "others"})

    assert [still_signed_in(each) for each in browsers] == [True, False, False]
    assert SignInSession.objects.filter(user=school_practitioner).count() == 1


def test_a_password_change_signs_the_person_out_everywhere_else(school_practitioner):
    here, elsewhere = browser(school_practitioner, "Here"), browser(school_practitioner, "Elsewhere")

    response = here.post(
        "/change-password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "You were signed out everywhere else (1 other session)." in response.content.decode()
    assert still_signed_in(here) and not still_signed_in(elsewhere)
    # This browser's session, under the new key the change gave it, is still the one listed.
    page = here.get("/sessions/").content.decode()
    assert "1 session" in page and "This browser" in page and "Elsewhere" not in page


def test_a_password_reset_signs_the_person_out_everywhere(school_practitioner):
    signed_in_browsers = [browser(school_practitioner, "Office"), browser(school_practitioner, "Home")]
    resetting = Client()
    school_practitioner.refresh_from_db()  # the token covers the last sign-in
    uid = urlsafe_base64_encode(force_bytes(school_practitioner.pk))
    token = default_token_generator.make_token(school_practitioner)
    form_url = resetting.get(f"/password-reset/{uid}/{token}/")["Location"]

    done = resetting.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert not any(still_signed_in(each) for each in signed_in_browsers)
    assert not SignInSession.objects.filter(user=school_practitioner).exists()


def test_only_ones_own_sessions_can_be_ended(school_practitioner, caf_admin):
    mine = browser(school_practitioner, "Mine")
    theirs = browser(caf_admin, "Theirs")
    their_session = SignInSession.objects.get(user=caf_admin)
    my_session = SignInSession.objects.get(user=school_practitioner)

    assert mine.post("/sessions/end/", {"session": their_session.pk}).status_code == 404
    assert mine.post("/sessions/end/", {"session": my_session.pk}).status_code == 404  # sign out instead
    assert mine.post("/sessions/end/", {"session": "not-a-session"}).status_code == 400
    assert mine.post("/sessions/end/", {}).status_code == 400
    assert mine.get("/sessions/end/").status_code == 405
    assert still_signed_in(theirs) and still_signed_in(mine)
    assert Client().get("/sessions/")["Location"].startswith("/sign-in/")


def test_signing_out_and_timing_out_leave_no_session_listed(school_practitioner):
    leaving = browser(school_practitioner, "Leaving")
    idle = browser(school_practitioner, "Left idle")
    leaving.post("/sign-out/")
    idle_session = SignInSession.objects.get(user_agent="Left idle")
    Session.objects.filter(session_key=idle_session.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )

    today = browser(school_practitioner, "Today")

    assert "1 session" in today.get("/sessions/").content.decode()
    assert list(SignInSession.objects.values_list("user_agent", flat=True)) == ["Today"]  # the others forgotten
    assert not still_signed_in(idle)


@pytest.mark.parametrize("others", [1, 6])
def test_the_sessions_page_runs_a_fixed_number_of_queries(others, school_practitioner, django_assert_max_num_queries):
    for n in range(others):
        browser(school_practitioner, f"Browser {n}")
    here = browser(school_practitioner, "Here")
    with django_assert_max_num_queries(10):
        response = here.get("/sessions/")
    assert f"{others + 1} sessions" in response.content.decode()
