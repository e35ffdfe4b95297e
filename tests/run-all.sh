#!/bin/bash
# tests/run-all.sh: the `make check` driver.  Lanes from $NC_LANES
# (default "host uml qemu"):
#   host: static checks of the kernel sources (tests/static.sh) and the
#         CLI's own parser tests (tools/ncnat/selftest.sh), PASS/FAIL lines;
#   uml:  (a) one boot of the UML test kernel running the built-in KUnit
#             suites; every netchannel subtest line of the KTAP output is one
#             test, a netchannel suite that did not run is one failure;
#         (b) one boot per tests/net/*.sh scenario ($NC_JOBS boots at once,
#             default: number of CPUs; UML is one CPU each).
#   qemu: per Debian kernel of scripts/kernels.sh, one QEMU boot running all
#         scenarios (tests/lib/run-scenarios.sh); NC_QEMU_PARALLEL=1 runs
#         the two boots at the same time.
# Scenario output is counted by the contract in tests/net/lib.sh: each
# "PASS: x" / "FAIL: x" line is one test ("SKIP: x" lines are only shown); a script that exits non-zero
# without a FAIL line is one failure; a kernel splat in a boot is one
# failure.  Expects the kernels and modules built (make check does that).
# NC_SCENARIOS="a b" limits the scenarios (names without .sh).
# Logs: build/test-logs/.  Last line: "N passed, N failed".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/host.sh"
lanes=${NC_LANES:-host uml qemu}
logs=$top/build/test-logs
# clear only what this driver writes (others may be running run.sh by hand)
rm -rf "$logs/host" "$logs/uml" "$logs"/uml-kunit.* "$logs"/qemu-*
mkdir -p "$logs"
export NC_QUIET=1
t0=$(date +%s)

if [ -n "${NC_SCENARIOS:-}" ]; then
	scenarios=$(for s in $NC_SCENARIOS; do echo "$top/tests/net/$s.sh"; done)
else
	scenarios=$(ls "$top"/tests/net/*.sh | grep -v 'lib\.sh$')
fi

passed=0 failed=0 skipped=0 failures=
res() {	# res PASSED FAILED LABEL [NOTE]: add up one result line
	passed=$((passed + $1)); failed=$((failed + $2))
	[ "$2" = 0 ] || failures="$failures
  $3${4:+ ($4)}"
	printf '  %-4s %-44s %3d passed %3d failed%s\n' \
		"$([ "$2" = 0 ] && echo ok || echo FAIL)" "$3" "$1" "$2" "${4:+  $4}"
}

# count_scenario LABEL DIR NAME: results of one scenario from DIR/NAME.{log,rc}
count_scenario() {
	local label=$1 log=$2/$3.log rc p f k note=
	rc=$(cat "$2/$3.rc" 2>/dev/null || echo none)
	p=$(grep -ac '^PASS: ' "$log" 2>/dev/null) || p=0
	f=$(grep -ac '^FAIL: ' "$log" 2>/dev/null) || f=0
	k=$(grep -ac '^SKIP: ' "$log" 2>/dev/null) || k=0
	[ "$k" = 0 ] || { note="$k skipped"; skipped=$((skipped + k)); }
	if [ "$rc" = none ]; then
		res "$p" $((f + 1)) "$label" "did not finish"
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		res "$p" 1 "$label" "exit $rc without FAIL line"
	else
		res "$p" "$f" "$label" "$note"
	fi
	[ "$f" = 0 ] || show_failures "$log"
}

# show_failures LOG: each FAIL line of LOG with the indented lines that
# explain it (check/check_eq print them), so a CI run's output alone says
# what failed; the logs do not outlive CI's clone
show_failures() {
	awk '/^FAIL: / { n = 12; print "       " $0; next }
		n > 0 && /^    / { n--; print "       " $0; next }
		{ n = 0 }' "$1"
}

# boot_check LABEL LOG STATUS: one failure for a splat, or for a boot that
# timed out / died although its scripts all reported.
boot_check() {
	local splat
	if ! splat=$(nc_splat_check "$2"); then
		echo "$splat" >"$2.splat"
		res 0 1 "$1" "kernel splat, see $2"
		echo "$splat" | sed -n 2,6p
	elif [ "$3" = 124 ] || [ "$3" = 125 ]; then
		res 0 1 "$1" "boot status $3, see $2"
	fi
}

# Suite names the sources declare (.name = "..." of each struct kunit_suite
# in net/netchannel/**/*_kunit.c): each of these must run.
kunit_expected() {
	find "$top/net/netchannel" -name '*_kunit.c' -exec awk '
		/struct kunit_suite/ { s = 1 }
		s && /\.name *= *"/ { match($0, /"[^"]*"/); print substr($0, RSTART + 1, RLENGTH - 2); s = 0 }
	' {} + | sort -u
}

