# Source this (bash): the environment every kthw command runs in.
#   . scripts/env.sh
# - the Pulumi CLI, language host and kubernetes plugin from toolchain/pulumi.sh (built once per machine, cached
#   under ~/.cache/kthw), and the tls and command plugins chosen by toolchain/plugins.sh;
# - a local file backend in $KTHW_STATE_DIR (default: .state/ in the project) unless PULUMI_BACKEND_URL is set;
# - the passphrase that encrypts the stack's secrets: yours if PULUMI_CONFIG_PASSPHRASE or
#   PULUMI_CONFIG_PASSPHRASE_FILE is set, otherwise a random one made once in $KTHW_STATE_DIR/passphrase (mode 600).
#   Keep that file: without it the stack's secrets cannot be decrypted.

kthw_root=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${KTHW_TOOLCHAIN_READY:-}" ]; then
  kthw_bin=$("$kthw_root/toolchain/pulumi.sh" | tail -n 1) || return 1
  PATH="$kthw_bin:$PATH"
  kthw_plugins=$("$kthw_root/toolchain/plugins.sh" | tail -n 1) || return 1
  if [ -n "$kthw_plugins" ]; then PATH="$kthw_plugins:$PATH"; fi
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
