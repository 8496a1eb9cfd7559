# chaufferie — the two quick-start commands are `make demo` and `make test`.
# Each creates .venv and installs what it needs on first use.

PYTHON ?= python3
DEMO_ARGS ?=
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench venv clean print-map screenshots

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 needed, found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

DEMO_ARGS ?=

demo: $(STAMP)
	$(BIN)/chaufferie demo $(DEMO_ARGS)

# Two pytest processes on the machine's two cores, both must pass: the modem tests (mostly
# waiting for Gammu's own pacing, about 5 s a connection), then the closed-loop replays (the
# season replays and metering month, the supervisor's closed loop, the 24 h soak) and the
# end-to-end tests run beside the rest, which is the longer of the two (CI has 30 minutes); their
# report is printed after it. Each process takes its test servers' ports from its own range
# (CHAUFFERIE_TEST_PORTS, tests/conftest.py), below the kernel's ephemeral ports: a port given
# by free_port() is free for everyone until the server binds it, and a full run with the
# end-to-end tests beside lost one to the other process that way. Each lists its slowest tests.
# The fresh-clone test and the demo's clock test (a demo each, about 170 s together) and the
# central server's receiver and city view tests (about 200 s) run beside too: CI's run of
# 2026-12-04 took 1 896 s in all, over its 30 minutes with the set-up.
BESIDE := tests/season tests/supervisor/test_closed_loop.py tests/soak tests/e2e tests/newcomer \
	tests/root/test_demo_clock.py tests/hmi/test_city_browser.py tests/historian/test_central_receiver.py
test: $(STAMP)
	@( export CHAUFFERIE_TEST_PORTS=21000-32000; \
	   $(BIN)/python -m pytest -m modem -p no:cacheprovider; a=$$?; \
	   $(BIN)/python -m pytest -p no:cacheprovider --durations=15 $(BESIDE); b=$$?; \
	   exit $$(( a || b )) ) > .pytest-beside.log 2>&1 & beside=$$!; \
	CHAUFFERIE_TEST_PORTS=10000-21000 $(BIN)/python -m pytest -m "not modem" --durations=25 \
	   $(addprefix --ignore=,$(BESIDE)); rest=$$?; \
	wait $$beside; other=$$?; \
	echo "== the modem tests and $(BESIDE) (run beside the others)"; cat .pytest-beside.log; \
	exit $$(( rest || other ))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	@set -e; for script in bench/*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

# The README's screenshots, from the real demo after a scenario (scripts/screenshots.py; minutes).
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py $(SCREENSHOTS_ARGS)

print-map: $(STAMP)
	$(BIN)/chaufferie sim --print-map > docs/point-map.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
