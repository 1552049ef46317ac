#!/usr/bin/env bash
# Bring a stack deployed by an earlier kthw to what the current code declares, offline, so that its next preview and
# up work where no plugin can be downloaded (CHANGELOG.md, "Upgrading a stack"). `make up` runs it before
# `pulumi up`; run it yourself before a bare `pulumi preview` or `pulumi up` of such a stack. Safe to run again:
# with nothing to migrate it changes nothing.
#
#   scripts/migrate-state.sh [STACK]     (default: $KTHW_STACK, else dev)
#
# KTHW_PROJECT_DIR: the project directory to run in (default: this script's).
set -euo pipefail
scripts=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
cd "${KTHW_PROJECT_DIR:-$scripts/..}"
# shellcheck source=scripts/env.sh
. "$scripts/env.sh"
stack=${1:-${KTHW_STACK:-dev}}
pulumi stack select "$stack" >/dev/null 2>&1 || exit 0 # no such stack yet: nothing to migrate
mapfile -t stale < <(pulumi stack export --stack "$stack" | .venv/bin/python "$scripts/stale_resources.py")
for urn in "${stale[@]}"; do
	echo "[migrate-state] removing from the state of $stack what kthw no longer declares: $urn" >&2
	pulumi state delete --stack "$stack" --yes "$urn" >&2
done
