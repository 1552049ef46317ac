# kthw: `make up` deploys the dev stack on a local backend; `make test` runs lint, types and every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv

.PHONY: up test bench venv toolchain clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

toolchain:
	toolchain/pulumi.sh
	toolchain/plugins.sh

up: venv
	scripts/up.sh

test: venv
	scripts/test.sh

bench: venv
	$(VENV)/bin/python bench/bench_plan.py

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
