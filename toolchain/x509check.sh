#!/usr/bin/env bash
# Build x509check (toolchain/x509check/, standard library only): what Go's crypto/x509 says of a CA certificate and
# key when the tls provider signs kthw's admin certificate with them and kube-apiserver verifies it. The CA tests
# compare kthw's checks with it. Prints the directory holding `x509check` as the last stdout line; logs go to stderr.
#
#   "$(toolchain/x509check.sh | tail -n 1)/x509check" -cert ca.pem -key ca-key.pem
#
# Cached under KTHW_CACHE/x509check/<key of the source and the Go version>: built once per machine (~15 s cold).
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
KTHW_TOOL=x509check.sh
# shellcheck source=toolchain/lib.sh
. "$here/lib.sh"

SRC=$here/x509check
go_env
GO_VERSION=$(go env GOVERSION)
DIR=$KTHW_CACHE/x509check/$(content_key "$SRC"/go.mod "$SRC"/*.go)-$GO_VERSION

build_x509check() {
	mkdir -p "$DIR"
	cd "$SRC"
	go build -trimpath -ldflags "-s -w" -o "$DIR/.x509check.tmp" .
	mv -f "$DIR/.x509check.tmp" "$DIR/x509check" # atomic: a half build is never cached
}

lock_cache "$DIR/.lock"
if [[ ! -x $DIR/x509check ]]; then
	STEPS=1
	run_step "x509check with $GO_VERSION" 15 "$DIR/build.log" build_x509check
fi
echo "$DIR"
