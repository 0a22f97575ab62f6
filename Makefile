# One entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs python3.13: use it where it exists (pyenv included), else the default python3.
# A pyenv shim for a version that is installed but not enabled fails when run, so each candidate must run.
PYTHON ?= $(shell for p in python3.13 $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13 2>/dev/null | sort -V | tail -1) python3; do \
	"$$p" -c "" 2>/dev/null && { command -v "$$p"; break; }; done)
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
export PYTHONPATH := $(CURDIR)/layers/shared:$(CURDIR)
export SAM_CLI_TELEMETRY := 0
# sam validate reads the region only; no credentials or network are needed.
export AWS_DEFAULT_REGION ?= us-east-1
PYTEST_ARGS ?=

.PHONY: help install test chromium lint typecheck validate unit integration e2e events check-ledger build deploy-check clean lock

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# uv installs the locked requirements (hashes checked) in seconds; pip only bootstraps uv itself.
$(UV): requirements/uv.txt
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/uv.txt
	touch $@

$(VENV)/.installed: requirements/dev.txt $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --require-hashes --python $(PY) requirements/dev.txt
	touch $@

$(SAM_VENV)/.installed: requirements/sam.txt $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(SAM_VENV)
	$(UV) pip sync --quiet --require-hashes --python $(SAM_VENV)/bin/python requirements/sam.txt
	touch $@

install: $(VENV)/.installed $(SAM_VENV)/.installed ## create the dev and SAM tool environments

test: install chromium lint typecheck validate ## every check: lint, types, both template validators, all tests
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

# The Swagger UI test drives a real headless Chromium: Debian's, installed once (as root) when missing.
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
export CHROMIUM
chromium: ## install Debian's Chromium for the browser test, unless there is one (CHROMIUM=path picks another)
	@if [ -n "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "the browser test needs Chromium: install it (Debian: apt-get install chromium) or set CHROMIUM=path" >&2; exit 2; fi

lint: $(VENV)/.installed ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed ## mypy (strict) on the layer, functions and tools
	$(VENV)/bin/mypy layers/shared/rewards functions tools

validate: $(SAM_VENV)/.installed ## sam validate and sam validate --lint (they catch different mistakes)
	$(SAM) validate --template template.yaml
	$(SAM) validate --lint --template template.yaml

unit: $(VENV)/.installed ## unit tests only
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: $(VENV)/.installed ## handler tests on moto
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

events: $(VENV)/.installed ## regenerate events/*.json
	$(PY) -m tools.make_events

check-ledger: $(VENV)/.installed ## check balance = opening + credits - debits for every pool (LEDGER_ARGS=...)
	$(PY) -m tools.check_ledger $(LEDGER_ARGS)

.PHONY: settle check-rebates
LOCAL_PREFIX ?= rewards-local
settle: $(VENV)/.installed ## write a business day's rebate file on the local stack (DATE=YYYY-MM-DD [AS_OF=ISO time] [CLIENT=...])
	$(PY) -m tools.rebates --local-prefix $(LOCAL_PREFIX) settle --date $(DATE) $(if $(AS_OF),--as-of $(AS_OF)) $(if $(CLIENT),--client $(CLIENT))

check-rebates: $(VENV)/.installed ## reconcile rebates with the ledger on the local stack (read only; exit 1 on a mismatch)
	$(PY) -m tools.rebates --local-prefix $(LOCAL_PREFIX) check

build: $(SAM_VENV)/.installed ## sam build (needs python3.13 on PATH)
	PATH=$(dir $(PYTHON)):$$PATH $(SAM) build

BUILT := .aws-sam/build/template.yaml
deploy-check: build $(VENV)/.installed ## sam build, then offline: both validators on the built template, the artifacts, samconfig.toml
	$(SAM) validate --template $(BUILT)
	$(SAM) validate --lint --template $(BUILT)
	$(PY) -m tools.deploy_check

clean: ## remove environments and build output
	rm -rf $(VENV) $(SAM_VENV) $(UV_VENV) .aws-sam .mypy_cache .ruff_cache

# Every lock pins every package with its hashes. Tools run anywhere (universal); the Lambda code for arm64.
COMPILE = UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV) pip compile --quiet --generate-hashes
LAMBDA_TARGET = --python-version 3.13 --python-platform aarch64-manylinux2014

lock: $(UV) ## recompile the lock files (requirements/*.txt, the layer's, the authorizer's) from their .in files
	$(COMPILE) --universal requirements/uv.in -o requirements/uv.txt
	$(COMPILE) --universal --python-version 3.11 requirements/dev.in -o requirements/dev.txt
	$(COMPILE) --universal --python-version 3.11 requirements/sam.in -o requirements/sam.txt
	$(COMPILE) $(LAMBDA_TARGET) layers/shared/requirements.in -o layers/shared/requirements.txt
	$(COMPILE) $(LAMBDA_TARGET) functions/authorizer/requirements.in -o functions/authorizer/requirements.txt

# ---------------------------------------------------------------- local stack (tools/local, docs/local.md)
.PHONY: run openapi
RUN_ARGS ?=

run: $(VENV)/.installed ## the whole service on 127.0.0.1 (moto, gateway :3000, pollers); RUN_ARGS="--port 3001"
	$(PY) -m tools.local $(RUN_ARGS)

openapi: $(VENV)/.installed ## regenerate docs/openapi.yaml, docs/api-fidelity.md and env.local.json from the code and template.yaml
	$(PY) -m tools.local.openapi
	$(PY) -m tools.fidelity
	$(PY) -m tools.local.samlocal

e2e: $(VENV)/.installed ## end-to-end tests over real HTTP against a local stack they start themselves
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

.PHONY: bench
bench: $(VENV)/.installed ## benchmarks: engine decisions/s, DynamoDB calls per authorization, cold start ratios (BENCH_ARGS=--runs 9)
	$(PY) -m bench.run $(BENCH_ARGS)

.PHONY: soak
soak: $(VENV)/.installed ## soak: 5,000 redemptions + 5,000 queued authorizations through make run's stack (about 10 min; SOAK_ARGS=...)
	$(PY) -m bench.soak $(SOAK_ARGS)

.PHONY: mutation
mutation: $(VENV)/.installed ## mutation check of rules/ and money.py against the unit tests (mutmut, about 8 min; the score is in docs/design.md)
	$(PY) -m tools.mutation

.PHONY: reliability-long
reliability-long: $(VENV)/.installed ## the model-based test with 10,000 examples (about 25 min; HYPOTHESIS_MAX_EXAMPLES=... to change)
	HYPOTHESIS_MAX_EXAMPLES=$${HYPOTHESIS_MAX_EXAMPLES:-10000} $(PY) -m pytest -p no:logging -q tests/reliability/test_state_machine.py
