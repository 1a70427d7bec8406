"""The benchmark harness behind `make bench` (issue 13, Settled question 28): who is measured and on
which pages (`pages`), each page's server time and queries in-process (`measure`), each
permission-filtered list beside its SQL floor and django-guardian (`floors`), the machine, the row
counts and the indexes (`database`), the load run against gunicorn (`load`, with `load_client` in
its own process), and docs/benchmarks.md (`report`). It reads whatever data the database holds and
picks its people from it; `python manage.py bench_pages` runs it. Never part of `make test`."""
