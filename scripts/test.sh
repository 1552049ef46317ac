#!/usr/bin/env bash
# `make test`: ruff, mypy, then every test (pure, mocks, workflow, the real Pulumi engine, and the end-to-end
# access tests). The toolchain scripts build or install every tool first (cached: a second run takes seconds), so
# their progress shows here rather than inside a test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/mypy .
toolchain/kubernetes.sh >/dev/null # before env.sh, which installs the plugins it finds built
# shellcheck source=scripts/env.sh
. scripts/env.sh
toolchain/kube.sh >/dev/null
toolchain/checker.sh x509check >/dev/null
toolchain/checker.sh refcheck >/dev/null
toolchain/postgres.sh >/dev/null
toolchain/minio.sh >/dev/null
toolchain/cni.sh >/dev/null
.venv/bin/python -m pytest "$@"
