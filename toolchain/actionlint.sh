#!/usr/bin/env bash
# Make actionlint available (it lints .github/workflows): on PATH, else a cached build, else built from its Go
# module. Prints the binary's path as the last stdout line; logs go to stderr.
set -euo pipefail

KTHW_TOOL=actionlint.sh
# shellcheck source=toolchain/lib.sh
. "$(dirname "$0")/lib.sh"

VERSION=v1.7.12
CACHE=$KTHW_CACHE/actionlint/$VERSION
BIN=$CACHE/actionlint

if command -v actionlint >/dev/null 2>&1 && [[ $(actionlint -version | head -1) == "${VERSION#v}" ]]; then
	command -v actionlint
	exit 0
fi
if [[ ! -x $BIN ]]; then
	log "building actionlint $VERSION from its Go module"
	go_env
	mkdir -p "$CACHE"
	GOBIN=$CACHE go install -trimpath "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
fi
echo "$BIN"
