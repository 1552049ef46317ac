# kthw: `make up` deploys the dev stack on a local backend; `make test` runs lint, types and every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
# Source snapshots of the plugins the Go module proxy does not serve (see toolchain/pulumi.sh), where they exist.
KTHW_PROVIDER_SOURCES ?= $(wildcard $(abspath ../shared/providers))
export KTHW_PROVIDER_SOURCES

.PHONY: up test bench venv toolchain clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "[make] installing the Python packages into $(VENV) (about a minute the first time)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

toolchain:
	toolchain/pulumi.sh
	toolchain/kube.sh

up: venv
	scripts/up.sh

test: venv
	scripts/test.sh

bench: venv
	$(VENV)/bin/python bench/bench_plan.py

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
