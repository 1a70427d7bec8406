"""Enqueueing a background job once a change has committed, without ever keeping the request waiting
on the broker (Settled question 30): a connection of its own that tries once, with a short connect
timeout (kombu's shared connection retries for about 6 s, with the request waiting). A broker that is
down is logged and the caller's beat run or fallback does the work instead; it never fails the request.
"""

import logging
from typing import Any

from celery import Task, current_app

logger = logging.getLogger(__name__)

ENQUEUE_CONNECT_TIMEOUT = 0.5
ENQUEUE_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": ENQUEUE_CONNECT_TIMEOUT}


def enqueue_at_once(task: Task, *args: Any, what: str, log: logging.Logger = logger) -> bool:
    """Send `task(*args)` to the broker, or give up at once; `what` names it in the warning (whose
    logger is `log`). Returns whether it was sent. Call it from `transaction.on_commit`."""
    try:
        with current_app.connection_for_write(
            connect_timeout=ENQUEUE_CONNECT_TIMEOUT, transport_options=ENQUEUE_TRANSPORT_OPTIONS
        ) as connection:
            # Celery takes `connection` among its publishing options; its type stubs do not list it.
            task.apply_async(args, retry=False, connection=connection)  # type: ignore[call-arg]
    except Exception:  # a broker that is down must never fail the request
        log.warning("Could not enqueue %s", what, exc_info=True)
        return False
    return True
