import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests.factories import PASSWORD


def test_sign_in_with_the_right_password_goes_to_the_home_page(school_practitioner):
    client = Client()
    response = client.post("/sign-in/", {"username": school_practitioner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session[SESSION_KEY]) == school_practitioner.pk


def test_sign_in_ignores_the_case_of_the_email_address(school_practitioner):
    client = Client()
    response = client.post("/sign-in/", {"username": school_practitioner.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == school_practitioner.pk


def test_a_wrong_password_is_refused_with_an_error_summary(school_practitioner):
    client = Client()
    response = client.post("/sign-in/", {"username": school_practitioner.email, "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "Enter a correct e-mail address and password" in page
    assert "<title>Error: Sign in" in page
    assert SESSION_KEY not in client.session


def test_an_empty_form_names_each_missing_answer():
    response = Client().post("/sign-in/", {"username": "", "password": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter your e-mail address" in page
    assert "Enter your password" in page


def test_an_inactive_person_cannot_sign_in(school_practitioner):
    school_practitioner.is_active = False
    school_practitioner.save()
    client = Client()
    response = client.post("/sign-in/", {"username": school_practitioner.email, "password": PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_repeated_failures_lock_the_account_even_against_the_right_password(school_practitioner, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/sign-in/", {"username": school_practitioner.email, "password": "guess"})

    response = client.post("/sign-in/", {"username": school_practitioner.email, "password": PASSWORD})

    assert response.status_code == 429
    assert "Your account is locked for now" in response.content.decode()
    assert SESSION_KEY not in client.session
    # A different browser, or the address typed in capitals, is locked too.
    other = Client()
    response = other.post("/sign-in/", {"username": school_practitioner.email.upper(), "password": PASSWORD})
    assert response.status_code == 429


def test_the_lock_lifts_after_the_cool_off(school_practitioner, settings):
    with time_machine.travel("2026-11-23 10:00", tick=False) as traveller:
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/sign-in/", {"username": school_practitioner.email, "password": "guess"})
        assert (
            client.post("/sign-in/", {"username": school_practitioner.email, "password": PASSWORD}).status_code == 429
        )

        traveller.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 60)
        response = client.post("/sign-in/", {"username": school_practitioner.email, "password": PASSWORD})

        assert response.status_code == 302
        assert int(client.session[SESSION_KEY]) == school_practitioner.pk


def test_failures_below_the_limit_do_not_lock(school_practitioner, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/sign-in/", {"username": school_practitioner.email, "password": "guess"})
    response = client.post("/sign-in/", {"username": school_practitioner.email, "password": PASSWORD})
    assert response.status_code == 302


def test_one_locked_account_does_not_lock_another(school_practitioner, caf_admin, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post("/sign-in/", {"username": school_practitioner.email, "password": "guess"})
    response = client.post("/sign-in/", {"username": caf_admin.email, "password": PASSWORD})
    assert response.status_code == 302


def test_sign_out_ends_the_session(signed_in, school_practitioner):
    client = signed_in(school_practitioner)
    response = client.post("/sign-out/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302


def test_sign_out_needs_a_post_so_a_link_cannot_sign_someone_out(signed_in, school_practitioner):
    client = signed_in(school_practitioner)
    assert client.get("/sign-out/").status_code == 405
    assert int(client.session[SESSION_KEY]) == school_practitioner.pk


def test_anonymous_visitors_are_sent_to_sign_in(db):
    client = Client()
    for path in ["/", "/change-password/", "/admin/"]:
        response = client.get(path, follow=True)
        final_path, _ = response.redirect_chain[-1]
        assert final_path.startswith("/sign-in/?next="), path
        assert '<h1 class="govuk-heading-l">Sign in</h1>' in response.content.decode()


def test_the_sign_in_page_is_open_to_everyone(db):
    response = Client().get("/sign-in/")
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in response.content.decode()


def test_a_signed_in_person_visiting_sign_in_goes_home(signed_in, school_practitioner):
    response = signed_in(school_practitioner).get("/sign-in/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_session_ends_after_inactivity(signed_in, school_practitioner, settings):
    with time_machine.travel("2026-11-23 10:00", tick=False) as traveller:
        client = signed_in(school_practitioner)
        assert client.get("/").status_code == 200
        traveller.shift(settings.SESSION_COOKIE_AGE + 60)
        response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
