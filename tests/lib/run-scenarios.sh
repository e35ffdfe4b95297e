#!/bin/bash
# Guest side of tests/run-all.sh: run scenario scripts one after another in
# this VM boot.  For each SCRIPT, its output goes to the console and to
# $NC_OUT/NAME.log, its exit status to $NC_OUT/NAME.rc (NAME = basename
# without .sh).  A missing .rc tells the host the script never finished.
# Each script gets NC_SCENARIO_TIMEOUT seconds (default 300), or what its
# own "# nc-timeout: SECONDS" line asks; namespaces it leaves behind are
# removed before the next one starts.
set -u
worst=0
for s in "$@"; do
	name=$(basename "$s" .sh)
	echo "=== scenario $name"
	limit=$(sed -n 's/^# nc-timeout: \([0-9]*\)$/\1/p' "$s")
	timeout -k 5 "${limit:-${NC_SCENARIO_TIMEOUT:-300}}" bash "$s" </dev/null 2>&1 |
		tee "$NC_OUT/$name.log"
	rc=${PIPESTATUS[0]}
	[ "$rc" = 124 ] && echo "FAIL: $name timed out" | tee -a "$NC_OUT/$name.log"
	echo "$rc" >"$NC_OUT/$name.rc"
	echo "=== scenario $name exit $rc"
	[ "$rc" = 0 ] || worst=1
	ip -all netns delete 2>/dev/null
	# a fault injection scenario killed by its timeout leaves no
	# failures behind for the next ones (sanitizer lane)
	for f in /sys/kernel/debug/failslab /sys/kernel/debug/fail_page_alloc; do
		[ -w "$f/probability" ] && echo 0 >"$f/probability"
	done
done
exit $worst
