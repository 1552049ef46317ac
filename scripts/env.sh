# Source this: the environment every kthw command runs in (toolchain on PATH, local state, no update checks).
#   . scripts/env.sh
# KTHW_STATE_DIR: where the file backend keeps stacks (default: .state/ in the project).
# PULUMI_CONFIG_PASSPHRASE / PULUMI_CONFIG_PASSPHRASE_FILE: yours if set; otherwise a random passphrase is made
# once in $KTHW_STATE_DIR/passphrase (mode 600) and used from there.

kthw_root=$(CDPATH= cd -- "$(dirname -- "${BASH_SOURCE[0]:-$0}")/.." && pwd)
export KTHW_STATE_DIR="${KTHW_STATE_DIR:-$kthw_root/.state}"
mkdir -p "$KTHW_STATE_DIR"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$KTHW_STATE_DIR}"
export PULUMI_SKIP_UPDATE_CHECK=1
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=1
export PULUMI_HOME="${PULUMI_HOME:-$KTHW_STATE_DIR/pulumi-home}"
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s "$KTHW_STATE_DIR/passphrase" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 > "$KTHW_STATE_DIR/passphrase")
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$KTHW_STATE_DIR/passphrase"
fi
