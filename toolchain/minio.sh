#!/usr/bin/env bash
# Make a MinIO server available (the S3-compatible store the team-backend tests keep Pulumi state in): a cached
# build, else a build from the Go module proxy. Prints the directory holding `minio` as the last stdout line;
# logs go to stderr.
#
#   dir=$(toolchain/minio.sh | tail -n 1); "$dir/minio" server ...
#
# MinIO publishes no tagged Go module versions; the proxy serves pseudo-versions of its commits (checked 2026-11:
# v0.0.0-20260212201848-7aac2a2c5b7c is `latest`). Its go.mod has no replace directives, so `go install` of the
# module root (package main) builds it. Cold build: ~4 min of CPU on 2 cores (7 min wall on a busy machine),
# cached under KTHW_CACHE/minio/<version>.
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
KTHW_TOOL=minio.sh
# shellcheck source=toolchain/lib.sh
. "$here/lib.sh"

VERSION=${KTHW_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}
DIR=$KTHW_CACHE/minio/$VERSION
BIN=$DIR/bin

lock_cache "$DIR/.lock"
if [[ ! -x $BIN/minio ]]; then
	STEPS=1
	go_env
	run_step "MinIO $VERSION from its Go module" 270 "$DIR/build.log" \
		go_install_cached "$DIR" "github.com/minio/minio@$VERSION"
fi
echo "$BIN"
