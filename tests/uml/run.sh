#!/bin/bash
# tests/uml/run.sh SCRIPT [ARGS...]
#
# Boot the UML test kernel ($NC_UML_KERNEL, default $NC_CACHE/uml-test/linux)
# on the host root (hostfs, read-only), run SCRIPT ARGS inside (through
# tests/lib/guest-init.sh: proc, sys, tmpfs, /run/netns, lo up), power off.
# Exits with SCRIPT's status; 1 if SCRIPT passed but the console shows a
# kernel splat; 124 on timeout; 125 if the guest gave no status.
#
# Environment:
#   NC_LOG      console log (default build/test-logs/uml-SCRIPT.log)
#   NC_OUTDIR   host directory mounted writable at $NC_OUT in the guest
#               (default: a temporary one, removed afterwards)
#   NC_TIMEOUT  seconds before the UML is killed (default 600)
#   NC_UML_MEM  guest memory (default 1G)
#   NC_KUNIT=1  run the built-in KUnit suites at boot (off otherwise)
#   NC_QUIET=1  do not copy the console to stdout
# Other NC_* variables are passed on into the guest.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/host.sh"

[ $# -ge 1 ] || { echo "usage: $0 SCRIPT [ARGS...]" >&2; exit 2; }
script=$1; shift
# a file is passed by absolute path (same path in the guest), else a command
case $script in /*) ;; *) [ -e "$script" ] && script=$PWD/$script ;; esac

kernel=${NC_UML_KERNEL:-${NC_CACHE:-/var/cache/netchannel}/uml-test/linux}
[ -x "$kernel" ] || { echo "uml: no kernel at $kernel (make uml)" >&2; exit 2; }
log=${NC_LOG:-$top/build/test-logs/uml-$(basename "$script" .sh).log}
timeout=${NC_TIMEOUT:-600}
mkdir -p "$(dirname "$log")"
if [ -n "${NC_OUTDIR:-}" ]; then
	rundir=$(mkdir -p "$NC_OUTDIR" && realpath "$NC_OUTDIR")
else
	rundir=$(mktemp -d /tmp/nc-uml.XXXXXX)
	trap 'rm -rf "$rundir"' EXIT
fi
nc_write_cmd "$rundir" "$top" "$script" "$@"

cmdline="mem=${NC_UML_MEM:-1G} rootfstype=hostfs rootflags=/ ro
	init=$top/tests/lib/guest-init.sh nc_lane=uml nc_run=$rundir
	con=null con0=null,fd:1 ssl=null printk.time=1
	kunit.enable=${NC_KUNIT:-0} panic=-1"

# UML keeps guest memory in a file under $TMPDIR: put it on tmpfs.  Console
# on fd 1 only and stdin from /dev/null, so the host terminal is untouched.
# timeout kills the whole process group (guest processes are host processes
# under UML).  No core dump when the guest panics.
start=$(date +%s)
set +e
(
	ulimit -c 0
	unset TMP TEMP
	export TMPDIR=/dev/shm
	exec timeout -k 10 "$timeout" "$kernel" $cmdline </dev/null
) 2>&1 | if [ "${NC_QUIET:-0}" = 1 ]; then cat >"$log"; else tee "$log"; fi
vmrc=${PIPESTATUS[0]}
set -e

status=$(nc_result uml "$log" "$vmrc" "$timeout")
echo "uml: $(basename "$script") status $status in $(($(date +%s) - start))s (log: $log)"
exit "$status"
