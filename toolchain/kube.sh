#!/usr/bin/env bash
# Provide a real kube-apiserver, kube-controller-manager, kube-proxy, kubelet and kubectl (built from the Go module
# proxy), etcd, sshd and cfssl for the end-to-end tests (kube-proxy and kubelet only check their flags and config
# files: they cannot run without root here). What the binaries do together is proven by those tests (tests/helpers/cluster.py starts them).
#
#   export PATH="$(toolchain/kube.sh | tail -n 1):$PATH"
#
# Logs go to stderr; the last stdout line is a PATH fragment.
# Env: KTHW_CACHE (default ~/.cache/kthw), KTHW_K8S_VERSION, KTHW_ETCD_VERSION,
#      KTHW_ETCD=build|debian (default build; see the etcd section).
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
KTHW_TOOL=kube.sh
# shellcheck source=toolchain/lib.sh
. "$here/lib.sh"

K8S_VERSION=${KTHW_K8S_VERSION:-v1.37.2}   # needs go >= 1.26.0 (its go.mod directive)
ETCD_VERSION=${KTHW_ETCD_VERSION:-v3.6.16} # the latest 3.6.x patch on the proxy
ETCD_MODE=${KTHW_ETCD:-build}
KUBE_DIR=$KTHW_CACHE/kube/$K8S_VERSION
KUBE_BIN=$KUBE_DIR/bin
ETCD_DIR=$KTHW_CACHE/etcd/$ETCD_VERSION
ETCD_BIN=$ETCD_DIR/bin

# --- apt packages (skipped when the binaries exist) ---
apt_ensure() { # apt_ensure /path/to/binary package
	[[ -x $1 ]] && return 0
	log "installing $2 (for $1)"
	apt_install "$2"
	[[ -x $1 ]] || die "$2 installed but $1 is missing"
}

# --- the Kubernetes binaries ---
KUBE_COMMANDS=(kube-apiserver kube-controller-manager kube-proxy kubelet kubectl)

# The commands not built yet.
missing_kube_commands() {
	local command
	for command in "${KUBE_COMMANDS[@]}"; do [[ -x $KUBE_BIN/$command ]] || echo "$command"; done
}

# A wrapper module requiring k8s.io/kubernetes, with each staging module (=> ./staging/... inside the kubernetes
# repository) replaced by its published v0.X.Y tag.
build_kube() {
	local minor=${K8S_VERSION#v1.} staging=v0.${K8S_VERSION#v1.} src=$KUBE_DIR/src gomod ld p module
	minor=${minor%%.*}
	gomod=$(go_mod_field GoMod "k8s.io/kubernetes@$K8S_VERSION")
	[[ -f $gomod ]] || die "could not fetch k8s.io/kubernetes@$K8S_VERSION's go.mod"
	rm -rf "$src" && mkdir -p "$src" "$KUBE_BIN" && cd "$src"
	go mod init kthw.local/kubebuild
	go mod edit -go="$(awk '$1 == "go" { print $2; exit }' "$gomod")" -require="k8s.io/kubernetes@$K8S_VERSION"
	for module in $(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$gomod"); do
		if grep -qE "^[[:space:]]+$module v" "$gomod"; then go mod edit -replace="$module=$module@$staging"; fi
	done
	local commands=()
	mapfile -t commands < <(missing_kube_commands)
	go get "${commands[@]/#/k8s.io/kubernetes/cmd/}" "k8s.io/kubernetes@$K8S_VERSION"
	ld="-s -w"
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
	done
	for p in "${commands[@]}"; do
		go build -trimpath -ldflags "$ld" -o "$KUBE_BIN/.$p.tmp" "k8s.io/kubernetes/cmd/$p"
		mv -f "$KUBE_BIN/.$p.tmp" "$KUBE_BIN/$p"
	done
}

# --- etcd ---
# Debian bookworm's etcd 3.4.23 runs kube-apiserver too, but is below the minimum Kubernetes documents for 1.31+
# (3.4.29/3.5.11), has no /readyz or /livez, and lacks RequestWatchProgress (kube-apiserver logs "not supported"
# and disables consistent reads from its watch cache). So by default etcd 3.6 is built; go install refuses its
# module's replaces, hence the wrapper module.
build_etcd() {
	local src=$ETCD_DIR/src
	rm -rf "$src" && mkdir -p "$src" "$ETCD_BIN" && cd "$src"
	go mod init kthw.local/etcdbuild
	go mod edit -go=1.26.0
	go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
	go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN/.etcd.tmp" go.etcd.io/etcd/server/v3
	mv -f "$ETCD_BIN/.etcd.tmp" "$ETCD_BIN/etcd"
}

main() {
	if (($# > 0)); then
		sed -n '2,9p' "$0" >&2
		[[ $1 == -h || $1 == --help ]] && exit 0
		die "unknown argument: $1"
	fi
	lock_cache "$KTHW_CACHE/.kube.lock"
	apt_ensure /usr/sbin/sshd openssh-server
	apt_ensure /usr/bin/cfssl golang-cfssl
	apt_ensure /usr/bin/cfssljson golang-cfssl

	local build_kube_needed=0 build_etcd_needed=0 path
	[[ -z $(missing_kube_commands) ]] || build_kube_needed=1
	case $ETCD_MODE in
		debian)
			apt_ensure /usr/bin/etcd etcd-server
			path=$KUBE_BIN
			;;
		build)
			[[ -x $ETCD_BIN/etcd ]] || build_etcd_needed=1
			path=$KUBE_BIN:$ETCD_BIN
			;;
		*) die "KTHW_ETCD must be build or debian" ;;
	esac
	STEPS=$((build_kube_needed + build_etcd_needed))
	((STEPS == 0)) || go_env
	((build_kube_needed == 0)) ||
		run_step "$(missing_kube_commands | paste -sd' ') $K8S_VERSION" 900 "$KUBE_DIR/build.log" build_kube
	((build_etcd_needed == 0)) || run_step "etcd $ETCD_VERSION" 90 "$ETCD_DIR/build.log" build_etcd
	echo "$path"
}

main "$@"
