# The managed tunnel's create ("open") and delete ("close"), run by pulumi-command as
#   /bin/sh -c "<ssh_tunnel function>; <this file>" kthw-tunnel open|close
# The program defines ssh_tunnel (ssh -f -N -M with every option quoted) above this text.
#
# open: start ssh in the background with its control socket in $KTHW_TUNNEL_DIR (a directory of its own under the
#   user's state directory, where tmp cleaners do not reach), then print the record of what it started: this
#   machine, this boot, the ssh master's pid and start time, its socket, and the Command's trigger
#   ($KTHW_TUNNEL_TRIGGER). The record becomes the Command's stdout, and is kept beside the socket, where the next
#   preview on this machine reads it.
#   Whatever stops it (ssh missing, a directory it cannot make, ssh failing) goes to stderr and the record says
#   "failed=WHY": open never fails itself, so the engine goes on to save the stack's outputs, and the program then
#   fails the update with that message alone (a failing Command would end the program in a gRPC traceback).
# close: given a record ($PULUMI_COMMAND_STDOUT, possibly written on another machine or by an older deployment),
#   stop the ssh process it names, but only when that process runs here and is the very ssh the record describes
#   (same machine, same boot, same pid and start time, the recorded control socket on its command line).
#   Anything else is left alone: a tunnel already gone, or open on another machine, is nothing to close here.
set -u

say() { printf 'kthw: %s\n' "$*" >&2; }

machine_id() {
	id=$(cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null || uname -n)
	printf 'kthw-machine:%s' "$id" | sha256sum | cut -c1-16
}

boot_id() { cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown; }

start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

field() { printf '%s\n' "$record" | sed -n "s/^$1=//p" | head -n 1; }

# is_recorded_ssh PID START SOCKET: the process PID is an ssh started at START with SOCKET on its command line.
is_recorded_ssh() {
	[ -n "$2" ] && [ "$(start_time "$1")" = "$2" ] || return 1
	argv=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	case "$(printf '%s\n' "$argv" | head -n 1)" in ssh | */ssh) ;; *) return 1 ;; esac
	printf '%s\n' "$argv" | grep -Fxq -- "$3"
}

# running PID: the process exists and has not exited (an exited ssh -f stays a zombie until init reaps it).
running() {
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ]
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		running "$1" || return 0
		sleep 0.25
	done
	kill -KILL "$1" 2>/dev/null || true
}

# close_record RECORD: stop the ssh RECORD names if it is running here; remove its socket and record file.
close_record() {
	record=$(printf '%s\n' "$1")
	if [ "$(field kthw-tunnel)" != 1 ]; then
		say "no tunnel recorded; nothing to close"
		return 0
	fi
	if [ "$(field machine)" != "$(machine_id)" ]; then
		say "the tunnel was opened on another machine ($(field host)); nothing to close here"
		return 0
	fi
	if [ "$(field boot)" != "$(boot_id)" ]; then
		say "this machine has restarted since the tunnel was opened; nothing to close"
		return 0
	fi
	pid=$(field pid) socket=$(field socket)
	case "$socket" in */kthw/*/control) ;; *) say "the record names no kthw control socket; nothing to close"; return 0 ;; esac
	if [ -n "$(field failed)" ]; then
		forget_record "$socket"
		return 0
	fi
	case "$pid" in '' | *[!0-9]*) say "the record names no process; nothing to close"; return 0 ;; esac
	if is_recorded_ssh "$pid" "$(field start)" "$socket"; then
		stop_pid "$pid"
	else
		say "the tunnel was not running (ssh process $pid has exited); nothing to close"
	fi
	[ -S "$socket" ] && rm -f "$socket"
	forget_record "$socket"
}

# forget_record SOCKET: remove the record beside SOCKET if it is this very record (not a newer tunnel's).
forget_record() {
	saved="${1%/control}/record"
	if [ -f "$saved" ] && [ "$(cat "$saved")" = "$record" ]; then rm -f "$saved"; fi
	return 0
}

# write_record LINES...: the record of this attempt, with what identifies this machine and boot, to the Command's
# stdout and, when the directory is there, to "$dir/record" (where the next preview on this machine looks).
write_record() {
	record=$(printf '%s\n' "kthw-tunnel=1" "host=$(uname -n)" "machine=$(machine_id)" "boot=$(boot_id)" \
		"socket=$dir/control" "trigger=${KTHW_TUNNEL_TRIGGER:-}" "$@")
	if [ -n "$dir" ] && [ -d "$dir" ]; then printf '%s\n' "$record" 2>/dev/null >"$dir/record"; fi
	printf '%s\n' "$record"
}

# give_up WHY: end the attempt as failed, recorded with WHY (its message is on stderr already), and succeed.
give_up() {
	write_record "failed=$1"
	exit 0
}

# lacking MESSAGE WHY: what this machine lacks for the tunnel, worded as the program's own check at its start
# (preflight.py) words it, which this meets only when the machine changed in between.
lacking() {
	printf 'kthw:tunnel.manage: %s\n' "$1" >&2
	give_up "$2"
}

open_tunnel() {
	dir=${KTHW_TUNNEL_DIR:-}
	[ -n "$dir" ] || { say "KTHW_TUNNEL_DIR is not set"; give_up "no directory for the control socket"; }
	umask 077
	# (true, not ':': a special builtin whose redirection fails ends the shell)
	if ! mkdir -p "$dir" 2>/dev/null || ! true 2>/dev/null >"$dir/log"; then
		lacking "the managed tunnel keeps its control socket in $dir, which cannot be made or written; set \
XDG_STATE_HOME to a writable directory" "its directory cannot be written"
	fi
	rm -f "$dir/log"
	command -v ssh >/dev/null 2>&1 || lacking "the managed tunnel runs ssh, which is not on PATH; install the \
OpenSSH client or put its directory on PATH, or set tunnel.manage to false" "ssh is not on PATH"
	# A tunnel this stack opened here under a record another deployment replaced (say, one made on another
	# machine since): it holds the local port, and it is ours.
	if [ -f "$dir/record" ]; then close_record "$(cat "$dir/record")" 2>/dev/null; fi
	if [ -S "$dir/control" ]; then
		ssh -S "$dir/control" -O exit kthw-tunnel >/dev/null 2>&1 || true
		rm -f "$dir/control"
	fi
	if ssh_tunnel "$dir/control" </dev/null >"$dir/log" 2>&1; then
		rm -f "$dir/log"
	else
		status=$?
		cat "$dir/log" >&2
		rm -f "$dir/log"
		give_up "ssh exited with status $status"
	fi
	check=$(ssh -S "$dir/control" -O check kthw-tunnel 2>&1 </dev/null | tr -d '\r')
	pid=${check#*pid=}
	pid=${pid%%)*}
	case "$pid" in '' | *[!0-9]*)
		say "ssh started but its control socket does not answer: $check"
		ssh -S "$dir/control" -O exit kthw-tunnel >/dev/null 2>&1 </dev/null
		give_up "its control socket does not answer"
		;;
	esac
	write_record "pid=$pid" "start=$(start_time "$pid")"
}

case "${1:-}" in
open) open_tunnel ;;
close) close_record "${PULUMI_COMMAND_STDOUT:-}" ;;
*) say "usage: open | close"; exit 2 ;;
esac
