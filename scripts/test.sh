#!/usr/bin/env bash
# `make test`: ruff, mypy, then every test (pure, mocks, workflow, the real Pulumi engine, and the end-to-end
# access tests). The toolchain scripts build or install every tool first (cached: a second run takes seconds), so
# their progress shows here rather than inside a test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/mypy .
# shellcheck source=scripts/env.sh
. scripts/env.sh
toolchain/kube.sh >/dev/null
toolchain/x509check.sh >/dev/null
toolchain/postgres.sh >/dev/null
toolchain/minio.sh >/dev/null
toolchain/cni.sh >/dev/null
.venv/bin/python -m pytest "$@"
