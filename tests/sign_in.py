"""Signing in through the pages, as a person does, second factor included: for the tests that sign in
through the form rather than with force_login (tests/test_two_factor.py tests the steps themselves)."""

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor


def authenticator_code(device: TOTPDevice) -> str:
    """What the person's authenticator app shows now (django-otp's own TOTP, from the device's key)."""
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def second_step(client: Client, where: str) -> None:
    """After the password, where it sent the person: set up the authenticator app, or give its code
    (a recovery code when the app's code of this moment was used already, as when a test's clock
    stands still)."""
    if where not in ("/sign-in/set-up/", "/sign-in/code/"):
        return
    user_id = client.session[two_factor.PENDING_KEY]["user"]
    if where == "/sign-in/set-up/":
        client.get(where)
        device = TOTPDevice.objects.get(user_id=user_id, confirmed=False)
        assert client.post(where, {"code": authenticator_code(device)}).status_code == 200
        return
    device = TOTPDevice.objects.select_related("user").get(user_id=user_id, confirmed=True)
    if TOTP(device.bin_key, device.step, device.t0, device.digits).t() > device.last_t:
        code = authenticator_code(device)
    else:
        code = two_factor.recovery_codes_new(user=device.user)[0]
    assert client.post(where, {"code": code}).status_code == 302


def signed_in_through_the_pages(client: Client, email: str, password: str) -> Client:
    """Sign in with the form, and the second factor where it is asked for; fails unless signed in."""
    response = client.post("/sign-in/", {"username": email, "password": password})
    assert response.status_code == 302, "the password was refused"
    second_step(client, response["Location"])
    assert SESSION_KEY in client.session, "not signed in"
    return client


def browser_second_step(page: Any, base_url: str, user: Any) -> None:
    """The same in a real browser (Playwright), after the password was submitted."""
    path = page.url.removeprefix(base_url)
    if path.startswith("/sign-in/set-up/"):
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        page.fill("#id_code", authenticator_code(device))
        page.click("#id_submit")
        page.get_by_role("link", name="I have kept my recovery codes: continue").click()
    elif path.startswith("/sign-in/code/"):
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.fill("#id_code", authenticator_code(device))
        page.click("#id_submit")
    page.wait_for_load_state("load")
