#!/usr/bin/env bash
# Decide where the tls and command resource plugins come from, and print a PATH fragment to prepend (possibly
# empty) as the last stdout line. Logs go to stderr.
#
# Order, per plugin: pulumi-resource-NAME already on PATH; else installed in PULUMI_HOME at the version the Python
# SDK asks for; else `pulumi plugin install` (only where the download site answers); else the project's stand-in
# (toolchain/standin), because the Go module proxy serves neither provider's source here.
# KTHW_STANDIN_PLUGINS=1 forces the stand-ins, =0 forbids them.
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
declare -A VERSIONS=([tls]=5.6.2 [command]=1.2.1)
mode=${KTHW_STANDIN_PLUGINS:-auto}
need_standin=0

log() { printf '[plugins.sh] %s\n' "$*" >&2; }

installed() { pulumi plugin ls 2>/dev/null | awk -v n="$1" -v v="$2" '$1 == n && $3 == v { found = 1 } END { exit !found }'; }

for name in "${!VERSIONS[@]}"; do
	version=${VERSIONS[$name]}
	if [[ $mode == 1 ]]; then
		need_standin=1
	elif command -v "pulumi-resource-$name" >/dev/null 2>&1; then
		log "$name: using $(command -v "pulumi-resource-$name")"
	elif installed "$name" "$version"; then
		log "$name: using the installed plugin $version"
	elif curl -fsS --max-time 5 -o /dev/null https://get.pulumi.com 2>/dev/null &&
		pulumi plugin install resource "$name" "$version" >&2; then
		log "$name: installed $version"
	elif [[ $mode == 0 ]]; then
		log "error: no $name plugin $version and KTHW_STANDIN_PLUGINS=0"
		exit 1
	else
		log "$name: the real plugin cannot be had here; using the stand-in in toolchain/standin"
		need_standin=1
	fi
done
if [[ $need_standin == 1 ]]; then echo "$here/standin/bin"; else echo ""; fi
