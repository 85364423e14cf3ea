# Two commands matter: `make demo` and `make test`. Each sets itself up and is safe to run twice.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Variables that change how Textual draws; snapshots must not depend on the caller's shell.
CLEAN_ENV := env -u NO_COLOR -u TEXTUAL_THEME -u TEXTUAL_ANIMATIONS
# The suite mostly waits (emulators over HTTP, subprocesses, the database, Textual's event loop),
# so it runs on more workers than the machine has cores (decision: docs/decisions.md, "Test suite speed").
# `make test WORKERS=0` runs it in one process.
WORKERS ?= 4
XDIST   := $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadgroup)

.PHONY: demo test test-sqlite test-postgres bench venv clean tools

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/smartpay demo --open

# Both backends, one after the other, each on several pytest-xdist workers; says how long it took.
# A failing SQLite run still lets the PostgreSQL run go, so one `make test` shows every failure.
test: $(STAMP) tools
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; middle=$$(date +%s); \
	$(MAKE) --no-print-directory test-postgres; postgres=$$?; end=$$(date +%s); \
	echo "make test: $$((end - start)) s wall (SQLite $$((middle - start)) s, PostgreSQL $$((end - middle)) s)"; \
	[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]

# The end-to-end tests drive the real `smartpay` in tmux. Installed here when missing and we may
# (root with apt-get); otherwise those tests skip and say why.
tools:
	@command -v tmux >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -qq tmux >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && \
	   apt-get install -y -qq tmux >/dev/null 2>&1)) ; } || echo "tmux not installed: the tmux end-to-end tests will skip"

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
