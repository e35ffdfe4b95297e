# shellcheck shell=bash
# fault_lib.sh: shared by the fault injection scenarios (fault_inject*.sh),
# sourced after lib.sh and nat_lib.sh.  They need failslab and
# fail_page_alloc, and the engine as modules so that tests/net/fault_tool.py
# can scope the failures to them by stack trace: the sanitizer lane's
# kernel (make check-sanitize).  Debian's kernels have no fault injection,
# UML has the engine built in and inexact stack traces: there the
# scenarios print one SKIP line.

FT="python3 $NC_TOP/tests/net/fault_tool.py"

# fault_setup: the topology, and the filter on the modules (or SKIP, exit)
fault_setup() {
	nat_require
	if [ ! -e /sys/kernel/debug/failslab ] || [ ! -e /proc/thread-self/fail-nth ] ||
		! grep -qw netchannel /proc/modules; then
		skip "fault injection (needs failslab and the engine as modules)"
		nc_done
	fi
	nat_topo
	check "fault_tool: filter on the modules" $FT setup
}
