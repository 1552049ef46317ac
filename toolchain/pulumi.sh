#!/usr/bin/env bash
# Make the Pulumi engine available offline: the CLI, Pulumi's Python language host and the tls and command resource
# plugins, all real.
#
#   export PATH="$(toolchain/pulumi.sh | tail -n 1):$PATH"
#
# Logs go to stderr; the bin dir is the last line of stdout: the CLI with its language host beside it (what the
# engine calls "bundled"). The resource plugins it built sit beside the bin dir in `plugins/`, laid out as Pulumi's
# plugin cache (resource-NAME-vVERSION/), so the engine selects them by the exact version the SDK asks for;
# scripts/env.sh installs them into PULUMI_HOME's plugin cache.
#
# Where each piece comes from, in order:
# - the CLI and its language host: `pulumi` at the right version on PATH with the language host beside it; else a
#   cached build; else the official installer (only where get.pulumi.com answers); else a build: the CLI from the
#   Go module github.com/pulumi/pulumi/pkg/v3, the language host from its source snapshot (below).
# - tls and command: pulumi-resource-NAME on PATH; else installed in PULUMI_HOME at the version the Python SDK asks
#   for; else `pulumi plugin install` where the download site answers; else a cached build; else built from its
#   source snapshot. If none of these works, the script stops and says what to install.
#
# Source snapshots: the Go module proxy refuses (403) the modules of the Python language host
# (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) and of the tls and command providers
# (github.com/pulumi/pulumi-tls/provider/v5, github.com/pulumi/pulumi-command/provider), though it serves every
# module they depend on (checked 2026-11). KTHW_PROVIDER_SOURCES names a directory holding their unmodified
# upstream source as the tarballs listed in SNAPSHOTS below; `make` and .ci/run point it at ../shared/providers
# when that exists. Each build is cached under KTHW_CACHE (default ~/.cache/kthw), keyed by version and by the
# snapshot's content, so it is built once per machine.
#
# What else the module proxy serves (checked 2026-11): pkg/v3 and sdk/v3 v3.274.1.
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
KTHW_TOOL=pulumi.sh
# shellcheck source=toolchain/lib.sh
. "$here/lib.sh"

# The versions the Python SDKs in requirements.txt ask for (tests/test_toolchain.py keeps the two in step).
CLI_VERSION=3.274.1
TLS_VERSION=5.6.2
COMMAND_VERSION=1.2.1
CLIPBOARD_FORK=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e # pkg/v3's own replace

# name -> "tarball|upstream repository and commit" (the log says which commit each build comes from).
declare -A SNAPSHOTS=(
	[language-python]="pulumi-language-python-1b59498.tar.gz|pulumi/pulumi 1b5949891b3c"
	[tls]="pulumi-tls-f7db93b.tar.gz|pulumi/pulumi-tls f7db93b22b29"
	[terraform-provider-tls]="terraform-provider-tls-d72d90e.tar.gz|hashicorp/terraform-provider-tls d72d90e1b47b"
	[command]="pulumi-command-v1.2.1.tar.gz|pulumi/pulumi-command v1.2.1 (7f3eb6f3b77c)"
)
# Typical cold build times on 2 cores, for the progress lines.
declare -A USUAL=([cli]=480 [language-python]=90 [tls]=270 [command]=150)

ROOT=$KTHW_CACHE/pulumi
SOURCES=${KTHW_PROVIDER_SOURCES:-}
BUILD_FLAGS=(-trimpath "-tags=osusergo,grpcnotrace")
LANGHOST=(pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)

snapshot_file() { echo "$SOURCES/${SNAPSHOTS[$1]%%|*}"; }
snapshot_commit() { echo "${SNAPSHOTS[$1]#*|}"; }

# The cache key of a snapshot build: its version and the tarballs' content.
snapshot_key() {
	local version=$1 files=() name
	shift
	for name in "$@"; do files+=("$(snapshot_file "$name")"); done
	echo "$version-$(content_key "${files[@]}")"
}

