# The README's two commands are `make setup` and `make test`; the rest are their parts.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WHEEL_STAMP := dist/.built
# The Node side of L3 (TypeScript SDK, conformance suite, the Node 22 they run on), from its lock.
JS_DIR := tests/e2e/js
JS_STAMP := $(JS_DIR)/node_modules/.ready

.PHONY: setup test lint wheel venv js stop bench screenshots pot conformance soak clean
.DEFAULT_GOAL := test

$(VENV)/.ready: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.ready

$(WHEEL_STAMP): $(VENV)/.ready Cargo.toml pyproject.toml $(shell find rust/core/src rust/native -type f -not -path '*/__pycache__/*' 2>/dev/null)
	rm -f dist/odoo_mcp_native-*.whl
	$(VENV)/bin/maturin build --release --out dist
	$(PY) -m pip install -q --force-reinstall --no-deps dist/odoo_mcp_native-*.whl
	touch $@

wheel: $(WHEEL_STAMP)

$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(JS_DIR) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the TypeScript SDK and conformance parts of L3 will fail" >&2; fi

js: $(JS_STAMP)

## 1. Build and install the wheel; with an Odoo (ODOO_BIN/ODOO_PYTHON or /opt/odoo19), bring up a server.
setup: wheel js
	$(PY) -m tests.harness setup

stop:
	$(PY) -m tests.harness stop

## 2. Every test level (L0 cargo, L1 wheel, L2 Odoo, L3 end-to-end) and lint, one summary line each.
test: wheel js
	$(PY) -m tests.harness test

lint: wheel
	$(PY) -m tests.harness test lint

bench: wheel js
	$(PY) -m benches.run

screenshots: wheel
	$(PY) -m tests.harness screenshots

pot: wheel
	$(PY) -m tests.harness pot

## The official MCP conformance suite against /mcp on a fresh Odoo (also part of L3).
conformance: wheel js
	$(PY) -m pytest tests/e2e/test_conformance.py -q

## 10 minutes, 4 clients on /mcp against --workers 2: errors and worker memory (a bench part).
soak: wheel
	$(PY) -m benches.soak

clean:
	rm -rf target dist $(VENV) .work $(JS_DIR)/node_modules
