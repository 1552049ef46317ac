#!/usr/bin/env bash
# Make the kubernetes resource plugin (pulumi-kubernetes 4.25.0, the version of the Python SDK in requirements.txt)
# available offline: a cached build, else a build from the Go module proxy. Prints, as the last stdout line, a
# plugin cache directory holding resource-kubernetes-v4.25.0/ (scripts/env.sh and the tests link it into
# PULUMI_HOME); logs go to stderr.
#
#   plugins=$(toolchain/kubernetes.sh | tail -n 1)
#   toolchain/kubernetes.sh --cached     # the directory if it is built already; else exit 1, building nothing
#
# Only stacks that put objects into the cluster (podNetwork, dns, users) need it: the engine loads a plugin when a
# resource of it is declared, not when its SDK is imported. So `make up` of the dev stack does not wait for this
# build; `make test` does.
#
# What the proxy serves (checked 2026-12): github.com/pulumi/pulumi-kubernetes/provider/v4 only as the
# pseudo-version v4.0.0-20260115033456-f47bc2d6f199, which is the commit tagged v4.25.0; its module zip carries
# cmd/pulumi-resource-kubernetes/schema.json and terraform-mapping.json. Its go.mod replaces sdk/v4 with ../sdk
# (so `go install` refuses it) and requires sdk/v4 v4.24.0, which the proxy does not serve: the wrapper module
# takes sdk/v4 from its v4.22.2 release. The provider uses sdk/v4 only inside its yaml/v2 and helm/v4 components,
# which kthw does not use. The binary reports 4.25.0 (-X .../pkg/version.Version), the version its code is.
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
KTHW_TOOL=kubernetes.sh
# shellcheck source=toolchain/lib.sh
. "$here/lib.sh"

VERSION=4.25.0 # tests/test_toolchain.py keeps it equal to requirements.txt's pulumi-kubernetes pin
MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
SDK_RELEASE=v4.22.2
USUAL=780
DIR=$KTHW_CACHE/pulumi/kubernetes/$VERSION-${PSEUDO##*-}
PLUGINS=$DIR/plugins
BIN=$PLUGINS/resource-kubernetes-v$VERSION/pulumi-resource-kubernetes

# The main package embeds schema-embed.json and terraform-mapping-embed.json, which its generate.go writes from the
# committed schema.json and terraform-mapping.json. Module-cache files are read-only, so the package is copied into a
# wrapper module, generated there and built.
build_kubernetes() {
	local src=$DIR/src package
	rm -rf "$src" && mkdir -p "$src" && cd "$src"
	go mod init kthw.local/pulumi-kubernetes
	go mod edit -require="$MODULE@$PSEUDO" \
		-replace="github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@$SDK_RELEASE"
	package=$(go_mod_field Dir "$MODULE@$PSEUDO")/cmd/pulumi-resource-kubernetes
	install -m644 "$package"/main.go "$package"/generate.go "$package"/schema.json "$package"/terraform-mapping.json .
	go mod tidy
	VERSION=$VERSION go run generate.go
	mkdir -p "$(dirname "$BIN")"
	go build -trimpath -o "$BIN.tmp" -ldflags "-s -w -X $MODULE/pkg/version.Version=$VERSION" .
	mv -f "$BIN.tmp" "$BIN" # atomic: a half build is never cached
	rm -rf "$src"
}

if [[ ${1:-} == --cached ]]; then
	[[ -x $BIN ]] && echo "$PLUGINS"
	exit $?
fi
lock_cache "$DIR/.lock"
if [[ -x $BIN ]]; then
	log "kubernetes $VERSION: cached build of $MODULE@$PSEUDO"
else
	STEPS=1
	go_env
	run_step "kubernetes plugin $VERSION from $MODULE@$PSEUDO" "$USUAL" "$DIR/build.log" build_kubernetes
fi
echo "$PLUGINS"
