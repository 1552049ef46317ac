#!/usr/bin/env bash
# Build one of the small Go programs the tests compare kthw's rules with (each in toolchain/NAME/, a module of its
# own): x509check (what Go's crypto/x509 says of a CA when the tls provider signs kthw's admin certificate with it
# and kube-apiserver verifies it), refcheck (what containerd's reference parser says of an image reference).
# Prints the directory holding the program as the last stdout line; logs go to stderr.
#
#   "$(toolchain/checker.sh x509check | tail -n 1)/x509check" -cert ca.pem -key ca-key.pem
#   "$(toolchain/checker.sh refcheck | tail -n 1)/refcheck" <references
#
# Cached under KTHW_CACHE/NAME/<key of the source and the Go version>: built once per machine (seconds; a
# checker with dependencies downloads them from the Go module proxy the first time).
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
NAME=${1:?usage: toolchain/checker.sh x509check|refcheck}
KTHW_TOOL=checker.sh
# shellcheck source=toolchain/lib.sh
. "$here/lib.sh"

SRC=$here/$NAME
[[ -f $SRC/go.mod ]] || die "no checker $NAME (toolchain/$NAME/go.mod)"
go_env
GO_VERSION=$(go env GOVERSION)
sums=()
[[ ! -f $SRC/go.sum ]] || sums=("$SRC/go.sum")
DIR=$KTHW_CACHE/$NAME/$(content_key "$SRC"/go.mod "${sums[@]}" "$SRC"/*.go)-$GO_VERSION

build_checker() {
	mkdir -p "$DIR"
	cd "$SRC"
	go build -trimpath -ldflags "-s -w" -o "$DIR/.$NAME.tmp" .
	mv -f "$DIR/.$NAME.tmp" "$DIR/$NAME" # atomic: a half build is never cached
}

lock_cache "$DIR/.lock"
if [[ ! -x $DIR/$NAME ]]; then
	STEPS=1
	run_step "$NAME with $GO_VERSION" 15 "$DIR/build.log" build_checker
fi
echo "$DIR"
