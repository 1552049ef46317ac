#!/usr/bin/env bash
# Provide a real kube-apiserver + kubectl (built from the Go module proxy), etcd,
# sshd and cfssl for the end-to-end tests.
#
# Usage: toolchain/kube.sh [--smoke]
#   Logs go to stderr; the LAST stdout line is a PATH fragment, e.g.
#     export PATH="$(toolchain/kube.sh | tail -n1):$PATH"
#   --smoke   also start etcd + kube-apiserver (+ an sshd tunnel) and check them.
# Env: KTHW_CACHE (default ~/.cache/kthw), KTHW_K8S_VERSION, KTHW_ETCD_VERSION,
#      KTHW_ETCD=build|debian (default build; see the etcd section),
#      KTHW_SMOKE_SVC_RANGE (default 10.32.0.0/24; empty = apiserver default),
#      KTHW_SMOKE_KEEP=1 keeps the smoke temp dir (certs, logs).
set -euo pipefail

K8S_VERSION=${KTHW_K8S_VERSION:-v1.37.2}   # needs go >= 1.26.0 (go.mod directive)
ETCD_VERSION=${KTHW_ETCD_VERSION:-v3.6.16} # latest 3.6.x patch on the proxy
ETCD_MODE=${KTHW_ETCD:-build}
CACHE=${KTHW_CACHE:-$HOME/.cache/kthw}
KUBE_BIN=$CACHE/kube/$K8S_VERSION/bin
ETCD_BIN=$CACHE/etcd/$ETCD_VERSION/bin

log() { echo "kube.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SMOKE=0
for a in "$@"; do
  case $a in
    --smoke) SMOKE=1 ;;
    -h|--help) sed -n '2,12p' "$0" >&2; exit 0 ;;
    *) die "unknown argument: $a" ;;
  esac
done

# Go toolchain: never let go download another toolchain; static binaries.
export PATH=$PATH:/usr/local/go/bin
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--buildvcs=false}

mkdir -p "$CACHE"
# One builder at a time (parallel callers wait here, then find the cache).
exec 9>"$CACHE/.kube.lock"
flock 9

# --- apt packages (idempotent; skipped when the binaries exist) ---------------
APT_UPDATED=0
apt_ensure() { # apt_ensure /path/to/binary package
  [ -x "$1" ] && return 0
  log "installing $2 (for $1)"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >&2; APT_UPDATED=1; fi
  # Never start the packaged services (sshd on :22, etcd on :2379).
  local rcd=/usr/sbin/policy-rc.d added=0
  if [ ! -e $rcd ]; then printf '#!/bin/sh\nexit 101\n' >$rcd; chmod +x $rcd; added=1; fi
  apt-get install -y -qq --no-install-recommends "$2" >&2 || { [ $added = 1 ] && rm -f $rcd; die "apt-get install $2 failed"; }
  [ $added = 1 ] && rm -f $rcd
  [ -x "$1" ] || die "$2 installed but $1 is missing"
}
apt_ensure /usr/sbin/sshd openssh-server
apt_ensure /usr/bin/cfssl golang-cfssl
apt_ensure /usr/bin/cfssljson golang-cfssl

