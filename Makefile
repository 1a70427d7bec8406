# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint format bench bench-data install clean typecheck-baseline screenshots backup restore

$(INSTALLED): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12 or python3.13)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $(INSTALLED)

install: $(INSTALLED)

## make run: the service with demo data on http://127.0.0.1:8000/ (web, worker, beat; Ctrl-C stops all)
run: $(INSTALLED)
	@$(BIN)/python -m config.devserver run

## make test: the whole suite against PostgreSQL (and Redis where a test needs a real broker), then
## branch coverage per app (the table; CI's 90% floor is in .ci/run)
test: $(INSTALLED)
	@$(BIN)/python -m config.devserver test $(PYTEST_ARGS)

# Type check: mypy with django-stubs. mypy-baseline fails on any error not in mypy-baseline.txt, and
# on any listed error that is gone (run `make typecheck-baseline` then): the baseline only shrinks.
TYPECHECK_ENV := DEBUG=true SECRET_KEY=typecheck-only DATABASE_URL=postgres://typecheck@localhost/typecheck

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TYPECHECK_ENV) $(BIN)/mypy | $(BIN)/mypy-baseline filter --no-colors --hide-stats

typecheck-baseline: $(INSTALLED)
	$(TYPECHECK_ENV) $(BIN)/mypy | $(BIN)/mypy-baseline sync

# The README's pictures: the browser journeys with the mouse, keeping the main pages as PNGs.
screenshots: $(INSTALLED)
	@SCREENSHOTS=docs/screenshots $(BIN)/python -m config.devserver test tests/test_journeys.py -k "mouse or two_people or caf_administrator or lead_professional or referral" --no-cov -q -p no:cacheprovider $(PYTEST_ARGS)

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make bench: never part of `make test`. The pytest benchmarks (tests/benchmarks), then the harness
## (home/bench/) against BENCH_DATABASE_URL (else DATABASE_URL, else make run's local `caf` database),
## which writes docs/benchmarks.md. BENCH_ARGS go to `manage.py bench_pages` (e.g. --load-seconds 30).
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/caf)
BENCH_ENV := DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=false SECRET_KEY=bench-only-secret-key-$(shell printf 'x%.0s' {1..40}) \
	SECURE_SSL_REDIRECT=false SECURE_COOKIES=false STATIC_MANIFEST=false ALLOWED_HOSTS=localhost,127.0.0.1

bench: $(INSTALLED)
	@$(BIN)/python -m config.devserver test tests/benchmarks --benchmark-only --benchmark-disable-gc --no-cov -q $(PYTEST_ARGS)
	@$(BENCH_ENV) $(BIN)/python manage.py bench_pages $(BENCH_ARGS)

## make bench-data: generated data for the benchmark (SIZE=tiny|small|county, default small) in the
## database DATABASE_URL names (migrated first); it refuses one that holds data unless ARGS says
## --replace or --force with --confirm-database NAME (README, Scale data)
SIZE ?= small
bench-data: $(INSTALLED)
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL to a throwaway database (README, Scale data)"; exit 1; }
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input -v 0
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py generate_scale --size $(SIZE) $(ARGS)

## make backup: the database (DATABASE_URL, else make run's) to var/backups/caf-<UTC time>.dump, or FILE=...
## make restore FILE=...: a backup into the database, in one transaction; one that holds data needs CONFIRM=<its name>
backup: $(INSTALLED)
	@$(BIN)/python -m config.devserver backup $(FILE)

restore: $(INSTALLED)
	@$(BIN)/python -m config.devserver restore "$(FILE)" --confirm "$(CONFIRM)"

clean:
	rm -rf $(VENV) var/staticfiles var/coverage