# KTAP from the console: print "suite<TAB>test<TAB>ok|fail|skip" per test
# and "suite<TAB>-<TAB>ran|fail" per suite.  Kernel lines start with the
# printk timestamp; KTAP indents suites' tests by 4 spaces.
ktap_parse() {
	sed -n 's/^.*\[ *[0-9]*\.[0-9]*\] //p' "$1" | awk '
		/^    # Subtest: / { suite = $3; next }
		suite != "" && /^    (not )?ok [0-9]+ / {
			r = ($1 == "not") ? "fail" : "ok"
			n = $0; sub(/^    (not )?ok [0-9]+ /, "", n)
			if (n ~ /# SKIP/) { r = "skip"; sub(/ *# SKIP.*/, "", n) }
			print suite "\t" n "\t" r; next
		}
		suite != "" && /^(not )?ok [0-9]+ / {
			print suite "\t-\t" (($1 == "not") ? "fail" : "ran"); suite = ""
		}'
}

lane_kunit() {
	local log=$logs/uml-kunit.log st p=0 f=0 s t r seen
	echo "uml: KUnit"
	st=0
	NC_KUNIT=1 NC_LOG=$log NC_TIMEOUT=300 \
		bash "$top/tests/uml/run.sh" true >"$logs/uml-kunit.run" 2>&1 || st=$?
	ktap_parse "$log" >"$logs/uml-kunit.tsv"
	seen=$(awk -F'\t' -v re="${NC_KUNIT_MATCH:-^(netchannel|nc)[_-]}" '$1 ~ re' \
		"$logs/uml-kunit.tsv" | cut -f1 | sort -u)
	for s in $(kunit_expected); do
		echo "$seen" | grep -qx "$s" || { res 0 1 "uml/kunit/$s" "suite did not run"; }
	done
	for s in $seen; do
		p=0 f=0
		while IFS=$'\t' read -r _ t r; do
			case $t/$r in
			-/fail) [ "$f" = 0 ] && f=1 ;;	# suite failed with no failing test line
			-/*) ;;
			*/fail) f=$((f + 1)); echo "    not ok: $s.$t" ;;
			*) p=$((p + 1)) ;;
			esac
		done < <(awk -F'\t' -v s="$s" '$1 == s' "$logs/uml-kunit.tsv")
		res "$p" "$f" "uml/kunit/$s"
	done
	boot_check "uml/kunit boot" "$log" "$st"
}

lane_uml_scenarios() {
	local s name st pids=
	echo "uml: scenarios"
	for s in $scenarios; do
		name=$(basename "$s" .sh)
		# one boot per scenario, NC_JOBS of them at a time
		while [ "$(jobs -rp | wc -l)" -ge "${NC_JOBS:-$(nproc)}" ]; do wait -n || true; done
		(
			st=0
			NC_OUTDIR=$logs/uml/$name NC_LOG=$logs/uml/$name.console \
				bash "$top/tests/uml/run.sh" "$top/tests/lib/run-scenarios.sh" "$s" \
				>"$logs/uml/$name.run" 2>&1 || st=$?
			echo "$st" >"$logs/uml/$name.status"
		) &
	done
	wait
	for s in $scenarios; do
		name=$(basename "$s" .sh)
		count_scenario "uml/$name" "$logs/uml/$name" "$name"
		boot_check "uml/$name boot" "$logs/uml/$name.console" "$(cat "$logs/uml/$name.status")"
	done
}