# --- kube-apiserver + kubectl -------------------------------------------------
build_kube() {
  local v=$K8S_VERSION minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local stg=v0.${K8S_VERSION#v1.} src=$CACHE/kube/$K8S_VERSION/src
  local t0=$SECONDS gomod
  log "building kube-apiserver + kubectl $v (cold: ~10 min on 2 cores)"
  gomod=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [ -f "$gomod" ] || die "could not fetch k8s.io/kubernetes@$v go.mod"
  rm -rf "$src"; mkdir -p "$src" "$KUBE_BIN"
  {
    echo "module kthw.local/kubebuild"
    grep -m1 '^go ' "$gomod"
    echo "require k8s.io/kubernetes $v"
    # Staging modules (=> ./staging/...) only resolve inside the k8s repo:
    # point each one kubernetes requires at its published v0.X.Y tag.
    for m in $(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod"); do
      grep -qE "^[[:space:]]+$m v" "$gomod" && echo "replace $m => $m $stg"
    done
  } >"$src/go.mod"
  # Resolve the dependency graph (writes go.mod/go.sum for these packages).
  (cd "$src" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$v" "k8s.io/kubernetes/cmd/kubectl@$v" >&2)
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ld+=" -X $p.gitCommit= -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  for p in kube-apiserver kubectl; do
    local t1=$SECONDS
    (cd "$src" && go build -trimpath -ldflags "$ld" -o "$KUBE_BIN/.$p.tmp" "k8s.io/kubernetes/cmd/$p")
    mv -f "$KUBE_BIN/.$p.tmp" "$KUBE_BIN/$p"   # atomic: a half build is never cached
    log "built $p in $((SECONDS - t1))s"
  done
  log "kube build done in $((SECONDS - t0))s"
}
if [ -x "$KUBE_BIN/kube-apiserver" ] && [ -x "$KUBE_BIN/kubectl" ]; then
  log "cached: $KUBE_BIN"
else
  build_kube
fi

# --- etcd ---------------------------------------------------------------------
# Debian bookworm's etcd 3.4.23 passes the smoke test but is below the minimum
# Kubernetes documents for 1.31+ (3.4.29/3.5.11), has no /readyz or /livez, and
# lacks RequestWatchProgress (apiserver logs "not supported" and disables
# consistent reads from its watch cache). So by default build etcd 3.6.
build_etcd() {
  local v=$ETCD_VERSION src=$CACHE/etcd/$ETCD_VERSION/src t0=$SECONDS
  log "building etcd $v"
  rm -rf "$src"; mkdir -p "$src" "$ETCD_BIN"
  printf 'module kthw.local/etcdbuild\n\ngo 1.26.0\n' >"$src/go.mod"
  (cd "$src" && go get "go.etcd.io/etcd/server/v3@$v" >&2)
  (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN/.etcd.tmp" go.etcd.io/etcd/server/v3)
  mv -f "$ETCD_BIN/.etcd.tmp" "$ETCD_BIN/etcd"
  log "built etcd in $((SECONDS - t0))s"
}
case $ETCD_MODE in
  debian)
    apt_ensure /usr/bin/etcd etcd-server
    ETCD=/usr/bin/etcd; OUT_PATH=$KUBE_BIN ;;
  build)
    if [ -x "$ETCD_BIN/etcd" ]; then log "cached: $ETCD_BIN"; else build_etcd; fi
    ETCD=$ETCD_BIN/etcd; OUT_PATH=$KUBE_BIN:$ETCD_BIN ;;
  *) die "KTHW_ETCD must be build or debian" ;;
esac
flock -u 9

# --- smoke test -----------------------------------------------------------------
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# wait_for SECONDS CMD... : retry CMD every 0.5s
wait_for() {
  local n=$(($1 * 2)); shift
  while [ $n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; n=$((n - 1)); done
  return 1
}

# Stop smoke processes newest first (apiserver before etcd: with etcd gone it
# ignores SIGTERM for minutes), SIGKILL after 10s; keep the dir on failure.
pids=() SMOKE_DIR="" SMOKE_OK=0
smoke_cleanup() {
  local i p n
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    p=${pids[i]}; kill "$p" 2>/dev/null || continue
    for ((n = 0; n < 20; n++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ -n "$SMOKE_DIR" ]; then
    if [ $SMOKE_OK = 1 ] && [ -z "${KTHW_SMOKE_KEEP:-}" ]; then rm -rf "$SMOKE_DIR"; else log "smoke: logs kept in $SMOKE_DIR"; fi
  fi
}

smoke() {
  local d; d=$(mktemp -d /tmp/kthw-smoke.XXXXXX); SMOKE_DIR=$d
  trap smoke_cleanup EXIT
  local K="$KUBE_BIN/kubectl"
  log "smoke: workdir $d"

  # PKI: CA, apiserver serving cert, admin client cert (cfssl); SA keypair (openssl).
  (
    cd "$d"
    cat >ca-config.json <<'EOF'
{"signing":{"default":{"expiry":"24h"},"profiles":{"k":{"expiry":"24h","usages":["signing","key encipherment","server auth","client auth"]}}}}
EOF
    echo '{"CN":"kthw-ca","key":{"algo":"rsa","size":2048}}' | cfssl gencert -initca - 2>/dev/null | cfssljson -bare ca
    echo '{"CN":"kubernetes","key":{"algo":"rsa","size":2048}}' | cfssl gencert -ca=ca.pem -ca-key=ca-key.pem \
      -config=ca-config.json -profile=k \
      -hostname=localhost,127.0.0.1,10.32.0.1,10.0.0.1,kubernetes,kubernetes.default,kubernetes.default.svc,kubernetes.default.svc.cluster.local \
      - 2>/dev/null | cfssljson -bare apiserver
    echo '{"CN":"admin","names":[{"O":"system:masters"}],"key":{"algo":"rsa","size":2048}}' | cfssl gencert -ca=ca.pem \
      -ca-key=ca-key.pem -config=ca-config.json -profile=k - 2>/dev/null | cfssljson -bare admin
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
  [ -s "$d/admin.pem" ] && [ -s "$d/apiserver.pem" ] || die "smoke: cfssl failed"

  # etcd on loopback, random free ports.
  local ecp epp sp; ecp=$(free_port); epp=$(free_port); sp=$(free_port)
  "$ETCD" --name smoke --data-dir "$d/etcd" \
    --listen-client-urls "http://127.0.0.1:$ecp" --advertise-client-urls "http://127.0.0.1:$ecp" \
    --listen-peer-urls "http://127.0.0.1:$epp" --initial-advertise-peer-urls "http://127.0.0.1:$epp" \
    --initial-cluster "smoke=http://127.0.0.1:$epp" >"$d/etcd.log" 2>&1 &
  pids+=($!)
  wait_for 30 curl -sf "http://127.0.0.1:$ecp/health" || { tail -20 "$d/etcd.log" >&2; die "smoke: etcd not healthy"; }
  log "smoke: $("$ETCD" --version | head -1) on :$ecp"

  # The e2e tests pass the range; KTHW_SMOKE_SVC_RANGE= (empty) checks the default.
  local svc_range=${KTHW_SMOKE_SVC_RANGE-10.32.0.0/24} want_ip=10.32.0.1
  [ -z "$svc_range" ] && want_ip=10.0.0.1
  local t0=$SECONDS
  # --advertise-address=127.0.0.1 is rejected by the lease endpoint reconciler
  # ("may not be in the loopback range"), hence --endpoint-reconciler-type=none.
  "$KUBE_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ecp" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$d/sa.pub" \
    --service-account-signing-key-file="$d/sa.key" \
    --client-ca-file="$d/ca.pem" \
    --tls-cert-file="$d/apiserver.pem" --tls-private-key-file="$d/apiserver-key.pem" \
    --cert-dir="$d/certs" \
    --advertise-address=127.0.0.1 --bind-address=127.0.0.1 --secure-port="$sp" \
    --endpoint-reconciler-type=none \
    --authorization-mode=Node,RBAC \
    ${svc_range:+--service-cluster-ip-range=$svc_range} \
    --disable-admission-plugins=ServiceAccount \
    >"$d/apiserver.log" 2>&1 &
  local apid=$!; pids+=("$apid")
  local curl_admin=(curl -sf --cacert "$d/ca.pem" --cert "$d/admin.pem" --key "$d/admin-key.pem")
  # apiserver_up: readyz ok; dies early if the process exited.
  apiserver_up() { kill -0 "$apid" || return 0; "${curl_admin[@]}" "https://127.0.0.1:$sp/readyz"; }
  wait_for 120 apiserver_up && kill -0 "$apid" 2>/dev/null \
    || { tail -30 "$d/apiserver.log" >&2; die "smoke: apiserver not ready"; }
  log "smoke: /readyz ok after $((SECONDS - t0))s"

  # kubeconfig with the admin cert.
  local kc=$d/admin.kubeconfig
  "$K" config set-cluster smoke --server="https://127.0.0.1:$sp" --certificate-authority="$d/ca.pem" --embed-certs --kubeconfig="$kc" >/dev/null
  "$K" config set-credentials admin --client-certificate="$d/admin.pem" --client-key="$d/admin-key.pem" --embed-certs --kubeconfig="$kc" >/dev/null
  "$K" config set-context smoke --cluster=smoke --user=admin --kubeconfig="$kc" >/dev/null
  "$K" config use-context smoke --kubeconfig="$kc" >/dev/null
  "$K" --kubeconfig="$kc" version >&2
  "$K" --kubeconfig="$kc" get nodes >&2
  local can; can=$("$K" --kubeconfig="$kc" auth can-i '*' '*')
  [ "$can" = yes ] || die "smoke: auth can-i = $can"
  local ip=""
  wait_for 30 "$K" --kubeconfig="$kc" get svc kubernetes -n default || true
  ip=$("$K" --kubeconfig="$kc" get svc kubernetes -n default -o jsonpath='{.spec.clusterIP}')
  [ "$ip" = "$want_ip" ] || die "smoke: kubernetes svc clusterIP = '$ip'"
  log "smoke: can-i=yes, svc/kubernetes clusterIP=$ip"
  # Watch + write path through etcd: a watcher must see a new ConfigMap.
  timeout 20 "$K" --kubeconfig="$kc" get cm -n default -w -o name >"$d/watch.out" 2>&1 &
  local wpid=$!
  sleep 2
  "$K" --kubeconfig="$kc" create configmap smoke -n default --from-literal=k=v >&2
  wait_for 15 grep -q 'configmap/smoke' "$d/watch.out" || { cat "$d/watch.out" >&2; die "smoke: watch saw no event"; }
  kill "$wpid" 2>/dev/null || true
  log "smoke: watch ok ($(grep -c . "$d/watch.out") events)"

  # sshd on an unprivileged loopback port, forwarding to the apiserver.
  local ssp lp; ssp=$(free_port); lp=$(free_port)
  mkdir -p /run/sshd   # privilege separation dir (sshd refuses to start without it)
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$d/client_key"
  cp "$d/client_key.pub" "$d/authorized_keys"
  echo "[127.0.0.1]:$ssp $(cut -d' ' -f1,2 "$d/host_key.pub")" >"$d/known_hosts"
  cat >"$d/sshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PidFile $d/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
EOF
  /usr/sbin/sshd -D -e -f "$d/sshd_config" -p "$ssp" >"$d/sshd.log" 2>&1 &
  pids+=($!)
  wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ssp" || { cat "$d/sshd.log" >&2; die "smoke: sshd not listening"; }
  ssh -N -L "$lp:127.0.0.1:$sp" -o UserKnownHostsFile="$d/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ExitOnForwardFailure=yes -i "$d/client_key" -p "$ssp" root@127.0.0.1 >"$d/ssh.log" 2>&1 &
  pids+=($!)
  wait_for 20 "$K" --kubeconfig="$kc" --server="https://127.0.0.1:$lp" get --raw /readyz \
    || { tail "$d/sshd.log" "$d/ssh.log" >&2; die "smoke: kubectl through ssh tunnel failed"; }
  "$K" --kubeconfig="$kc" --server="https://127.0.0.1:$lp" get ns >&2
  log "smoke: kubectl through ssh -L tunnel (sshd :$ssp -> apiserver :$sp) ok"
  SMOKE_OK=1
  log "smoke: PASSED"
}
[ $SMOKE = 1 ] && smoke

echo "$OUT_PATH"
