#!/usr/bin/env bash
# Make PostgreSQL's server programs available (the SQL store the team-backend tests keep Pulumi state in): Debian's
# `postgresql` package, installed with apt when missing. Prints the directory holding initdb, postgres, pg_isready
# and psql (/usr/lib/postgresql/<major>/bin) as the last stdout line; logs go to stderr.
#
#   dir=$(toolchain/postgres.sh | tail -n 1); "$dir/initdb" --version
#
# The install neither creates nor starts the packaged cluster: the tests run their own server, in a temporary
# directory, as an unprivileged user.
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
KTHW_TOOL=postgres.sh
# shellcheck source=toolchain/lib.sh
. "$here/lib.sh"

# The newest major version installed, if any.
installed_bin() {
	local newest
	newest=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)
	[[ -n $newest ]] && dirname "$newest"
}

if ! bin=$(installed_bin); then
	[[ $(id -u) == 0 ]] || die "PostgreSQL is not installed and installing it needs root: apt-get install postgresql"
	log "installing Debian's postgresql"
	# postgresql-common first, so that no `main` cluster is created when the server package is configured.
	apt_install postgresql-common
	sed -i 's/^#*[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' \
		/etc/postgresql-common/createcluster.conf
	apt_install postgresql
	bin=$(installed_bin) || die "postgresql is installed but no /usr/lib/postgresql/*/bin/initdb was found"
fi
for program in initdb postgres pg_isready psql; do
	[[ -x $bin/$program ]] || die "$bin/$program is missing"
done
echo "$bin"
