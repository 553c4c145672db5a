# The README's two commands are `make setup` and `make test`; the rest are their parts.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WHEEL_STAMP := dist/.built

.PHONY: setup test lint wheel venv stop bench screenshots clean
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

## 1. Build and install the wheel; with an Odoo (ODOO_BIN/ODOO_PYTHON or /opt/odoo19), bring up a server.
setup: wheel
	$(PY) -m tests.harness setup

stop:
	$(PY) -m tests.harness stop

## 2. Every test level (L0 cargo, L1 wheel, L2 Odoo, L3 end-to-end) and lint, one summary line each.
test: wheel
	$(PY) -m tests.harness test

lint: wheel
	$(PY) -m tests.harness test lint

bench: wheel
	$(PY) -m benches.run

screenshots: wheel
	$(PY) -m tests.harness screenshots

clean:
	rm -rf target dist $(VENV) .work
