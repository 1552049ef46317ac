#!/usr/bin/env bash
# Make the CNI host-local IPAM plugin available (the plugin that hands pods their addresses from a node's podCIDR),
# so the tests can check which node masks it refuses: a cached build, else a build from the Go module proxy.
# Prints the directory holding `host-local` as the last stdout line; logs go to stderr.
#
#   dir=$(toolchain/cni.sh | tail -n 1); CNI_COMMAND=ADD ... "$dir/host-local" <config.json
#
# github.com/containernetworking/plugins has no replace directives in its go.mod, so `go install` of the plugin's
# package builds it. Cold build: about 1 min on 2 cores, cached under KTHW_CACHE/cni/<version>.
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
KTHW_TOOL=cni.sh
# shellcheck source=toolchain/lib.sh
. "$here/lib.sh"

VERSION=${KTHW_CNI_VERSION:-v1.10.0}
DIR=$KTHW_CACHE/cni/$VERSION
BIN=$DIR/bin

lock_cache "$DIR/.lock"
if [[ ! -x $BIN/host-local ]]; then
	STEPS=1
	go_env
	run_step "CNI host-local $VERSION from its Go module" 60 "$DIR/build.log" \
		go_install_cached "$DIR" "github.com/containernetworking/plugins/plugins/ipam/host-local@$VERSION"
fi
echo "$BIN"
