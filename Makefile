# Two commands matter: `make demo` and `make test`. Each sets itself up and is safe to run twice.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Variables that change how Textual draws; snapshots must not depend on the caller's shell.
CLEAN_ENV := env -u NO_COLOR -u TEXTUAL_THEME -u TEXTUAL_ANIMATIONS

.PHONY: demo test test-sqlite test-postgres bench venv clean tools

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/smartpay demo --open

test: test-sqlite test-postgres

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
	$(CLEAN_ENV) SMARTPAY_TEST_DB=sqlite $(PY) -m pytest -q -p no:cacheprovider

# Runs the database-facing suite again on PostgreSQL: the server on 127.0.0.1:5432 if one answers,
# else a throwaway cluster where the PostgreSQL binaries exist, else it says it skipped.
test-postgres: $(STAMP)
	$(CLEAN_ENV) $(PY) tests/pg_run.py $(PY) -m pytest -q -p no:cacheprovider -m "not tui"

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info snapshot_report.html
