"""A real OpenID provider for the single sign-on tests: oidc-provider-mock (a Flask app) served by
werkzeug in a thread on 127.0.0.1, on a free port, with client registration required."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import oidc_provider_mock
import requests
from werkzeug.serving import make_server

from accounts.models import IdentityProvider
from accounts.sso import client_secret_encrypt

# Where Django's test client is sent back to: the redirect URI our client registers.
CALLBACK = "http://testserver/sign-in/organisation/return/"


@contextmanager
def running_provider() -> Iterator[str]:
    """The provider's issuer while the block runs."""
    app = oidc_provider_mock.app(require_client_registration=True, require_nonce=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def registered_provider(
    issuer: str, *, council, domains: list[str], agency=None, name: str = "Oakfield Trust"
) -> IdentityProvider:
    """Register our client with the provider (its registration endpoint) and configure it for a council."""
    answer = requests.post(f"{issuer}/oauth2/clients", json={"redirect_uris": [CALLBACK]}, timeout=5)
    assert answer.status_code == 201, answer.text
    client = answer.json()
    return IdentityProvider.objects.create(
        council=council,
        agency=agency,
        name=name,
        issuer=issuer,
        client_id=client["client_id"],
        client_secret_encrypted=client_secret_encrypt(client["client_secret"]),
        allowed_domains=domains,
    )
