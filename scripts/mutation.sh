#!/usr/bin/env bash
# Mutation testing of components/ with mutmut (requirements-mutation.txt), against the fast suite
# (`-m "not engine and not e2e"`): every small change mutmut makes to a function (a flipped comparison, a dropped
# argument, another constant) must make some test fail. Not part of `make test` or CI: a full run takes hours on
# 2 cores. It works in a copy of the project under .mutation/ (its own virtualenv, mutmut's setup.cfg from
# scripts/mutation.cfg, mutmut's mutants/), so the project itself never sees mutmut's files.
#
#   scripts/mutation.sh [MODULE...]    a fresh run over every mutant of components/, or only of the modules named
#                                       (components/config/wording.py), then the score and every survivor
#   scripts/mutation.sh --resume [NAME...]
#                                       copy the current tests and code in, and go on where the last run stopped
#                                       (over the same modules); with mutant names (globs:
#                                       'components.kubeconfig.go_yaml.*'), test those again
#   scripts/mutation.sh --report        only the score and the survivors of the last run
#
# MUTATION_JOBS sets how many mutants run at once (default: the number of CPUs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
base=$root/.mutation
venv=$base/venv
work=$base/work

mode=fresh
case ${1:-} in
--resume) mode=resume; shift ;;
--report) mode=report; shift ;;
-*) echo "usage: scripts/mutation.sh [MODULE... | --resume [MUTANT...] | --report]" >&2; exit 2 ;;
esac
if [[ $mode == fresh ]]; then
	for module in "$@"; do
		if [[ $module != components/*.py || ! -f $module ]]; then
			echo "scripts/mutation.sh: $module is not a module of components/ (components/PACKAGE/NAME.py)" >&2
			exit 2
		fi
	done
fi

install_venv() {
	local stamp=$venv/.installed
	if [[ ! -f $stamp || requirements-mutation.txt -nt $stamp || requirements-dev.txt -nt $stamp ||
		requirements.txt -nt $stamp ]]; then
		echo "[mutation] installing requirements-mutation.txt into $venv"
		python3 -m venv "$venv"
		"$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-mutation.txt
		touch "$stamp"
	fi
}

# The project as git sees it (tracked and new files, nothing ignored) into the work copy; mutmut's own state
# (mutants/) stays unless the run is fresh. A fresh run's arguments are the modules to mutate.
copy_project() {
	if [[ $mode == fresh ]]; then rm -rf "$work"; fi
	mkdir -p "$work"
	git ls-files -z --cached --others --exclude-standard --deduplicate |
		while IFS= read -r -d '' file; do [[ -e $file ]] && printf '%s\0' "$file"; done |
		tar --null -T - -cf - | tar -xf - -C "$work"
	# The modules to mutate, kept for a resumed run: none means every module of components/.
	if [[ $mode == fresh ]]; then
		: >"$work/.only"
		if (($#)); then printf '%s\n' "$@" >"$work/.only"; fi
	fi
	cp scripts/mutation.cfg "$work/setup.cfg"
	if [[ -s $work/.only ]]; then
		printf 'only_mutate =\n' >>"$work/setup.cfg"
		sed 's/^/    /' "$work/.only" >>"$work/setup.cfg"
	fi
	# mutmut copies components/ into mutants/ once; a resumed run must test the current code and tests.
	if [[ -d $work/mutants ]]; then
		rm -rf "$work/mutants/tests"
	fi
}

report() {
	cd "$work"
	"$venv/bin/mutmut" export-cicd-stats >/dev/null
	"$venv/bin/python" "$root/scripts/mutation_score.py" mutants/mutmut-cicd-stats.json
	echo "[mutation] survivors and mutants not killed (mutmut show NAME in $work for the diff):"
	"$venv/bin/mutmut" results
}

install_venv
if [[ $mode != report ]]; then
	copy_project "$@"
	cd "$work"
	if [[ $mode == fresh ]]; then
		"$venv/bin/mutmut" run --max-children "${MUTATION_JOBS:-$(nproc)}"
	else
		"$venv/bin/mutmut" run --max-children "${MUTATION_JOBS:-$(nproc)}" "$@"
	fi
	cd "$root"
fi
report
