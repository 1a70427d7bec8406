"""/healthz: whether this instance can reach its database and its broker, as JSON.

Compose health checks and monitoring call it over plain HTTP on any host name, so it answers
before the HTTPS redirect, the host check and sign-in. It reveals nothing but reachability.
"""

import json
import time
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse

from config.celery import app as celery_app

HEALTH_PATH = "/healthz"


def database_status(alias: str = "default") -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SHOW server_version")
            (version,) = cursor.fetchone()
    except Exception as error:  # any failure to reach the database means unhealthy
        return {"ok": False, "error": type(error).__name__}
    finally:
        # A failed connection must not be reused by the next request of this thread.
        connections[alias].close_if_unusable_or_obsolete()
    return {
        "ok": True,
        "engine": f"PostgreSQL {version.split()[0]}",
        "milliseconds": round((time.monotonic() - started) * 1000, 1),
    }


def broker_status() -> dict[str, Any]:
    started = time.monotonic()
    transport = celery_app.conf.broker_url.split("://", 1)[0]
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=celery_app.conf.broker_connection_timeout)
    except Exception as error:  # any failure to reach the broker means unhealthy
        return {"ok": False, "transport": transport, "error": type(error).__name__}
    return {
        "ok": True,
        "transport": transport,
        "milliseconds": round((time.monotonic() - started) * 1000, 1),
    }


def health_response() -> HttpResponse:
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "unhealthy", **checks}
    return HttpResponse(
        json.dumps(body),
        status=200 if healthy else 503,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
