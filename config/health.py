"""/healthz: whether this web instance can serve requests, that is reach its database; and
/healthz/all: whether it can reach its database and its broker, for monitoring.

The load balancer and the web container's health check call /healthz, which does not ask the
broker: every page works with the broker down (a change that notifies someone is committed, the
enqueue after it is logged and skipped, and beat's sender catches up once the broker is back), so
a Redis outage must not take every web instance out of service. Monitoring calls /healthz/all to
hear of the broker too; the worker's own health check is Celery's ping.

Compose health checks and monitoring call it over plain HTTP on any host name, so it answers
before the HTTPS redirect, the host check and sign-in. It answers only "ok" (200) or "failing"
(503): no versions, timings or component names for anyone to read. Which part failed, and why,
goes to the log.
"""

import logging
from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponse

from config.celery import app as celery_app

HEALTH_PATH = "/healthz"
HEALTH_ALL_PATH = "/healthz/all"

logger = logging.getLogger(__name__)


def database_ok(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any failure to reach the database means unhealthy
        logger.warning("Health check: the database does not answer", exc_info=True)
        return False
    finally:
        # A failed connection must not be reused by the next request of this thread.
        connections[alias].close_if_unusable_or_obsolete()
    return True


def broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=celery_app.conf.broker_connection_timeout)
    except Exception:  # any failure to reach the broker means unhealthy
        logger.warning("Health check: the broker does not answer", exc_info=True)
        return False
    return True


def health_response(*, with_broker: bool = False) -> HttpResponse:
    # Every part asked is checked every time, so the log names every part that is down.
    healthy = all([database_ok(), *([broker_ok()] if with_broker else [])])
    return HttpResponse(
        "ok" if healthy else "failing",
        status=200 if healthy else 503,
        content_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in (HEALTH_PATH, HEALTH_ALL_PATH) and request.method in ("GET", "HEAD"):
            return health_response(with_broker=request.path == HEALTH_ALL_PATH)
        return self.get_response(request)
