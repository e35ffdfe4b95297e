# Sourced by the host-side runners (tests/uml/run.sh, tests/qemu/run.sh,
# tests/run-all.sh): the parts both VM lanes share.

# Kernel splats.  Only kernel lines count (they carry a "[ seconds.micros]"
# timestamp; printk.time=1 is on the command line), so a test that prints
# "WARNING:" is not a splat; the timestamp may follow a partial user line.
NC_SPLAT_RE='\[ *[0-9]+\.[0-9]{6}\] .*(WARNING:|BUG:|\bBUG |Oops|(^|[^_a-z])lockdep|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked|Kernel panic|general protection|UBSAN|KASAN|kmemleak: .*suspected memory leak|sleeping function called from invalid context|RCU stall|rcu: INFO: .*detected stall|self-detected stall|Call Trace:|refcount_t: )'

# nc_splat_check LOG: print the splat lines (up to 20), return 1 if any.
nc_splat_check() {
	local hits
	hits=$(grep -aE "$NC_SPLAT_RE" "$1" | head -n 20) || true
	[ -z "$hits" ] && return 0
	echo "SPLAT in $1:"
	echo "$hits" | sed 's/^/  /'
	return 1
}

# nc_write_cmd RUNDIR TOP SCRIPT [ARGS...]: the file guest-init.sh sources:
# the exported NC_* settings, then the script and its arguments.
nc_write_cmd() {
	local rundir=$1 top=$2 script=$3 v a
	shift 3
	{
		for v in $(compgen -e | grep '^NC_' || true); do
			printf 'export %s=%q\n' "$v" "${!v}"
		done
		printf 'NC_TOP=%q\nNC_SCRIPT=%q\nset --' "$top" "$script"
		for a in "$@"; do printf ' %q' "$a"; done
		echo
	} >"$rundir/cmd"
}

# nc_result LANE LOG VMRC TIMEOUT: the status to exit with: the guest's
# "@@NC-EXIT@@ N" marker; 124 on timeout, 125 if the guest gave none;
# 1 instead of 0 if the log shows a kernel splat.
nc_result() {
	local lane=$1 log=$2 vmrc=$3 timeout=$4 status
	status=$(sed -n 's/.*@@NC-EXIT@@ \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ -z "$status" ]; then
		if [ "$vmrc" = 124 ] || [ "$vmrc" = 137 ]; then
			echo "$lane: TIMEOUT after ${timeout}s" >&2
			status=124
		else
			echo "$lane: guest died without an exit status (vm rc $vmrc)" >&2
			status=125
		fi
	fi
	if ! nc_splat_check "$log" >&2; then
		[ "$status" = 0 ] && status=1
	fi
	echo "$status"
}
