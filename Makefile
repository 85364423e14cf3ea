# Two commands matter: `make demo` and `make test`. Each sets itself up and is safe to run twice.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Variables that change how Textual draws; snapshots must not depend on the caller's shell.
CLEAN_ENV := env -u NO_COLOR -u TEXTUAL_THEME -u TEXTUAL_ANIMATIONS
# pytest-xdist workers per backend (docs/decisions.md, "The test suite"); 0: one process.
# worksteal: a worker that runs out takes queued tests from a busy one (a few Textual tests take
# half a minute each on a loaded machine and would otherwise leave one worker running alone).
WORKERS ?= 2
XDIST   := $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist worksteal)

.PHONY: demo test test-sqlite test-postgres bench venv clean tools

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/smartpay demo --open

# Both backends at once, each on pytest-xdist workers: the SQLite run (with the Textual tests) is
# mostly CPU, the PostgreSQL run mostly waits on the server, so side by side they share the cores
# well. The PostgreSQL run's output is shown when both are done; then the wall time.
test: $(STAMP) tools
	@start=$$(date +%s); pg_log=$$(mktemp); \
	( $(MAKE) --no-print-directory test-postgres > $$pg_log 2>&1; echo $$? > $$pg_log.rc; date +%s > $$pg_log.end ) & \
	$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; sqlite_end=$$(date +%s); \
	wait; echo "-- the PostgreSQL run (side by side with the SQLite run) --"; cat $$pg_log; \
	postgres=$$(cat $$pg_log.rc); end=$$(date +%s); pg_end=$$(cat $$pg_log.end); rm -f $$pg_log $$pg_log.rc $$pg_log.end; \
	echo "make test: $$((end - start)) s wall (SQLite $$((sqlite_end - start)) s, PostgreSQL $$((pg_end - start)) s, side by side)"; \
	[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]

# The end-to-end tests drive the real `smartpay` in tmux, and `smartpay ssh serve` with the real
# OpenSSH client. Installed here when missing and we may (root with apt-get); otherwise those
# tests skip and say why.
TOOLS := tmux:tmux ssh:openssh-client
tools:
	@for pair in $(TOOLS); do cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -qq $$pkg >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && \
	   apt-get install -y -qq $$pkg >/dev/null 2>&1)) ; } || echo "$$pkg not installed: the end-to-end tests that need $$cmd will skip"; \
	done

test-sqlite: $(STAMP) tools
	$(CLEAN_ENV) SMARTPAY_TEST_DB=sqlite $(PY) -m pytest -q -p no:cacheprovider $(XDIST)

# Runs the database-facing suite again on PostgreSQL: the server on 127.0.0.1:5432 if one answers,
# else a throwaway cluster where the PostgreSQL binaries exist, else it says it skipped.
test-postgres: $(STAMP)
	$(CLEAN_ENV) $(PY) tests/pg_run.py $(PY) -m pytest -q -p no:cacheprovider $(XDIST) -m "not tui"

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info snapshot_report.html
