"""Two-factor sign-in (issue 15): required for the roles that see many children, optional for
others, with recovery codes, and reset by an administrator (recorded)."""

import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.drafts import TOKEN_FIELD
from accounts.models import Notification, SignInSession, TwoFactorReset, User
from tests.factories import PASSWORD
from tests.test_drafts import NEEDS, field, textarea

NOW = "2026-12-07 10:00:00+00:00"  # a Monday


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sending_later(monkeypatch) -> list[int]:
    """Notifications are recorded and left for the worker, never sent to a broker."""
    scheduled: list[int] = []
    monkeypatch.setattr("accounts.notifications._send_soon", lambda: scheduled.append(1))
    return scheduled


def code_now(device: TOTPDevice) -> str:
    """What the person's authenticator app shows now: computed from the device's key, as the app does."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def with_second_factor(user: User) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return device, two_factor.recovery_codes_new(user=user)


def password_step(client: Client, user: User, next_url: str = "") -> object:
    address = f"/sign-in/?next={next_url}" if next_url else "/sign-in/"
    return client.post(address, {"username": user.email, "password": PASSWORD})


def signed_in_as(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


# A role that must --------------------------------------------------------------------------------


def test_the_right_password_alone_does_not_sign_in_a_caf_administrator(caf_admin, clock):
    client = Client()
    response = password_step(client, caf_admin)

    assert response.status_code == 302
    assert response["Location"] == "/sign-in/set-up/"
    assert signed_in_as(client) is None
    assert not SignInSession.objects.filter(user=caf_admin).exists()
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith("/sign-in/?next=")
    assert client.get("/cafs/")["Location"].startswith("/sign-in/")


@pytest.mark.parametrize("who", ["caf_admin", "social_care_manager", "council_admin"])
def test_every_role_that_sees_many_children_gets_the_second_step(who, request, clock):
    user = request.getfixturevalue(who)
    with_second_factor(user)
    client = Client()
    response = password_step(client, user)
    assert response["Location"] == "/sign-in/code/"
    assert signed_in_as(client) is None


def test_a_service_administrator_needs_it_too(db, clock):
    admin = User.objects.create_superuser("root@service.example", PASSWORD)
    client = Client()
    assert password_step(client, admin)["Location"] == "/sign-in/set-up/"
    assert signed_in_as(client) is None


def test_enrolment_at_sign_in_ends_signed_in_with_ten_recovery_codes(caf_admin, clock):
    client = Client()
    password_step(client, caf_admin, next_url="/cafs/")

    page = client.get("/sign-in/set-up/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "QR code of your authenticator secret" in html
    device = TOTPDevice.objects.get(user=caf_admin, confirmed=False)
    assert two_factor.secret_text(device) in html
    assert signed_in_as(client) is None
    # A reload shows the same secret: the app scanned a moment ago still matches.
    assert two_factor.secret_text(device) in client.get("/sign-in/set-up/").content.decode()

    done = client.post("/sign-in/set-up/", {"code": code_now(device)})

    assert done.status_code == 200
    html = done.content.decode()
    assert "Two-factor sign-in is on" in html
    codes = re.findall(r"<code[^>]*>([a-z2-7]{4}-[a-z2-7]{4})</code>", html)
    assert len(codes) == 10
    assert 'href="/cafs/"' in html  # onward to where they were going
    assert done["Cache-Control"].startswith("max-age=0") or "no-store" in done["Cache-Control"]
    assert signed_in_as(client) == caf_admin.pk
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=caf_admin).count() == 10
    assert SignInSession.objects.filter(user=caf_admin).count() == 1
    assert client.get("/cafs/").status_code == 200
    # Signing in next time asks for the code, not for setting up again.
    client.post("/sign-out/")
    assert password_step(client, caf_admin)["Location"] == "/sign-in/code/"


def test_a_wrong_code_at_enrolment_is_refused_with_an_error_summary(caf_admin, clock):
    client = Client()
    password_step(client, caf_admin)
    client.get("/sign-in/set-up/")
    device = TOTPDevice.objects.get(user=caf_admin)
    wrong = f"{(int(code_now(device)) + 1) % 1_000_000:06d}"

    response = client.post("/sign-in/set-up/", {"code": wrong})

    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "<title>Error: Set up two-factor sign-in" in html
    assert "The code is not right" in html
    assert signed_in_as(client) is None
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    # A recovery code is no answer at enrolment: there are none yet.
    assert "using numbers only" in client.post("/sign-in/set-up/", {"code": "abcd-efgh"}).content.decode()


def test_the_right_code_signs_in_and_goes_where_the_person_was_going(caf_admin, clock):
    device, _ = with_second_factor(caf_admin)
    client = Client()
    password_step(client, caf_admin, next_url="/cafs/")
    page = client.get("/sign-in/code/")
    assert page.status_code == 200 and "Enter your security code" in page.content.decode()

    response = client.post("/sign-in/code/", {"code": code_now(device)[:3] + " " + code_now(device)[3:]})

    assert response.status_code == 302 and response["Location"] == "/cafs/"
    assert signed_in_as(client) == caf_admin.pk
    assert SignInSession.objects.filter(user=caf_admin).count() == 1
    assert client.session.get(two_factor.VERIFIED_KEY)
    assert two_factor.PENDING_KEY not in client.session


def test_a_wrong_code_is_refused_with_an_error_summary(caf_admin, clock):
    device, _ = with_second_factor(caf_admin)
    client = Client()
    password_step(client, caf_admin)
    wrong = f"{(int(code_now(device)) + 500) % 1_000_000:06d}"

    response = client.post("/sign-in/code/", {"code": wrong})

    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "<title>Error: Enter your security code" in html
    assert "The code is not right" in html
    assert signed_in_as(client) is None
    fullwidth, arabic_indic = "\uff11\uff12\uff13\uff14\uff15\uff16", "\u0661\u0662\u0663\u0664\u0665\u0666"
    for bad in ["", "12345", fullwidth, arabic_indic, "abc\x00def"]:
        response = client.post("/sign-in/code/", {"code": bad})
        assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
        assert signed_in_as(client) is None


def test_a_code_already_used_is_refused(caf_admin, clock):
    device, _ = with_second_factor(caf_admin)
    code = code_now(device)
    first = Client()
    password_step(first, caf_admin)
    assert first.post("/sign-in/code/", {"code": code}).status_code == 302

    clock.shift(5)  # the same 30-second window: the app still shows the same code
    second = Client()
    password_step(second, caf_admin)
    response = second.post("/sign-in/code/", {"code": code})

    assert response.status_code == 200 and "The code is not right" in response.content.decode()
    assert signed_in_as(second) is None
    clock.shift(30)  # the next code works
    assert second.post("/sign-in/code/", {"code": code_now(device)}).status_code == 302
    assert signed_in_as(second) == caf_admin.pk


def test_a_recovery_code_works_once_only(social_care_manager, clock):
    _, codes = with_second_factor(social_care_manager)
    typed = f"{codes[3][:4].upper()}-{codes[3][4:].upper()}"  # as shown, in capitals
    first = Client()
    password_step(first, social_care_manager)
    assert first.post("/sign-in/code/", {"code": typed}).status_code == 302
    assert signed_in_as(first) == social_care_manager.pk
    assert StaticToken.objects.filter(device__user=social_care_manager).count() == 9

    second = Client()
    password_step(second, social_care_manager)
    response = second.post("/sign-in/code/", {"code": typed})
    assert response.status_code == 200 and "The code is not right" in response.content.decode()
    assert signed_in_as(second) is None
    assert second.post("/sign-in/code/", {"code": codes[4]}).status_code == 302


def test_wrong_codes_lock_the_account_like_wrong_passwords(caf_admin, clock, settings):
    device, _ = with_second_factor(caf_admin)
    wrong = f"{(int(code_now(device)) + 1) % 1_000_000:06d}"
    client = Client()
    password_step(client, caf_admin)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/sign-in/code/", {"code": wrong}).status_code == 200

    locked = client.post("/sign-in/code/", {"code": wrong})

    assert locked.status_code == 429
    assert "Your account is locked for now" in locked.content.decode()
    assert signed_in_as(client) is None
    # The half-done sign-in is over, and the password step is locked too, even with the right code next.
    assert client.get("/sign-in/code/")["Location"] == "/sign-in/"
    assert password_step(Client(), caf_admin).status_code == 429
    clock.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 60)
    again = Client()
    assert password_step(again, caf_admin)["Location"] == "/sign-in/code/"
    assert again.post("/sign-in/code/", {"code": code_now(device)}).status_code == 302


def test_the_code_step_waits_only_a_few_minutes(caf_admin, clock, settings):
    device, _ = with_second_factor(caf_admin)
    client = Client()
    password_step(client, caf_admin)
    clock.shift(settings.TWO_FACTOR_PENDING_MINUTES * 60 + 1)

    response = client.post("/sign-in/code/", {"code": code_now(device)})

    assert response.status_code == 302 and response["Location"] == "/sign-in/"
    assert signed_in_as(client) is None


def test_the_second_steps_without_a_password_first_go_to_sign_in(caf_admin, clock):
    with_second_factor(caf_admin)
    client = Client()
    for path in ["/sign-in/code/", "/sign-in/set-up/"]:
        assert client.get(path)["Location"] == "/sign-in/"
        assert client.post(path, {"code": "123456"})["Location"] == "/sign-in/"
    assert signed_in_as(client) is None


def test_someone_with_a_second_factor_cannot_set_up_another_at_sign_in(caf_admin, clock):
    with_second_factor(caf_admin)
    client = Client()
    password_step(client, caf_admin)
    assert client.get("/sign-in/set-up/")["Location"] == "/sign-in/code/"
    assert TOTPDevice.objects.filter(user=caf_admin).count() == 1


# A role that may ---------------------------------------------------------------------------------


def test_a_practitioner_signs_in_with_the_password_only(school_practitioner, clock):
    client = Client()
    response = password_step(client, school_practitioner)
    assert response["Location"] == "/"
    assert signed_in_as(client) == school_practitioner.pk
    assert not client.session.get(two_factor.VERIFIED_KEY)


def test_a_practitioner_sets_it_up_and_is_then_asked_for_it(school_practitioner, signed_in, clock):
    client = signed_in(school_practitioner)
    assert "two-factor" in client.get("/change-password/").content.decode().lower()
    page = client.get("/two-factor/").content.decode()
    assert "You sign in with your password only" in page
    assert "<svg" in client.get("/two-factor/set-up/").content.decode()
    device = TOTPDevice.objects.get(user=school_practitioner)

    done = client.post("/two-factor/set-up/", {"code": code_now(device)})

    assert done.status_code == 200
    assert len(re.findall(r"<code[^>]*>[a-z2-7]{4}-[a-z2-7]{4}</code>", done.content.decode())) == 10
    assert "You have 10 unused recovery codes" in client.get("/two-factor/").content.decode()
    assert client.get("/two-factor/set-up/")["Location"] == "/two-factor/"
    clock.shift(30)
    other = Client()
    assert password_step(other, school_practitioner)["Location"] == "/sign-in/code/"
    assert signed_in_as(other) is None
    assert other.post("/sign-in/code/", {"code": code_now(device)}).status_code == 302


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(school_practitioner, signed_in, clock):
    device, old = with_second_factor(school_practitioner)
    client = signed_in(school_practitioner)
    refused = client.post("/two-factor/recovery-codes/", {"code": "000000" if code_now(device) != "000000" else "1"})
    assert refused.status_code == 200 and "govuk-error-summary" in refused.content.decode()
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)

    response = client.post("/two-factor/recovery-codes/", {"code": code_now(device)})

    new = [
        code.replace("-", "")
        for code in re.findall(r"<code[^>]*>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode())
    ]
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)


def test_a_practitioner_turns_it_off_with_a_current_code(school_practitioner, signed_in, clock):
    _, codes = with_second_factor(school_practitioner)
    client = signed_in(school_practitioner)
    assert client.post("/two-factor/remove/", {"code": ""}).status_code == 200
    assert TOTPDevice.objects.filter(user=school_practitioner).exists()

    response = client.post("/two-factor/remove/", {"code": codes[0]})

    assert response.status_code == 302 and response["Location"] == "/two-factor/"
    assert not TOTPDevice.objects.filter(user=school_practitioner).exists()
    assert not StaticDevice.objects.filter(user=school_practitioner).exists()
    assert password_step(Client(), school_practitioner)["Location"] == "/"


def test_a_role_that_needs_it_cannot_turn_it_off(caf_admin, signed_in, clock):
    device, _ = with_second_factor(caf_admin)
    client = signed_in(caf_admin)
    assert "cannot turn it off" in client.get("/two-factor/remove/").content.decode()
    assert client.post("/two-factor/remove/", {"code": code_now(device)}).status_code == 403
    assert TOTPDevice.objects.filter(user=caf_admin, confirmed=True).exists()


def test_pages_for_a_second_factor_one_has_not_got_go_back_to_the_overview(school_practitioner, signed_in):
    client = signed_in(school_practitioner)
    for path in ["/two-factor/remove/", "/two-factor/recovery-codes/"]:
        assert client.get(path)["Location"] == "/two-factor/"
        assert client.post(path, {"code": "123456"})["Location"] == "/two-factor/"


def test_the_verified_predicate(caf_admin, school_practitioner, rf, clock):
    device, _ = with_second_factor(caf_admin)
    client = Client()
    password_step(client, caf_admin)
    client.post("/sign-in/code/", {"code": code_now(device)})
    request = rf.get("/")
    request.user = caf_admin
    request.session = client.session
    assert two_factor.verified(request)
    password_only = Client()
    password_step(password_only, school_practitioner)
    request.user = school_practitioner
    request.session = password_only.session
    assert not two_factor.verified(request)


# Reset by an administrator -----------------------------------------------------------------------


def test_a_council_administrator_resets_a_persons_second_factor(
    council_admin, caf_admin, signed_in, sending_later, clock
):
    with_second_factor(caf_admin)
    theirs = Client()
    password_step(theirs, caf_admin)
    theirs.post("/sign-in/code/", {"code": code_now(TOTPDevice.objects.get(user=caf_admin))})
    assert signed_in_as(theirs) == caf_admin.pk
    admin = signed_in(council_admin)
    change_page = admin.get(f"/admin/accounts/user/{caf_admin.pk}/change/").content.decode()
    reset_url = f"/admin/accounts/user/{caf_admin.pk}/two-factor-reset/"
    assert reset_url in change_page
    assert "Reset two-factor sign-in" in admin.get(reset_url).content.decode()

    response = admin.post(reset_url)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=caf_admin).exists()
    assert not StaticDevice.objects.filter(user=caf_admin).exists()
    record = TwoFactorReset.objects.get()
    assert (record.user, record.reset_by, record.council) == (caf_admin, council_admin, caf_admin.council)
    assert record.reset_at.isoformat().startswith("2026-12-07T10:00")
    notice = Notification.objects.get(recipient=caf_admin, kind=Notification.Kind.TWO_FACTOR_RESET)
    assert "Chris Patel reset your two-factor sign-in" in notice.body
    # They were signed out everywhere, and set it up again at their next sign-in.
    assert not SignInSession.objects.filter(user=caf_admin).exists()
    assert theirs.get("/")["Location"].startswith("/sign-in/")
    assert password_step(Client(), caf_admin)["Location"] == "/sign-in/set-up/"
    # The council's administrators see the record.
    assert "Colin Adeyemi" in admin.get("/admin/accounts/twofactorreset/").content.decode()


def test_another_councils_administrator_cannot_reset(other_council_admin, caf_admin, signed_in, sending_later, clock):
    with_second_factor(caf_admin)
    client = signed_in(other_council_admin)
    url = f"/admin/accounts/user/{caf_admin.pk}/two-factor-reset/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert TOTPDevice.objects.filter(user=caf_admin).exists()
    assert not TwoFactorReset.objects.exists()
    assert "Colin Adeyemi" not in client.get("/admin/accounts/twofactorreset/").content.decode()
    with pytest.raises(Exception, match="own council"):
        two_factor.two_factor_reset(person=caf_admin, reset_by=other_council_admin)
    assert TOTPDevice.objects.filter(user=caf_admin).exists()


def test_only_administrators_may_reset(caf_admin, school_practitioner, council_admin, signed_in, clock):
    with_second_factor(school_practitioner)
    assert not two_factor.may_reset(caf_admin, school_practitioner)
    assert two_factor.may_reset(council_admin, school_practitioner)
    service_admin = User.objects.create_superuser("root@service.example", PASSWORD)
    assert not two_factor.may_reset(council_admin, service_admin)
    assert two_factor.may_reset(service_admin, school_practitioner)
    # A CAF administrator cannot use the administration pages at all.
    response = signed_in(caf_admin).post(f"/admin/accounts/user/{school_practitioner.pk}/two-factor-reset/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert TOTPDevice.objects.filter(user=school_practitioner).exists()


def test_a_service_administrator_resets_anyones(db, caf_admin, signed_in, sending_later, clock):
    with_second_factor(caf_admin)
    service_admin = User.objects.create_superuser("root@service.example", PASSWORD)
    response = signed_in(service_admin).post(f"/admin/accounts/user/{caf_admin.pk}/two-factor-reset/")
    assert response.status_code == 302
    assert TwoFactorReset.objects.get().reset_by == service_admin
    assert not TOTPDevice.objects.filter(user=caf_admin).exists()


def test_resetting_ones_own_keeps_this_browser(council_admin, signed_in, sending_later, clock):
    with_second_factor(council_admin)
    client = Client()
    password_step(client, council_admin)
    client.post("/sign-in/code/", {"code": code_now(TOTPDevice.objects.get(user=council_admin))})
    response = client.post(f"/admin/accounts/user/{council_admin.pk}/two-factor-reset/")
    assert response.status_code == 302
    assert signed_in_as(client) == council_admin.pk
    assert Session.objects.count() == 1


# A form posted after the session ended (Settled question 19) --------------------------------------


def test_a_form_kept_after_the_session_ended_comes_back_only_after_the_second_factor(draft, school_practitioner, clock):
    device, _ = with_second_factor(school_practitioner)  # a practitioner who turned it on
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/sign-in/").content.decode()
    browser.post(
        "/sign-in/",
        {
            "username": school_practitioner.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"),
        },
    )
    code_page = browser.get("/sign-in/code/").content.decode()
    browser.post(
        "/sign-in/code/", {"code": code_now(device), "csrfmiddlewaretoken": field(code_page, "csrfmiddlewaretoken")}
    )
    url = f"/cafs/{draft.pk}/assessment/"
    form = browser.get(url).content.decode()
    needs = re.search(r'name="(needs_\d+)"', form).group(1)
    Session.objects.all().delete()  # the idle timeout
    kept = browser.post(
        url,
        {
            "csrfmiddlewaretoken": field(form, "csrfmiddlewaretoken"),
            TOKEN_FIELD: field(form, TOKEN_FIELD),
            needs: NEEDS,
        },
    )
    assert kept["Location"] == f"/sign-in/?next={url}"

    page = browser.get(kept["Location"]).content.decode()
    after_password = browser.post(
        kept["Location"],
        {
            "username": school_practitioner.email,
            "password": PASSWORD,
            "next": url,
            "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"),
        },
    )
    assert after_password["Location"] == "/sign-in/code/"
    assert browser.get(url)["Location"].startswith("/sign-in/")  # the password alone gives nothing back

    clock.shift(30)
    code_page = browser.get("/sign-in/code/").content.decode()
    done = browser.post(
        "/sign-in/code/", {"code": code_now(device), "csrfmiddlewaretoken": field(code_page, "csrfmiddlewaretoken")}
    )
    assert done["Location"] == url
    assert textarea(browser.get(url).content.decode(), needs) == NEEDS