# Any cached build of a snapshot at this version (used when KTHW_PROVIDER_SOURCES is not set).
cached_build() {
	local dir
	for dir in "$ROOT/$1/$2"-*/; do [[ -x $dir$3 ]] && echo "${dir%/}" && return; done
	return 1
}

have_snapshots() {
	local name
	[[ -n $SOURCES ]] || return 1
	for name in "$@"; do [[ -f $(snapshot_file "$name") ]] || return 1; done
}

# Directory of a module version in the module cache (downloads it).
module_dir() { go_mod_field Dir "$1"; }

# --- builds: each writes into its output directory $1, via a temporary name so a half build is never cached ---

build_cli() {
	local out=$1 src=$1/src
	rm -rf "$src" && mkdir -p "$src" && cd "$src"
	"$GO" mod init kthw.local/pulumi-cli
	# A wrapper module: pkg/v3's own go.mod replaces sdk/v3 with ../sdk, so require both at one version.
	"$GO" mod edit -require="github.com/pulumi/pulumi/pkg/v3@v$CLI_VERSION" \
		-require="github.com/pulumi/pulumi/sdk/v3@v$CLI_VERSION" -replace="github.com/atotto/clipboard=$CLIPBOARD_FORK"
	"$GO" build "${BUILD_FLAGS[@]}" -o "$out/.pulumi.tmp" \
		-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$CLI_VERSION" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	mv "$out/.pulumi.tmp" "$out/pulumi"
}

build_language_python() {
	local out=$1 src=$1/src sdk
	unpack "$(snapshot_file language-python)" "$src"
	cd "$src/sdk/python/cmd/pulumi-language-python"
	# The snapshot builds inside the pulumi repository (replaces to ../../..); build it against the CLI's modules.
	"$GO" mod edit -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
		-require="github.com/pulumi/pulumi/pkg/v3@v$CLI_VERSION" -require="github.com/pulumi/pulumi/sdk/v3@v$CLI_VERSION"
	"$GO" mod tidy
	"$GO" build "${BUILD_FLAGS[@]}" -o "$out/.langhost.tmp" \
		-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$CLI_VERSION" .
	# The exec and dynamic-provider scripts ship in the sdk/v3 module (read-only, without exec bits there).
	sdk=$(module_dir "github.com/pulumi/pulumi/sdk/v3@v$CLI_VERSION")
	install -m755 "$sdk/python/cmd/pulumi-language-python-exec" "$out/"
	install -m755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$out/"
	mv "$out/.langhost.tmp" "$out/pulumi-language-python"
}

# provider/go.mod requires a terraform-provider-tls pseudo-version the proxy refuses: use the upstream snapshot.
build_tls() {
	local out=$1 src=$1/src
	unpack "$(snapshot_file tls)" "$src/pulumi-tls"
	unpack "$(snapshot_file terraform-provider-tls)" "$src/terraform-provider-tls"
	cd "$src/pulumi-tls/provider"
	"$GO" mod edit -replace="github.com/hashicorp/terraform-provider-tls=$src/terraform-provider-tls"
	(cd cmd/pulumi-resource-tls && VERSION=$TLS_VERSION "$GO" generate .)
	"$GO" build -trimpath -o "$out/.tmp" \
		-ldflags "-s -w -X github.com/pulumi/pulumi-tls/provider/v5/pkg/version.Version=$TLS_VERSION" \
		./cmd/pulumi-resource-tls
	mv "$out/.tmp" "$out/pulumi-resource-tls"
}

build_command() {
	local out=$1 src=$1/src
	unpack "$(snapshot_file command)" "$src"
	cd "$src/provider"
	"$GO" build -trimpath -o "$out/.tmp" \
		-ldflags "-X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$COMMAND_VERSION" \
		./cmd/pulumi-resource-command
	mv "$out/.tmp" "$out/pulumi-resource-command"
}

# --- planning: where each piece comes from ---

PLAN=()  # "label|usual|function|output dir" of each build still to do
LINKS=() # files to link into the bin dir

