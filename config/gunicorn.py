"""gunicorn's settings for the production web tier: `gunicorn --config config/gunicorn.py config.wsgi`.

gthread workers (Settled question 29): WEB_CONCURRENCY processes of WEB_THREADS threads each, 2 x 4 unless
the environment says otherwise. Database connection pooling is not on here; each thread keeps its own
connection for DATABASE_CONN_MAX_AGE seconds, so a container holds up to workers x threads connections.
"""

import os


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
