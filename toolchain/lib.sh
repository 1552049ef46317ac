# Shared by the toolchain scripts (sourced, not run): logging, content keys for the cache, and long steps that
# show progress. Set KTHW_TOOL (the log prefix) before sourcing.
#
# KTHW_CACHE         cache root (default ~/.cache/kthw); every build lives under it, keyed by version and content
# KTHW_HEARTBEAT     seconds between "still working" lines of a long step (default 20)

KTHW_CACHE=${KTHW_CACHE:-$HOME/.cache/kthw}
KTHW_HEARTBEAT=${KTHW_HEARTBEAT:-20}
STEP=0
STEPS=0

log() { printf '[%s] %s\n' "${KTHW_TOOL:-toolchain}" "$*" >&2; }

die() {
	log "error: $*"
	exit 1
}

# Seconds as "42s" or "7m05s".
duration() {
	if (($1 >= 60)); then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi
}

# The first 12 hex digits of the SHA-256 of the files given: a cache key that changes with their content.
content_key() { cat "$@" | sha256sum | cut -c1-12; }

# run_step LABEL USUAL_SECONDS LOGFILE COMMAND...
# Runs COMMAND as step STEP+1 of STEPS with its output in LOGFILE. Says when it starts (with the duration it
# usually takes on a 2-core machine), prints a heartbeat every KTHW_HEARTBEAT seconds while it runs, and on failure
# shows the end of LOGFILE and stops the script.
run_step() {
	local label=$1 usual=$2 logfile=$3 pid status t0=$SECONDS next
	shift 3
	STEP=$((STEP + 1))
	log "step $STEP/$STEPS: $label (usually ~$(duration "$usual") on 2 cores; log: $logfile)"
	mkdir -p "$(dirname "$logfile")"
	"$@" >"$logfile" 2>&1 &
	pid=$!
	next=$((SECONDS + KTHW_HEARTBEAT))
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if ((SECONDS >= next)) && kill -0 "$pid" 2>/dev/null; then
			log "step $STEP/$STEPS: $label: still working, $(duration $((SECONDS - t0))) elapsed (usually ~$(duration "$usual"))"
			next=$((SECONDS + KTHW_HEARTBEAT))
		fi
	done
	status=0
	wait "$pid" || status=$?
	if ((status != 0)); then
		tail -n 40 "$logfile" >&2
		die "step $STEP/$STEPS: $label failed (exit $status) after $(duration $((SECONDS - t0))); whole log: $logfile"
	fi
	log "step $STEP/$STEPS: $label done in $(duration $((SECONDS - t0)))"
}

# lock_cache FILE: one builder at a time. Holds FILE's lock (on descriptor 9) until the script ends; a second caller
# waits here, then finds the cache its predecessor filled.
lock_cache() {
	mkdir -p "$(dirname "$1")"
	exec 9>"$1"
	flock 9
}

# Go builds: never download another toolchain, static binaries, the module proxy's go.sum checks, no VCS stamping
# (the sources are module downloads, and versions come from -ldflags).
go_env() {
	GO=$(command -v go || echo /usr/local/go/bin/go)
	[[ -x $GO ]] || die "Go is not installed: install Go 1.26 or newer (go.dev/doc/install), then run this again"
	PATH="$(dirname "$GO"):$PATH"
	export PATH GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
}

# go_install_cached DIR PACKAGE@VERSION: `go install` the package's command, then move it into DIR/bin at once (a
# half build is never cached); the command is named after the package's last path element, as Go names it.
go_install_cached() {
	local dir=$1 package=$2 name
	name=$(basename "${package%@*}")
	rm -rf "$dir/gobin"
	mkdir -p "$dir/gobin" "$dir/bin"
	GOBIN=$dir/gobin go install -trimpath -ldflags "-s -w" "$package"
	mv -f "$dir/gobin/$name" "$dir/bin/$name"
	rmdir "$dir/gobin"
}

# go_mod_field FIELD MODULE@VERSION: a field of `go mod download -json` (Dir, GoMod...); downloads the module.
go_mod_field() {
	go mod download -json "$2" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p"
}

# apt_install PACKAGE: install a Debian package (apt-get update first, once per script) without starting the
# services it ships (sshd on :22, etcd on :2379, a PostgreSQL cluster): the tests start their own.
APT_UPDATED=0
apt_install() {
	local rcd=/usr/sbin/policy-rc.d added=0 status=0
	export DEBIAN_FRONTEND=noninteractive
	if ((APT_UPDATED == 0)); then
		apt-get update -qq >&2
		APT_UPDATED=1
	fi
	if [[ ! -e $rcd ]]; then
		printf '#!/bin/sh\nexit 101\n' >$rcd
		chmod +x $rcd
		added=1
	fi
	apt-get install -y -qq --no-install-recommends "$1" >&2 || status=$?
	((added == 0)) || rm -f $rcd
	((status == 0)) || die "apt-get install $1 failed (exit $status)"
}

# unpack TARBALL DIR: a fresh copy of a source snapshot in DIR (its top-level directory stripped).
unpack() {
	rm -rf "$2"
	mkdir -p "$2"
	tar -xzf "$1" -C "$2" --strip-components=1
}