plan_build() { PLAN+=("$1|$2|$3|$4"); }

# foreign_command NAME: the path of NAME on PATH when it is not one of this toolchain's own bin dirs.
foreign_command() {
	local found
	found=$(command -v "$1" 2>/dev/null) && [[ $(dirname "$found") != "$ROOT"/env/* ]] && echo "$found"
}

# Whether get.pulumi.com answers (asked once: where it is blocked, each try waits out its 5 s timeout).
DOWNLOAD_SITE=unknown
download_site_answers() {
	if [[ $DOWNLOAD_SITE == unknown ]]; then
		DOWNLOAD_SITE=no
		! curl -fsS --max-time 5 -o /dev/null https://get.pulumi.com 2>/dev/null || DOWNLOAD_SITE=yes
	fi
	[[ $DOWNLOAD_SITE == yes ]]
}

# pulumi-resource-NAME VERSION is already usable without us: on PATH, installed, or installable.
plugin_elsewhere() {
	local name=$1 version=$2 found installed
	if found=$(foreign_command "pulumi-resource-$name"); then
		log "$name: using $found"
		return 0
	fi
	[[ -x $PULUMI ]] || return 1
	installed=${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$name-v$version
	if [[ -x $installed/pulumi-resource-$name ]]; then
		log "$name: using the installed plugin $version ($installed)"
	elif download_site_answers && "$PULUMI" plugin install resource "$name" "$version" >&2; then
		log "$name: installed the official plugin $version"
	else
		return 1
	fi
	LINKS+=("$installed") # also in the toolchain's own plugin cache, for a PULUMI_HOME of its own (the tests')
}

# plan_snapshot NAME VERSION BINARY SNAPSHOT...: a cached or planned build of a snapshot.
plan_snapshot() {
	local name=$1 version=$2 binary=$3 dir
	shift 3
	if have_snapshots "$@"; then
		dir=$ROOT/$name/$(snapshot_key "$version" "$@")
		if [[ -x $dir/$binary ]]; then
			log "$name $version: cached build of $(snapshot_commit "$1")"
		else
			log "$name $version: will build from $(snapshot_commit "$1") ($(snapshot_file "$1"))"
			plan_build "$name $version" "${USUAL[$name]}" "build_${name//-/_}" "$dir"
		fi
	elif dir=$(cached_build "$name" "$version" "$binary"); then
		log "$name $version: cached build in $dir"
	else
		die "no $binary $version: it is not on PATH or installed, the download site is out of reach, and" \
			"KTHW_PROVIDER_SOURCES does not hold its source snapshot $(snapshot_file "$1") (upstream" \
			"$(snapshot_commit "$1")). Install the plugin (pulumi plugin install resource $name $version, or put" \
			"pulumi-resource-$name on PATH), or set KTHW_PROVIDER_SOURCES to a directory with the snapshot"
	fi
	LINKS+=("$dir")
}

official_installer() {
	local home=$ROOT/official/$CLI_VERSION
	download_site_answers || return 1
	log "get.pulumi.com answers: using the official installer"
	curl -fsSL https://get.pulumi.com | sh -s -- --version "$CLI_VERSION" --install-root "$home" --no-edit-path >&2
	PULUMI=$home/bin/pulumi
	LINKS+=("$home/bin")
}

plan_cli() {
	local on_path dir
	if on_path=$(foreign_command pulumi); then
		dir=$(dirname "$on_path")
		if [[ -x $dir/pulumi-language-python ]] &&
			[[ $(PULUMI_SKIP_UPDATE_CHECK=1 "$on_path" version 2>/dev/null) == "v$CLI_VERSION" ]]; then
			log "cli: using pulumi v$CLI_VERSION and its language host from $dir"
			PULUMI=$on_path
			LINKS+=("$dir")
			return
		fi
	fi
	dir=$ROOT/cli/$CLI_VERSION
	PULUMI=$dir/pulumi
	if [[ -x $PULUMI ]]; then
		log "cli: cached build of v$CLI_VERSION"
	elif official_installer; then
		return
	else
		log "cli: will build v$CLI_VERSION from the Go module github.com/pulumi/pulumi/pkg/v3"
		plan_build "pulumi CLI v$CLI_VERSION" "${USUAL[cli]}" build_cli "$dir"
	fi
	LINKS+=("$dir")
	plan_snapshot language-python "$CLI_VERSION" pulumi-language-python language-python
}

# link_into BIN FILE: the CLI and its bundled plugins go into BIN (the CLI as a hard link, so that the engine, which
# looks beside the resolved executable, finds its language host there); a resource plugin goes into the plugin
# cache beside BIN as resource-NAME-vVERSION/.
link_into() {
	local bin=$1 file=$2 name version
	name=$(basename "$file")
	case $name in
		pulumi) ln -f "$file" "$bin/pulumi" 2>/dev/null || cp -f "$file" "$bin/pulumi" ;;
		pulumi-resource-pulumi-python | pulumi-language-* | pulumi-analyzer-*) ln -sf "$file" "$bin/" ;;
		pulumi-resource-*)
			name=${name#pulumi-resource-}
			case $name in
				tls) version=$TLS_VERSION ;;
				command) version=$COMMAND_VERSION ;;
				*) return ;;
			esac
			mkdir -p "$bin/../plugins/resource-$name-v$version"
			ln -sf "$file" "$bin/../plugins/resource-$name-v$version/"
			;;
	esac
}

# The bin dir's key: this script, its helpers and every input that decides what is in it.
recipe_key() {
	local name files=("$here/pulumi.sh" "$here/lib.sh")
	if [[ -n $SOURCES ]]; then
		for name in "${!SNAPSHOTS[@]}"; do [[ ! -f $(snapshot_file "$name") ]] || files+=("$(snapshot_file "$name")"); done
	fi
	{ content_key "${files[@]}"; echo "${SOURCES:+with sources}"; } | sha256sum | cut -c1-12
}

main() {
	local bin start dir file plan label usual function out total
	bin=$ROOT/env/$(recipe_key)/bin
	if [[ -f $bin/.complete ]]; then
		echo "$bin"
		return
	fi
	lock_cache "$ROOT/.lock"
	if [[ -f $bin/.complete ]]; then
		echo "$bin"
		return
	fi
	start=$SECONDS
	plan_cli
	plugin_elsewhere tls "$TLS_VERSION" ||
		plan_snapshot tls "$TLS_VERSION" pulumi-resource-tls tls terraform-provider-tls
	plugin_elsewhere command "$COMMAND_VERSION" ||
		plan_snapshot command "$COMMAND_VERSION" pulumi-resource-command command

	STEPS=${#PLAN[@]}
	if ((STEPS > 0)); then
		go_env # only a build needs Go
		total=0
		for plan in "${PLAN[@]}"; do
			IFS='|' read -r label usual function out <<<"$plan"
			total=$((total + usual))
		done
		log "building $STEPS piece(s); usually ~$(duration "$total") in all on 2 cores"
	fi
	for plan in "${PLAN[@]}"; do
		IFS='|' read -r label usual function out <<<"$plan"
		mkdir -p "$out"
		run_step "$label" "$usual" "$out.log" "$function" "$out"
	done

	rm -rf "$(dirname "$bin")" && mkdir -p "$bin"
	for dir in "${LINKS[@]}"; do
		for file in "$dir"/pulumi*; do [[ -x $file && ! -d $file ]] && link_into "$bin" "$file"; done
	done
	[[ -x $bin/pulumi && -x $bin/pulumi-language-python ]] || die "incomplete bin dir $bin"
	[[ $(PULUMI_SKIP_UPDATE_CHECK=1 "$bin/pulumi" version) == "v$CLI_VERSION" ]] || die "$bin/pulumi is not v$CLI_VERSION"
	touch "$bin/.complete"
	log "ready in $(duration $((SECONDS - start))): $bin"
	echo "$bin"
}

main "$@"
