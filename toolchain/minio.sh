#!/usr/bin/env bash
# Make a MinIO server available (the S3-compatible store the team-backend tests keep Pulumi state in): a cached
# build, else a build from the Go module proxy. Prints the directory holding `minio` as the last stdout line;
# logs go to stderr.
#
#   dir=$(toolchain/minio.sh | tail -n 1); "$dir/minio" server ...
#
# MinIO publishes no tagged Go module versions; the proxy serves pseudo-versions of its commits (checked 2026-11:
# v0.0.0-20260212201848-7aac2a2c5b7c is `latest`). Its go.mod has no replace directives, so `go install` of the
# module root (package main) builds it. Cold build: ~4-5 min of CPU on 2 cores; GOMODCACHE and GOCACHE are reused.
set -euo pipefail

VERSION=${KTHW_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}
CACHE=${KTHW_CACHE:-$HOME/.cache/kthw}/minio/$VERSION
BIN=$CACHE/bin

log() { printf '[minio.sh] %s\n' "$*" >&2; }

export PATH=$PATH:/usr/local/go/bin
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0

mkdir -p "$CACHE"
# One builder at a time: parallel callers wait here, then find the cache.
exec 9>"$CACHE/.lock"
flock 9
if [[ ! -x $BIN/minio ]]; then
	log "building MinIO $VERSION from its Go module (cold: ~4-5 min on 2 cores)"
	started=$SECONDS
	rm -rf "$CACHE/gobin"
	mkdir -p "$CACHE/gobin" "$BIN"
	GOBIN=$CACHE/gobin go install -trimpath -ldflags "-s -w" "github.com/minio/minio@$VERSION"
	mv -f "$CACHE/gobin/minio" "$BIN/minio" # atomic: a half build is never cached
	rmdir "$CACHE/gobin"
	log "built MinIO in $((SECONDS - started))s"
fi
echo "$BIN"
