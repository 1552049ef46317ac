#!/usr/bin/env bash
# `make test`: ruff, mypy, then every test (pure, mocks, workflow, the real Pulumi engine, and the end-to-end
# access tests). The tests fetch their tools from the project's toolchain scripts. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/mypy .
# shellcheck source=scripts/env.sh
. scripts/env.sh
.venv/bin/python -m pytest "$@"
