# Two commands on a fresh machine:  `make demo`  (the main job)  and  `make test`  (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,postgres]'
	touch $(STAMP)

# The report's browser test needs Debian's Chromium and ChromeDriver. Installed when missing
# and possible (root with apt-get); otherwise that one test is skipped and says why.
$(VENV)/.browser: $(STAMP)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-driver >/dev/null || echo "note: could not install Chromium"; \
	else echo "note: no Chromium; the browser test will be skipped"; fi
	touch $@

# The sweep's PostgreSQL test starts a throwaway server from Debian's packages: installed when
# missing and possible, as Chromium is; otherwise that test is skipped and says why.
$(VENV)/.postgres: $(STAMP)
	@if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    postgresql >/dev/null || echo "note: could not install PostgreSQL"; \
	else echo "note: no PostgreSQL; the sweep's server test will be skipped"; fi
	touch $@

demo: $(STAMP)
	$(BIN)/mlpkit train --dataset moons --hidden 16 16 --epochs 60 --lr 0.01 --animate

test: $(STAMP) $(VENV)/.browser $(VENV)/.postgres
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/numpy_engine_epoch.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
