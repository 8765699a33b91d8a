# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

WEB := web
WEB_MODULES := $(WEB)/node_modules/.installed-stamp
WEB_BUILD := $(WEB)/dist/index.html
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(addprefix $(WEB)/,index.html package.json package-lock.json tsconfig.json vite.config.ts)

.PHONY: run test test-web lint bench bench-web seed-demo check repair redis-server chromium wrk api-types \
	web clean

run: $(STAMP) $(WEB_BUILD)
	$(BIN)/python run.py

seed-demo: $(STAMP)
	$(BIN)/python run.py --seed-demo

# The stored data's invariants: --check reports (exit 1 when one is broken), --repair restores.
check: $(STAMP)
	$(BIN)/python run.py --check

repair: $(STAMP)
	$(BIN)/python run.py --repair

# The whole suite on the embedded engine, then once more through PyMongo's real async client
# (the production code path) against tests/mongowire.py: MongoDB's wire protocol in front of
# mongomock, as a replica set running transactions. With HYPEE_TEST_MONGO_URI set, the first
# run uses that MongoDB instead.
test: $(STAMP) redis-server chromium $(WEB_BUILD)
	cd $(WEB) && npm run --silent lint && npm test --silent
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q --wire -m "not slow"
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: $(STAMP) $(WEB_MODULES)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd $(WEB) && npm run --silent lint

# Hypee beside bare baselines (bench/): under five minutes; wrk measures the HTTP rates.
bench: $(STAMP) wrk
	$(BIN)/python -m bench

# A first visit to the web app in Chromium: bytes loaded, time to the first mentor card.
bench-web: $(STAMP) chromium $(WEB_BUILD)
	$(BIN)/python -m bench.web

# A virtual environment with the project and its test extras; redone when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python venv is missing: installing it with apt-get"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q python3-venv "python$$($(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv" || \
	  $(SUDO) apt-get install -y -q python3-venv; \
	  rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# The web app (web/): its packages exactly as package-lock.json says, then the build the server
# serves (web/dist), redone whenever a source changed. Needs Node 20 and npm.
web: $(WEB_BUILD)

$(WEB_MODULES): $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: the web app needs Node.js 20 and npm"; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_BUILD): $(WEB_MODULES) $(WEB_SOURCES)
	cd $(WEB) && npm run build --silent

# ESLint, Prettier and the unit tests of the web app (make test runs them first).
test-web: $(WEB_MODULES)
	cd $(WEB) && npm run --silent lint && npm test --silent

# The API's types for the web app, from the server's own OpenAPI document, and docs/api.md's
# frame tables (a test fails when the committed ones are stale).
api-types: $(STAMP) $(WEB_MODULES)
	$(BIN)/python run.py --openapi > $(WEB)/src/api/openapi.json
	cd $(WEB) && npm run --silent api-types
	$(BIN)/python -m server.reference

# The browser tests (tests/e2e/) drive Debian's Chromium.
chromium:
	@command -v chromium >/dev/null || { \
	  echo "chromium is missing: installing it with apt-get"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium fonts-noto-color-emoji; }

# Later capabilities (fan-out across processes) are tested against a real redis-server.
redis-server:
	@command -v redis-server >/dev/null || { \
	  echo "redis-server is missing: installing it with apt-get"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q redis-server; }

wrk:
	@command -v wrk >/dev/null || { \
	  echo "wrk is missing: installing it with apt-get"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q wrk; }

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache $(WEB)/node_modules $(WEB)/dist
