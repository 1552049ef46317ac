#!/usr/bin/env bash
# `make up`: the dev stack (or $KTHW_STACK) on the local file backend: create it if missing, `pulumi up --yes`,
# then show the outputs and how to use them. Extra arguments go to `pulumi up`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh
stack=${KTHW_STACK:-dev}

# The salt `pulumi stack init` writes into Pulumi.<stack>.yaml belongs to this machine's passphrase: keep it out of
# what git tracks (.gitattributes names the filter), so the clone stays clean.
in_git=false
if git rev-parse --git-dir >/dev/null 2>&1; then
	in_git=true
	git config filter.kthw-local-salt.clean "sed '/^encryptionsalt:/d'"
	git config filter.kthw-local-salt.smudge cat
fi
if ! pulumi stack select "$stack" 2>/dev/null; then
	# A new backend: an encryption salt left in the stack file belongs to another passphrase.
	if [[ -f Pulumi.$stack.yaml ]]; then sed -i '/^encryptionsalt:/d' "Pulumi.$stack.yaml"; fi
	pulumi stack init "$stack"
fi
scripts/migrate-state.sh "$stack"
kthw_cluster_plugin "$stack" # the kubernetes plugin, when the stack puts objects into the cluster
pulumi up --yes --stack "$stack" "$@"
# The salt line changed the file's size, which git takes as a change without looking: when nothing but the salt
# differs (the filter drops it), refresh git's record of the file. This stages nothing.
if $in_git && git ls-files --error-unmatch "Pulumi.$stack.yaml" >/dev/null 2>&1 &&
	git diff --quiet -- "Pulumi.$stack.yaml"; then
	git add -- "Pulumi.$stack.yaml"
fi

cat <<EOF

Stack $stack is up. State: $PULUMI_BACKEND_URL
  pulumi stack output                                  # all outputs (secrets hidden)
  mkdir -p ~/.kube && pulumi stack output kubeconfig --show-secrets > ~/.kube/kthw && chmod 600 ~/.kube/kthw
  sh -c "\$(pulumi stack output tunnelCommand)" &       # open the tunnel (unless tunnel.manage is true)
  KUBECONFIG=~/.kube/kthw kubectl get nodes
Run these after: . scripts/env.sh   (the same toolchain, backend and passphrase)
EOF
