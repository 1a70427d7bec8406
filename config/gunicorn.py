"""gunicorn's settings for the production web tier: `gunicorn --config config/gunicorn.py config.wsgi`.

gthread workers (Settled question 29): WEB_CONCURRENCY processes of WEB_THREADS threads each, 2 x 4 unless
the environment says otherwise (a 2-core machine: two processes, and threads to overlap the time each
request waits on PostgreSQL). Each worker pools its database connections, one per thread at most
(psycopg's pool through Django, `post_fork` below), so a container holds up to workers x threads
connections.
"""

import os
from typing import Any


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdecimal() or int(value) < 1:
        # SystemExit, not ValueError: gunicorn prints the message and stops instead of a traceback.
        raise SystemExit(f"{name} must be a whole number of 1 or more, not {value!r}")
    return int(value)


bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = env_int("WEB_CONCURRENCY", 2)
threads = env_int("WEB_THREADS", 4)
accesslog = "-"
# The app loads in each worker after the fork (gunicorn's default, said here because post_fork needs it):
# loaded in the master, the settings would be read before post_fork could ask for the pool.
preload_app = False


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker, before it loads the app: a gthread worker pools its connections, one per thread
    (config/settings.py reads DATABASE_POOL_MAX_SIZE). Set here, in the worker, and not in the master's
    environment, so nothing else the master starts, and no process that forks (Celery), inherits it; and
    from the configuration gunicorn really runs (a `--threads` or `-k` on the command line included)."""
    from gunicorn.workers.gthread import ThreadWorker

    if isinstance(worker, ThreadWorker):
        os.environ["DATABASE_POOL_MAX_SIZE"] = str(server.cfg.threads)
    else:
        os.environ.pop("DATABASE_POOL_MAX_SIZE", None)
