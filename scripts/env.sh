# Source this (bash): the environment every kthw command runs in.
#   . scripts/env.sh
# - the Pulumi CLI, Pulumi's Python language host and the tls and command plugins from
#   toolchain/pulumi.sh (built once per machine, cached under ~/.cache/kthw; it says where each piece comes from);
#   the plugins are installed into Pulumi's plugin cache (${PULUMI_HOME:-~/.pulumi}/plugins) as symbolic links,
#   the kubernetes plugin too once toolchain/kubernetes.sh has built it;
# - a local file backend in $KTHW_STATE_DIR (default: .state/ in the project) unless PULUMI_BACKEND_URL is set;
# - the passphrase that encrypts the stack's secrets: yours if PULUMI_CONFIG_PASSPHRASE or
#   PULUMI_CONFIG_PASSPHRASE_FILE is set, otherwise a random one made once in $KTHW_STATE_DIR/passphrase (mode 600).
#   Keep that file: without it the stack's secrets cannot be decrypted.

kthw_root=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

# kthw_link_plugins DIR: install the plugins of a plugin-cache directory the toolchain laid out into Pulumi's plugin
# cache (as `pulumi plugin install --file` would), each once.
kthw_link_plugins() {
  for kthw_plugin in "$1"/*/; do
    kthw_plugin=${kthw_plugin%/}
    kthw_installed="${PULUMI_HOME:-$HOME/.pulumi}/plugins/$(basename "$kthw_plugin")"
    if [ -d "$kthw_plugin" ] && [ ! -e "$kthw_installed" ]; then
      mkdir -p "$kthw_installed" && ln -sf "$kthw_plugin"/pulumi-resource-* "$kthw_installed/"
    fi
  done
}

# kthw_cluster_plugin STACK: build (once per machine) and install the kubernetes plugin when STACK puts objects into
# the cluster (the keys of Settings.needs_cluster: podNetwork or dns other than none, users, adminAccess rbac,
# kubeletApiUser): only such a stack needs it.
kthw_cluster_plugin() {
  for kthw_key in podNetwork dns users adminAccess kubeletApiUser; do
    kthw_value=$(pulumi config get "kthw:$kthw_key" --stack "$1" 2>/dev/null) || kthw_value=
    case "$kthw_key=$kthw_value" in
      *= | *=none | *=null | *='[]' | adminAccess=masters) ;;
      *)
        kthw_link_plugins "$("$kthw_root/toolchain/kubernetes.sh" | tail -n 1)" || return 1
        return 0
        ;;
    esac
  done
}

if [ -z "${KTHW_TOOLCHAIN_READY:-}" ]; then
  kthw_bin=$("$kthw_root/toolchain/pulumi.sh" | tail -n 1) || return 1
  PATH="$kthw_bin:$PATH"
  kthw_link_plugins "$kthw_bin/../plugins"
  # The kubernetes plugin, when this machine has built it (toolchain/kubernetes.sh: only stacks that put objects
  # into the cluster need it, so nothing here waits for that build).
  if kthw_k8s=$("$kthw_root/toolchain/kubernetes.sh" --cached); then kthw_link_plugins "$kthw_k8s"; fi
  export PATH KTHW_TOOLCHAIN_READY=1
fi
export KTHW_STATE_DIR="${KTHW_STATE_DIR:-$kthw_root/.state}"
mkdir -p "$KTHW_STATE_DIR"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$KTHW_STATE_DIR}"
export PULUMI_SKIP_UPDATE_CHECK=1
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s "$KTHW_STATE_DIR/passphrase" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 > "$KTHW_STATE_DIR/passphrase")
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$KTHW_STATE_DIR/passphrase"
fi
