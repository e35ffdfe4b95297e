#!/bin/bash
# fault_inject.sh: allocation failures injected into the engine's control
# path (failslab and fail_page_alloc, scoped to the engine's modules by
# their stack-trace filter: tests/net/fault_tool.py; the data path is
# fault_inject_data.sh's).  Runs in the sanitizer lane (make
# check-sanitize); elsewhere one SKIP line (fault_lib.sh).  Topology:
# nat_lib.sh.  Each netlink operation (attach, rule add of each kind, del,
# flush, load, timeout set, flow flush, detach) is run again with its 1st,
# 2nd, ... allocation failing until it runs clean; each run either fails
# with nothing changed, or succeeds with exactly what a clean run gives.
# State: ncnat save, dev list (without its packet counters), the timeout
# settings.  The boot's splat check (KASAN, UBSAN, lockdep, kmemleak)
# covers it.
# nc-timeout: 3600
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
. "$(dirname "$0")/fault_lib.sh"
fault_setup

# state NS: everything the control plane sets, counters left out
state() {
	ncnat "$1" save
	ncnat "$1" dev list | awk '{ print $1, $2, $3 }'
	ncnat "$1" timeout list | grep -Ev '^(reason|mappings|flows|created|expired) '
}

# inject LABEL UNDO -- CMD...: CMD (an ncnat command line for r1, without
# the binary) under fail-nth 1, 2, ... until a run allocates no more;
# UNDO (a shell command) brings the state back after a successful run.
# With $INJECT_ARGS set, CMD is what that command prints, asked before
# every run (an undo may renumber what CMD names, such as rule handles).
inject() {
	local label=$1 undo=$2 n=0 before after got res bad=0 inj=0
	shift 3
	[ -z "${INJECT_ARGS:-}" ] || set -- $($INJECT_ARGS)
	before=$(state r1)
	ncnat r1 "$@" >/dev/null || { fail "fault: $label: clean run"; return; }
	after=$(state r1)
	eval "$undo" >/dev/null
	[ "$(state r1)" = "$before" ] || { fail "fault: $label: undo restores"; return; }
	while [ $n -lt 400 ]; do
		n=$((n + 1))
		[ -z "${INJECT_ARGS:-}" ] || set -- $($INJECT_ARGS)
		res=$($FT nth $n "$NCNAT_BIN" -n "$(ns r1)" "$@" 2>/dev/null | tail -n 1)
		got=$(state r1)
		# a failed run must have left $before, which is then still
		# there: only a successful run needs undoing and a new look
		case $res in
		"0 "*)	[ "$got" = "$after" ] ||
				{ bad=$((bad + 1)); echo "    nth $n: succeeded, state differs"; }
			eval "$undo" >/dev/null
			[ "$(state r1)" = "$before" ] ||
				{ bad=$((bad + 1)); echo "    nth $n: undo"; break; } ;;
		*)	[ "$got" = "$before" ] ||
				{ bad=$((bad + 1)); echo "    nth $n: failed ($res), state changed"; break; }
			;;
		esac
		case $res in
		*" injected") inj=$((inj + 1)) ;;
		*) break ;;
		esac
	done
	if [ $bad = 0 ] && [ $inj -gt 0 ]; then
		pass "fault: $label ($inj failures injected, each all or nothing)"
	elif [ $bad = 0 ] && [ "$res" = "0 clean" ] && [ $n = 1 ]; then
		# (the filter works: the operations before this one failed)
		pass "fault: $label (allocates nothing in the engine)"
	else
		fail "fault: $label ($inj injected, $bad inconsistent, last: $res)"
	fi
}

rules=/tmp/nat-fault-rules
cat >$rules <<EOF
rule add proto udp dport 9 drop
rule add iif out0 proto tcp dport 8080 dnat to 10.0.1.2:80
rule add saddr 10.0.1.3/32 netmap to 192.0.2.99/32
rule add oif out0 masquerade filtering adf
EOF

# --- control path (r1 starts with in0, out0 attached and no rules) ---
ncnat r1 dev detach in0
inject "dev attach" "ncnat r1 dev detach in0" -- dev attach in0
ncnat r1 dev attach in0
inject "dev detach" "ncnat r1 dev attach in0" -- dev detach in0
inject "rule add masquerade" "ncnat r1 rule flush" -- rule add oif out0 masquerade
inject "rule add snat pool" "ncnat r1 rule flush" -- \
	rule add saddr 10.0.1.0/24 snat to 192.0.2.10-192.0.2.20 ports 2000-3000
inject "rule add dnat" "ncnat r1 rule flush" -- \
	rule add iif out0 proto tcp dport 8080 dnat to 10.0.1.2:80
inject "rule add netmap" "ncnat r1 rule flush" -- \
	rule add saddr 10.0.1.0/30 netmap to 192.0.2.100/30
inject "rule add filter" "ncnat r1 rule flush" -- rule add proto udp dport 9 drop
inject "load" "ncnat r1 rule flush" -- load $rules
ncnat r1 load $rules
inject "load over a ruleset" "ncnat r1 load $rules" -- load $rules
inject "rule flush" "ncnat r1 load $rules" -- rule flush
# (the undo, a load, gives the rules new handles)
del_first() {
	echo "rule del handle $(ncnat r1 -j rule list |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["handle"])')"
}
INJECT_ARGS=del_first inject "rule del" "ncnat r1 load $rules" --
setting() { ncnat r1 timeout list | awk -v k="$1" '$1 == k { print $2 }'; }
inject "timeout set" "ncnat r1 timeout set udp $(setting udp) max-mappings $(setting max-mappings)" -- \
	timeout set udp 77 max-mappings 1234
udp_echo s1 /tmp/nat-echo-s1.log
for p in 1 2 3 4 5 6 7 8; do
	tool h1 udp-req 192.0.2.2:7000 --sport $((41000 + p)) >/dev/null || true
done
check "flows before flow flush" test "$(nflows r1)" -gt 0
inject "flow flush" "true" -- flow flush
nc_done
