# The production image: gunicorn for the web tier; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings

RUN useradd --create-home --uid 1000 caf
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY config ./config
COPY accounts ./accounts
COPY caf ./caf
COPY referrals ./referrals
COPY thresholds ./thresholds
RUN pip install -c constraints.txt .

COPY . .
# collectstatic reads settings, which insist on a database URL and a secret: give it throwaway ones.
RUN DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build-only-not-secret \
    python manage.py collectstatic --no-input \
    && chown -R caf:caf /app/var

USER caf
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