# One boot per kernel, all scenarios; status to DIR.status.  Alone on a
# 2-core machine a boot takes about 46 minutes; the bound leaves room for a
# slower one while `make check` still fits CI's 90 minutes.
qemu_boot() {
	local kver=$1 dir=$logs/qemu-$1 st=0
	# shellcheck disable=SC2086 # one word per scenario
	NC_OUTDIR=$dir NC_LOG=$dir.console NC_TIMEOUT=${NC_QEMU_TIMEOUT:-4200} \
		bash "$top/tests/qemu/run.sh" "$kver" "$top/tests/lib/run-scenarios.sh" $scenarios \
		>"$dir.run" 2>&1 || st=$?
	echo "$st" >"$dir.status"
}
qemu_count() {
	local kver=$1 dir=$logs/qemu-$1 s
	echo "qemu $kver: scenarios"
	for s in $scenarios; do
		count_scenario "qemu-$kver/$(basename "$s" .sh)" "$dir" "$(basename "$s" .sh)"
	done
	boot_check "qemu-$kver boot" "$dir.console" "$(cat "$dir.status")"
}
# Both kernels boot at once (the QEMU lane is most of make check's time);
# NC_QEMU_PARALLEL=0 runs them one after the other.
lane_qemu() {
	local k
	eval "$(bash "$top/scripts/kernels.sh")"
	if [ "${NC_QEMU_PARALLEL:-1}" = 1 ]; then
		for k in $KVER61 $KVER612; do qemu_boot "$k" & done
		wait
		for k in $KVER61 $KVER612; do qemu_count "$k"; done
	else
		for k in $KVER61 $KVER612; do qemu_boot "$k"; qemu_count "$k"; done
	fi
}

# The sanitizer lane (make check-sanitize): one QEMU boot of our KASAN,
# UBSAN, lockdep, kmemleak and fault-injection kernel (tests/sanitize/
# build.sh) with the project's modules built against it.
lane_san() {
	local obj=${NC_CACHE:-/var/cache/netchannel}/x86-san kver
	kver=$(cat "$obj/include/config/kernel.release")
	NC_QEMU_KERNEL=$obj/arch/x86/boot/bzImage NC_QEMU_MODROOT=$obj/root \
		NC_QEMU_TIMEOUT=${NC_QEMU_TIMEOUT:-7200} NC_SCENARIO_TIMEOUT=${NC_SCENARIO_TIMEOUT:-1200} \
		qemu_boot "$kver"
	qemu_count "$kver"
}

lane_host() {
	local t name st
	echo "host: static checks, CLI selftest"
	mkdir -p "$logs/host"
	for t in tests/static.sh tools/ncnat/selftest.sh; do
		name=$(basename "$t" .sh)
		st=0
		bash "$top/$t" >"$logs/host/$name.log" 2>&1 || st=$?
		echo "$st" >"$logs/host/$name.rc"
		count_scenario "host/$name" "$logs/host" "$name"
	done
}

mkdir -p "$logs/uml"
for lane in $lanes; do
	t=$(date +%s)
	case $lane in
	host) lane_host ;;
	uml) lane_kunit; lane_uml_scenarios ;;
	qemu) lane_qemu ;;
	san) lane_san ;;
	*) echo "unknown lane $lane" >&2; exit 2 ;;
	esac
	echo "  ($lane lane: $(($(date +%s) - t))s)"
done

echo
[ -z "$failures" ] || echo "Failed:$failures"
echo "Logs in $logs; total $(($(date +%s) - t0))s; $skipped checks skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
